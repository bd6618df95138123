"""`camada passwd`: the users file's line, from a pipe and from a terminal
(no echo, asked twice), checked with tools that are not camada: openssl
passwd for SHA512-CRYPT, libcrypt through Python for yescrypt and bcrypt."""
import os
import pty
import re
import select
import subprocess
import warnings

from conftest import BIN

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import crypt  # noqa: E402  (libcrypt's crypt(3); gone in Python 3.13)

LINE_RE = re.compile(r"^(?:(\S+@\S+):)?\{([A-Z0-9-]+)\}(\$\S+)$")


def run(args, stdin):
    return subprocess.run([BIN, "passwd"] + args, input=stdin,
                          capture_output=True, timeout=60)


def test_pipe_sha512_checked_by_openssl():
    r = run(["Alice@Crepes.FR"], b"hunter2 with spaces\n")
    assert r.returncode == 0, r.stderr
    m = LINE_RE.match(r.stdout.decode().strip())
    assert m, r.stdout
    assert m.group(1) == "Alice@crepes.fr"      # the domain lowered
    assert m.group(2) == "SHA512-CRYPT"
    h = m.group(3)
    salt = h.split("$")[2]
    o = subprocess.run(["openssl", "passwd", "-6", "-salt", salt, "-stdin"],
                       input=b"hunter2 with spaces\n", capture_output=True,
                       check=True)
    assert o.stdout.decode().strip() == h


def test_schemes_checked_by_libcrypt():
    for scheme, name, prefix in (("yescrypt", "CRYPT", "$y$"),
                                 ("bcrypt", "BLF-CRYPT", "$2y$"),
                                 ("sha512", "SHA512-CRYPT", "$6$")):
        r = run(["--scheme", scheme], b"p\xc3\xa4ss\r\n")
        assert r.returncode == 0, r.stderr
        m = LINE_RE.match(r.stdout.decode().strip())
        assert m and m.group(1) is None and m.group(2) == name, r.stdout
        h = m.group(3)
        assert h.startswith(prefix)
        assert crypt.crypt("p\u00e4ss", h) == h
        assert crypt.crypt("pass", h) != h


def test_refusals():
    assert run([], b"").returncode == 1                  # nothing read
    assert run([], b"\n").returncode == 1                # empty
    r = run(["--scheme", "md5"], b"x\n")
    assert r.returncode == 2 and b"sha512, yescrypt, bcrypt" in r.stderr
    r = run(["not an address"], b"x\n")
    assert r.returncode == 2 and b"not an address" in r.stderr
    assert run(["a@b", "c@d"], b"x\n").returncode == 2
    assert run(["--bogus"], b"x\n").returncode == 2
    r = run(["--help"], b"")
    assert r.returncode == 0 and b"usage: camada passwd" in r.stdout


def tty_session(answers):
    """Runs camada passwd on a terminal, answering each prompt; returns
    (exit status, everything the terminal showed)."""
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(BIN, [BIN, "passwd", "bob@hamburger.edu"])
    seen = b""
    pending = list(answers)
    while True:
        r, _, _ = select.select([fd], [], [], 60)
        if not r:
            os.kill(pid, 9)
            break
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
        # one answer per prompt shown (camada turns echo off first)
        if pending and seen.count(b"assword:") > len(answers) - len(pending):
            os.write(fd, pending.pop(0) + b"\n")
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), seen


def test_terminal_asks_twice_without_echo():
    code, seen = tty_session([b"s3cret-tty", b"s3cret-tty"])
    assert code == 0, seen
    assert b"Password:" in seen and b"Retype password:" in seen
    assert b"s3cret-tty" not in seen                     # never echoed
    line = seen.decode().strip().splitlines()[-1].strip()
    m = LINE_RE.match(line)
    assert m and m.group(1) == "bob@hamburger.edu", seen
    assert crypt.crypt("s3cret-tty", m.group(3)) == m.group(3)


def test_terminal_mismatch():
    code, seen = tty_session([b"one", b"two"])
    assert code == 1
    assert b"differ" in seen
    assert b"{SHA512-CRYPT}" not in seen
