"""The recursive caching resolver against an NSD hierarchy on loopback:
referrals, glue, a glueless delegation, CNAME chains across zones, the cache
(TTL counted down, no upstream packet), negative caching, TCP fallback on
TC, a dead name server, forwarding to Unbound, REFUSED, poisoning attempts
from a fake server, and the memory bound of the cache."""
import os
import re
import signal
import socket
import threading
import time

import dns.flags
import dns.opcode
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import dns.rrset
import pytest

from conftest import ASAN, SLOW
import resolver_testlib as rt


@pytest.fixture(scope="module")
def hier(tmp_path_factory):
    h = rt.Hierarchy(tmp_path_factory.mktemp("hier"))
    yield h
    h.stop()


def start_resolver(camada, hier, *extra, workers=1):
    srv = camada("resolver", "-l", "127.0.0.1:0", "--root-hints", hier.hints,
                 "--upstream-port", str(hier.port), "--workers", str(workers),
                 "--log-level", "debug", *extra, listeners=2)
    srv.udp = srv.port("resolver", "udp")
    srv.tcp = srv.port("resolver", "tcp")
    return srv


def upstream_lines(srv):
    return [l for l in srv.output().splitlines() if "upstream query" in l]


def wait_log(srv, pattern, count=1, timeout=5):
    deadline = time.time() + timeout * SLOW
    while time.time() < deadline:
        n = len([l for l in srv.output().splitlines() if re.search(pattern, l)])
        if n >= count:
            return
        time.sleep(0.02)
    raise AssertionError("no %r in log:\n%s" % (pattern, srv.output()))


def metric(srv, name):
    """Asks the parent for its metrics summary (SIGUSR1) and reads name."""
    before = len(srv.output().splitlines())
    srv.signal(signal.SIGUSR1)
    deadline = time.time() + 5 * SLOW
    while time.time() < deadline:
        lines = srv.output().splitlines()[before:]
        if any("metrics (SIGUSR1)" in l for l in lines):
            time.sleep(0.1)
            lines = srv.output().splitlines()[before:]
            for l in lines:
                m = re.search(r"\s%s(?:\{\})? (\d+)" % re.escape(name), l)
                if m:
                    return int(m.group(1))
            return 0
        time.sleep(0.02)
    raise AssertionError("no metrics summary")


def q(srv, name, rtype="A", **kw):
    """A query; returns once the resolver has logged it (so that the
    upstream lines before it are all in srv.output())."""
    before = len([l for l in srv.output().splitlines() if "answers=" in l])
    r = rt.query(srv.udp if not kw.get("tcp") else srv.tcp, name, rtype,
                 **kw)
    wait_log(srv, "answers=", before + 1)
    return r


def test_resolves_through_the_hierarchy(camada, hier):
    srv = start_resolver(camada, hier)
    r = q(srv, "www.example.test.")
    assert r.rcode() == dns.rcode.NOERROR
    assert rt.addrs(r) == ["192.0.2.1"]
    assert r.flags & dns.flags.RA and r.flags & dns.flags.RD
    assert not r.flags & dns.flags.AA
    ups = upstream_lines(srv)
    assert any("127.53.0.1:" in l for l in ups), ups    # root
    assert any("127.53.0.2:" in l for l in ups), ups    # test.
    assert any("127.53.0.3:" in l for l in ups), ups    # example.test.
    r = q(srv, "www.example.test.", "AAAA")
    assert rt.addrs(r) == ["2001:db8::1"]


def test_cname_chain_across_zones_and_glueless(camada, hier):
    srv = start_resolver(camada, hier)
    r = q(srv, "alias.example.test.")
    assert r.rcode() == dns.rcode.NOERROR
    chain = [(str(s.name), dns.rdatatype.to_text(s.rdtype)) for s in r.answer]
    assert chain == [("alias.example.test.", "CNAME"),
                     ("www.glueless.test.", "CNAME"),
                     ("web.org.", "A")], chain
    assert rt.addrs(r) == ["192.0.2.80"]
    # glueless.test's server ns.hoster.org was looked up on the way
    assert any("ns.hoster.org." in l for l in upstream_lines(srv))
    r = q(srv, "direct.glueless.test.")
    assert rt.addrs(r) == ["192.0.2.33"]
    # a CNAME within one zone
    r = q(srv, "inzone.example.test.")
    assert rt.addrs(r) == ["192.0.2.1"] and len(r.answer) == 2


