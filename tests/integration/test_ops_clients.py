"""Clients that say what happened (issue 8): `camada echo`, `camada dig`
and `camada get` in the error cases an operator meets, each compared with
what the real tool (dig, curl) prints and exits with on the same input."""
import os
import pty
import re
import select
import shutil
import socket
import subprocess
import time

import pytest

from conftest import ASAN, BIN, SLOW, free_port, run
from test_http_client import CURL, HELLO, Nginx, RawServer, get, reply

DIG = shutil.which("dig")
need_dig = pytest.mark.skipif(DIG is None, reason="dig is not installed")
need_curl = pytest.mark.skipif(not os.path.exists(CURL),
                               reason="curl is not installed")


def sysdig(*args):
    return subprocess.run([DIG, "+nocookie"] + list(args),
                          capture_output=True, timeout=30)


def cdig(*args, **kw):
    r = run(["dig"] + [str(a) for a in args], **kw)
    err = r.stderr.decode("utf-8", "replace")
    assert "ERROR: AddressSanitizer" not in err, err
    assert "runtime error:" not in err, err
    return r


def curl(*args, **kw):
    return subprocess.run([CURL, "-s"] + [str(a) for a in args],
                          capture_output=True, timeout=30, **kw)


@pytest.fixture
def nginx(tmp_path):
    n = Nginx(tmp_path)
    (n.root / "bin.dat").write_bytes(b"\x7fELF\x00\x01\x02" * 100)
    (n.root / "ten.txt").write_bytes(b"0123456789")
    yield n
    n.stop()


# ---- camada echo ------------------------------------------------------------

def test_echo_without_host_and_port_is_a_usage_error():
    for args in ([], ["127.0.0.1"], ["--udp"]):
        r = run(["echo"] + args, input=b"hi\n")
        assert r.returncode == 2, args
        assert b"usage: camada echo" in r.stderr, args
        assert r.stdout == b""


def test_echo_refused_is_said_as_refused():
    """nc says "connect to 127.0.0.1 port N (tcp) failed: Connection
    refused" and exits 1; so do we, at once, and never "timed out"."""
    port = free_port()
    t0 = time.time()
    r = run(["echo", "--timeout", "5", "127.0.0.1", str(port)],
            input=b"hi\n")
    assert r.returncode == 1
    assert (b"camada echo: connect 127.0.0.1 port %d: Connection refused"
            % port) in r.stderr, r.stderr
    assert b"timed out" not in r.stderr
    assert time.time() - t0 < 4 * SLOW


# ---- camada dig: exit codes, +time, +tries --------------------------------

@need_dig
def test_dig_refused_exit_9_as_dig():
    port = free_port(socket.SOCK_DGRAM)
    for extra in ([], ["+tcp"]):
        args = ["@127.0.0.1", "-p", str(port), "+tries=1", "+time=2"] + \
            extra + ["www.example.test"]
        ours, theirs = cdig(*args), sysdig(*args)
        assert ours.returncode == theirs.returncode == 9, (ours, theirs)
        assert b"connection refused" in ours.stdout, ours.stdout
        assert b"connection refused" in theirs.stdout
        assert b"timed out" not in ours.stdout


@need_dig
def test_dig_timeout_exit_9_and_tries_as_dig():
    """A server that never answers: +tries=2 +time=1 sends two queries and
    gives up after about two seconds, as dig does; exit 9."""
    counts = []
    for prog in (cdig, sysdig):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        t0 = time.time()
        try:
            r = prog("@127.0.0.1", "-p", str(port), "+tries=2", "+time=1",
                     "www.example.test")
            took = time.time() - t0
            n = 0
            s.setblocking(False)
            while True:
                try:
                    s.recv(4096)
                    n += 1
                except BlockingIOError:
                    break
        finally:
            s.close()
        assert r.returncode == 9, r
        assert b"timed out" in r.stdout
        assert 1.5 < took < 6 * SLOW, took
        counts.append(n)
    assert counts == [2, 2], counts


@need_dig
def test_dig_usage_exit_1_as_dig():
    for args in (["+frobnicate", "x"], ["-p"], ["-q"]):
        ours = cdig(*args)
        theirs = subprocess.run([DIG] + args, capture_output=True,
                                timeout=10)
        assert ours.returncode == 1 == theirs.returncode, (args, ours,
                                                          theirs)
    assert cdig("--help").returncode == 0


@need_dig
def test_dig_missing_batch_file_exit_8_as_dig(tmp_path):
    """dig 9.18 exits 8 here (its man page: "Couldn't open batch file"),
    not the 10 the issue guessed."""
    f = str(tmp_path / "no-such-batch")
    ours, theirs = cdig("-f", f), sysdig("-f", f)
    assert ours.returncode == theirs.returncode == 8, (ours, theirs)
    assert b"No such file or directory" in ours.stderr, ours.stderr
    assert b"couldn't open specified batch file" in ours.stderr


