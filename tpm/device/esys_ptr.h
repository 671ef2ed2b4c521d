// File: tpm/device/esys_ptr.h
// -----------------------------------------------------------------------------
// EsysPtr<T>: owns an output ESYS allocated (tpm2-tss
// test/integration/esys-quote.int.c frees every output with Esys_Free).
// Wrap each output pointer at once and copy it into an owned value
// (style.md rule 16; rust-tss-esapi's ffi_data_to_owned).
//
//   TPM2B_ATTEST* raw = nullptr;
//   rc = Esys_Quote(..., &raw, ...);
//   EsysPtr<TPM2B_ATTEST> quoted(raw);

#ifndef VIGIL_TPM_DEVICE_ESYS_PTR_H_
#define VIGIL_TPM_DEVICE_ESYS_PTR_H_

#include <memory>

#include "tss2/tss2_esys.h"

namespace vigil::tpm {

struct EsysFree {
  void operator()(void* p) const { Esys_Free(p); }
};

template <typename T>
using EsysPtr = std::unique_ptr<T, EsysFree>;

}  // namespace vigil::tpm

#endif  // VIGIL_TPM_DEVICE_ESYS_PTR_H_