def test_cname_loop_is_bounded(camada, hier):
    srv = start_resolver(camada, hier)
    t0 = time.time()
    r = q(srv, "loop1.example.test.")
    assert r.rcode() == dns.rcode.SERVFAIL
    assert time.time() - t0 < 3 * SLOW


def test_cache_counts_ttl_down_without_upstream(camada, hier):
    srv = start_resolver(camada, hier)
    r1 = q(srv, "www.example.test.")
    ttl1 = r1.answer[0].ttl
    n = len(upstream_lines(srv))
    assert n >= 3
    time.sleep(1.2)
    r2 = q(srv, "www.EXAMPLE.test.")
    assert rt.addrs(r2) == ["192.0.2.1"]
    assert r2.answer[0].ttl < ttl1, (ttl1, r2.answer[0].ttl)
    assert str(r2.question[0].name) == "www.EXAMPLE.test."  # as asked
    wait_log(srv, r"www\.EXAMPLE\.test\. A NOERROR answers=1 upstream=0")
    assert len(upstream_lines(srv)) == n, "no upstream packet for a hit"
    assert metric(srv, "resolver_cache_hits_total") == 1
    assert metric(srv, "resolver_queries_total") == 2
    assert metric(srv, "resolver_cache_entries") > 0


def test_referral_cached_skips_the_root(camada, hier):
    srv = start_resolver(camada, hier)
    q(srv, "www.example.test.")
    n = len(upstream_lines(srv))
    r = q(srv, "short.example.test.")
    assert rt.addrs(r) == ["192.0.2.5"]
    new = upstream_lines(srv)[n:]
    assert len(new) == 1 and "127.53.0.3:" in new[0], new


def test_negative_caching(camada, hier):
    srv = start_resolver(camada, hier)
    r = q(srv, "nx.example.test.")
    assert r.rcode() == dns.rcode.NXDOMAIN
    assert r.authority and r.authority[0].rdtype == dns.rdatatype.SOA
    assert r.authority[0].ttl <= 60       # min(SOA TTL, SOA minimum)
    n = len(upstream_lines(srv))
    time.sleep(1.1)
    r = q(srv, "nx.example.test.")
    assert r.rcode() == dns.rcode.NXDOMAIN
    assert r.authority[0].ttl < 60
    assert len(upstream_lines(srv)) == n
    # NODATA
    r = q(srv, "www.example.test.", "MX")
    assert r.rcode() == dns.rcode.NOERROR and not r.answer
    assert r.authority[0].rdtype == dns.rdatatype.SOA
    n = len(upstream_lines(srv))
    r = q(srv, "www.example.test.", "MX")
    assert r.rcode() == dns.rcode.NOERROR and not r.answer
    assert len(upstream_lines(srv)) == n
    # NXDOMAIN from a TLD
    r = q(srv, "nope.test.")
    assert r.rcode() == dns.rcode.NXDOMAIN


def test_negative_ttl_cap(camada, hier):
    srv = start_resolver(camada, hier, "--max-negative-ttl", "1s",
                         "--max-ttl", "2s")
    r = q(srv, "nx.example.test.")
    assert r.rcode() == dns.rcode.NXDOMAIN
    r = q(srv, "www.example.test.")
    n = len(upstream_lines(srv))
    r = q(srv, "nx.example.test.")
    assert r.authority[0].ttl <= 1
    time.sleep(1.3)
    r = q(srv, "nx.example.test.")
    assert len(upstream_lines(srv)) == n + 1, "expired after max-negative-ttl"
    r = q(srv, "www.example.test.")
    assert r.answer[0].ttl <= 2


def test_tcp_fallback_on_tc(camada, hier):
    srv = start_resolver(camada, hier)
    # a client that offers 4096 still gets at most our edns-size (1232)
    # over UDP: a resolver must not amplify
    r = q(srv, "big.example.test.", "TXT", use_edns=0, payload=4096)
    assert r.rcode() == dns.rcode.NOERROR
    assert r.flags & dns.flags.TC
    r = q(srv, "big.example.test.", "TXT", use_edns=0, payload=4096, tcp=True)
    assert len(r.answer[0]) == 30
    assert any("big.example.test." in l and "(tcp)" in l
               for l in upstream_lines(srv)), upstream_lines(srv)
    # a client whose buffer is too small gets TC, then retries over TCP
    r = q(srv, "big.example.test.", "TXT", use_edns=0, payload=1232)
    assert r.flags & dns.flags.TC
    r = q(srv, "big.example.test.", "TXT", tcp=True)
    assert len(r.answer[0]) == 30
    # clients without EDNS get 512-byte answers
    r = q(srv, "big.example.test.", "TXT", use_edns=-1)
    assert r.flags & dns.flags.TC and r.edns < 0