@need_dig
def test_dig_server_name_not_found_exit_as_dig():
    r = cdig("@nosuch.invalid", "www.example.test")
    theirs = sysdig("@nosuch.invalid", "www.example.test")
    assert r.returncode == theirs.returncode == 1
    assert b"couldn't get address for 'nosuch.invalid'" in r.stderr


@need_dig
def test_dig_bad_name_exit_10_as_dig():
    ours, theirs = cdig("a..b"), sysdig("a..b")
    assert ours.returncode == theirs.returncode == 10
    assert b"'a..b' is not a legal name" in ours.stderr
    assert b"usage:" not in ours.stderr


@need_dig
def test_dig_trace_nobody_answers_exit_9(tmp_path):
    """+trace from hints whose servers do not listen: nobody answered."""
    port = free_port(socket.SOCK_DGRAM)
    hints = tmp_path / "hints"
    hints.write_text(".  3600000 IN NS a.root.test.\n"
                     "a.root.test. 3600000 IN A 127.0.0.1\n")
    r = cdig("+trace", "+tries=1", "+time=1", "-p", str(port),
             "--root-hints", hints, "www.example.test")
    assert r.returncode == 9, r


# ---- camada dig against camada dns: batch files, AXFR, IXFR ----------------

ZONE_HEAD = """$ORIGIN big.test.
$TTL 300
@   IN SOA ns1 hostmaster 7 3600 600 86400 60
@   IN NS  ns1
ns1 IN A   127.0.0.1
"""


@pytest.fixture
def bigzone(camada, tmp_path):
    """camada dns serving a zone of 1,503 records (1,500 TXT records of 60
    bytes: more than one 64 KiB message)."""
    z = tmp_path / "big.test.zone"
    z.write_text(ZONE_HEAD + "".join(
        'h%04d IN TXT "%s"\n' % (i, ("%04d" % i) * 15) for i in range(1500)))
    srv = camada("dns", "-l", "127.0.0.1:0", "--workers", "1", "-z", str(z),
                 listeners=2)
    return srv.port("dns", "udp")


def records(text):
    return sorted(l for l in text.splitlines()
                  if l and not l.startswith(";"))


@need_dig
def test_dig_axfr_prints_every_record_as_dig(bigzone):
    """AXFR goes over TCP by itself and every message of the stream is
    printed: as many records as dig shows (the SOA twice)."""
    args = ["@127.0.0.1", "-p", str(bigzone), "big.test", "AXFR"]
    ours, theirs = cdig(*args), sysdig(*args)
    assert ours.returncode == 0 == theirs.returncode, ours
    a, b = records(ours.stdout.decode()), records(theirs.stdout.decode())
    assert len(a) == len(b) == 1500 + 4, (len(a), len(b))
    assert a == b
    m = re.search(r";; XFR size: (\d+) records \(messages (\d+), bytes (\d+)",
                  ours.stdout.decode())
    mt = re.search(r";; XFR size: (\d+) records \(messages (\d+)",
                   theirs.stdout.decode())
    assert m and mt and m.group(1) == mt.group(1) == "1504"
    assert int(m.group(2)) > 1      # more than one message
    assert "(TCP)" in ours.stdout.decode()
    # +short: the data alone, every record
    r = cdig(*args, "+short")
    assert len(r.stdout.decode().splitlines()) == 1504


@need_dig
def test_dig_axfr_failures_as_dig(camada, tmp_path):
    """A transfer refused by the server (allow-transfer none), a zone it
    does not serve, a closed port: dig's lines and exit codes."""
    z = tmp_path / "big.test.zone"
    z.write_text(ZONE_HEAD)
    srv = camada("dns", "-l", "127.0.0.1:0", "--workers", "1",
                 "--allow-transfer", "none", "-z", str(z), listeners=2)
    port = srv.port("dns", "udp")
    closed = free_port()
    for p, name in ((port, "big.test"), (port, "nosuch.test"),
                    (closed, "big.test")):
        args = ["@127.0.0.1", "-p", str(p), name, "AXFR"]
        ours, theirs = cdig(*args), sysdig(*args)
        assert ours.returncode == theirs.returncode, (args, ours, theirs)
        tail = [l for l in theirs.stdout.decode().splitlines()
                if l and not l.startswith("; <<>>") and
                not l.startswith("; (") and "global options" not in l]
        for line in tail:
            assert line in ours.stdout.decode(), (line, ours.stdout)


