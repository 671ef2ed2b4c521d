#!/usr/bin/env bash
# Regenerates the quote / AK / EK fixtures in this folder from a fresh swtpm
# (swtpm 0.7.1 + tpm2-tools 5.4, Debian 12). Every run makes a new TPM with new
# primary seeds, so every byte changes; the tests only rely on what is written
# here (manifest.txt), never on hard-coded digests.
#
#   tpm/verify/testdata/generate.sh            # writes into this folder
#   tpm/verify/testdata/generate.sh OUTDIR     # writes elsewhere
#
# Unix sockets only (no TCP ports); the swtpm is killed by PID on exit.
set -euo pipefail

OUT=${1:-$(cd "$(dirname "$0")" && pwd)}
mkdir -p "$OUT"
W=$(mktemp -d)
SWTPM_PID=
cleanup() {
  if [[ -n "$SWTPM_PID" ]]; then kill "$SWTPM_PID" 2>/dev/null || true; fi
  rm -rf "$W"
}
trap cleanup EXIT

mkdir -p "$W/state"
swtpm socket --tpm2 --tpmstate dir="$W/state" \
  --server type=unixio,path="$W/tpm.sock" --ctrl type=unixio,path="$W/tpm.sock.ctrl" \
  --flags not-need-init,startup-clear --pid file="$W/pid" --daemon
for _ in $(seq 100); do [[ -s "$W/pid" ]] && break; sleep 0.05; done
SWTPM_PID=$(cat "$W/pid")
export TPM2TOOLS_TCTI="swtpm:path=$W/tpm.sock"
for _ in $(seq 100); do tpm2_getrandom 4 >/dev/null 2>&1 && break; sleep 0.05; done

# No resource manager: swtpm has 3 object slots, so flush after every call.
flush() { tpm2_flushcontext -t >/dev/null; tpm2_flushcontext -s >/dev/null 2>&1 || true; }

cd "$W"
# Known PCR contents on three banks (a fresh state dir has sha1, sha256,
# sha384 and sha512 active). PCR 9 is left at its reset value (zeros).
for i in 0 1 2 3 4 5 6 7 10; do
  for round in a b; do
    v="vigil-fixture-pcr$i-$round"
    tpm2_pcrextend "$i:sha1=$(echo -n "$v" | sha1sum | cut -d' ' -f1),sha256=$(echo -n "$v" | sha256sum | cut -d' ' -f1),sha384=$(echo -n "$v" | sha384sum | cut -d' ' -f1)"
  done
done

# EKs (TCG EK Credential Profile default templates, as tpm2_createek makes them).
tpm2_createek -c ek_rsa.ctx -G rsa -u "$OUT/ek_rsa.pub" >/dev/null; flush
tpm2_createek -c ek_ecc.ctx -G ecc -u "$OUT/ek_ecc.pub" >/dev/null; flush
tpm2_createek -c ek_ecc384.ctx -G ecc384 -u "$OUT/ek_ecc384.pub" >/dev/null 2>&1 && flush || { flush; rm -f "$OUT/ek_ecc384.pub"; }

# AKs under the RSA EK: RSASSA, RSAPSS, ECDSA P-256, and a second RSASSA AK.
tpm2_createak -C ek_rsa.ctx -c ak_rsa.ctx -G rsa -g sha256 -s rsassa -u "$OUT/ak_rsa.pub" -n "$OUT/ak_rsa.name" -r ak_rsa.priv >/dev/null; flush
tpm2_createak -C ek_rsa.ctx -c ak_rsapss.ctx -G rsa -g sha256 -s rsapss -u "$OUT/ak_rsapss.pub" -n "$OUT/ak_rsapss.name" -r ak_rsapss.priv >/dev/null; flush
tpm2_createak -C ek_rsa.ctx -c ak_ecc.ctx -G ecc -g sha256 -s ecdsa -u "$OUT/ak_ecc.pub" -n "$OUT/ak_ecc.name" -r ak_ecc.priv >/dev/null; flush
tpm2_createak -C ek_rsa.ctx -c ak_rsa2.ctx -G rsa -g sha256 -s rsassa -u "$OUT/ak_rsa2.pub" -n "$OUT/ak_rsa2.name" -r ak_rsa2.priv >/dev/null; flush

# A signing key that is NOT restricted: the TPM quotes with it, but it could
# equally sign a forged TPMS_ATTEST, so the verifier must refuse it as an AK.
tpm2_createprimary -C e -g sha256 -G rsa2048:rsassa-sha256:null \
  -a 'fixedtpm|fixedparent|sensitivedataorigin|userwithauth|sign' -c unrestricted.ctx >/dev/null
tpm2_readpublic -c unrestricted.ctx -o "$OUT/key_unrestricted.pub" -n "$OUT/key_unrestricted.name" >/dev/null; flush

# A restricted signing primary with its creation data, hash, ticket, and a
# TPM2_CertifyCreation by itself (go-attestation's AttestationParameters).
tpm2_createprimary -C e -g sha256 -G rsa2048:rsassa-sha256:null \
  -a 'fixedtpm|fixedparent|sensitivedataorigin|userwithauth|restricted|sign' -c ak_created.ctx \
  --creation-data "$OUT/ak_created.creation_data" -d "$OUT/ak_created.creation_hash" -t ak_created.ticket >/dev/null
tpm2_readpublic -c ak_created.ctx -o "$OUT/ak_created.pub" -n "$OUT/ak_created.name" >/dev/null; flush
tpm2_certifycreation -C ak_created.ctx -c ak_created.ctx -d "$OUT/ak_created.creation_hash" -t ak_created.ticket \
  -g sha256 -o "$OUT/ak_created.certify.sig" --attestation "$OUT/ak_created.certify.attest" -f tss >/dev/null; flush

