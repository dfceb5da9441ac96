/* leading
   block comment with "quote and { brace */
terraform /* between */ {
  # comment line {
  required_providers /* here */ {
    # comment inside
    google = { # comment after brace
      source = "hashicorp/google" /* inline */
      // another
      version = "~> 5.0"
    } # after object
  }
}

resource /* c */ "google_storage_bucket" /* c */ "b" /* c */ {
  provider = google.europe // explicit provider
  name     = "x" # trailing
}

provider "google" {
  alias = "europe" # }
}

module "vpc" { # comment
  source = "terraform-google-modules/network/google" // registry
  # version below
  version = "~> 9.0"
}
