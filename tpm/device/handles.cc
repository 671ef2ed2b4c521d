#include "tpm/device/handles.h"

namespace vigil::tpm {

void TransientHandle::Flush() {
  if (tr_ == ESYS_TR_NONE || ctx_ == nullptr) return;
  (void)Esys_FlushContext(ctx_, tr_);
  tr_ = ESYS_TR_NONE;
}

void PersistentHandle::Close() {
  if (tr_ == ESYS_TR_NONE || ctx_ == nullptr) return;
  (void)Esys_TR_Close(ctx_, &tr_);
  tr_ = ESYS_TR_NONE;
}

}  // namespace vigil::tpm
