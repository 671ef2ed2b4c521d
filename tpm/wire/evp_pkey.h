// File: tpm/wire/evp_pkey.h
// -----------------------------------------------------------------------------
// Owning pointers for the OpenSSL objects tpm/wire and tpm/verify hand out.

#ifndef VIGIL_TPM_WIRE_EVP_PKEY_H_
#define VIGIL_TPM_WIRE_EVP_PKEY_H_

#include <openssl/evp.h>

#include <memory>

namespace vigil::tpm {

struct EvpPkeyDeleter {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
// An owned EVP_PKEY; freed with EVP_PKEY_free.
using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, EvpPkeyDeleter>;

}  // namespace vigil::tpm

#endif  // VIGIL_TPM_WIRE_EVP_PKEY_H_
