#!/usr/bin/env bash
# systemd-analyze verify on the unit files (issue #5 §3): any output fails.
# The units name /usr/bin/vigil-*; they are checked against the binaries just
# built. A deliberately broken copy must produce output, so this test cannot
# pass because systemd-analyze printed nothing for some other reason.
#   verify_units.sh SOURCE_DIR BIN_DIR
set -euo pipefail
src=$1
bin=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for unit in vigil-agent.service vigil-verifier.service; do
  sed -e "s|/usr/bin/vigil-agent|$bin/vigil-agent|" \
      -e "s|/usr/bin/vigil-verifier|$bin/vigil-verifier|" \
      "$src/systemd/$unit" > "$tmp/$unit"
done
out=$(systemd-analyze verify "$tmp/vigil-agent.service" "$tmp/vigil-verifier.service" 2>&1) || {
  echo "systemd-analyze verify failed:"; echo "$out"; exit 1; }
if [ -n "$out" ]; then
  echo "systemd-analyze verify printed:"; echo "$out"; exit 1
fi
# Self-check: an unknown directive is reported.
mkdir "$tmp/broken"
sed 's/^NoNewPrivileges=yes/NoNewPrivilegez=yes/' "$tmp/vigil-agent.service" \
  > "$tmp/broken/vigil-agent.service"
bad=$(systemd-analyze verify "$tmp/broken/vigil-agent.service" 2>&1 || true)
if [ -z "$bad" ]; then
  echo "self-check: systemd-analyze did not report a broken unit"; exit 1
fi
echo "units verified: vigil-agent.service vigil-verifier.service"
