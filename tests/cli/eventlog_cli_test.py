#!/usr/bin/env python3
"""Contract tests for `vigilctl eventlog` (a stable interface other tools call).

Runs the real binary as a process. Checks exit codes (0 ok, 2 malformed input
or usage, 3 replay mismatch), that errors are exactly one line on stderr
naming the offset or field, that no input crashes or hangs it, and the JSON
shapes of replay, claims and events-json.

usage: eventlog_cli_test.py VIGILCTL SOURCE_DIR
"""
import json
import os
import subprocess
import sys
import tempfile
import unittest

VIGILCTL = None
SRC = None


def corpus(name):
    return os.path.join(SRC, "eventlog/testdata/corpus", name)


def run(*args, timeout=60):
    p = subprocess.run([VIGILCTL, *args], capture_output=True, timeout=timeout)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def expected_entries(log):
    with open(corpus("expected_pcrs.json")) as f:
        return json.load(f)[log]


class ReplayContract(unittest.TestCase):
    def test_replay_prints_banks_quirks_mismatches(self):
        rc, out, err = run("eventlog", "replay", corpus("google-go-tpm-tools/glinux-alex.bin"))
        self.assertEqual(rc, 0, err)
        doc = json.loads(out)
        self.assertEqual(list(doc.keys()), ["banks", "quirks", "mismatches"])
        self.assertEqual(sorted(doc["banks"]), ["sha1", "sha256"])
        self.assertEqual(len(doc["banks"]["sha256"]["0"]), 64)

    def test_expect_single_object_matching_exits_0(self):
        entry = expected_entries("google-go-tpm-tools/glinux-alex.bin")[1]
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump({"alg": entry["alg"], "pcrs": entry["pcrs"]}, f)
        rc, out, err = run("eventlog", "replay", corpus("google-go-tpm-tools/glinux-alex.bin"),
                           "--expect", f.name)
        self.assertEqual(rc, 0, err)
        self.assertEqual(json.loads(out)["mismatches"], [])
        for pcr, value in entry["pcrs"].items():
            self.assertEqual(json.loads(out)["banks"][entry["alg"]][pcr], value)

    def test_expect_list_with_a_mismatch_exits_3_and_names_the_event(self):
        log = "immune-gmbh-guard-oss/derived/good-1.evidence.eventlog.bin"
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump(expected_entries(log), f)  # good-1 and failed-1 PCR sets
        rc, out, err = run("eventlog", "replay", corpus(log), "--expect", f.name)
        self.assertEqual(rc, 3, err)
        mismatches = json.loads(out)["mismatches"]
        self.assertEqual([(m["entry"], m["alg"], m["pcr"]) for m in mismatches],
                         [(1, "sha256", 0)])
        last = mismatches[0]["lastEvent"]
        self.assertIsInstance(last["index"], int)
        self.assertIsInstance(last["offset"], int)
        self.assertTrue(last["type"].startswith("EV_"))

    def test_yaml_format(self):
        rc, out, err = run("eventlog", "replay", corpus("google-go-tpm-tools/glinux-alex.bin"),
                           "--format", "yaml")
        self.assertEqual(rc, 0, err)
        self.assertTrue(out.startswith("---\nbanks:\n  sha1:\n"))

    def test_bad_expect_file_is_one_line_naming_the_field(self):
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            f.write('{"alg": "sha256", "pcrs": {"7": "abc"}}')
        rc, out, err = run("eventlog", "replay", corpus("google-go-tpm-tools/glinux-alex.bin"),
                           "--expect", f.name)
        self.assertEqual(rc, 2)
        self.assertEqual(out, "")
        self.assertEqual(len(err.strip().splitlines()), 1, err)
        self.assertIn("pcrs.7", err)
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            f.write('{"alg": "sha256",\n "pcrs": {"7": }}')
        rc, _, err = run("eventlog", "replay", corpus("google-go-tpm-tools/glinux-alex.bin"),
                         "--expect", f.name)
        self.assertEqual(rc, 2)
        self.assertIn("line 2:", err)


