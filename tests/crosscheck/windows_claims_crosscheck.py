#!/usr/bin/env python3
"""Two independent derivations of the Windows claims must agree (issue #3 §6).

For every corpus log with Windows SIPA events, the event-log engine's native
claim extractor (`vigilctl eventlog claims`) is compared with Microsoft's own
HealthAttestation CSP policy (policy/testdata/maa-policies/
healthattestation-csp--10.policy, the full v1.2 "boolProperties" family plus
SVN and revocation-list rules) evaluated by Vigil's policy engine over the
same log's `events` JSON (`vigilctl eventlog events-json` +
`vigilctl policy eval`).

One documented difference: the sample's ELAM rule ends in `| @ != null`, which
is true for any list, so it reports Defender's ELAM driver as loaded on every
Windows boot. For that claim the native value is checked against a third
derivation, the corrected query (`| length(@) > 0`) run through
`vigilctl jmespath`, and the sample is checked to be always true.

usage: windows_claims_crosscheck.py VIGILCTL SOURCE_DIR
Prints one line per log and "N passed, N failed".
"""
import json
import os
import subprocess
import sys
import tempfile

# Policy claim name -> native claim name, for the claims both derive.
SAME = {
    "secureBootEnabled": "secureBootEnabled",
    "codeIntegrityEnabled": "codeIntegrityEnabled",
    "bootDebuggingDisabled": "bootDebuggingDisabled",
    "osKernelDebuggingDisabled": "osKernelDebuggingDisabled",
    "testSigningDisabled": "testSigningDisabled",
    "flightSigningNotEnabled": "flightSigningNotEnabled",
    "iommuEnabled": "iommuEnabled",
    "notSafeMode": "notSafeMode",
    "notWinPE": "notWinPE",
    "depPolicy": "depPolicy",
    "vbsEnabled": "vbsEnabled",
    "hvciEnabled": "hvciEnabled",
    "bootMgrSvn": "bootMgrSvn",
    "bootAppSvn": "bootAppSvn",
}

ELAM_CORRECTED = (
    "Events[? EventTypeString == 'EV_EVENT_TAG' && (PcrIndex == `12` || PcrIndex == `13` "
    "|| PcrIndex == `19` || PcrIndex == `20`)].ProcessedData.EVENT_TRUSTBOUNDARY"
    " | [*].EVENT_LOADEDMODULE_AGGREGATION[] | [? EVENT_IMAGEVALIDATED == `true` && "
    "(equals_ignore_case(EVENT_FILEPATH, '\\windows\\system32\\drivers\\wdboot.sys') || "
    "equals_ignore_case(EVENT_FILEPATH, '\\windows\\system32\\drivers\\wd\\wdboot.sys'))]"
    " | length(@) > `0`")


def run(args, stdin=None):
    p = subprocess.run(args, capture_output=True, text=True, input=stdin, timeout=120)
    return p.returncode, p.stdout, p.stderr


def main():
    vigilctl, src = sys.argv[1], sys.argv[2]
    corpus = os.path.join(src, "eventlog/testdata/corpus")
    policy = os.path.join(src, "policy/testdata/maa-policies/healthattestation-csp--10.policy")
    with open(os.path.join(src, "eventlog/testdata/corpus_golden.json")) as f:
        logs = sorted(json.load(f))
    passed = failed = windows = 0
    for name in logs:
        path = os.path.join(corpus, name)
        rc, events, err = run([vigilctl, "eventlog", "events-json", path])
        if rc != 0:
            print(f"FAIL {name}: events-json: {err.strip()}")
            failed += 1
            continue
        doc = json.loads(events)
        if not any(e.get("EventTypeString") == "EV_EVENT_TAG" and e["PcrIndex"] in (12, 13)
                   for e in doc["Events"]):
            continue  # not a Windows boot
        windows += 1
        rc, out, err = run([vigilctl, "eventlog", "claims", path])
        native = json.loads(out)
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump([{"type": "events", "value": events},
                       {"type": "aikValidated", "value": True}], f)
        rc, out, err = run([vigilctl, "policy", "eval", "--policy", policy, "--claims", f.name])
        os.unlink(f.name)
        if rc != 0:
            print(f"FAIL {name}: policy eval exited {rc}: {err.strip()[:200]}")
            failed += 1
            continue
        issued = {c["type"]: c["value"] for c in json.loads(out)["issued"]}
        problems = []
        for theirs, ours in SAME.items():
            if issued.get(theirs) != native.get(ours):
                problems.append(f"{ours}: native {native.get(ours)!r}, policy {issued.get(theirs)!r}")
        # BitLocker: the CSP policy issues bitlockerEnabledValue only when some
        # unlock value is non-zero, plus bitlockerEnabled; Microsoft's table
        # rule (and the native extractor) issue bitlockerStatus with default 0.
        status = native.get("bitlockerStatus")
        if issued.get("bitlockerEnabledValue", 0) != status or \
                issued.get("bitlockerEnabled") != (status != 0):
            problems.append(f"bitlockerStatus: native {status!r}, policy "
                            f"{issued.get('bitlockerEnabledValue')!r}/{issued.get('bitlockerEnabled')!r}")
        rc, corrected, err = run([vigilctl, "jmespath", ELAM_CORRECTED], stdin=events)
        corrected = json.loads(corrected) if rc == 0 else err.strip()
        if native.get("elamDriverLoaded") != corrected:
            problems.append(f"elamDriverLoaded: native {native.get('elamDriverLoaded')!r}, "
                            f"corrected query {corrected!r}")
        if issued.get("WindowsDefenderElamDriverLoaded") is not True:
            problems.append("the sample's ELAM rule was expected to be always true")
        if problems:
            print(f"FAIL {name}: " + "; ".join(problems))
            failed += 1
        else:
            print(f"ok   {name}: {len(SAME) + 2} claims agree (elamDriverLoaded={corrected})")
            passed += 1
    if windows < 10:
        print(f"FAIL expected at least 10 Windows logs in the corpus, found {windows}")
        failed += 1
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
