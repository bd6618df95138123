"""The resolver's cache is one cache for all workers (core/shcache): with
`workers = 2` TTLs count down whichever worker answers, a name one worker
fetched is a hit on the other, every repeat is answered from the cache once
the authoritative servers are gone, the whole-cache gauges are not summed
over workers, and a worker SIGKILLed while it holds a shard lock leaves the
cache usable (the parent restarts the worker; the shard is wiped)."""
import os
import re
import signal
import socket
import time

import dns.message
import dns.rcode
import pytest

from conftest import SLOW, wait_until
import resolver_testlib as rt


@pytest.fixture(scope="module")
def hier(tmp_path_factory):
    h = rt.Hierarchy(tmp_path_factory.mktemp("hier"))
    yield h
    h.stop()


def start(camada, hier, *extra, workers=2, env=None):
    srv = camada("resolver", "-l", "127.0.0.1:0", "--root-hints", hier.hints,
                 "--upstream-port", str(hier.port), "--workers", str(workers),
                 "--log-level", "debug", *extra, listeners=2, env=env)
    srv.udp = srv.port("resolver", "udp")
    wait_workers(srv, workers)
    return srv


def wait_workers(srv, n, not_pids=()):
    """The worker pids (children of the camada process), once there are n
    of them and none is in not_pids."""
    def kids():
        k = srv.children()
        return k if len(k) == n and not set(k) & set(not_pids) else None
    return wait_until(kids, "%d workers" % n)


def answer_lines(srv, name, rtype="A"):
    return [l for l in srv.output().splitlines()
            if "resolver: " in l and " %s %s " % (name, rtype) in l and
            "answers=" in l]


def ask(srv, name, rtype="A"):
    """One query from a fresh socket (a fresh source port, so SO_REUSEPORT
    may pick either worker); returns once the resolver has logged it."""
    before = len(answer_lines(srv, name, rtype))
    r = rt.query(srv.udp, name, rtype, timeout=5 * SLOW)
    wait_until(lambda: len(answer_lines(srv, name, rtype)) > before,
               "the log line for " + name)
    return r


def metric(srv, name):
    """The parent's metrics summary (SIGUSR1): the value of name, 0 when it
    is not listed (the summary leaves out zeros)."""
    def headings():
        return [i for i, l in enumerate(srv.output().splitlines())
                if "metrics (SIGUSR1)" in l]
    before = len(headings())
    # a second summary after the first: its heading comes after every line
    # of the first (one process writes both), so the first is complete
    srv.signal(signal.SIGUSR1)
    wait_until(lambda: len(headings()) > before, "the metrics summary")
    srv.signal(signal.SIGUSR1)
    wait_until(lambda: len(headings()) > before + 1, "a second summary")
    h = headings()
    lines = srv.output().splitlines()[h[before]:h[before + 1]]
    for l in lines:
        m = re.search(r"\s%s(?:\{\})? (\d+)" % re.escape(name), l)
        if m:
            return int(m.group(1))
    return 0


def wchan(pid):
    try:
        with open("/proc/%d/wchan" % pid) as f:
            return f.read()
    except OSError:
        return ""


def roles(lines):
    return {m.group(1) for m in (re.search(r"(worker \d+)", l) for l in lines)
            if m}


def test_ttl_never_goes_up_across_workers(camada, hier):
    srv = start(camada, hier)
    name = "www.example.test."
    ttls = [ask(srv, name).answer[0].ttl]
    # wait (by asking) until the entry has counted down by two seconds, so
    # that an answer fetched afresh would stand out
    def counted_down():
        ttls.append(ask(srv, name).answer[0].ttl)
        return ttls[-1] <= ttls[0] - 2
    wait_until(counted_down, "the TTL to count down")
    for _ in range(50):
        r = ask(srv, name)
        assert rt.addrs(r) == ["192.0.2.1"]
        ttls.append(r.answer[0].ttl)
    assert all(b <= a for a, b in zip(ttls, ttls[1:])), ttls
    lines = answer_lines(srv, name)
    assert len(lines) == len(ttls)
    # fetched once; every other answer, on either worker, from the cache
    assert len([l for l in lines if "upstream=0" in l]) == len(ttls) - 1
    assert roles(lines) == {"worker 0", "worker 1"}, lines


