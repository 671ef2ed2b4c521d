#!/usr/bin/env python3
"""Contract tests for `vigilctl tpm ...` against a swtpm this script starts.

usage: tpm_cli_test.py VIGILCTL

Starts one swtpm (provisioned by swtpm_setup with a throw-away local CA, on
Unix sockets in a temporary directory; never a fixed port), runs every
subcommand, and cross-checks the results with tpm2-tools and openssl.
Prints "N passed, M failed"; exits non-zero on any failure.
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

VIGILCTL = sys.argv[1] if len(sys.argv) > 1 else "vigilctl"
passed = 0
failed = 0


def check(name, cond, detail=""):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print(f"FAIL {name}: {detail}")


def run(*args, **kw):
    return subprocess.run(list(args), capture_output=True, timeout=120, **kw)


ALG_IDS = {"sha1": 0x0004, "sha256": 0x000B, "sha384": 0x000C, "sha512": 0x000D}


def serialized_pcrs(banks):
    """pcrs.json -> the "serialized" file tpm2_quote -o writes (tpm2-tools
    pcr_fwrite_serialized: host-order TPML_PCR_SELECTION, UINT32 count, then
    TPML_DIGEST structs of up to 8 digests; x86-64 struct layout)."""
    import struct
    sel = struct.pack("<I", len(banks))
    digests = []
    for b in banks:
        idx = sorted(int(i) for i in b["pcrs"])
        mask = [0, 0, 0, 0]
        for i in idx:
            mask[i // 8] |= 1 << (i % 8)
            digests.append(bytes.fromhex(b["pcrs"][str(i)]))
        sel += struct.pack("<HB4Bx", ALG_IDS[b["alg"]], 3, *mask)
    sel += b"\0" * (4 + 16 * 8 - len(sel))
    groups = [digests[i:i + 8] for i in range(0, len(digests), 8)]
    out = sel + struct.pack("<I", len(groups))
    for g in groups:
        tpml = struct.pack("<I", len(g))
        for d in g:
            tpml += struct.pack("<H", len(d)) + d + b"\0" * (64 - len(d))
        tpml += b"\0" * ((2 + 64) * (8 - len(g)))
        out += tpml
    return out


def start_swtpm(work):
    ca = os.path.join(work, "ca")
    state = os.path.join(work, "state")
    ek = os.path.join(work, "ek")
    for d in (os.path.join(ca, "state"), state, ek):
        os.makedirs(d)
    with open(os.path.join(ca, "swtpm-localca.conf"), "w") as f:
        f.write(f"statedir = {ca}/state\nsigningkey = {ca}/state/signkey.pem\n"
                f"issuercert = {ca}/state/issuercert.pem\ncertserial = {ca}/state/certserial\n")
    with open(os.path.join(ca, "swtpm-localca.options"), "w") as f:
        f.write("--platform-manufacturer Vigil\n--platform-version 2.1\n--platform-model cli-test\n")
    with open(os.path.join(ca, "swtpm_setup.conf"), "w") as f:
        f.write(f"create_certs_tool = /usr/bin/swtpm_localca\n"
                f"create_certs_tool_config = {ca}/swtpm-localca.conf\n"
                f"create_certs_tool_options = {ca}/swtpm-localca.options\n")
    r = run("swtpm_setup", "--tpm2", "--tpmstate", state, "--config",
            os.path.join(ca, "swtpm_setup.conf"), "--create-ek-cert", "--create-platform-cert",
            "--pcr-banks", "sha1,sha256", "--write-ek-cert-files", ek, "--overwrite")
    if r.returncode != 0:
        sys.exit("swtpm_setup failed: " + r.stdout.decode() + r.stderr.decode())
    sock = os.path.join(work, "tpm.sock")
    proc = subprocess.Popen(["swtpm", "socket", "--tpm2", "--tpmstate", f"dir={state}",
                             "--server", f"type=unixio,path={sock}",
                             "--ctrl", f"type=unixio,path={sock}.ctrl",
                             "--flags", "not-need-init,startup-clear"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 10
    while time.time() < deadline:
        try:
            s = socket.socket(socket.AF_UNIX)
            s.connect(sock)
            s.close()
            return proc, f"swtpm:path={sock}", ca, ek
        except OSError:
            time.sleep(0.01)
    proc.kill()
    sys.exit("swtpm did not start")


def main():
    work = tempfile.mkdtemp(prefix="vigil-tpm-cli-")
    proc = None
    try:
        proc, tcti, ca, ekdir = start_swtpm(work)
        T = ["--tcti", tcti]
        env = dict(os.environ, TPM2TOOLS_TCTI=tcti)

        r = run(VIGILCTL, "tpm", "info", "--format", "json", *T)
        check("info exit", r.returncode == 0, r.stderr)
        info = json.loads(r.stdout or b"{}")
        check("info software", info.get("software_tpm") is True, info)
        check("info banks", info.get("pcr_banks") == ["sha1", "sha256"], info)
        check("info warns loudly", b"INSECURE" in r.stderr, r.stderr)
        check("info clock", "reset_count" in info.get("clock", {}), info)

        cert = os.path.join(work, "ek.der")
        r = run(VIGILCTL, "tpm", "ek-cert", "--out", cert, "--check-key", *T)
        check("ek-cert exit", r.returncode == 0, r.stderr)
        check("ek-cert equals swtpm_setup file",
              open(cert, "rb").read() == open(os.path.join(ekdir, "ek-rsa2048.crt"), "rb").read())
        r = run(VIGILCTL, "tpm", "ek-cert", "--kind", "ecc-p384", *T)
        check("ek-cert p384 pem", r.returncode == 0 and r.stdout.startswith(b"-----BEGIN CERTIFICATE"), r.stderr)
        pem = os.path.join(work, "ek384.pem")
        open(pem, "wb").write(r.stdout)
        v = run("openssl", "verify", "-CAfile", os.path.join(ca, "state/swtpm-localca-rootca-cert.pem"),
                "-untrusted", os.path.join(ca, "state/issuercert.pem"), pem)
        check("ek-cert chains to the local CA", v.returncode == 0, v.stdout + v.stderr)
        r = run(VIGILCTL, "tpm", "ek-cert", "--kind", "ecc-p256", *T)
        check("ek-cert p256 absent -> 2", r.returncode == 2, (r.returncode, r.stderr))

        r = run(VIGILCTL, "tpm", "ak", "show", "--format", "json", *T)
        check("ak show before create -> 2", r.returncode == 2, (r.returncode, r.stderr))
        r = run(VIGILCTL, "tpm", "ak", "create", "--alg", "rsa2048", "--format", "json", *T)
        check("ak create exit", r.returncode == 0, r.stderr)
        ak = json.loads(r.stdout or b"{}")
        check("ak create handle", ak.get("handle") == "0x81010002", ak)
        r = run(VIGILCTL, "tpm", "ak", "create", *T)
        check("ak create twice -> 2", r.returncode == 2, (r.returncode, r.stderr))
        r = run(VIGILCTL, "tpm", "ak", "show", "--format", "json", *T)
        check("ak show equals create", json.loads(r.stdout or b"{}") == ak, r.stdout)

        r = run(VIGILCTL, "tpm", "pcrs", "--format", "json", *T)
        check("pcrs exit", r.returncode == 0, r.stderr)
        pcrs = json.loads(r.stdout or b"[]")
        check("pcrs banks", [b["alg"] for b in pcrs] == ["sha1", "sha256"], pcrs)
        check("pcrs 24 each", all(len(b["pcrs"]) == 24 for b in pcrs), pcrs)
        check("pcr17 is all ff", pcrs and pcrs[1]["pcrs"]["17"] == "ff" * 32, pcrs)

        out = os.path.join(work, "quote")
        nonce = "00112233445566778899aabbccddeeff"
        r = run(VIGILCTL, "tpm", "quote", "--nonce", nonce, "--out", out, "--pcrs", "0,1,2,3,4,5,6,7",
                "--banks", "sha256", *T)
        check("quote exit", r.returncode == 0, r.stderr)
        for f in ("attest", "signature", "ak.pub", "pcrs.json"):
            check(f"quote wrote {f}", os.path.exists(os.path.join(out, f)))
        qp = json.load(open(os.path.join(out, "pcrs.json")))
        open(os.path.join(out, "pcrs.bin"), "wb").write(serialized_pcrs(qp))
        c = run("tpm2_checkquote", "-u", os.path.join(out, "ak.pub"), "-m", os.path.join(out, "attest"),
                "-s", os.path.join(out, "signature"), "-f", os.path.join(out, "pcrs.bin"),
                "-g", "sha256", "-q", nonce)
        check("tpm2_checkquote accepts our quote", c.returncode == 0, c.stdout + c.stderr)
        c = run("tpm2_checkquote", "-u", os.path.join(out, "ak.pub"), "-m", os.path.join(out, "attest"),
                "-s", os.path.join(out, "signature"), "-f", os.path.join(out, "pcrs.bin"),
                "-g", "sha256", "-q", "ff" + nonce[2:])
        check("tpm2_checkquote rejects another nonce", c.returncode != 0)
        r = run(VIGILCTL, "tpm", "quote", "--nonce", "xyz", "--out", out, *T)
        check("quote bad nonce -> 2", r.returncode == 2, (r.returncode, r.stderr))

        # activate: a credential from tpm2_makecredential -T none for the EK
        # (public taken from the EK certificate) and our AK's Name.
        ekpub = os.path.join(work, "ekpub.pem")
        x = run("openssl", "x509", "-inform", "DER", "-in", cert, "-pubkey", "-noout")
        open(ekpub, "wb").write(x.stdout)
        secret = os.path.join(work, "secret")
        open(secret, "wb").write(bytes(range(32)))
        cred = os.path.join(work, "cred")
        m = run("tpm2_makecredential", "-T", "none", "-u", ekpub, "-G", "rsa", "-s", secret,
                "-n", ak["name"], "-o", cred)
        check("tpm2_makecredential", m.returncode == 0, m.stdout + m.stderr)
        r = run(VIGILCTL, "tpm", "activate", "--in", cred, *T)
        check("activate exit", r.returncode == 0, r.stderr)
        check("activate secret", r.stdout.decode().strip() == bytes(range(32)).hex(), r.stdout)
        open(os.path.join(work, "junk"), "wb").write(b"not a credential")
        r = run(VIGILCTL, "tpm", "activate", "--in", os.path.join(work, "junk"), *T)
        check("activate junk -> 2", r.returncode == 2, (r.returncode, r.stderr))

        r = run(VIGILCTL, "tpm", "info", "--tcti", "mssim:port=1")
        check("bad tcti -> 2", r.returncode == 2, (r.returncode, r.stderr))
        r = run(VIGILCTL, "tpm", "info", "--bogus", *T)
        check("unknown flag -> 2", r.returncode == 2, (r.returncode, r.stderr))

        proc.send_signal(signal.SIGKILL)
        proc.wait()
        proc = None
        for cmd in (["info"], ["pcrs"], ["ak", "show"], ["quote", "--nonce", nonce, "--out", out]):
            r = run(VIGILCTL, "tpm", *cmd, *T)
            check(f"{cmd[0]} on dead TPM -> 69", r.returncode == 69, (r.returncode, r.stderr))
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(timeout=2)
            except subprocess.TimeoutExpired:
                proc.kill()
        shutil.rmtree(work, ignore_errors=True)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
