// libFuzzer target for every tpm/wire unmarshaller family on untrusted bytes:
// TPMS_ATTEST / TPM2B_ATTEST, TPMT_SIGNATURE, TPMT_PUBLIC / TPM2B_PUBLIC (with
// Name computation and OpenSSL key import) and TPM2B_CREATION_DATA. Each input
// is fed to all of them, so one seed corpus (real swtpm structures, see
// tpm/verify/testdata/README.md) covers every family. Any input must be
// rejected with a Status or parsed without crashing or tripping a sanitizer;
// a successful parse must round-trip where the parser promises canonicality.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "tpm/wire/attest_info.h"
#include "tpm/wire/creation_data.h"
#include "tpm/wire/public_area.h"
#include "tpm/wire/signature.h"

namespace {

void Public(const absl::StatusOr<vigil::tpm::PublicArea>& area) {
  if (!area.ok()) return;
  absl::StatusOr<vigil::tpm::PublicArea> again =
      vigil::tpm::MakePublicArea(area->tpmt);
  if (!again.ok() || again->marshalled != area->marshalled) std::abort();
  (void)vigil::tpm::ComputeName(*area);
  (void)vigil::tpm::PublicKeyFromArea(*area);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // tss2-mu logs every rejected field at ERROR level; keep the output usable.
  static const bool quiet = (setenv("TSS2_LOG", "all+none", 0), true);
  (void)quiet;
  const absl::Span<const uint8_t> in(data, size);
  (void)vigil::tpm::ParseAttest(in);
  absl::StatusOr<absl::Span<const uint8_t>> inner =
      vigil::tpm::UnwrapTpm2bAttest(in);
  if (inner.ok()) (void)vigil::tpm::ParseAttest(*inner);
  (void)vigil::tpm::ParseSignature(in);
  Public(vigil::tpm::ParseTpm2bPublic(in));
  Public(vigil::tpm::ParseTpmtPublic(in));
  (void)vigil::tpm::ParseTpm2bCreationData(in);
  return 0;
}
