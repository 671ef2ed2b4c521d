#!/usr/bin/env python3
"""Contract tests for `vigilctl policy check|eval|hash` and `vigilctl jmespath`.

Exit codes: 0 valid / evaluated / printed; 2 policy errors, unreadable files,
malformed claims or a bad JMESPath expression; 4 an evaluation error. Errors
name FILE:LINE:COL with a caret line; evaluation errors name the rule.

usage: policy_cli_test.py VIGILCTL SOURCE_DIR
"""
import json
import os
import subprocess
import sys
import tempfile
import unittest

VIGILCTL = None
SRC = None


def run(*args, stdin=None):
    p = subprocess.run([VIGILCTL, *args], capture_output=True, text=True, input=stdin,
                       timeout=60)
    return p.returncode, p.stdout, p.stderr


def corpus(name):
    return os.path.join(SRC, "policy/testdata/maa-policies", name)


def write(text, suffix=".policy"):
    f = tempfile.NamedTemporaryFile("w", suffix=suffix, delete=False)
    f.write(text)
    f.close()
    return f.name


TPM_SAMPLE = None  # set in main: the 1.0 TPM sample policy


class Check(unittest.TestCase):
    def test_valid_policy_exits_0_silently(self):
        rc, out, err = run("policy", "check", TPM_SAMPLE)
        self.assertEqual((rc, out, err), (0, "", ""))

    def test_doc_slips_fail_strict_with_file_line_col_and_caret(self):
        path = corpus("author-sign-policy--1.policy")
        rc, out, err = run("policy", "check", path)
        self.assertEqual(rc, 2)
        lines = err.splitlines()
        self.assertRegex(lines[0], r"^" + path + r":4:12: error: ")
        self.assertTrue(lines[2].strip() == "^", lines[:3])

    def test_compat_accepts_tolerable_slips_with_warnings(self):
        rc, _, err = run("policy", "check", "--compat", corpus("author-sign-policy--1.policy"))
        self.assertEqual(rc, 0)
        self.assertIn(": warning: ", err)
        self.assertNotIn(": error: ", err)

    def test_unclosed_bracket_names_the_opener(self):
        path = write('version=1.0;\nauthorizationrules {\n  [type=="x", value==true => permit();\n};\n'
                     "issuancerules {};\n")
        rc, _, err = run("policy", "check", path)
        self.assertEqual(rc, 2)
        self.assertIn("(to close '[' at 3:3)", err)


class Eval(unittest.TestCase):
    def claims(self, claims):
        return write(json.dumps(claims), ".json")

    def test_tpm_sample_permits_and_issues_platform_attested(self):
        healthy = [{"type": t, "value": True} for t in
                   ("aikValidated", "secureBootEnabled", "bootDebuggingDisabled", "vbsEnabled",
                    "notWinPE", "notSafeMode")]
        rc, out, err = run("policy", "eval", "--policy", TPM_SAMPLE, "--claims",
                           self.claims(healthy), "--explain")
        self.assertEqual(rc, 0, err)
        doc = json.loads(out)
        self.assertEqual(list(doc), ["permitted", "issued", "properties", "trace"])
        self.assertIs(doc["permitted"], True)
        self.assertEqual(doc["issued"], [{"type": "PlatformAttested", "value": True}])
        self.assertTrue(doc["trace"])

    def test_unhealthy_claims_issue_nothing_and_the_trace_says_which_condition(self):
        claims = [{"type": "aikValidated", "value": True},
                  {"type": "secureBootEnabled", "value": False}]
        rc, out, err = run("policy", "eval", "--policy", TPM_SAMPLE, "--claims",
                           self.claims(claims), "--explain")
        self.assertEqual(rc, 0, err)
        doc = json.loads(out)
        self.assertEqual(doc["issued"], [])
        unmatched = [r["unmatched"] for r in doc["trace"] if "unmatched" in r]
        self.assertTrue(any("secureBootEnabled" in u["text"] for u in unmatched), unmatched)

    def test_deny_is_exit_0_with_permitted_false(self):
        path = write("version=1.0; authorizationrules { => deny(); }; issuancerules {};")
        rc, out, _ = run("policy", "eval", "--policy", path, "--claims", self.claims([]))
        self.assertEqual(rc, 0)
        self.assertIs(json.loads(out)["permitted"], False)

    def test_function_error_is_exit_4_naming_the_rule(self):
        path = write('version=1.2;\nauthorizationrules { => permit(); };\nissuancerules {\n'
                     '  c:[type=="x"] => issue(type="y", value=JsonToClaimValue(c.value));\n};\n')
        claims = self.claims([{"type": "x", "value": '{"an": "object"}'}])
        rc, out, err = run("policy", "eval", "--policy", path, "--claims", claims)
        self.assertEqual(rc, 4, err)
        self.assertEqual(out, "")
        self.assertEqual(len(err.strip().splitlines()), 1, err)
        self.assertIn(":4:", err)

    def test_policy_errors_and_bad_claims_exit_2(self):
        rc, _, _ = run("policy", "eval", "--policy", corpus("policy-examples--1.policy"),
                       "--claims", self.claims([]))
        self.assertEqual(rc, 2)
        rc, _, err = run("policy", "eval", "--policy", TPM_SAMPLE, "--claims", write("[{", ".json"))
        self.assertEqual(rc, 2)
        rc, _, _ = run("policy", "eval", "--policy", TPM_SAMPLE)
        self.assertEqual(rc, 2)