def test_edns_answered_with_own_size(camada, hier):
    srv = start_resolver(camada, hier)
    r = q(srv, "www.example.test.", use_edns=0, payload=4096)
    assert r.edns == 0 and r.payload == 1232
    r = q(srv, "www.example.test.", use_edns=-1)
    assert r.edns < 0


def test_other_server_tried_when_one_is_down(camada, hier):
    srv = start_resolver(camada, hier, "--upstream-timeout", "300ms")
    r = q(srv, "www.down.test.")
    assert rt.addrs(r) == ["192.0.2.9"]


def test_servfail_when_all_servers_down(camada, hier, tmp_path):
    hints = tmp_path / "dead.hints"
    hints.write_text(". 3600000 NS a.root.\na.root. 3600000 A 127.53.0.9\n")
    srv = camada("resolver", "-l", "127.0.0.1:0", "--root-hints", str(hints),
                 "--upstream-port", str(hier.port), "--workers", "1",
                 "--upstream-timeout", "200ms", listeners=2)
    srv.udp = srv.port("resolver", "udp")
    r = rt.query(srv.udp, "www.example.test.")
    assert r.rcode() == dns.rcode.SERVFAIL
    assert metric(srv, "resolver_servfail_total") == 1


def test_refused_for_disallowed_clients(camada, hier):
    srv = start_resolver(camada, hier, "--allow", "10.0.0.0/8")
    r = q(srv, "www.example.test.")
    assert r.rcode() == dns.rcode.REFUSED
    assert not r.answer
    assert not upstream_lines(srv)
    r = q(srv, "www.example.test.", tcp=True)
    assert r.rcode() == dns.rcode.REFUSED


def test_allowed_list(camada, hier):
    srv = start_resolver(camada, hier, "--allow", "10.0.0.0/8",
                         "--allow", "127.0.0.1/32")
    assert q(srv, "www.example.test.").rcode() == dns.rcode.NOERROR


def test_forwarding_to_unbound(camada, hier, tmp_path):
    ub = rt.start_unbound(tmp_path, hier.port, hier.port)
    try:
        srv = camada("resolver", "-l", "127.0.0.1:0", "--forward",
                     "%s:%d" % (rt.UNBOUND_ADDR, hier.port), "--workers", "1",
                     "--log-level", "debug", listeners=2)
        srv.udp = srv.port("resolver", "udp")
        r = q(srv, "alias.example.test.")
        assert r.rcode() == dns.rcode.NOERROR
        assert rt.addrs(r) == ["192.0.2.80"]
        assert len(r.answer) == 3
        ups = upstream_lines(srv)
        assert ups and all(rt.UNBOUND_ADDR in l for l in ups), ups
        n = len(ups)
        r = q(srv, "alias.example.test.")
        assert rt.addrs(r) == ["192.0.2.80"]
        assert len(upstream_lines(srv)) == n
        r = q(srv, "nx.example.test.")
        assert r.rcode() == dns.rcode.NXDOMAIN
    finally:
        rt.stop_proc(ub)


def test_tcp_clients_pipelined(camada, hier):
    srv = start_resolver(camada, hier)
    s = socket.create_connection(("127.0.0.1", srv.tcp), timeout=5)
    wire = b""
    names = ["www.example.test.", "short.example.test.", "nx.example.test."]
    for i, n in enumerate(names):
        m = dns.message.make_query(n, "A")
        m.id = 100 + i
        w = m.to_wire()
        wire += len(w).to_bytes(2, "big") + w
    s.sendall(wire)
    got = {}
    buf = b""
    while len(got) < 3:
        chunk = s.recv(4096)
        assert chunk
        buf += chunk
        while len(buf) >= 2 and len(buf) >= 2 + int.from_bytes(buf[:2], "big"):
            n = int.from_bytes(buf[:2], "big")
            m = dns.message.from_wire(buf[2:2 + n])
            got[m.id] = m
            buf = buf[2 + n:]
    s.close()
    assert rt.addrs(got[100]) == ["192.0.2.1"]
    assert rt.addrs(got[101]) == ["192.0.2.5"]
    assert got[102].rcode() == dns.rcode.NXDOMAIN