@need_dig
def test_dig_ixfr_over_tcp_as_dig(bigzone):
    """IXFR goes over TCP too; whatever the server answers (the whole zone
    or the SOA alone), the records are dig's."""
    for serial in ("1", "7"):
        args = ["@127.0.0.1", "-p", str(bigzone), "big.test",
                "ixfr=" + serial]
        ours, theirs = cdig(*args), sysdig(*args)
        assert ours.returncode == theirs.returncode, (ours, theirs)
        assert records(ours.stdout.decode()) == \
            records(theirs.stdout.decode()), (ours.stdout, theirs.stdout)
    # IXFR with no serial: dig warns and asks for A
    args = ["@127.0.0.1", "-p", str(bigzone), "big.test", "IXFR"]
    ours, theirs = cdig(*args), sysdig(*args)
    assert ours.returncode == theirs.returncode == 0
    assert b";; Warning, ixfr requires a serial number" in ours.stderr
    assert b";; Warning, ixfr requires a serial number" in theirs.stderr
    assert b";big.test.\t\t\tIN\tA\n" in ours.stdout, ours.stdout


@need_dig
def test_dig_batch_file(bigzone, tmp_path):
    f = tmp_path / "batch"
    f.write_text("h0001.big.test TXT\n\n# a comment\nns1.big.test A "
                 "+short\nbig.test SOA +short\n")
    r = cdig("@127.0.0.1", "-p", str(bigzone), "-f", str(f))
    assert r.returncode == 0, r
    out = r.stdout.decode()
    assert re.search(r'^h0001\.big\.test\.\s+300\s+IN\s+TXT\s+"(0001){15}"$',
                     out, re.M), out
    assert "\n127.0.0.1\n" in out
    assert "ns1.big.test. hostmaster.big.test. 7 3600 600 86400 60" in out


# ---- camada get: curl's options and exits ----------------------------------

@need_curl
def test_get_url_without_scheme_is_http(nginx):
    url = "127.0.0.1:%d/hello.txt" % nginx.port
    r = get(url)
    assert r.returncode == 0 and r.stdout == HELLO, r.stderr
    assert curl(url).stdout == HELLO
    r = get("-w", "%{url_effective}", url)
    assert r.stdout == HELLO + b"http://" + url.encode()


@need_curl
def test_get_unknown_host_without_scheme_as_curl():
    ours, theirs = get("no-such-host.invalid"), curl("no-such-host.invalid")
    assert ours.returncode == theirs.returncode == 6


@need_curl
def test_get_remote_name(nginx, tmp_path):
    url = nginx.url + "/hello.txt?x=1"
    ours = lambda *a, **kw: subprocess.run(
        [os.path.abspath(BIN), "get"] + list(a), capture_output=True,
        timeout=20 * SLOW, **kw)
    for prog, d in ((ours, "ours"), (curl, "theirs")):
        (tmp_path / d).mkdir()
        r = prog("-O", url, cwd=str(tmp_path / d))
        assert r.returncode == 0, r
        assert os.listdir(tmp_path / d) == ["hello.txt"]
        assert (tmp_path / d / "hello.txt").read_bytes() == HELLO
    ours, theirs = get("-O", nginx.url + "/"), curl("-O", nginx.url + "/")
    assert ours.returncode == theirs.returncode == 23
    assert b"Remote file name has no length" in ours.stderr


@need_curl
def test_get_include_headers(nginx):
    ours = get("-i", nginx.url + "/hello.txt")
    theirs = curl("-i", nginx.url + "/hello.txt")
    assert ours.returncode == 0 == theirs.returncode
    for r in (ours, theirs):
        head, body = r.stdout.split(b"\r\n\r\n", 1)
        assert head.startswith(b"HTTP/1.1 200 OK\r\n")
        assert b"\r\nContent-Length: 18" in head
        assert body == HELLO


@need_curl
def test_get_range(nginx):
    for rng, want in (("0-3", b"0123"), ("5-", b"56789"), ("-2", b"89")):
        ours = get("-r", rng, nginx.url + "/ten.txt")
        theirs = curl("-r", rng, nginx.url + "/ten.txt")
        assert ours.stdout == theirs.stdout == want, rng
        assert ours.returncode == 0
    assert get("-r", "abc", nginx.url + "/ten.txt").returncode == 2


@need_curl
def test_get_resume_from_the_file(nginx, tmp_path):
    url = nginx.url + "/ten.txt"
    for prog, name in ((get, "ours"), (curl, "theirs")):
        f = tmp_path / name
        f.write_bytes(b"0123")
        r = prog("-C", "-", "-o", f, url)
        assert r.returncode == 0, r
        assert f.read_bytes() == b"0123456789"
        # already whole: nginx says 416, curl counts it as done
        r = prog("-C", "-", "-o", f, url)
        assert r.returncode == 0, r
        assert f.read_bytes() == b"0123456789"