class Hash(unittest.TestCase):
    def test_hash_of_the_documented_example(self):
        # maa-spec §3.5's formula; the spec prints the first letter in upper
        # case, the formula (checked with Python's hashlib) gives lower case.
        path = write("version=1.0; authorizationrules{=> permit();}; issuancerules{};")
        rc, out, _ = run("policy", "hash", path)
        self.assertEqual(rc, 0)
        self.assertEqual(out.strip(), "z0FRjKS0ssQTNur1V6BV8WIrh9M3fzgTo0EfHRvapWU")

    def test_hash_covers_exact_bytes(self):
        a = write("version=1.0; authorizationrules{=> permit();}; issuancerules{};")
        b = write("version=1.0; authorizationrules{=> permit();}; issuancerules{};\n")
        self.assertNotEqual(run("policy", "hash", a)[1], run("policy", "hash", b)[1])


class Jmespath(unittest.TestCase):
    def test_evaluates_with_equals_ignore_case_and_exact_integers(self):
        doc = '{"a": [{"p": "\\\\WINDOWS\\\\x.sys", "n": 9223372036854775808}]}'
        rc, out, err = run("jmespath",
                           # A JMESPath raw string keeps backslashes as written
                           # (in a policy, the string literal unescapes \\ first).
                           "a[?equals_ignore_case(p, '\\windows\\x.sys')].n | [0]", "-",
                           stdin=doc)
        self.assertEqual(rc, 0, err)
        self.assertEqual(out.strip(), "9223372036854775808")

    def test_a_miss_prints_null(self):
        rc, out, _ = run("jmespath", "nothing", "-", stdin="{}")
        self.assertEqual((rc, out.strip()), (0, "null"))

    def test_errors_exit_2_with_kind(self):
        rc, _, err = run("jmespath", "a.[", "-", stdin="{}")
        self.assertEqual(rc, 2)
        self.assertIn("syntax error at column", err)
        rc, _, err = run("jmespath", "abs(`\"x\"`)", "-", stdin="{}")
        self.assertEqual(rc, 2)
        self.assertIn("invalid-type", err)


if __name__ == "__main__":
    VIGILCTL, SRC = sys.argv[1], sys.argv[2]
    TPM_SAMPLE = corpus("policy-version-1-0--1.policy")
    result = unittest.TextTestRunner(verbosity=2).run(
        unittest.defaultTestLoader.loadTestsFromModule(sys.modules[__name__]))
    failed = len(result.failures) + len(result.errors)
    print(f"{result.testsRun - failed} passed, {failed} failed")
    sys.exit(0 if result.wasSuccessful() else 1)