class FakeServer:
    """The victim.test. name server, with lies: for each query it first
    sends a wrong ID, then the right ID from a wrong port, then the right
    answer with out-of-bailiwick extras. For mismatch.victim.test it
    answers another question."""

    def __init__(self, port):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((rt.FAKE_ADDR, port))
        self.other = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.other.bind((rt.FAKE_ADDR, 0))
        self.stop = False
        self.queries = 0
        self.t = threading.Thread(target=self.run, daemon=True)
        self.t.start()

    def rr(self, text):
        name, ttl, cls, typ, data = text.split(None, 4)
        return dns.rrset.from_text(name, int(ttl), cls, typ, data)

    def run(self):
        self.sock.settimeout(0.2)
        while not self.stop:
            try:
                data, peer = self.sock.recvfrom(4096)
            except socket.timeout:
                continue
            except OSError:
                return
            self.queries += 1
            qm = dns.message.from_wire(data)
            name = str(qm.question[0].name).lower()
            evil = self.rr("www.example.test. 3600 IN A 6.6.6.6")
            # 1: wrong ID
            r = dns.message.make_response(qm)
            r.id = (qm.id + 1) & 0xffff
            r.flags |= dns.flags.AA
            r.answer.append(self.rr("%s 3600 IN A 6.6.6.6" % name))
            self.sock.sendto(r.to_wire(), peer)
            # 2: right ID, wrong source port
            r.id = qm.id
            self.other.sendto(r.to_wire(), peer)
            if name.startswith("mismatch."):
                # 3: right ID and port, another question
                fake = dns.message.make_query("www.example.test.", "A")
                fake.id = qm.id
                r = dns.message.make_response(fake)
                r.flags |= dns.flags.AA
                r.answer.append(evil)
                self.sock.sendto(r.to_wire(), peer)
                continue
            # 4: the answer, with records outside victim.test.
            r = dns.message.make_response(qm)
            r.flags |= dns.flags.AA
            if qm.question[0].rdtype == dns.rdatatype.A:
                r.answer.append(self.rr("%s 3600 IN A 192.0.2.99" % name))
            r.answer.append(evil)
            r.authority.append(self.rr(
                "example.test. 3600 IN NS ns.evil.victim.test."))
            r.additional.append(self.rr("ns1.example.test. 3600 IN A 6.6.6.6"))
            r.additional.append(self.rr("web.org. 3600 IN A 6.6.6.6"))
            self.sock.sendto(r.to_wire(), peer)

    def close(self):
        self.stop = True
        self.t.join(2)
        self.sock.close()
        self.other.close()


