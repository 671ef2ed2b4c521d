// File: tpm/device/handles.h
// -----------------------------------------------------------------------------
// RAII for ESYS_TR handles, with the two drop actions tpm2-tss documents
// (src/tss2-esys/esys_tr.c: Esys_TR_Close releases the ESYS_TR "without
// removing it from the TPM"; "Transient objects should be deleted using
// Esys_FlushContext"):
//   TransientHandle   Esys_FlushContext: loaded objects and sessions. Without
//                     a resource manager swtpm has only 3 object slots
//                     (toolchain.md §3, pitfall 1), so every load is flushed.
//   PersistentHandle  Esys_TR_Close: persistent objects and NV indices stay.
// Both are move-only and must be destroyed before their EsysContext.
// Thread safety: as the EsysContext they refer to.

#ifndef VIGIL_TPM_DEVICE_HANDLES_H_
#define VIGIL_TPM_DEVICE_HANDLES_H_

#include <utility>

#include "tpm/device/esys_context.h"
#include "tss2/tss2_esys.h"

namespace vigil::tpm {

class TransientHandle {
 public:
  TransientHandle() = default;
  // Takes ownership of `tr`, loaded in `ctx`. Keeps the ESYS_CONTEXT pointer,
  // which an EsysContext move carries along, so moving the context is safe.
  TransientHandle(const EsysContext& ctx, ESYS_TR tr)
      : ctx_(ctx.get()), tr_(tr) {}
  TransientHandle(TransientHandle&& o) noexcept
      : ctx_(o.ctx_), tr_(std::exchange(o.tr_, ESYS_TR_NONE)) {}
  TransientHandle& operator=(TransientHandle&& o) noexcept {
    if (this != &o) {
      Flush();
      ctx_ = o.ctx_;
      tr_ = std::exchange(o.tr_, ESYS_TR_NONE);
    }
    return *this;
  }
  TransientHandle(const TransientHandle&) = delete;
  TransientHandle& operator=(const TransientHandle&) = delete;
  ~TransientHandle() { Flush(); }

  ESYS_TR get() const { return tr_; }
  bool valid() const { return tr_ != ESYS_TR_NONE; }
  // Gives up ownership without flushing (e.g. after EvictControl made the
  // object persistent, or when the TPM already flushed a session).
  ESYS_TR Release() { return std::exchange(tr_, ESYS_TR_NONE); }

 private:
  // Errors are ignored: a destructor cannot report them, and a TPM that went
  // away has dropped its transient objects anyway.
  void Flush();

  ESYS_CONTEXT* ctx_ = nullptr;
  ESYS_TR tr_ = ESYS_TR_NONE;
};

class PersistentHandle {
 public:
  PersistentHandle() = default;
  PersistentHandle(const EsysContext& ctx, ESYS_TR tr)
      : ctx_(ctx.get()), tr_(tr) {}
  PersistentHandle(PersistentHandle&& o) noexcept
      : ctx_(o.ctx_), tr_(std::exchange(o.tr_, ESYS_TR_NONE)) {}
  PersistentHandle& operator=(PersistentHandle&& o) noexcept {
    if (this != &o) {
      Close();
      ctx_ = o.ctx_;
      tr_ = std::exchange(o.tr_, ESYS_TR_NONE);
    }
    return *this;
  }
  PersistentHandle(const PersistentHandle&) = delete;
  PersistentHandle& operator=(const PersistentHandle&) = delete;
  ~PersistentHandle() { Close(); }

  ESYS_TR get() const { return tr_; }
  bool valid() const { return tr_ != ESYS_TR_NONE; }
  ESYS_TR Release() { return std::exchange(tr_, ESYS_TR_NONE); }

 private:
  void Close();

  ESYS_CONTEXT* ctx_ = nullptr;
  ESYS_TR tr_ = ESYS_TR_NONE;
};

}  // namespace vigil::tpm

#endif  // VIGIL_TPM_DEVICE_HANDLES_H_