class MalformedInput(unittest.TestCase):
    def test_truncated_log_is_one_line_with_offset_exit_2(self):
        with open(corpus("google-go-tpm-tools/glinux-alex.bin"), "rb") as f:
            data = f.read()
        with tempfile.NamedTemporaryFile(delete=False) as f:
            f.write(data[:5000])
        for sub in ("show", "replay", "claims", "events-json"):
            rc, out, err = run("eventlog", sub, f.name)
            self.assertEqual(rc, 2, sub)
            self.assertEqual(out, "", sub)
            lines = err.strip().splitlines()
            self.assertEqual(len(lines), 1, err)
            self.assertRegex(lines[0], r"^vigilctl: .*: offset \d+: ")

    def test_every_truncation_of_a_windows_log_exits_0_or_2_quickly(self):
        with open(corpus("immune-gmbh-guard-oss/tpm12_windows_lenovo_x1carbonv3"), "rb") as f:
            data = f.read()
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "log")
            for n in range(0, len(data), max(1, len(data) // 97)):
                with open(path, "wb") as f:
                    f.write(data[:n])
                rc, _, err = run("eventlog", "claims", path, timeout=10)
                self.assertIn(rc, (0, 2), f"prefix {n}: {err}")

    def test_missing_file_and_usage_errors_exit_2(self):
        rc, _, err = run("eventlog", "show", "/nonexistent/log")
        self.assertEqual(rc, 2)
        self.assertIn("cannot open", err)
        rc, _, _ = run("eventlog", "replay")
        self.assertEqual(rc, 2)
        rc, _, err = run("eventlog", "replay", "x", "--bogus")
        self.assertEqual(rc, 2)
        self.assertIn("unknown flag --bogus", err)
        rc, _, err = run("eventlog", "replay", "x", "--format", "xml")
        self.assertEqual(rc, 2)
        rc, _, _ = run("eventlog", "frobnicate", "x")
        self.assertEqual(rc, 2)


class ClaimsAndEventsJson(unittest.TestCase):
    def test_claims_is_one_json_object_with_maa_names(self):
        rc, out, err = run("eventlog", "claims",
                           corpus("immune-gmbh-guard-oss/derived/x1carbon.eventlog.bin"))
        self.assertEqual(rc, 0, err)
        claims = json.loads(out)
        self.assertIsInstance(claims, dict)
        self.assertIs(claims["secureBootEnabled"], True)
        self.assertIn("no --expect", err)  # says the log was not verified

    def test_linux_log_secure_boot_off(self):
        rc, out, err = run("eventlog", "claims",
                           corpus("google-go-tpm-tools/ubuntu-2104-no-secure-boot.bin"))
        self.assertEqual(rc, 0, err)
        self.assertIs(json.loads(out)["secureBootEnabled"], False)

    def test_claims_against_mismatching_pcrs_are_underivable(self):
        log = "immune-gmbh-guard-oss/derived/good-1.evidence.eventlog.bin"
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            entry = expected_entries(log)[0]
            entry["pcrs"]["7"] = "00" * 32
            json.dump(entry, f)
        rc, out, err = run("eventlog", "claims", corpus(log), "--expect", f.name)
        self.assertEqual(rc, 0, err)
        self.assertNotIn("secureBootEnabled", json.loads(out))
        line = [l for l in err.splitlines() if "secureBootEnabled" in l]
        self.assertEqual(len(line), 1, err)
        self.assertRegex(line[0], r"^vigilctl: not derived: .*secureBootEnabled.* \(pcr 7: ")

    def test_events_json_has_the_maa_shape(self):
        rc, out, err = run("eventlog", "events-json",
                           corpus("immune-gmbh-guard-oss/derived/x1carbon.eventlog.bin"))
        self.assertEqual(rc, 0, err)
        doc = json.loads(out)
        events = doc["Events"]
        self.assertGreater(len(events), 50)
        e = events[0]
        self.assertEqual(list(e.keys())[:4], ["EventSeq", "PcrIndex", "EventType", "EventTypeString"])
        self.assertGreaterEqual(e["EventSeq"], 1)
        self.assertNotIn("=", e["RawData"])  # base64url, unpadded
        sb = [x for x in events if x.get("EventTypeString") == "EV_EFI_VARIABLE_DRIVER_CONFIG"
              and (x["ProcessedData"] or {}).get("UnicodeName") == "SecureBoot"]
        self.assertEqual(len(sb), 1)
        self.assertEqual(sb[0]["ProcessedData"]["VariableData"], "AQ")
        self.assertEqual(sb[0]["ProcessedData"]["VariableGuid"],
                         "8BE4DF61-93CA-11D2-AA0D-00E098032B8C")
        tags = [x for x in events if x.get("EventTypeString") == "EV_EVENT_TAG"
                and x["PcrIndex"] == 12]
        self.assertTrue(any("EVENT_TRUSTBOUNDARY" in (x["ProcessedData"] or {}) for x in tags))

    def test_summary_says_what_was_verified_and_exits_3_on_mismatch(self):
        rc, out, err = run("eventlog", "summary", corpus("google-go-tpm-tools/glinux-alex.bin"))
        self.assertEqual(rc, 0, err)
        self.assertIn("NOT verified", out)
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump(expected_entries("nsacyber-HIRS/TpmLog.bin")[0], f)
        rc, out, err = run("eventlog", "summary", corpus("nsacyber-HIRS/TPMLog_Altered.bin"),
                           "--expect", f.name)
        self.assertEqual(rc, 3, err)
        self.assertIn("22 PCRs verified, 2 MISMATCHED", out)
        self.assertRegex(out, r"sha256 PCR 0: expected [0-9a-f]+…, log replays to [0-9a-f]+…; "
                              r"last event #\d+ EV_\w+ at offset \d+")
        self.assertIn("event #25 (PCR 1): EV_EFI_VARIABLE_BOOT data does not match its digest", out)

    def test_show_marks_trust_and_decodes(self):
        rc, out, err = run("eventlog", "show", corpus("nsacyber-HIRS/TPMLog_Altered.bin"),
                           "--format", "json")
        self.assertEqual(rc, 0, err)
        dump = json.loads(out)
        self.assertEqual(dump["format"], "crypto-agile")
        self.assertEqual(dump["findings"][0]["event"], 25)
        self.assertEqual(dump["events"][25]["dataCheck"], "MISMATCH")
        self.assertIs(dump["events"][25]["trusted"], False)


if __name__ == "__main__":
    VIGILCTL, SRC = sys.argv[1], sys.argv[2]
    runner = unittest.TextTestRunner(verbosity=2)
    result = runner.run(unittest.defaultTestLoader.loadTestsFromModule(sys.modules[__name__]))
    failed = len(result.failures) + len(result.errors)
    print(f"{result.testsRun - failed} passed, {failed} failed")
    sys.exit(0 if result.wasSuccessful() else 1)