def test_poisoning_attempts_are_dropped(camada, hier):
    fake = FakeServer(hier.port)
    try:
        srv = start_resolver(camada, hier, "--upstream-timeout", "300ms",
                             "--upstream-tries", "1")
        r = q(srv, "www.victim.test.")
        assert rt.addrs(r) == ["192.0.2.99"], r
        assert fake.queries >= 1
        assert "dropped a datagram" in srv.output()
        assert metric(srv, "resolver_upstream_dropped_total") >= 1
        r = q(srv, "mismatch.victim.test.")
        assert r.rcode() == dns.rcode.SERVFAIL
        # nothing the fake server said about other names was kept
        for name, rtype in [("www.example.test.", "A"),
                            ("ns1.example.test.", "A"),
                            ("web.org.", "A"),
                            ("www.victim.test.", "A"),
                            ("mismatch.victim.test.", "A")]:
            r = q(srv, name, rtype)
            assert "6.6.6.6" not in rt.addrs(r), (name, r)
        r = q(srv, "example.test.", "NS")
        assert "evil" not in r.to_text(), r
        assert rt.addrs(q(srv, "www.example.test.")) == ["192.0.2.1"]
        assert rt.addrs(q(srv, "alias.example.test.")) == ["192.0.2.80"]
    finally:
        fake.close()


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def cache_bound(camada, hier, count):
    srv = start_resolver(camada, hier, "--cache-size", "256k",
                         "--log-level", "info")
    deadline = time.time() + 5 * SLOW
    kids = srv.children()
    while not kids and time.time() < deadline:
        time.sleep(0.05)
        kids = srv.children()
    assert len(kids) == 1
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(5 * SLOW)
    entries = []
    rss = []
    for i in range(count):
        m = dns.message.make_query("h%d.wild.example.test." % i, "A")
        s.sendto(m.to_wire(), ("127.0.0.1", srv.udp))
        r = dns.message.from_wire(s.recv(4096))
        assert rt.addrs(r) == ["192.0.2.7"]
        if (i + 1) % (count // 4) == 0:
            entries.append(metric(srv, "resolver_cache_entries"))
            rss.append(rss_kb(kids[0]))
    s.close()
    assert entries[1] > 100
    # the gauge stops growing once the cache is full
    assert entries[3] <= entries[1] * 1.1 + 10, entries
    # and the worker's memory with it (not under ASan: its quarantine
    # keeps freed memory)
    if not ASAN:
        assert rss[3] - rss[1] < 4096, rss
    return entries, rss


def test_cache_bound(camada, hier):
    cache_bound(camada, hier, 4000)


@pytest.mark.slow
def test_cache_bound_100k(camada, hier):
    # CAMADA_CACHE_NAMES=1000000 for the million names (~6 minutes)
    n = int(os.environ.get("CAMADA_CACHE_NAMES", "100000"))
    entries, rss = cache_bound(camada, hier, n)
    print("cache bound: %d names, entries %s, worker RSS KiB %s" % (n, entries, rss))


def test_stop_with_queries_in_flight(camada, hier):
    # the victim.test. server never answers: queries stay in flight
    silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    silent.bind((rt.FAKE_ADDR, hier.port))
    try:
        srv = start_resolver(camada, hier, "--upstream-timeout", "5s")
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        for i in range(5):
            m = dns.message.make_query("q%d.victim.test." % i, "A")
            udp.sendto(m.to_wire(), ("127.0.0.1", srv.udp))
        tcp = socket.create_connection(("127.0.0.1", srv.tcp))
        w = dns.message.make_query("t.victim.test.", "A").to_wire()
        tcp.sendall(len(w).to_bytes(2, "big") + w)
        deadline = time.time() + 5 * SLOW
        while time.time() < deadline and len(
                [l for l in upstream_lines(srv) if "victim" in l]) < 6:
            time.sleep(0.05)
        t0 = time.time()
        assert srv.stop() == 0
        assert time.time() - t0 < 4 * SLOW
        tcp.close()
        udp.close()
    finally:
        silent.close()


def demo_servers():
    """(listen address, zone file) of each [dns] section of etc/camada.conf."""
    out = []
    cur = None
    with open(os.path.join(rt.__file__.rsplit("/tests/", 1)[0],
                           "etc", "camada.conf")) as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if line.startswith("["):
                cur = {} if line == "[dns]" else None
                if cur is not None:
                    out.append(cur)
            elif cur is not None and "=" in line:
                k, v = [x.strip() for x in line.split("=", 1)]
                if k == "zone":  # relative to etc/, the file's folder
                    v = os.path.join(os.path.dirname(f.name), v)
                if k in ("listen", "zone"):
                    cur[k] = v
    return out


def test_demo_hierarchy(camada):
    root = rt.__file__.rsplit("/tests/", 1)[0]
    hints = os.path.join(root, "etc", "zones", "root.hints")
    servers = demo_servers()
    if not os.path.exists(hints) or not servers:
        pytest.skip("no demo hierarchy in etc/")
    addrs = [s["listen"].rsplit(":", 1)[0] for s in servers]
    port = rt.free_udp_tcp_port(addrs)
    for s, a in zip(servers, addrs):
        camada("dns", "-l", "%s:%d" % (a, port), "-z", s["zone"],
               "--workers", "1", listeners=2)
    srv = camada("resolver", "-l", "127.0.0.1:0", "--root-hints", hints,
                 "--upstream-port", str(port), "--workers", "1", listeners=2)
    r = rt.query(srv.port("resolver", "udp"), "che.cs.arizona.edu.")
    assert r.rcode() == dns.rcode.NOERROR
    assert [str(s.name) for s in r.answer] == ["che.cs.arizona.edu.",
                                               "lectura.cs.arizona.edu."]
    assert rt.addrs(r) == ["192.12.69.60"]


def test_serve_config_section(camada, hier, tmpconf):
    conf = tmpconf("""workers = 1
log-level = debug
[resolver]
listen = 127.0.0.1:0
root-hints = %s
upstream-port = %d
allow = 127.0.0.0/8
cache-size = 1m
max-ttl = 1h
max-negative-ttl = 5m
""" % (hier.hints, hier.port))
    srv = camada("serve", "-c", conf, listeners=2)
    srv.udp = srv.port("resolver", "udp")
    r = rt.query(srv.udp, "alias.example.test.")
    assert rt.addrs(r) == ["192.0.2.80"]


def test_config_errors(tmpconf, tmp_path):
    from conftest import run
    bad = tmpconf("[resolver]\nlisten = 127.0.0.1:0\nallow = nonsense\n",
                  name="bad.conf")
    # checked in the service's setup: a configuration error, exit 2
    r = run(["serve", "-c", bad])
    assert r.returncode == 2 and b"allow" in r.stderr and b"nonsense" in r.stderr
    r = run(["resolver", "-l", "127.0.0.1:0", "--root-hints",
             str(tmp_path / "missing.hints")])
    assert r.returncode == 2 and b"missing.hints" in r.stderr
    r = run(["resolver", "--upstream-port", "0"])
    assert r.returncode == 2


def test_ipv6_listener(camada, hier):
    try:
        s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        s.bind(("::1", 0))
        s.close()
    except OSError:
        pytest.skip("no IPv6 loopback")
    srv = camada("resolver", "-l", "[::1]:0", "--root-hints", hier.hints,
                 "--upstream-port", str(hier.port), "--workers", "1",
                 listeners=2)
    r = rt.query(srv.port("resolver", "udp"), "www.example.test.", addr="::1")
    assert rt.addrs(r) == ["192.0.2.1"]     # ::1 is allowed by default


def test_norec_answers_from_the_cache_only(camada, hier):
    srv = start_resolver(camada, hier)
    q(srv, "www.example.test.")
    n = len(upstream_lines(srv))
    m = dns.message.make_query("www.example.test.", "A")
    m.flags &= ~dns.flags.RD
    r = dns.query.udp(m, "127.0.0.1", port=srv.udp, timeout=5)
    assert rt.addrs(r) == ["192.0.2.1"] and not r.flags & dns.flags.RD
    m = dns.message.make_query("short.example.test.", "A")
    m.flags &= ~dns.flags.RD
    r = dns.query.udp(m, "127.0.0.1", port=srv.udp, timeout=5)
    assert r.rcode() == dns.rcode.SERVFAIL
    wait_log(srv, "short.example.test. A SERVFAIL")
    assert len(upstream_lines(srv)) == n


def test_malformed_and_odd_queries(camada, hier):
    srv = start_resolver(camada, hier)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(3 * SLOW)
    # header only, no question: FORMERR
    s.sendto(b"\x12\x34\x01\x00" + b"\x00" * 8, ("127.0.0.1", srv.udp))
    r = dns.message.from_wire(s.recv(4096))
    assert r.id == 0x1234 and r.rcode() == dns.rcode.FORMERR
    # garbage after the header: FORMERR, the process goes on
    s.sendto(b"\x12\x35\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\xff\xff",
             ("127.0.0.1", srv.udp))
    r = s.recv(4096)
    assert r[:2] == b"\x12\x35" and r[3] & 0xf == dns.rcode.FORMERR
    # a response is never answered
    m = dns.message.make_response(dns.message.make_query("x.test.", "A"))
    s.sendto(m.to_wire(), ("127.0.0.1", srv.udp))
    # AXFR is refused, NOTIFY not implemented
    r = q(srv, "example.test.", "AXFR")
    assert r.rcode() == dns.rcode.REFUSED
    m = dns.message.make_query("example.test.", "SOA")
    m.set_opcode(dns.opcode.NOTIFY)
    r = dns.query.udp(m, "127.0.0.1", port=srv.udp, timeout=5)
    assert r.rcode() == dns.rcode.NOTIMP
    # EDNS version 1: BADVERS
    m = dns.message.make_query("www.example.test.", "A")
    m.use_edns(edns=1)
    r = dns.query.udp(m, "127.0.0.1", port=srv.udp, timeout=5)
    assert r.rcode() == dns.rcode.BADVERS
    assert rt.addrs(q(srv, "www.example.test.")) == ["192.0.2.1"]
    s.close()


@pytest.mark.parametrize("client", [["dig", "+nocookie"], ["dig", "+tcp"],
                                    ["kdig"], ["kdig", "+tcp"]])
def test_system_clients(camada, hier, client):
    import shutil
    import subprocess
    if shutil.which(client[0]) is None:
        pytest.skip("%s not installed" % client[0])
    srv = start_resolver(camada, hier)
    out = subprocess.run(client + ["@127.0.0.1", "-p", str(srv.udp),
                                   "alias.example.test", "A", "+short"],
                         capture_output=True, timeout=20 * SLOW).stdout.decode()
    assert out.split() == ["www.glueless.test.", "web.org.", "192.0.2.80"], out


def test_nxdomain_holds_for_every_type(camada, hier):
    srv = start_resolver(camada, hier)
    assert q(srv, "gone.example.test.").rcode() == dns.rcode.NXDOMAIN
    n = len(upstream_lines(srv))
    for t in ("AAAA", "MX", "TXT"):
        assert q(srv, "gone.example.test.", t).rcode() == dns.rcode.NXDOMAIN
    assert len(upstream_lines(srv)) == n


def test_serve_demo_config(camada, tmpconf):
    """etc/camada.conf's [dns] and [resolver] sections in one `camada serve`,
    moved to a free port."""
    root = rt.__file__.rsplit("/tests/", 1)[0]
    text = open(os.path.join(root, "etc", "camada.conf")).read()
    if "[resolver]" not in text or "[dns]" not in text:
        pytest.skip("no demo hierarchy in etc/camada.conf")
    servers = demo_servers()
    port = rt.free_udp_tcp_port([s["listen"].rsplit(":", 1)[0]
                                 for s in servers])
    out, keep = ["workers = 1"], False
    for line in text.splitlines():
        if line.startswith("["):
            keep = line.split("#")[0].strip() in ("[dns]", "[resolver]")
        if not keep:
            continue
        line = line.replace(":5300", ":%d" % port)
        line = line.replace("127.0.0.1:5301", "127.0.0.1:0")
        line = re.sub(r"^upstream-port\s*=.*", "upstream-port = %d" % port,
                      line)
        # its paths are relative to etc/, and this copy lives elsewhere
        line = re.sub(r"^(zone|root-hints)(\s*=\s*)(?!/)",
                      r"\1\2%s/etc/" % root, line)
        out.append(line)
    conf = tmpconf("\n".join(out) + "\n")
    srv = camada("serve", "-c", conf, listeners=2 * len(servers) + 2,
                 cwd=root)
    r = rt.query(srv.port("resolver", "udp"), "che.cs.arizona.edu.")
    assert rt.addrs(r) == ["192.12.69.60"]
    assert str(r.answer[0].name) == "che.cs.arizona.edu."


def test_ds_is_asked_of_the_parent(camada, hier):
    """DS lives on the parent's side of a cut: with example.test.'s own
    servers already known, a DS query still goes to test.'s servers, whose
    negative answer carries test.'s SOA (the child would answer with its
    own)."""
    srv = start_resolver(camada, hier)
    q(srv, "www.example.test.")          # learn example.test.'s servers
    r = q(srv, "example.test.", "DS")
    assert r.rcode() == dns.rcode.NOERROR and not r.answer
    soa = [rr.name.to_text() for rr in r.authority
           if rr.rdtype == dns.rdatatype.SOA]
    assert soa == ["test."], r.to_text()


def test_first_answer_obeys_the_ttl_caps(camada, hier):
    srv = start_resolver(camada, hier, "--max-ttl", "10s",
                         "--max-negative-ttl", "5s")
    r = q(srv, "www.example.test.")
    assert r.answer and all(rrset.ttl <= 10 for rrset in r.answer)
    r = q(srv, "nosuch.example.test.")
    assert r.rcode() == dns.rcode.NXDOMAIN
    assert all(rrset.ttl <= 5 for rrset in r.authority)