def test_answered_from_cache_after_the_servers_stop(camada, tmp_path):
    h = rt.Hierarchy(tmp_path)
    names = [("www.example.test.", "A"), ("www.example.test.", "AAAA"),
             ("alias.example.test.", "A"), ("nx.example.test.", "A"),
             ("direct.glueless.test.", "A")]
    try:
        srv = start(camada, h)
        first = {n: ask(srv, *n) for n in names}
    finally:
        h.stop()
    for n, r in first.items():
        assert r.rcode() in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN), (n, r)
    for _ in range(20):
        for n in names:
            r = ask(srv, *n)
            want = first[n]
            assert r.rcode() == want.rcode(), (n, r)
            assert [(s.name, s.rdtype, sorted(map(str, s))) for s in r.answer] \
                == [(s.name, s.rdtype, sorted(map(str, s)))
                    for s in want.answer], (n, r)
    hits = [l for n in names for l in answer_lines(srv, *n)
            if "upstream=0" in l]
    assert len(hits) == 20 * len(names)
    assert roles(hits) == {"worker 0", "worker 1"}
    assert metric(srv, "resolver_servfail_total") == 0


def test_gauges_are_whole_cache_figures(camada, hier):
    one = start(camada, hier, workers=1)
    ask(one, "www.example.test.")
    entries1 = metric(one, "resolver_cache_entries")
    bytes1 = metric(one, "resolver_cache_bytes")
    one.stop()
    two = start(camada, hier, workers=2)
    for _ in range(20):
        ask(two, "www.example.test.")
    assert roles(answer_lines(two, "www.example.test.")) == \
        {"worker 0", "worker 1"}
    # the same cache content whether one worker or two filled and read it:
    # the figure is the cache's, not a sum over workers
    assert entries1 > 0 and bytes1 > 0
    assert metric(two, "resolver_cache_entries") == entries1
    assert metric(two, "resolver_cache_bytes") == bytes1


def test_worker_killed_holding_a_shard_lock(camada, hier, tmp_path):
    hold = str(tmp_path / "hold")
    # a small cache (8 shards): the queries below soon meet the held one
    srv = start(camada, hier, "--cache-size", "256k",
                env={"CAMADA_TEST_SHCACHE_HOLD": hold})
    kids = wait_workers(srv, 2)
    cached = ["www.example.test.", "alias.example.test.", "short.example.test."]
    for n in cached:
        ask(srv, n)
    # arm the hook: the next worker to store an entry stops there, lock held
    open(hold, "w").close()
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.sendto(dns.message.make_query("held.wild.example.test.", "A").to_wire(),
             ("127.0.0.1", srv.udp))
    wait_until(lambda: os.path.exists(hold + ".pid"), "a worker to hold a lock")
    with open(hold + ".pid") as f:
        pid = int(f.read().split()[0])
    assert pid in kids
    # queries meanwhile: the other worker blocks on the held shard's lock
    # as soon as one of them needs it, and the held worker's queue waits
    # for its successor; all must be answered once the holder is gone
    waiting = []
    for i in range(60):
        w = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        w.settimeout(15 * SLOW)
        w.sendto(dns.message.make_query("pre%d.wild.example.test." % i,
                                        "A").to_wire(),
                 ("127.0.0.1", srv.udp))
        waiting.append(w)
    other = [k for k in kids if k != pid][0]
    wait_until(lambda: "futex" in wchan(other),
               "the other worker to wait for the held lock")
    os.kill(pid, signal.SIGKILL)
    s.close()
    for w in waiting:
        r = dns.message.from_wire(w.recv(4096))
        w.close()
        assert rt.addrs(r) == ["192.0.2.7"], r
    srv.wait_line(r"worker \d \(pid %d\) was killed by signal 9; restarting"
                  % pid)
    wait_workers(srv, 2, not_pids=[pid])
    # the cache is usable: cached names still answer, new names resolve and
    # are stored (the held shard among them)
    for n in cached:
        assert ask(srv, n).rcode() == dns.rcode.NOERROR
    for i in range(200):
        r = ask(srv, "n%d.wild.example.test." % i)
        assert rt.addrs(r) == ["192.0.2.7"], r
    r = ask(srv, "held.wild.example.test.")
    assert rt.addrs(r) == ["192.0.2.7"]
    for i in range(0, 200, 7):
        r = ask(srv, "n%d.wild.example.test." % i)
        assert rt.addrs(r) == ["192.0.2.7"]
    lines = answer_lines(srv, "n7.wild.example.test.")
    assert "upstream=0" in lines[-1], lines
    # the shard the dead worker held was wiped once, by the worker that was
    # waiting for its lock (EOWNERDEAD), and only that one
    assert metric(srv, "resolver_cache_repairs_total") == 1
    assert metric(srv, "resolver_cache_entries") > 100
