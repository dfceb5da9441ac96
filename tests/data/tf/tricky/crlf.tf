terraform {
  required_version = "~> 1.9"
  required_providers {
    null = {
      source  = "hashicorp/null"
      version = "3.2.2"
    }
  }
}

resource "null_resource" "x" {
  triggers = {
    a = "b"
  }
}
