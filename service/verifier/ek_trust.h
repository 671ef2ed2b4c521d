// File: service/verifier/ek_trust.h
// -----------------------------------------------------------------------------
// Is this EK a genuine TPM's? The EK certificate (TCG EK Credential Profile
// 2.x §3) must chain to a TPM manufacturer root in the verifier's trust
// bundle, and the EK public area the agent sent must hold the certificate's
// key. Only then does credential activation against that EK prove that the
// AK lives in the same genuine TPM (TPM 2.0 Part 1 §24).
//
//   ASSIGN_OR_RETURN(EkTrustStore store, EkTrustStore::LoadDirectory(dir));
//   ASSIGN_OR_RETURN(TrustedEk ek, store.Verify(certs, ek_public, now, opts));
//
// Trust: certificates and the EK public area come from the agent
// (untrusted); the bundle comes from the verifier's configuration (trusted).
#ifndef VIGIL_SERVICE_VERIFIER_EK_TRUST_H_
#define VIGIL_SERVICE_VERIFIER_EK_TRUST_H_

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "tpm/wire/public_area.h"

typedef struct x509_store_st X509_STORE;

namespace vigil::service {

// An EK the verifier may encrypt a credential to. `certified` says how far
// it is trusted: true when its certificate chained to the trust bundle,
// false when the configuration admits EKs without certificates (then only
// "some TPM holds the AK" is proven, and aikValidated is false).
struct TrustedEk {
  tpm::PublicArea public_area;
  bool certified = false;
  // Lower-case hex SHA-256 of the EK's DER SubjectPublicKeyInfo: the
  // device's stable identity (survives AK rotation and re-enrolment).
  std::string device_id;
  // The certificate's issuer, one line (RFC 2253), when certified.
  std::string issuer;
};

struct EkVerifyOptions {
  // Accept an EK with no certificate (aikValidated = false). Off by default:
  // without a certificate, the verifier cannot tell a TPM from a program
  // pretending to be one.
  bool allow_uncertified = false;
};

// SHA-256 of the DER SubjectPublicKeyInfo of the key in `area` (one
// encoding for RSA and ECC keys): the device id of an EK, and the MAA claim
// aikPubHash of an AK (maa-spec §3.1). Fails with kInvalidArgument when the
// key cannot be converted or encoded.
absl::StatusOr<std::vector<uint8_t>> PublicKeySha256(
    const tpm::PublicArea& area);

// Hex SHA-256 of the DER SubjectPublicKeyInfo of `ek`. Fails with
// kInvalidArgument when the key cannot be converted.
absl::StatusOr<std::string> DeviceIdForEk(const tpm::PublicArea& ek);

// The files of an EK trust bundle directory, sorted: every regular *.pem,
// *.crt and *.cer file (what LoadDirectory reads; the control plane exports
// the same). Fails with kNotFound when `dir` is not a directory,
// kInvalidArgument when it cannot be listed.
absl::StatusOr<std::vector<std::filesystem::path>> EkTrustBundleFiles(
    const std::string& dir);

class EkTrustStore {
 public:
  // Every *.pem / *.crt / *.cer file in `dir` (PEM, one or more
  // certificates each; DER accepted for .cer/.crt). Certificates in the
  // bundle are trust anchors whether or not they are self-signed, so a
  // vendor intermediate can be pinned on its own (X509_V_FLAG_PARTIAL_CHAIN).
  // Fails with kInvalidArgument naming the file when one does not parse,
  // kNotFound when `dir` is missing, kFailedPrecondition when it holds no
  // certificate.
  static absl::StatusOr<EkTrustStore> LoadDirectory(const std::string& dir);
  // The same from PEM text (tests, one-file configs).
  static absl::StatusOr<EkTrustStore> FromPem(absl::string_view pem);

  // Verifies the agent's EK:
  //   `certificates`  DER; [0] the EK certificate, the rest untrusted
  //                   intermediates (empty: uncertified EK);
  //   `ek_public`     marshalled TPM2B_PUBLIC of the EK the AK was made
  //                   under;
  //   `now`           the verification time for validity periods.
  // Checks: ek_public parses and is a decryption (storage) key; the
  // certificate parses, chains to an anchor at `now` (signatures, validity,
  // CA constraints); its public key equals ek_public's.
  // Fails with kInvalidArgument for unparseable input (naming which
  // certificate), kUnauthenticated when the chain does not verify ("EK
  // certificate: unable to get local issuer certificate (issuer CN=...)")
  // or the keys differ, kFailedPrecondition for an uncertified EK when
  // !options.allow_uncertified.
  absl::StatusOr<TrustedEk> Verify(
      absl::Span<const std::vector<uint8_t>> certificates,
      absl::Span<const uint8_t> ek_public, absl::Time now,
      const EkVerifyOptions& options = {}) const;

  size_t anchor_count() const { return anchors_; }

 private:
  EkTrustStore(std::shared_ptr<X509_STORE> store, size_t anchors)
      : store_(std::move(store)), anchors_(anchors) {}
  std::shared_ptr<X509_STORE> store_;
  size_t anchors_ = 0;
};

}  // namespace vigil::service

#endif  // VIGIL_SERVICE_VERIFIER_EK_TRUST_H_
