terraform {
  required_version = ">= 1.6.0"

  required_providers {
    null = {
      source  = "hashicorp/null"
      version = "~> 3.0"
    }
    inventory = {
      source  = "tf.acme.example/platform/inventory"
      version = ">= 1.2.0, < 2.0.0"
    }
  }

  backend "s3" {
    bucket = "acme-terraform-state"
    key    = "stg/network/terraform.tfstate"
    region = "eu-west-1"
  }
}

module "hosts" {
  source      = "../../../modules/inventory-host"
  environment = "stg"
}

resource "null_resource" "network" {
  triggers = {
    environment = "stg"
  }
}
