#!/usr/bin/env python3
"""Builds corpus_golden.json from the corpus MANIFEST.md and expected_pcrs.json.

The expectations come from the corpus's independent decoder and the upstream
sources (MANIFEST "Decoder-derived" lines), not from Vigil, so the tests that
read the golden file check Vigil against an independent implementation.
Run from this directory: ./make_corpus_golden.py > corpus_golden.json
"""
import json
import re

manifest = open("corpus/MANIFEST.md").read()
expected = json.load(open("corpus/expected_pcrs.json"))
sections = re.split(r"\n#### `([^`]+)`\n", manifest)
golden = {}
for i in range(1, len(sections), 2):
    path, body = sections[i], sections[i + 1]
    g = {}
    m = re.search(r"\* format: (crypto-agile|SHA1-only)", body)
    g["format"] = "crypto-agile" if m.group(1) == "crypto-agile" else "sha1"
    g["events"] = int(re.search(r"(\d+) events incl\. header", body).group(1))
    m = re.search(r"PCRs touched \[([^\]]*)\]", body)
    g["pcrs_touched"] = [int(x) for x in m.group(1).split(",") if x.strip()]
    m = re.search(r"measured in PCR7 = (\d\d)", body)
    g["secure_boot_variable"] = m.group(1) if m else None
    m = re.search(r"StartupLocality=(\d)", body)
    g["startup_locality"] = int(m.group(1)) if m else None
    g["trailing_no_pcr_events"] = int(
        re.search(r"(\d+) trailing event\(s\) with PCR index 0xFFFFFFFF", body).group(1)
    ) if "0xFFFFFFFF" in body else 0
    replays = []
    for r in re.finditer(
        r"replay vs `([^`]+)` \[(\w+)\]: (\d+) PCRs match(?:, MISMATCH \[([^\]]*)\])?",
        body,
    ):
        src, alg = r.group(1).rstrip("."), r.group(2)
        mism = [int(x) for x in (r.group(4) or "").split(",") if x.strip()]
        entries = expected.get(path, [])
        idx = [k for k, e in enumerate(entries) if e["alg"] == alg and e["source"].startswith(src)]
        if not idx:
            # A PCR set published for another copy of the same log.
            continue
        for k in idx:
            replays.append({"log": path, "entry": k, "mismatches": mism})
    if "bank not present in the log" in body:
        g["banks_absent_from_log"] = re.findall(r"replay (\w+): bank not present", body)
    g["replays"] = replays
    golden[path] = g

# TPMLog_Altered.bin is the deliberately altered copy of TpmLog.bin; against
# TpmLog.bin's expected PCRs it must mismatch exactly PCR0 and PCR1 (MANIFEST).
golden["nsacyber-HIRS/TPMLog_Altered.bin"]["replays"].append(
    {"log": "nsacyber-HIRS/TpmLog.bin", "entry": 0, "mismatches": [0, 1]})
print(json.dumps(golden, indent=1, sort_keys=True))
