# A heredoc may contain anything that looks like structure.
locals {
  script = <<-EOT
    #!/bin/sh
    echo "}" '{' # not a comment
    cat <<INNER
    ${jsonencode({ a = "}", b = [1, 2] })}
    INNER
    EOT
  flush = <<EOF
resource "fake_thing" "x" {
  provider = fake.alias
}
module "not_a_module" { source = "./nope" }
EOF
  after = "still fine"
}

terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws" # } inside comment
      version = "~> 5.0"
    }
  }
}

resource "aws_instance" "web" {
  user_data = <<-EOT
    terraform {
      required_providers { evil = { source = "evil/evil" } }
    }
  EOT
}
