#!/bin/sh
# Usage: malloc_binding.sh BINARY LIBRARY
# Passes when the dynamic linker binds every object's `malloc' in BINARY
# (run with --help; LD_BIND_NOW so that every object's reference is bound
# at start, not only those called before --help exits) to LIBRARY: the
# binary really allocates with the allocator it was linked with
# (VIGIL_TCMALLOC), whatever the link order or --as-needed did.
# LD_DEBUG=bindings is the dynamic linker's own account.
set -eu
binary=$1
library=$2
bindings=$(LD_BIND_NOW=1 LD_DEBUG=bindings "$binary" --help 2>&1 >/dev/null |
  grep "normal symbol \`malloc'" || true)
if [ -z "$bindings" ]; then
  echo "malloc_binding: $binary: no binding of malloc reported" >&2
  exit 1
fi
others=$(printf '%s\n' "$bindings" | grep -v " to [^ ]*$library" || true)
if [ -n "$others" ]; then
  echo "malloc_binding: $binary: malloc bound elsewhere than $library:" >&2
  printf '%s\n' "$others" | head -3 >&2
  exit 1
fi
echo "malloc_binding: $binary: $(printf '%s\n' "$bindings" | wc -l) bindings of malloc, all to $library"
