#include "tpm/verify/random_source.h"

#include <openssl/rand.h>

#include <limits>

namespace vigil::tpm {

absl::Status OpenSslRandomSource::Fill(absl::Span<uint8_t> out) {
  if (out.empty()) return absl::OkStatus();
  if (out.size() > static_cast<size_t>(std::numeric_limits<int>::max()) ||
      RAND_priv_bytes(out.data(), static_cast<int>(out.size())) != 1) {
    return absl::InternalError("RAND_priv_bytes failed");
  }
  return absl::OkStatus();
}

}  // namespace vigil::tpm
