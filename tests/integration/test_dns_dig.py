"""camada dig against NSD, side by side with the system's dig: the same
header, sections and records; +short, +tcp, +norec, -x, TC -> TCP, and
+trace through an NSD hierarchy (root -> TLD -> zone)."""
import re
import socket
import subprocess
import time

import pytest

from conftest import run
import resolver_testlib as rt


@pytest.fixture(scope="module")
def hier(tmp_path_factory):
    h = rt.Hierarchy(tmp_path_factory.mktemp("dighier"))
    yield h
    h.stop()


def cdig(*args):
    r = run(["dig"] + list(args))
    return r.returncode, r.stdout.decode()


def sysdig(*args):
    r = subprocess.run(["dig", "+nocookie"] + list(args), capture_output=True,
                       timeout=20)
    return r.stdout.decode()


def sections(text):
    """{section: sorted record lines} plus the header and flags lines."""
    out = {}
    cur = None
    for line in text.splitlines():
        m = re.match(r";; (\w+) SECTION:", line)
        if m:
            cur = m.group(1)
            out[cur] = []
            continue
        if line.startswith(";; ->>HEADER<<-"):
            out["header"] = re.sub(r"id: \d+", "id: N", line)
        elif line.startswith(";; flags:"):
            out["flags"] = line
        elif line.startswith("; EDNS:"):
            out["edns"] = line
        elif not line.strip():
            cur = None
        elif cur and not line.startswith(";") or cur == "QUESTION":
            out[cur].append(line)
    for k, v in out.items():
        if isinstance(v, list):
            v.sort()
    return out


@pytest.mark.parametrize("name,rtype", [
    ("www.example.test", "A"),
    ("www.example.test", "AAAA"),
    ("example.test", "SOA"),
    ("example.test", "NS"),
    ("nx.example.test", "A"),
    ("www.example.test", "MX"),
    ("alias.example.test", "A"),
    ("inzone.example.test", "A"),
])
def test_same_output_as_dig(hier, name, rtype):
    args = ["@127.53.0.3", "-p", str(hier.port), name, rtype]
    rc, ours = cdig(*args)
    assert rc == 0, ours
    theirs = sysdig(*args)
    a, b = sections(ours), sections(theirs)
    assert a == b, "camada:\n%s\ndig:\n%s" % (ours, theirs)
    for needle in (";; Query time: ", ";; SERVER: 127.53.0.3#%d(127.53.0.3) (UDP)"
                   % hier.port, ";; WHEN: ", ";; MSG SIZE  rcvd: "):
        assert needle in ours
    size = re.search(r"MSG SIZE  rcvd: (\d+)", theirs).group(1)
    assert "MSG SIZE  rcvd: %s" % size in ours


def test_short(hier):
    rc, out = cdig("@127.53.0.3", "-p", str(hier.port), "www.example.test",
                   "+short")
    assert rc == 0 and out == "192.0.2.1\n"
    rc, out = cdig("@127.53.0.3", "-p", str(hier.port), "big.example.test",
                   "TXT", "+short")
    assert len(out.splitlines()) == 30


def test_tcp_and_norec(hier):
    rc, out = cdig("@127.53.0.3", "-p", str(hier.port), "www.example.test",
                   "+tcp", "+norec")
    assert rc == 0
    assert "(TCP)" in out
    flags = re.search(r";; flags:([a-z ]*);", out).group(1).split()
    assert "rd" not in flags and "aa" in flags
    assert "192.0.2.1" in out


def test_truncated_retried_over_tcp(hier):
    rc, out = cdig("@127.53.0.3", "-p", str(hier.port),
                              "big.example.test", "TXT")
    assert rc == 0
    assert "(TCP)" in out
    assert "ANSWER: 30" in out


def test_reverse(hier):
    rc, out = cdig("@127.53.0.5", "-p", str(hier.port), "-x", "192.0.2.1")
    assert rc == 0
    assert re.search(r"^;1\.2\.0\.192\.in-addr\.arpa\.\s+IN\s+PTR$", out, re.M)
    assert "PTR\twww.example.test." in out
    rc, out = cdig("@127.53.0.5", "-p", str(hier.port), "-x", "192.0.2.1",
                   "+short")
    assert out == "www.example.test.\n"
    rc, out = cdig("@127.53.0.5", "-p", str(hier.port), "-x", "2001:db8::1")
    assert ";1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2." \
        "ip6.arpa." in out
    assert re.search(r"ip6\.arpa\.\s+IN\s+PTR", out)


