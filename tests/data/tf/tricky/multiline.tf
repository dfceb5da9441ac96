terraform {
  required_providers {
    tls = {
      source                = "hashicorp/tls",
      "version"             : ">= 4.0",
      configuration_aliases = [
        tls.one,
        tls.two,
      ]
    }
  }
}

locals {
  merged = merge(
    { a = 1 },
    {
      b = [
        for x in range(3) : {
          id = x
        } if x > 0
      ]
    },
  )
  cond = var.x != null ? (
    var.x
  ) : "default"
  ratio = 3 / 2
  cmp   = 1 < 2
}

resource "tls_private_key" "k" { algorithm = "RSA" }
resource "tls_cert_request" "c" { provider = tls.one }
data "http" "x" {
  url = "https://example.com/?a=1&b={2}"
  request_headers = {
    Accept = "application/json"
  }
}

check "health" {
  data "http" "probe" {
    url = "https://example.com/health"
  }
  assert {
    condition     = data.http.probe.status_code == 200
    error_message = "unhealthy"
  }
}

ephemeral "random_password" "p" {
  length = 16
}

module "child" {
  source = "./child"
  for_each = toset(["a", "b"])
  name = each.key
}
