terraform {
  required_version = ">= 1.6.0"

  required_providers {
    null = {
      source  = "hashicorp/null"
      version = "~> 3.0"
    }
    inventory = {
      source  = "tf.acme.example/platform/inventory"
      version = "~> 1.2.0"
    }
  }

  backend "s3" {
    bucket = "acme-terraform-state"
    key    = "dev/network/terraform.tfstate"
    region = "eu-west-1"
  }
}
