// File: tools/vigilctl/pcr_expectation.h
// Parses expected PCR values for `vigilctl eventlog replay --expect FILE`:
// a JSON object {"alg":"sha256","pcrs":{"0":"<hex>",...}} or a list of them
// (the entry format of the corpus's expected_pcrs.json; extra keys such as
// "source" are ignored).

#ifndef VIGIL_TOOLS_VIGILCTL_PCR_EXPECTATION_H_
#define VIGIL_TOOLS_VIGILCTL_PCR_EXPECTATION_H_

#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tpm/types/pcr_bank.h"

namespace vigil::vigilctl {

// Returns one PcrBank per entry, in file order. Fails with kInvalidArgument
// naming the entry and field ("entry 1: pcrs.7: hex: odd length 63") when the
// JSON is malformed (with line:column), a field is missing or of the wrong
// type, an algorithm is unknown, a PCR index is not 0..23, or a value has the
// wrong size. Two entries for the same algorithm are allowed here; callers
// compare each separately.
absl::StatusOr<std::vector<tpm::PcrBank>> ParsePcrExpectations(
    absl::string_view json_text);

}  // namespace vigil::vigilctl

#endif  // VIGIL_TOOLS_VIGILCTL_PCR_EXPECTATION_H_
