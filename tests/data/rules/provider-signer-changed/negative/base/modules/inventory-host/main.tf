terraform {
  required_providers {
    inventory = {
      source  = "tf.acme.example/platform/inventory"
      version = ">= 1.2.0"
    }
  }
}

variable "environment" {
  type = string
}

resource "inventory_host" "bastion" {
  name        = "bastion-${var.environment}"
  environment = var.environment
}