@need_curl
def test_get_resume_refused_by_server_exit_33(tmp_path):
    """A server that ignores Range and sends all: curl's 33, and the file
    is left as it was."""
    s = RawServer()
    s.routes["/f"] = lambda q: (reply(200, b"abcdefghij"), False)
    try:
        for prog, name in ((get, "ours"), (curl, "theirs")):
            f = tmp_path / name
            f.write_bytes(b"abc")
            r = prog("-C", "-", "-o", f, s.url + "/f")
            assert r.returncode == 33, (name, r)
            assert f.read_bytes() == b"abc"
        assert b"doesn't seem to support byte ranges" in \
            get("-C", "-", "-o", tmp_path / "ours", s.url + "/f").stderr
    finally:
        s.stop()


WFMT = ("%{http_code} %{size_download} %{url_effective} %{content_type} "
        "%{num_redirects} %{remote_ip} %{remote_port} %{size_header} "
        "%{exitcode}|%{time_total} %{time_connect} %{time_starttransfer}\\n")


def wsplit(out):
    exact, times = out.decode().rstrip("\n").split("|")
    return exact.split(" "), [float(t) for t in times.split(" ")]


@need_curl
def test_get_write_out_as_curl(nginx):
    url = nginx.url + "/hello.txt"
    ours = get("-s", "-o", os.devnull, "-w", WFMT, url)
    theirs = curl("-o", os.devnull, "-w", WFMT, url)
    assert ours.returncode == 0, ours.stderr
    a, ta = wsplit(ours.stdout)
    b, tb = wsplit(theirs.stdout)
    assert a == b, (a, b)
    assert a[0] == "200" and a[1] == "18" and a[3] == "text/plain"
    assert a[5] == "127.0.0.1" and a[6] == str(nginx.port)
    assert 0 < ta[1] <= ta[2] <= ta[0] < 5 * SLOW, ta
    # a redirect followed, a failure: curl's numbers
    ours = get("-s", "-L", "-o", os.devnull, "-w", WFMT, nginx.url + "/images")
    theirs = curl("-L", "-o", os.devnull, "-w", WFMT, nginx.url + "/images")
    assert wsplit(ours.stdout)[0][:5] == wsplit(theirs.stdout)[0][:5]
    port = free_port()
    fmt = "%{http_code} %{exitcode} %{size_download}\\n"
    ours = get("-s", "-w", fmt, "http://127.0.0.1:%d/" % port)
    theirs = curl("-w", fmt, "http://127.0.0.1:%d/" % port)
    assert ours.returncode == theirs.returncode == 7
    assert ours.stdout == theirs.stdout == b"000 7 0\n"


def on_a_terminal(argv, cwd=None):
    """Runs argv with stdout on a pseudo-terminal: (exit code, what the
    terminal got, stderr)."""
    master, slave = pty.openpty()
    p = subprocess.Popen(argv, stdout=slave, stderr=subprocess.PIPE,
                         stdin=subprocess.DEVNULL, cwd=cwd)
    os.close(slave)
    got = b""
    while True:
        r, _, _ = select.select([master], [], [], 20 * SLOW)
        if not r:
            break
        try:
            d = os.read(master, 65536)
        except OSError:
            break
        if not d:
            break
        got += d
    rc = p.wait(20 * SLOW)
    err = p.stderr.read()
    p.stderr.close()
    os.close(master)
    return rc, got, err


@need_curl
def test_get_binary_not_written_to_a_terminal(nginx):
    url = nginx.url + "/bin.dat"
    rc, got, err = on_a_terminal([os.path.abspath(BIN), "get", url])
    crc, cgot, cerr = on_a_terminal([CURL, url])
    assert rc == crc == 23, (rc, crc, err, cerr)
    assert b"\x00" not in got and b"ELF" not in got
    assert b"Binary output can mess up your terminal" in err
    assert b"Binary output can mess up your terminal" in cerr
    assert b'"--output -"' in err
    # -o - asks for it; text goes to a terminal as before
    rc, got, err = on_a_terminal([os.path.abspath(BIN), "get", "-o", "-", url])
    assert rc == 0 and b"ELF" in got, err
    rc, got, err = on_a_terminal([os.path.abspath(BIN), "get", nginx.url + "/hello.txt"])
    assert rc == 0 and b"Hello from nginx." in got
    # -s: curl says nothing, and still refuses
    rc, got, err = on_a_terminal([os.path.abspath(BIN), "get", "-s", url])
    assert rc == 23 and b"Binary" not in err and b"ELF" not in got


@need_curl
def test_get_refused_as_curl():
    port = free_port()
    url = "http://127.0.0.1:%d/" % port
    ours, theirs = get(url), curl(url)
    assert ours.returncode == theirs.returncode == 7
    assert b"refused" in ours.stderr
