terraform {
  required_version = ">= 1.5.0" // the CLI
  required_providers {
    random = {
      source  = "hashicorp/random"
      version = ">= 3.0, < 4.0"
    }
  }
}

locals {
  a = "contains } and { and # and // and /* not comment */"
  b = "escaped \" quote } and \\ backslash"
  c = "${"nested ${"deep } string"} template"} and $${literal} and %%{literal}"
  d = "%{ if true }yes}%{ else }no{%{ endif }"
  e = "unicode: ünïcødé → ✓ {"
  f = "${ { a = "}" }["a"] }"
}

resource "random_id" "r" {
  keepers = {
    a = "provider = fake.x"
  }
  byte_length = 8
}

module "pinned" {
  source  = "git::https://example.com/modules.git//network?ref=v1.2.3"
}