def test_trace(hier):
    rc, out = cdig("+trace", "-p", str(hier.port), "--root-hints", hier.hints,
                   "alias.example.test")
    assert rc == 0, out
    steps = re.findall(r";; Received (\d+) bytes from ([0-9.]+)#(\d+)\((\S+)\) "
                       r"in \d+ ms", out)
    assert [s[1] for s in steps] == ["127.53.0.1", "127.53.0.2", "127.53.0.3"], out
    assert all(int(s[2]) == hier.port for s in steps)
    # the referrals: NS records and glue, then the answer
    assert re.search(r"^test\.\s+\d+\s+IN\s+NS\s+ns1\.test\.$", out, re.M)
    assert re.search(r"^ns1\.test\.\s+\d+\s+IN\s+A\s+127\.53\.0\.2$", out, re.M)
    assert re.search(r"^example\.test\.\s+\d+\s+IN\s+NS\s+ns1\.example\.test\.$",
                     out, re.M)
    assert re.search(r"^alias\.example\.test\.\s+\d+\s+IN\s+CNAME\s+"
                     r"www\.glueless\.test\.$", out, re.M)
    order = [out.index("127.53.0.1#"), out.index("127.53.0.2#"),
             out.index("127.53.0.3#")]
    assert order == sorted(order)


def test_trace_glueless(hier):
    rc, out = cdig("+trace", "-p", str(hier.port), "--root-hints", hier.hints,
                   "direct.glueless.test")
    assert rc == 0, out
    assert re.search(r"glueless\.test\.\s+\d+\s+IN\s+NS\s+ns\.hoster\.org\.", out)
    assert re.search(r"direct\.glueless\.test\.\s+\d+\s+IN\s+A\s+192\.0\.2\.33",
                     out)
    assert "#%d(ns.hoster.org.)" % hier.port in out


def test_no_server(hier):
    rc, out = cdig("@127.53.0.9", "-p", str(hier.port), "+tries=1", "+time=1",
                   "www.example.test")
    assert rc != 0
    assert "no servers could be reached" in out


def test_usage():
    # 1, as BIND's dig (issue 8; it was 2, camada's usual usage code)
    r = run(["dig", "-p"])
    assert r.returncode == 1
    r = run(["dig", "--help"])
    assert r.returncode == 0 and b"+trace" in r.stdout


def test_refused_said_as_dig_says_it(hier):
    """Nothing listens there: the ICMP refusal is told as dig 9.18 tells it,
    not as a timeout, and at once (each try is refused at once)."""
    t0 = time.time()
    rc, out = cdig("@127.53.0.9", "-p", str(hier.port), "+tries=3", "+time=5",
                   "www.example.test")
    assert rc != 0
    assert time.time() - t0 < 4
    assert (";; communications error to 127.53.0.9#%d: connection refused\n"
            % hier.port) in out, out
    assert "timed out" not in out and "no servers could be reached" in out
    rc, out = cdig("@127.53.0.9", "-p", str(hier.port), "+tcp", "+time=2",
                   "www.example.test")
    assert rc != 0
    assert (";; Connection to 127.53.0.9#%d(127.53.0.9) for www.example.test "
            "failed: connection refused." % hier.port) in out, out
    assert "no servers could be reached" in out


def test_timeout_said_as_dig_says_it():
    """A server that never answers: every try times out."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    try:
        rc, out = cdig("@127.0.0.1", "-p", str(port), "+tries=2", "+time=1",
                       "www.example.test")
    finally:
        s.close()
    assert rc != 0
    assert ";; communications error to 127.0.0.1#%d: timed out\n" % port in out
    assert "no servers could be reached" in out


def test_server_by_name(hier):
    """@SERVER as a name goes through dns_stub (the hosts file here)."""
    rc, out = cdig("@localhost", "-p", str(hier.port), "+tries=1", "+time=1",
                   "www.example.test")
    # nothing of the hierarchy listens on localhost: refused, but asked
    assert re.search(r"(127\.0\.0\.1|::1)#%d" % hier.port, out), out
    rc, out = cdig("@nosuch.invalid", "www.example.test")
    assert rc == 1
    r = run(["dig", "@nosuch.invalid", "www.example.test"])
    assert b"couldn't get address for 'nosuch.invalid': not found" in r.stderr
