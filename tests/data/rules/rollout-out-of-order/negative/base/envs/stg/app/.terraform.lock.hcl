# This file is maintained automatically by "terraform init".
# Manual edits may be lost in future updates.

provider "registry.terraform.io/hashicorp/null" {
  version     = "3.1.0"
  constraints = "~> 3.0"
  hashes = [
    "zh:136136136136136136136136136136136136136136136136136136136136136136136136136136136136136136136136",
  ]
}