SEL_MULTI='sha1:0,1,2,3,7+sha256:0,1,2,3,4,5,6,7,9,10+sha384:0,7'
SEL_256='sha256:0,1,2,3,4,5,6,7'
NONCE_RSA=$(echo -n vigil-nonce-rsa | sha1sum | cut -d' ' -f1)             # 20 bytes
NONCE_ECC=$(echo -n vigil-nonce-ecc | sha256sum | cut -d' ' -f1)           # 32 bytes
NONCE_PSS=$(echo -n vigil-nonce-rsapss | sha256sum | cut -d' ' -f1)
NONCE_OTHER=$(echo -n vigil-nonce-other | sha256sum | cut -d' ' -f1)
NONCE_UNR=$(echo -n vigil-nonce-unrestricted | sha256sum | cut -d' ' -f1)

quote() {  # name key_ctx selection nonce_hex [extra tpm2_quote args]
  tpm2_quote -c "$2" -l "$3" -q "$4" -m "$OUT/$1.attest" -s "$OUT/$1.sig" -g sha256 "${@:5}" >/dev/null; flush
}
quote quote_rsa ak_rsa.ctx "$SEL_MULTI" "$NONCE_RSA"
quote quote_ecc ak_ecc.ctx "$SEL_MULTI" "$NONCE_ECC"
quote quote_rsapss ak_rsapss.ctx "$SEL_256" "$NONCE_PSS" --scheme rsapss
quote quote_rsa2 ak_rsa2.ctx "$SEL_256" "$NONCE_OTHER"
quote quote_unrestricted unrestricted.ctx "$SEL_256" "$NONCE_UNR"

# PCR values, one "bank pcr hex" line each (nothing is extended after the quotes).
tpm2_pcrread "$SEL_MULTI" | awk '
  /^ *sha[0-9]+:$/ { bank = $1; sub(":", "", bank); next }
  /^ *[0-9]+ *: *0x/ { line = $0; gsub(/[ \t]/, "", line); split(line, kv, ":");
                       v = kv[2]; sub("0x", "", v); print bank, kv[1], tolower(v) }' > "$OUT/pcrs.txt"

# Cross-check every quote with tpm2_checkquote before committing it.
tpm2_checkquote -u "$OUT/ak_rsa.pub" -m "$OUT/quote_rsa.attest" -s "$OUT/quote_rsa.sig" -g sha256 -q "$NONCE_RSA" >/dev/null
tpm2_checkquote -u "$OUT/ak_ecc.pub" -m "$OUT/quote_ecc.attest" -s "$OUT/quote_ecc.sig" -g sha256 -q "$NONCE_ECC" >/dev/null
# (tpm2_checkquote 5.4 rejects RSA-PSS quotes from swtpm: it assumes a fixed
# PSS salt length. Vigil's verifier accepts any salt length, as go-attestation
# does, and quote_verifier_test checks quote_rsapss.)

cat > "$OUT/manifest.txt" <<MANIFEST
nonce quote_rsa $NONCE_RSA
nonce quote_ecc $NONCE_ECC
nonce quote_rsapss $NONCE_PSS
nonce quote_rsa2 $NONCE_OTHER
nonce quote_unrestricted $NONCE_UNR
selection multi $SEL_MULTI
selection sha256 $SEL_256
generated $(date -u +%Y-%m-%dT%H:%M:%SZ) swtpm $(swtpm --version | sed -n 's/.*version \([0-9.]*\).*/\1/p') tpm2-tools $(tpm2_quote --version | sed -n 's/.*version="\([^"]*\)".*/\1/p')
MANIFEST
chmod 644 "$OUT"/*.pub "$OUT"/*.name "$OUT"/*.attest "$OUT"/*.sig "$OUT"/ak_created.* "$OUT"/pcrs.txt "$OUT"/manifest.txt

# Seeds for tpm/wire's fuzzer: one real structure per unmarshaller family.
CORPUS="$(cd "$(dirname "$0")" && pwd)/../../wire/fuzz/corpus"
if [[ -z "${1:-}" && -d "$CORPUS" ]]; then
  cp "$OUT/quote_rsa.attest" "$CORPUS/attest_quote_rsa"
  cp "$OUT/quote_ecc.attest" "$CORPUS/attest_quote_ecc"
  cp "$OUT/ak_created.certify.attest" "$CORPUS/attest_certify_creation"
  { printf "\\x$(printf %02x $(( $(stat -c %s "$OUT/quote_rsa.attest") >> 8 )))\\x$(printf %02x $(( $(stat -c %s "$OUT/quote_rsa.attest") & 255 )))"
    cat "$OUT/quote_rsa.attest"; } > "$CORPUS/tpm2b_attest_quote_rsa"
  cp "$OUT/quote_rsa.sig" "$CORPUS/sig_rsassa"
  cp "$OUT/quote_ecc.sig" "$CORPUS/sig_ecdsa"
  cp "$OUT/quote_rsapss.sig" "$CORPUS/sig_rsapss"
  cp "$OUT/ak_rsa.pub" "$CORPUS/tpm2b_public_ak_rsa"
  cp "$OUT/ak_ecc.pub" "$CORPUS/tpm2b_public_ak_ecc"
  cp "$OUT/ek_rsa.pub" "$CORPUS/tpm2b_public_ek_rsa"
  cp "$OUT/ek_ecc384.pub" "$CORPUS/tpm2b_public_ek_p384"
  tail -c +3 "$OUT/ak_ecc.pub" > "$CORPUS/tpmt_public_ak_ecc"
  cp "$OUT/ak_created.creation_data" "$CORPUS/tpm2b_creation_data"
  chmod 644 "$CORPUS"/*
fi
echo "fixtures written to $OUT"
