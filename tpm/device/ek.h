// File: tpm/device/ek.h
// -----------------------------------------------------------------------------
// The endorsement key (EK): its certificates in NV, the key itself recreated
// from the TCG default templates, and the check that the two agree.
// References: TCG EK Credential Profile for TPM Family 2.0, Level 0, Version
// 2.5 (EKCP): §2.2.1.4 (low-range templates L-1, L-2), §2.2.1.5 (high-range
// templates H-1..H-7), §2.2.1.5.1 (NV indices of certificates and templates),
// Annex B (default policies). The certificate's trust comes only from its
// chain to a manufacturer CA, which callers check (e.g. `openssl verify`).

#ifndef VIGIL_TPM_DEVICE_EK_H_
#define VIGIL_TPM_DEVICE_EK_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "tpm/device/esys_context.h"
#include "tpm/device/handles.h"

namespace vigil::tpm {

enum class EkKind {
  kRsa2048,      // template L-1, certificate at 0x01c00002
  kEccNistP256,  // template L-2, certificate at 0x01c0000a
  // template H-3, certificate at 0x01c00016. swtpm 0.7.1 provisions this one
  // (persistent at 0x81010016), and no P-256 certificate (toolchain.md §3).
  kEccNistP384,
};

// "rsa2048", "ecc-p256", "ecc-p384".
absl::string_view EkKindName(EkKind kind);
// NV index of the EK certificate (EKCP §2.2.1.5.1).
uint32_t EkCertNvIndex(EkKind kind);

// ReadNvIndex(ctx, index): the whole contents of an NV index, read in chunks
// of at most TPM_PT_NV_BUFFER_MAX bytes. Authorizes with the index itself when
// TPMA_NV_AUTHREAD is set (empty authValue, as EK certificate indices have),
// else with the owner hierarchy's empty password.
// Fails with kNotFound when the index is not defined, as tss_status.h
// otherwise.
absl::StatusOr<std::vector<uint8_t>> ReadNvIndex(const EsysContext& ctx,
                                                 uint32_t index);

// ReadEkCertificate(ctx, kind): the DER certificate stored at
// EkCertNvIndex(kind), with any zero padding after the DER SEQUENCE removed.
// UNTRUSTED until its chain is verified. Fails with kNotFound when the TPM has
// no certificate of this kind, kDataLoss when the contents are not a DER
// SEQUENCE, as ReadNvIndex otherwise.
absl::StatusOr<std::vector<uint8_t>> ReadEkCertificate(const EsysContext& ctx,
                                                       EkKind kind);

// A loaded EK. Flushed when destroyed.
struct EndorsementKey {
  EkKind kind = EkKind::kRsa2048;
  TransientHandle handle;
  std::vector<uint8_t> public_area;  // TPM2B_PUBLIC, marshalled (tss2-mu)
  std::vector<uint8_t> name;         // TPM2B_NAME contents: nameAlg || H(public)
};

// CreateEk(ctx, kind): TPM2_CreatePrimary in the endorsement hierarchy from
// the EKCP default template. Deterministic: the same TPM gives the same key
// every time (Part 1 §27.3 primary keys are derived from the hierarchy seed).
// Uses one of swtpm's 3 object slots until the result is destroyed.
// Fails as tss_status.h (kPermissionDenied if the endorsement hierarchy has a
// password).
absl::StatusOr<EndorsementKey> CreateEk(const EsysContext& ctx, EkKind kind);

// CheckEkMatchesCertificate(public_area, cert_der): OK when the public key in
// the TPM2B_PUBLIC equals the certificate's subject public key (RSA modulus
// and exponent, or EC curve and point).
// Fails with kInvalidArgument when either input cannot be parsed, and with
// kFailedPrecondition when the keys differ (the certificate belongs to
// another key).
absl::Status CheckEkMatchesCertificate(absl::Span<const uint8_t> public_area,
                                       absl::Span<const uint8_t> cert_der);

// EkAuthSession(ctx, ek): the authorization the EK's USER role needs (for
// TPM2_Create/Load under it and TPM2_ActivateCredential). The low-range
// templates clear userWithAuth, so this is a policy session satisfied by
// TPM2_PolicySecret(TPM_RH_ENDORSEMENT) (EKCP Annex B.3.2 policy A; as
// tpm2_createak and tpm2_activatecredential do). The high-range templates set
// userWithAuth, so an invalid handle is returned: use ESYS_TR_PASSWORD.
// Each session authorizes one command; start a new one for the next.
absl::StatusOr<TransientHandle> EkAuthSession(const EsysContext& ctx,
                                              const EndorsementKey& ek);

}  // namespace vigil::tpm

#endif  // VIGIL_TPM_DEVICE_EK_H_
