# This file is maintained automatically by "terraform init".
# Manual edits may be lost in future updates.

provider "registry.terraform.io/hashicorp/null" {
  version     = "3.1.0"
  constraints = "~> 3.0"
  hashes = [
    "h1:vpC6bgUQoJ0znqIKVFevOdq+YQw42bRq0u+H3nto8nA=",
    "zh:02a1675fd8de126a00460942aaae242e65ca3380b5bb192e8773ef3da9073fd2",
    "zh:53e30545ff8926a8e30ad30648991ca8b93b6fa496272cd23b26763c8ee84515",
    "zh:5f9200bf708913621d0f6514179d89700e9aa3097c77dac730e8ba6e5901d521",
    "zh:9ebf4d9704faba06b3ec7242c773c0fbfe12d62db7d00356d4f55385fc69bfb2",
    "zh:a6576c81adc70326e4e1c999c04ad9ca37113a6e925aefab4765e5a5198efa7e",
    "zh:a8a42d13346347aff6c63a37cda9b2c6aa5cc384a55b2fe6d6adfa390e609c53",
    "zh:c797744d08a5307d50210e0454f91ca4d1c7621c68740441cf4579390452321d",
    "zh:cecb6a304046df34c11229f20a80b24b1603960b794d68361a67c5efe58e62b8",
    "zh:e1371aa1e502000d9974cfaff5be4cfa02f47b17400005a16f14d2ef30dc2a70",
    "zh:fc39cc1fe71234a0b0369d5c5c7f876c71b956d23d7d6f518289737a001ba69b",
    "zh:fea4227271ebf7d9e2b61b89ce2328c7262acd9fd190e1fd6d15a591abfa848e",
  ]
}

provider "tf.acme.example/platform/inventory" {
  version     = "1.3.0"
  constraints = ">= 1.2.0, < 2.0.0"
  hashes = [
    "h1:HBLmko6s3f+du/PMzEnQVHI732zs1/FOhsnOrkMjIVM=",
    "h1:MbZ1P+h7WGRaXTgmfx+KGZ1zx8jbEBwkiIydrhWF7yU=",
    "h1:NHhDBkxX5XMJ89KIqBRu2Q4vZktBJFKy5hn+p77kyyg=",
    "h1:Oy91kj3ZKDi9qW5BVjDRohoGna9xrrFtZ5YtHdzQ6Hg=",
    "zh:3219881228186dfe14d6c74fc21331e0491e81fdd970d9bae78fb709951667b1",
    "zh:32257c6cf7fa3b7fc39bfb74154a73b3172e13d2247500a2457b5097b9fa732f",
    "zh:3b8c009d68b08f6dc97d3917ddbbd1ac8c68bb1e66a6451fff945b6df6420b37",
    "zh:d614d2935e9483e9058f82af1822b63201dae6c902d3b3b46687926b4d254195",
    "zh:fbd1fee2c9df3aa19cf8851ce134dea6e45ea01cb85695c1726670c285797e25",
  ]
}
