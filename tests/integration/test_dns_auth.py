"""The authoritative DNS server (camada dns) driven by dig, kdig and
dnspython: every record type, AA, negative answers with the SOA, referrals
with glue, additional processing, CNAME chains, truncation and the TCP
retry, EDNS, AXFR (and NSD as a secondary), SIGHUP reloads, round robin,
and hostile input."""
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import threading
import time
import urllib.request

import dns.flags
import dns.message
import dns.name
import dns.opcode
import dns.query
import dns.rcode
import dns.rdatatype
import dns.zone
import pytest

from conftest import ASAN, ROOT, SLOW, free_port, run


def free_port_both():
    """A port free for both UDP and TCP on 127.0.0.1 (NSD binds both)."""
    for _ in range(50):
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.bind(("127.0.0.1", 0))
        port = u.getsockname()[1]
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            t.bind(("127.0.0.1", port))
            return port
        except OSError:
            continue
        finally:
            t.close()
            u.close()
    raise RuntimeError("no port free for both UDP and TCP")


ZONE = """\
$ORIGIN example.test.
$TTL 3600
@       IN SOA  ns1 hostmaster (2024010101 7200 3600 1209600 300)
        IN NS   ns1
        IN NS   ns2.elsewhere.invalid.
        IN MX   10 mail
        IN MX   20 mail2
        IN TXT  "v=spf1 -all" "second string"
        IN CAA  0 issue "letsencrypt.org"
ns1     IN A    192.0.2.53
mail    IN A    192.0.2.25
        IN AAAA 2001:db8::25
mail2   IN A    192.0.2.26
www     IN A    192.0.2.80
        IN AAAA 2001:db8::80
host    IN A    192.0.2.1
        IN HINFO "PC" "Linux"
        IN SSHFP 1 1 0123456789abcdef0123456789abcdef01234567
alias   IN CNAME alias2
alias2  IN CNAME host
outside IN CNAME www.elsewhere.invalid.
dangling IN CNAME nothere
_sip._udp IN SRV 10 60 5060 host
4.2.0.192.in-addr IN PTR host.example.test.
naptr   IN NAPTR 100 10 "S" "SIP+D2U" "" _sip._udp
tlsa    IN TLSA 3 1 1 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
rr      IN A    10.0.0.1
        IN A    10.0.0.2
        IN A    10.0.0.3
a.b.ent IN A    10.9.9.9
*.wild  IN A    10.7.7.7
sub     IN NS   ns.sub
        IN NS   ns.elsewhere.invalid.
ns.sub  IN A    192.0.2.99
        IN AAAA 2001:db8::99
""" + "".join("many IN A 10.1.%d.%d\n" % (i // 250, i % 250 + 1) for i in range(40))

ORIGIN = "example.test."


@pytest.fixture
def zonefile(tmp_path):
    p = tmp_path / "example.test.zone"
    p.write_text(ZONE)
    return str(p)


def dns_server(camada, *zones, extra=(), workers=1):
    return camada("dns", "-l", "127.0.0.1:0", "--workers", str(workers),
                  *extra, "-z", *zones, listeners=2)


def q(port, name, rdtype="A", tcp=False, edns=0, payload=1232, timeout=3,
      **kw):
    m = dns.message.make_query(name, rdtype, use_edns=edns, payload=payload,
                               **kw)
    m.flags &= ~dns.flags.RD
    f = dns.query.tcp if tcp else dns.query.udp
    return f(m, "127.0.0.1", port=port, timeout=timeout * SLOW)


def texts(resp, section="answer"):
    out = []
    for rrset in getattr(resp, section):
        for rd in rrset:
            out.append("%s %d %s %s" % (rrset.name, rrset.ttl,
                                        dns.rdatatype.to_text(rrset.rdtype),
                                        rd.to_text()))
    return sorted(out)


def dig(*args):
    r = subprocess.run(["dig", "+norec", "+time=3", "+tries=1"] + list(args),
                       capture_output=True, text=True, timeout=30 * SLOW)
    return r.stdout


@pytest.fixture
def srv(camada, zonefile):
    return dns_server(camada, zonefile)


# --- answers ---------------------------------------------------------------

@pytest.mark.parametrize("name,rdtype,expect", [
    ("www", "A", ["192.0.2.80"]),
    ("www", "AAAA", ["2001:db8::80"]),
    ("@", "NS", ["ns1.example.test.", "ns2.elsewhere.invalid."]),
    ("@", "MX", ["10 mail.example.test.", "20 mail2.example.test."]),
    ("@", "TXT", ['"v=spf1 -all" "second string"']),
    ("@", "CAA", ['0 issue "letsencrypt.org"']),
    ("@", "SOA", ["ns1.example.test. hostmaster.example.test. 2024010101 "
                  "7200 3600 1209600 300"]),
    ("host", "HINFO", ['"PC" "Linux"']),
    ("host", "SSHFP", ["1 1 0123456789abcdef0123456789abcdef01234567"]),
    ("alias2", "CNAME", ["host.example.test."]),
    ("_sip._udp", "SRV", ["10 60 5060 host.example.test."]),
    ("4.2.0.192.in-addr", "PTR", ["host.example.test."]),
    ("naptr", "NAPTR", ['100 10 "S" "SIP+D2U" "" _sip._udp.example.test.']),
    ("tlsa", "TLSA", ["3 1 1 0123456789abcdef0123456789abcdef0123456789abcdef"
                      "0123456789abcdef"]),
])
def test_every_type(srv, name, rdtype, expect):
    port = srv.port("dns", "udp")
    qname = ORIGIN if name == "@" else name + "." + ORIGIN
    r = q(port, qname, rdtype)
    assert r.rcode() == dns.rcode.NOERROR
    assert r.flags & dns.flags.AA
    got = sorted(rd.to_text() for rrset in r.answer for rd in rrset)
    assert got == sorted(expect)
    # the same over TCP
    r2 = q(port, qname, rdtype, tcp=True)
    assert sorted(rd.to_text() for rrset in r2.answer for rd in rrset) == \
        sorted(expect)


def test_dig_and_kdig(srv):
    port = str(srv.port("dns", "udp"))
    out = dig("@127.0.0.1", "-p", port, "www.example.test")
    assert "status: NOERROR" in out and " aa" in out.split("flags:")[1].split(";")[0]
    assert re.search(r"www\.example\.test\.\s+3600\s+IN\s+A\s+192\.0\.2\.80", out)
    out = subprocess.run(["kdig", "@127.0.0.1", "-p", port, "+norec",
                          "mail.example.test", "AAAA"], capture_output=True,
                         text=True, timeout=20).stdout
    assert "NOERROR" in out and "2001:db8::25" in out
    out = subprocess.run(["kdig", "+tcp", "@127.0.0.1", "-p", port,
                          "example.test", "SOA"], capture_output=True,
                         text=True, timeout=20).stdout
    assert "2024010101" in out


def test_question_echoed_as_asked(srv):
    port = srv.port("dns", "udp")
    r = q(port, "WwW.ExAmPlE.TeSt.", "A")
    assert r.rcode() == dns.rcode.NOERROR
    assert str(r.question[0].name) == "WwW.ExAmPlE.TeSt."
    assert r.answer[0][0].to_text() == "192.0.2.80"


def test_nxdomain_with_soa(srv):
    r = q(srv.port("dns", "udp"), "nope.example.test.", "A")
    assert r.rcode() == dns.rcode.NXDOMAIN
    assert r.flags & dns.flags.AA
    assert not r.answer
    soa = r.authority[0]
    assert soa.rdtype == dns.rdatatype.SOA
    assert soa.ttl == 300  # min(3600, minimum 300), RFC 2308


def test_nodata_with_soa(srv):
    port = srv.port("dns", "udp")
    for name, rdtype in [("www.example.test.", "MX"),
                         ("b.ent.example.test.", "A"),   # empty non-terminal
                         ("ent.example.test.", "TXT")]:
        r = q(port, name, rdtype)
        assert r.rcode() == dns.rcode.NOERROR, name
        assert r.flags & dns.flags.AA
        assert not r.answer
        assert r.authority[0].rdtype == dns.rdatatype.SOA
        assert r.authority[0].ttl == 300


def test_wildcard(srv):
    r = q(srv.port("dns", "udp"), "anything.wild.example.test.", "A")
    assert r.rcode() == dns.rcode.NOERROR
    assert texts(r) == ["anything.wild.example.test. 3600 A 10.7.7.7"]


def test_referral_with_glue(srv):
    port = srv.port("dns", "udp")
    for name in ["sub.example.test.", "deep.host.sub.example.test.",
                 "ns.sub.example.test."]:
        r = q(port, name, "A")
        assert r.rcode() == dns.rcode.NOERROR
        assert not r.flags & dns.flags.AA, name
        assert not r.answer
        assert texts(r, "authority") == [
            "sub.example.test. 3600 NS ns.elsewhere.invalid.",
            "sub.example.test. 3600 NS ns.sub.example.test."]
        assert texts(r, "additional") == [
            "ns.sub.example.test. 3600 A 192.0.2.99",
            "ns.sub.example.test. 3600 AAAA 2001:db8::99"]
    out = dig("@127.0.0.1", "-p", str(port), "x.sub.example.test")
    assert "AUTHORITY: 2" in out and " aa" not in out.split("flags:")[1].split(";")[0]


def test_mx_ns_srv_additional(srv):
    port = srv.port("dns", "udp")
    r = q(port, ORIGIN, "MX")
    assert texts(r, "additional") == [
        "mail.example.test. 3600 A 192.0.2.25",
        "mail.example.test. 3600 AAAA 2001:db8::25",
        "mail2.example.test. 3600 A 192.0.2.26"]
    r = q(port, ORIGIN, "NS")
    assert texts(r, "additional") == ["ns1.example.test. 3600 A 192.0.2.53"]
    r = q(port, "_sip._udp.example.test.", "SRV")
    assert texts(r, "additional") == ["host.example.test. 3600 A 192.0.2.1"]


def test_cname_chain(srv):
    port = srv.port("dns", "udp")
    r = q(port, "alias.example.test.", "A")
    assert r.rcode() == dns.rcode.NOERROR and r.flags & dns.flags.AA
    assert [str(x.name) for x in r.answer] == [
        "alias.example.test.", "alias2.example.test.", "host.example.test."]
    assert r.answer[-1][0].to_text() == "192.0.2.1"
    # out of the zone: only the CNAME, the resolver goes on
    r = q(port, "outside.example.test.", "A")
    assert texts(r) == ["outside.example.test. 3600 CNAME www.elsewhere.invalid."]
    # to a name that does not exist: NXDOMAIN with the CNAME (RFC 6604)
    r = q(port, "dangling.example.test.", "A")
    assert r.rcode() == dns.rcode.NXDOMAIN
    assert len(r.answer) == 1 and r.authority[0].rdtype == dns.rdatatype.SOA


def test_refused_outside_our_zones(srv):
    r = q(srv.port("dns", "udp"), "www.example.com.", "A")
    assert r.rcode() == dns.rcode.REFUSED
    assert not r.flags & dns.flags.AA


def test_notimp_for_other_opcodes(srv):
    port = srv.port("dns", "udp")
    for op in (dns.opcode.STATUS, dns.opcode.NOTIFY):
        m = dns.message.make_query("www.example.test.", "A")
        m.set_opcode(op)
        r = dns.query.udp(m, "127.0.0.1", port=port, timeout=3 * SLOW)
        assert r.rcode() == dns.rcode.NOTIMP, op
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(3 * SLOW)
    s.sendto(hdr(flags=dns.opcode.UPDATE << 11) + QWWW, ("127.0.0.1", port))
    data = s.recv(512)
    s.close()
    assert struct.unpack("!H", data[2:4])[0] & 0xf == dns.rcode.NOTIMP


def test_any_query(srv):
    r = q(srv.port("dns", "udp"), "www.example.test.", "ANY")
    assert texts(r) == ["www.example.test. 3600 A 192.0.2.80",
                        "www.example.test. 3600 AAAA 2001:db8::80"]


# --- size, truncation, EDNS -------------------------------------------------

def test_truncation_and_tcp_retry(srv):
    port = srv.port("dns", "udp")
    r = q(port, "many.example.test.", "A", edns=-1)  # no EDNS: 512 bytes
    assert r.flags & dns.flags.TC
    assert not r.answer  # cut at the RRset boundary
    r = q(port, "many.example.test.", "A", edns=0, payload=4096)
    assert len(r.answer[0]) == 40  # 40 * 16 + ... fits in 1232
    r = q(port, "many.example.test.", "A", tcp=True)
    assert len(r.answer[0]) == 40 and not r.flags & dns.flags.TC
    # dig retries over TCP by itself
    out = dig("@127.0.0.1", "-p", str(port), "+noedns", "many.example.test")
    assert "Truncated, retrying in TCP mode" in out
    assert out.count("\tA\t10.1.") == 40


def test_udp_size_max_bounds_edns(camada, zonefile):
    srv = dns_server(camada, zonefile, extra=("--udp-size-max", "600"))
    r = q(srv.port("dns", "udp"), "many.example.test.", "A", payload=4096)
    assert r.flags & dns.flags.TC and not r.answer
    assert r.payload == 600  # our OPT advertises the bound


def test_edns(srv):
    port = srv.port("dns", "udp")
    r = q(port, "www.example.test.", "A", edns=0, payload=4096)
    assert r.edns == 0 and r.opt is not None
    r = q(port, "www.example.test.", "A", edns=-1)
    assert r.edns == -1  # no OPT when the query had none
    m = dns.message.make_query("www.example.test.", "A")
    m.use_edns(edns=1)
    r = dns.query.udp(m, "127.0.0.1", port=port, timeout=3 * SLOW)
    assert r.rcode() == dns.rcode.BADVERS
    assert r.edns == 0 and not r.answer
    out = dig("@127.0.0.1", "-p", str(port), "+edns=1", "+noednsneg",
              "www.example.test")
    assert "BADVERS" in out


def test_round_robin(srv):
    port = srv.port("dns", "udp")
    orders = set()
    firsts = set()
    for _ in range(6):
        r = q(port, "rr.example.test.", "A")
        order = tuple(rd.address for rd in r.answer[0])
        assert sorted(order) == ["10.0.0.1", "10.0.0.2", "10.0.0.3"]
        orders.add(order)
        firsts.add(order[0])
    assert len(orders) == 3 and len(firsts) == 3


def test_rotate_off(camada, zonefile):
    srv = dns_server(camada, zonefile, extra=("--no-rotate",))
    port = srv.port("dns", "udp")
    orders = {tuple(rd.address for rd in q(port, "rr.example.test.").answer[0])
              for _ in range(4)}
    assert orders == {("10.0.0.1", "10.0.0.2", "10.0.0.3")}


# --- TCP -------------------------------------------------------------------

def tcp_connect(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=5 * SLOW)
    return s


def recv_exact(s, n):
    b = b""
    while len(b) < n:
        chunk = s.recv(n - len(b))
        if not chunk:
            return b
        b += chunk
    return b


def recv_frame(s):
    h = recv_exact(s, 2)
    if len(h) < 2:
        return None
    (n,) = struct.unpack("!H", h)
    return dns.message.from_wire(recv_exact(s, n))


def test_tcp_several_queries_one_connection(srv):
    s = tcp_connect(srv.port("dns", "tcp"))
    wire = b""
    names = ["www", "mail", "host", "nope", "mail2"]
    for i, n in enumerate(names):
        m = dns.message.make_query(n + ".example.test.", "A", id=1000 + i)
        w = m.to_wire()
        wire += struct.pack("!H", len(w)) + w
    # all in one write, and split at an awkward point too
    s.sendall(wire[:7])
    time.sleep(0.05)
    s.sendall(wire[7:])
    for i, n in enumerate(names):
        r = recv_frame(s)
        assert r.id == 1000 + i
        assert (r.rcode() == dns.rcode.NXDOMAIN) == (n == "nope")
    s.close()


def test_tcp_zero_length_frame_closes(srv):
    s = tcp_connect(srv.port("dns", "tcp"))
    s.sendall(b"\x00\x00")
    s.settimeout(3 * SLOW)
    assert s.recv(100) == b""
    s.close()
    assert q(srv.port("dns", "udp"), "www.example.test.").answer


def test_tcp_idle_timeout(camada, zonefile):
    srv = dns_server(camada, zonefile, extra=("--tcp-idle-timeout", "300ms"))
    s = tcp_connect(srv.port("dns", "tcp"))
    s.settimeout(5 * SLOW)
    t0 = time.time()
    assert s.recv(100) == b""
    assert time.time() - t0 < 3 * SLOW
    s.close()


# --- zone transfer ---------------------------------------------------------

def test_axfr_dig(srv):
    port = srv.port("dns", "tcp")
    out = dig("@127.0.0.1", "-p", str(port), "example.test", "AXFR")
    lines = [l for l in out.splitlines() if l and not l.startswith(";")]
    assert "\tSOA\t" in lines[0] and "\tSOA\t" in lines[-1]
    # every record once, plus the second SOA
    want = sum(1 for l in ZONE.splitlines() if " IN " in l or l.startswith("many"))
    assert len(lines) == want + 1
    z = dns.zone.from_xfr(dns.query.xfr("127.0.0.1", "example.test.", port=port,
                                        timeout=5 * SLOW))
    assert len(z.find_rdataset("many", "A")) == 40
    assert z.find_rdataset("alias", "CNAME")[0].to_text() == "alias2"


def test_axfr_large_zone_many_messages(camada, tmp_path):
    p = tmp_path / "big.test.zone"
    p.write_text("$ORIGIN big.test.\n$TTL 60\n@ SOA ns hm 7 1 1 1 1\n@ NS ns\n"
                 "ns A 192.0.2.1\n" +
                 "".join("h%d A 10.%d.%d.%d\nh%d TXT \"%s\"\n" % (
                     i, i >> 16, (i >> 8) & 255, i & 255, i, "x" * 60)
                     for i in range(5000)))
    srv = dns_server(camada, str(p))
    port = srv.port("dns", "tcp")
    msgs = list(dns.query.xfr("127.0.0.1", "big.test.", port=port,
                              timeout=10 * SLOW, lifetime=60 * SLOW))
    assert len(msgs) > 5
    n = sum(len(rs) for m in msgs for rs in m.answer)
    assert n == 3 + 10000 + 1


def test_axfr_refused_over_udp_and_from_others(camada, zonefile):
    srv = dns_server(camada, zonefile, extra=("--allow-transfer", "127.0.0.2/32"))
    port = srv.port("dns", "tcp")
    out = dig("@127.0.0.1", "-p", str(port), "-b", "127.0.0.1", "example.test",
              "AXFR")
    assert "Transfer failed" in out or "REFUSED" in out
    out = dig("@127.0.0.1", "-p", str(port), "-b", "127.0.0.2", "example.test",
              "AXFR")
    assert out.count("\tSOA\t") == 2
    # not the apex: NOTAUTH
    m = dns.message.make_query("www.example.test.", "AXFR")
    r = dns.query.tcp(m, "127.0.0.1", port=port, timeout=3 * SLOW,
                      source="127.0.0.2")
    assert r.rcode() == dns.rcode.NOTAUTH
    m = dns.message.make_query("example.test.", "AXFR")
    r = dns.query.udp(m, "127.0.0.1", port=port, timeout=3 * SLOW)
    assert r.rcode() == dns.rcode.FORMERR


NSD_CONF = """\
server:
    ip-address: 127.0.0.1@{port}
    do-ip6: no
    server-count: 1
    username: ""
    chroot: ""
    database: ""
    zonesdir: "{d}"
    zonelistfile: "{d}/zone.list"
    xfrdfile: "{d}/xfrd.state"
    xfrdir: "{d}"
    pidfile: "{d}/nsd.pid"
    logfile: "{d}/nsd.log"
    verbosity: 2
    rrl-ratelimit: 0
    rrl-whitelist-ratelimit: 0
remote-control:
    control-enable: no
zone:
    name: "example.test"
    zonefile: "{d}/example.test.secondary"
    request-xfr: 127.0.0.1@{master} NOKEY
    allow-notify: 127.0.0.1 NOKEY
"""


@pytest.mark.skipif(shutil.which("nsd") is None, reason="nsd not installed")
def test_nsd_secondary(srv, tmp_path):
    master = srv.port("dns", "tcp")
    d = tmp_path / "nsd"
    d.mkdir()
    nport = free_port_both()
    conf = d / "nsd.conf"
    conf.write_text(NSD_CONF.format(port=nport, d=d, master=master))
    p = subprocess.Popen(["nsd", "-d", "-c", str(conf)],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        names = [("www.example.test.", "A"), ("example.test.", "MX"),
                 ("alias.example.test.", "A"), ("many.example.test.", "A"),
                 ("_sip._udp.example.test.", "SRV"), ("nope.example.test.", "A"),
                 ("x.sub.example.test.", "A"), ("tlsa.example.test.", "TLSA"),
                 ("example.test.", "SOA"), ("host.example.test.", "SSHFP")]
        deadline = time.time() + 20 * SLOW
        while True:
            try:
                r = q(nport, "example.test.", "SOA", timeout=1)
                if r.rcode() == dns.rcode.NOERROR and r.answer:
                    break
            except dns.exception.Timeout:
                pass
            if time.time() > deadline:
                log = (d / "nsd.log").read_text() if (d / "nsd.log").exists() else ""
                pytest.fail("NSD did not load the zone: " + log)
            time.sleep(0.2)
        for name, t in names:
            a = q(srv.port("dns", "udp"), name, t, payload=4096)
            b = q(nport, name, t, payload=4096)
            assert a.rcode() == b.rcode(), name
            assert texts(a) == texts(b), name
            if not a.answer:  # NSD adds the zone's NS to positive answers
                assert texts(a, "authority") == texts(b, "authority"), name
    finally:
        p.terminate()
        p.wait(5)


# --- reload ----------------------------------------------------------------

def test_sighup_reload_without_dropped_queries(camada, zonefile):
    srv = dns_server(camada, zonefile, workers=2)
    port = srv.port("dns", "udp")
    assert q(port, "www.example.test.").answer[0][0].to_text() == "192.0.2.80"
    stop = threading.Event()
    errors = []
    seen = set()

    def hammer():
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.settimeout(2 * SLOW)
        i = 0
        while not stop.is_set():
            i += 1
            m = dns.message.make_query("www.example.test.", "A", id=i & 0xffff)
            s.sendto(m.to_wire(), ("127.0.0.1", port))
            try:
                r = dns.message.from_wire(s.recv(2048))
                seen.add(r.answer[0][0].to_text())
            except Exception as e:  # noqa: BLE001
                errors.append(repr(e))
        s.close()

    t = threading.Thread(target=hammer)
    t.start()
    time.sleep(0.3)
    with open(zonefile, "w") as f:
        f.write(ZONE.replace("2024010101", "2024010102")
                    .replace("192.0.2.80", "192.0.2.81"))
    srv.signal(signal.SIGHUP)
    deadline = time.time() + 5 * SLOW
    while "192.0.2.81" not in seen and time.time() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)
    stop.set()
    t.join()
    assert not errors, errors[:3]
    assert "192.0.2.81" in seen
    for _ in range(4):  # every worker has the new data
        r = q(port, "www.example.test.")
        assert r.answer[0][0].to_text() == "192.0.2.81"
    srv.wait_line(r"zone example\.test\. reloaded .* serial 2024010102")


def test_sighup_reload_error_keeps_old_data(camada, zonefile):
    srv = dns_server(camada, zonefile)
    port = srv.port("dns", "udp")
    with open(zonefile, "a") as f:
        f.write("broken IN A 300.1.2.3\n")
    srv.signal(signal.SIGHUP)
    line = srv.wait_line(r"reloading example\.test\.")
    assert re.search(r"example\.test\.zone:\d+: ", line), line
    assert q(port, "www.example.test.").answer[0][0].to_text() == "192.0.2.80"


# --- zone files ------------------------------------------------------------

def test_zone_error_exit_2(tmp_path):
    p = tmp_path / "bad.zone"
    p.write_text("$ORIGIN bad.test.\n$TTL 60\n@ SOA ns hm 1 1 1 1 1\n"
                 "www A 1.2.3\n")
    r = run(["dns", "-l", "127.0.0.1:0", "-z", str(p)])
    assert r.returncode == 2
    assert ("%s:4: " % p).encode() in r.stderr, r.stderr
    p.write_text("$ORIGIN bad.test.\n$TTL 60\n@ SOA ns hm 1 1 1 1 1\n"
                 "www.other.test. A 1.2.3.4\n")
    r = run(["dns", "-l", "127.0.0.1:0", "-z", str(p)])
    assert r.returncode == 2 and ("%s:4: " % p).encode() in r.stderr
    p.write_text("$ORIGIN bad.test.\n$TTL 60\n@ SOA ns hm 1 1 1 1 1\n"
                 "www CNAME x\nwww A 1.2.3.4\n")
    r = run(["dns", "-l", "127.0.0.1:0", "-z", str(p)])
    assert r.returncode == 2 and b"CNAME and other data" in r.stderr
    r = run(["dns", "-l", "127.0.0.1:0", "-z", str(tmp_path / "missing")])
    assert r.returncode == 2 and b"missing" in r.stderr


@pytest.mark.skipif(shutil.which("nsd-checkzone") is None, reason="no nsd")
def test_nsd_exported_zone_loads(camada, zonefile, tmp_path):
    out = subprocess.run(["nsd-checkzone", "-p", "example.test", zonefile],
                         capture_output=True, text=True, timeout=20)
    assert out.returncode == 0, out.stderr
    exported = tmp_path / "exported.zone"
    exported.write_text(out.stdout)
    srv = dns_server(camada, str(exported))
    r = q(srv.port("dns", "udp"), "alias.example.test.")
    assert r.answer[-1][0].to_text() == "192.0.2.1"


BIND_STYLE = """\
example.org.                                  86400 IN SOA   ns1.example.org. hostmaster.example.org. 2024060101 43200 3600 1209600 3600
example.org.                                  86400 IN NS    ns1.example.org.
example.org.                                  86400 IN MX    10 mail.example.org.
example.org.                                  86400 IN TXT   "hello \\"world\\"" "a;b"
_xmpp._tcp.example.org.                       86400 IN SRV   5 0 5269 xmpp.example.org.
mail.example.org.                             86400 IN A     198.51.100.25
ns1.example.org.                              86400 IN A     198.51.100.53
ns1.example.org.                              86400 IN AAAA  2001:db8::53
www.example.org.                              86400 IN CNAME mail.example.org.
xmpp.example.org.                             86400 IN A     198.51.100.5
"""


def test_bind_compilezone_style_loads(camada, tmp_path):
    p = tmp_path / "example.org.db"
    p.write_text(BIND_STYLE)
    srv = dns_server(camada, str(p))
    port = srv.port("dns", "udp")
    r = q(port, "www.example.org.")
    assert texts(r) == ["mail.example.org. 86400 A 198.51.100.25",
                        "www.example.org. 86400 CNAME mail.example.org."]
    r = q(port, "example.org.", "TXT")
    assert r.answer[0][0].to_text() == '"hello \\"world\\"" "a;b"'


def test_several_zones_and_named_origin(camada, zonefile, tmp_path):
    p = tmp_path / "other"
    p.write_text("$TTL 60\n@ SOA ns hm 1 1 1 1 1\n@ NS ns\nns A 192.0.2.7\n")
    srv = dns_server(camada, zonefile, "other.test=" + str(p))
    port = srv.port("dns", "udp")
    assert q(port, "ns.other.test.").answer[0][0].to_text() == "192.0.2.7"
    assert q(port, "www.example.test.").answer


# --- hostile input ---------------------------------------------------------

def hdr(id=0x1234, flags=0x0000, qd=1, an=0, ns=0, ar=0):
    return struct.pack("!HHHHHH", id, flags, qd, an, ns, ar)


QWWW = b"\x03www\x07example\x04test\x00" + struct.pack("!HH", 1, 1)

HOSTILE = [
    b"",
    b"\x12",
    b"\x12\x34\x00\x00\x00\x01\x00\x00\x00",            # short header
    hdr(),                                               # question missing
    hdr() + b"\x03www\x07exa",                           # truncated name
    hdr() + b"\x03www\x07example\x04test\x00\x00",       # truncated type
    hdr() + b"\xc0\x0c" + struct.pack("!HH", 1, 1),      # pointer to itself
    hdr() + b"\x01a\xc0\x0c" + struct.pack("!HH", 1, 1),  # loop via a label
    hdr() + b"\x40" + b"a" * 64 + b"\x00" + struct.pack("!HH", 1, 1),  # label 64
    hdr() + (b"\x3f" + b"a" * 63) * 5 + b"\x00" + struct.pack("!HH", 1, 1),
    hdr(qd=50) + QWWW,                                   # counts that lie
    hdr(an=3) + QWWW,
    hdr(ar=2) + QWWW + b"\x00\x00\x29\x04\xd0\x00\x00\x00\x00\x00\x00",
    hdr(qd=0),                                           # no question
    hdr(qd=2) + QWWW + QWWW,                             # two questions
    hdr() + QWWW + b"trailing garbage",
    hdr(flags=0x8000) + QWWW,                            # a response
    hdr() + b"\x80\x00" + struct.pack("!HH", 1, 1),      # reserved label type
    hdr(ar=1) + QWWW + b"\x01x\x00\x00\x29\x04\xd0\x00\x00\x00\x00\x00\x00",  # OPT not at root
    os.urandom(300),
    b"\xff" * 512,
]


def test_hostile_udp(srv):
    port = srv.port("dns", "udp")
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(0.3 * SLOW)
    for pkt in HOSTILE:
        s.sendto(pkt, ("127.0.0.1", port))
        try:
            data = s.recv(65535)
        except socket.timeout:
            continue  # silence is a fine answer
        assert len(data) >= 12
        rid, flags = struct.unpack("!HH", data[:4])
        assert flags & 0x8000
        assert flags & 0xf in (dns.rcode.FORMERR, dns.rcode.NOTIMP), pkt
        assert rid == struct.unpack("!H", pkt[:2])[0]
    s.close()
    assert q(port, "www.example.test.").answer  # still serving
    assert srv.proc.poll() is None


def test_hostile_tcp(srv):
    port = srv.port("dns", "tcp")
    for pkt in HOSTILE:
        if not pkt:
            continue
        s = tcp_connect(port)
        s.settimeout(2 * SLOW)
        s.sendall(struct.pack("!H", len(pkt)) + pkt)
        try:
            h = recv_exact(s, 2)
        except (ConnectionResetError, socket.timeout):
            h = b""
        if len(h) == 2:
            (n,) = struct.unpack("!H", h)
            data = recv_exact(s, n)
            assert struct.unpack("!H", data[2:4])[0] & 0xf in (1, 4), pkt
        s.close()
    # a frame that claims more than it sends, then the client goes away
    s = tcp_connect(port)
    s.sendall(b"\x01\x00" + QWWW)
    s.close()
    assert q(port, "www.example.test.", tcp=True).answer
    assert q(srv.port("dns", "udp"), "www.example.test.").answer


def test_bad_queries_logged_with_a_limit(srv):
    port = srv.port("dns", "udp")
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for _ in range(200):
        s.sendto(hdr(qd=0), ("127.0.0.1", port))
    s.close()
    time.sleep(0.5 * SLOW)
    assert q(port, "www.example.test.").answer
    lines = [l for l in srv.output().splitlines() if "dns: udp" in l]
    assert 1 <= len(lines) <= 30


def test_metrics(camada, zonefile, tmpconf):
    http_port = free_port()
    conf = tmpconf("workers = 1\n[dns]\nlisten = 127.0.0.1:0\nzone = %s\n"
                   "[http]\nlisten = 127.0.0.1:%d\nroot = %s\nmetrics = on\n"
                   % (zonefile, http_port, os.path.join(ROOT, "www")))
    srv = camada("serve", "-c", conf, listeners=3)
    port = srv.port("dns", "udp")
    q(port, "www.example.test.")
    q(port, "nope.example.test.")
    q(port, "many.example.test.", edns=-1)
    q(port, "www.example.test.", tcp=True)
    dig("@127.0.0.1", "-p", str(port), "example.test", "AXFR")
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.sendto(hdr(qd=0), ("127.0.0.1", port))
    s.close()
    time.sleep(0.3 * SLOW)
    text = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % http_port,
                                  timeout=5).read().decode()

    def val(name):
        m = re.search(r"^%s (\d+)" % re.escape(name), text, re.M)
        return int(m.group(1)) if m else 0
    assert val('dns_queries_total{transport="udp",rcode="NOERROR"}') >= 2
    assert val('dns_queries_total{transport="udp",rcode="NXDOMAIN"}') == 1
    assert val('dns_queries_total{transport="tcp",rcode="NOERROR"}') >= 1
    assert val("dns_truncated_total") == 1
    assert val("dns_axfr_total") == 1
    assert val("dns_bad_queries_total") >= 1


def test_demo_hierarchy(camada, tmp_path):
    """etc/camada.conf's [dns] sections: from the root down to an answer."""
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    text = open(os.path.join(root, "etc", "camada.conf")).read()
    parts = re.split(r"(?m)^(?=\[)", text)
    port = free_port_both()
    # its zone paths are relative to etc/, and this copy lives elsewhere
    conf = "workers = 1\n" + "".join(
        p.replace(":5300", ":%d" % port).replace(
            "zone = zones/", "zone = %s/etc/zones/" % root)
        for p in parts[1:] if p.startswith("[dns]"))
    path = tmp_path / "demo.conf"
    path.write_text(conf)
    n = conf.count("[dns]")
    srv = camada("serve", "-c", str(path), listeners=2 * n, cwd=root)
    server = "127.0.0.2"
    for _ in range(6):
        m = dns.message.make_query("che.cs.arizona.edu.", "A")
        m.flags &= ~dns.flags.RD
        r = dns.query.udp(m, server, port=port, timeout=3 * SLOW)
        if r.answer:
            break
        assert r.authority and r.additional
        server = r.additional[0][0].address
    assert texts(r) == ["che.cs.arizona.edu. 3600 CNAME lectura.cs.arizona.edu.",
                        "lectura.cs.arizona.edu. 3600 A 192.12.69.60"]
    assert server == "127.0.0.7"
    m = dns.message.make_query("www.netutopia.com.br.", "A")
    r = dns.query.udp(m, "127.0.0.9", port=port, timeout=3 * SLOW)
    assert r.answer[0][0].to_text() == "212.212.71.4"
    srv.stop()


def test_no_zone_is_a_usage_error():
    r = run(["dns", "-l", "127.0.0.1:0"])
    assert r.returncode == 2 and b"no zone" in r.stderr


def test_max_tcp_connections(camada, zonefile):
    srv = dns_server(camada, zonefile, extra=("--max-tcp-connections", "2"))
    port = srv.port("dns", "tcp")
    keep = [tcp_connect(port) for _ in range(2)]
    time.sleep(0.2 * SLOW)
    extra = tcp_connect(port)
    extra.settimeout(3 * SLOW)
    try:
        assert extra.recv(10) == b""
    except ConnectionResetError:
        pass
    extra.close()
    m = dns.message.make_query("www.example.test.", "A")
    w = m.to_wire()
    keep[0].sendall(struct.pack("!H", len(w)) + w)
    assert recv_frame(keep[0]).answer
    for s in keep:
        s.close()


def test_ixfr_gets_the_whole_zone(srv):
    port = srv.port("dns", "tcp")
    out = dig("@127.0.0.1", "-p", str(port), "example.test", "IXFR=2024010100")
    lines = [l for l in out.splitlines() if l and not l.startswith(";")]
    assert "\tSOA\t" in lines[0] and "\tSOA\t" in lines[-1] and len(lines) > 40
    # over UDP: the SOA, so that the client comes back over TCP
    m = dns.message.make_query("example.test.", "IXFR")
    r = dns.query.udp(m, "127.0.0.1", port=port, timeout=3 * SLOW)
    assert r.answer[0].rdtype == dns.rdatatype.SOA


def start_nsd(tmp_path, nport, master):
    d = tmp_path / "nsd"
    d.mkdir()
    conf = d / "nsd.conf"
    conf.write_text(NSD_CONF.format(port=nport, d=d, master=master))
    p = subprocess.Popen(["nsd", "-d", "-c", str(conf)],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return p, d


def wait_answer(port, name, want, timeout):
    deadline = time.time() + timeout * SLOW
    got = None
    while time.time() < deadline:
        try:
            r = q(port, name, "A", timeout=1)
            got = [rd.to_text() for rs in r.answer for rd in rs]
            if want in got:
                return got
        except dns.exception.Timeout:
            pass
        time.sleep(0.2)
    return got


@pytest.mark.skipif(shutil.which("nsd") is None, reason="nsd not installed")
def test_notify_nsd_secondary_follows_reload(camada, zonefile, tmp_path):
    nport = free_port_both()
    srv = dns_server(camada, zonefile, workers=2,
                     extra=("--notify", "127.0.0.1:%d" % nport))
    p, d = start_nsd(tmp_path, nport, srv.port("dns", "tcp"))
    try:
        got = wait_answer(nport, "www.example.test.", "192.0.2.80", 20)
        assert got == ["192.0.2.80"], (d / "nsd.log").read_text()
        with open(zonefile, "w") as f:
            f.write(ZONE.replace("2024010101", "2024010102")
                        .replace("192.0.2.80", "192.0.2.81"))
        srv.signal(signal.SIGHUP)
        srv.wait_line(r"NOTIFY serial 2024010102 sent to 127\.0\.0\.1:%d" % nport)
        got = wait_answer(nport, "www.example.test.", "192.0.2.81", 15)
        assert got == ["192.0.2.81"], (d / "nsd.log").read_text()
        assert len(re.findall(r"NOTIFY serial", srv.output())) == 1  # once
    finally:
        p.terminate()
        p.wait(5)


def test_allow_transfer_none_and_bad(camada, zonefile):
    srv = dns_server(camada, zonefile, extra=("--allow-transfer", "none"))
    m = dns.message.make_query("example.test.", "AXFR")
    r = dns.query.tcp(m, "127.0.0.1", port=srv.port("dns", "tcp"),
                      timeout=3 * SLOW)
    assert r.rcode() == dns.rcode.REFUSED
    r = run(["dns", "-l", "127.0.0.1:0", "--allow-transfer", "10.0.0.0/99",
             "-z", zonefile])
    assert r.returncode == 2 and b"allow-transfer" in r.stderr


def test_axfr_then_query_on_the_same_connection(srv):
    s = tcp_connect(srv.port("dns", "tcp"))
    wire = b""
    for i, (n, t) in enumerate([("example.test.", "AXFR"),
                                ("www.example.test.", "A")]):
        w = dns.message.make_query(n, t, id=7000 + i).to_wire()
        wire += struct.pack("!H", len(w)) + w
    s.sendall(wire)
    frames = 0
    while True:
        r = recv_frame(s)
        if r.id != 7000:
            break
        frames += 1
    assert frames >= 1
    assert r.id == 7001 and r.answer[0][0].to_text() == "192.0.2.80"
    s.close()


def test_axfr_carries_a_record_larger_than_16k(camada, tmp_path):
    """Review finding: a record that did not fit one 16 KiB transfer message
    was left out of the secondary's copy."""
    big = " ".join('"%s"' % ("t%02d" % i * 60)[:250] for i in range(70))
    p = tmp_path / "big.test.zone"
    p.write_text(ZONE.replace("example.test.", "big.test.") +
                 "huge 300 IN TXT %s\n" % big)
    srv = dns_server(camada, str(p))
    msgs = list(dns.query.xfr("127.0.0.1", "big.test.",
                              port=srv.port("dns", "tcp"), timeout=5 * SLOW,
                              relativize=False))
    names = [rr.name.to_text() for msg in msgs for rr in msg.answer]
    assert "huge.big.test." in names
    assert names[0] == "big.test." and names[-1] == "big.test."
