"""Logs as operators read them: with log-format = json every line camada
writes to stderr is one JSON object (the "listening on" lines, the parent's
supervisor messages, the metrics summary), the resolver logs queries only
with log-queries = on, and what every worker does alike on SIGHUP is logged
once."""
import json
import os
import signal
import socket
import time
import urllib.request

import dns.message
import dns.query
import dns.rcode

from conftest import LISTEN_RE, ROOT, SLOW, wait_until
from resolver_testlib import free_udp_tcp_port

ZONE = """$ORIGIN .
$TTL 3600
@        IN SOA  a.root. hostmaster.root. ( %d 7200 3600 1209600 300 )
         IN NS   a.root.
a.root.  IN A    127.0.0.1
www.example. IN A 192.0.2.1
"""

HINTS = """.        3600000 NS a.root.
a.root.  3600000 A  127.0.0.1
"""

# The demo handlers, the resolver and the authoritative server under one
# serve, every line of stderr JSON (the access log too, in its own format).
CONF = """workers = 2
log-format = json
[echo]
listen = 127.0.0.1:0
udp = on
[http]
listen = 127.0.0.1:0
root = %(www)s
access-log = stderr
access-log-format = json
demo = on
metrics = on
[dns]
listen = 127.0.0.1:%(port)d
zone = %(zone)s
[resolver]
listen = 127.0.0.1:0
root-hints = %(hints)s
upstream-port = %(port)d
log-queries = on
"""


def objects(srv):
    """Every stderr line as a JSON object (fails on any line that is not)."""
    out = []
    for line in srv.output().splitlines():
        try:
            o = json.loads(line)
        except ValueError:
            raise AssertionError("not JSON: %r\n%s" % (line, srv.output()))
        assert isinstance(o, dict), line
        out.append(o)
    return out


def logged(srv, pred):
    """The log objects (not access-log lines) for which pred is true."""
    return [o for o in objects(srv) if "level" in o and pred(o)]


def zone_reloaded(o):
    """The DNS server's line for a zone read again (not a config reload)."""
    return o["msg"].startswith("dns: zone ") and " reloaded from " in o["msg"]


def hierarchy(tmp_path, serial=1):
    zone = tmp_path / "root.zone"
    zone.write_text(ZONE % serial)
    hints = tmp_path / "root.hints"
    hints.write_text(HINTS)
    return zone, hints


def ask(port, name, tcp=False):
    m = dns.message.make_query(name, "A")
    f = dns.query.tcp if tcp else dns.query.udp
    return f(m, "127.0.0.1", port=port, timeout=3 * SLOW)


def test_json_everywhere(camada, tmpconf, tmp_path):
    zone, hints = hierarchy(tmp_path)
    port = free_udp_tcp_port(["127.0.0.1"])
    conf = tmpconf(CONF % {"www": os.path.join(ROOT, "www"), "port": port,
                           "zone": zone, "hints": hints})
    srv = camada("serve", "-c", conf, listeners=7)

    # the listening lines: the fixture found all seven through LISTEN_RE,
    # and each is an object whose members say the same
    ls = logged(srv, lambda o: "listening on" in o["msg"])
    assert len(ls) == 7, ls
    for o in ls:
        m = LISTEN_RE.search(o["msg"])
        assert m and o["msg"].startswith("camada: "), o
        assert (o["system"], o["port"], o["proto"]) == (
            m.group(1), int(m.group(3)), m.group(4)), o
        assert o["listen"] == "%s:%s" % (m.group(2), m.group(3)), o
        assert o["level"] == "info" and o["role"] == "parent", o
    assert sorted((o["system"], o["proto"]) for o in ls) == sorted([
        ("echo", "tcp"), ("echo", "udp"), ("http", "tcp"), ("dns", "tcp"),
        ("dns", "udp"), ("resolver", "tcp"), ("resolver", "udp")])

    # each system, briefly
    with socket.create_connection(("127.0.0.1", srv.port("echo")), 5) as s:
        s.sendall(b"json please\n")
        assert s.recv(100) == b"JSON PLEASE\n"
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.settimeout(3 * SLOW)
    u.sendto(b"hi", ("127.0.0.1", srv.port("echo", "udp")))
    assert u.recv(100) == b"HI"
    u.close()
    base = "http://127.0.0.1:%d" % srv.port("http")
    assert urllib.request.urlopen(base + "/", timeout=5).status == 200
    assert urllib.request.urlopen(base + "/visits", timeout=5).status == 200
    try:
        urllib.request.urlopen(base + "/nothing-here", timeout=5)
    except urllib.error.HTTPError as e:
        assert e.code == 404
    r = ask(port, "www.example.", tcp=True)
    assert r.rcode() == dns.rcode.NOERROR and r.answer
    r = ask(srv.port("resolver", "udp"), "www.example.")
    assert [rd.address for rs in r.answer for rd in rs] == ["192.0.2.1"]
    wait_until(lambda: logged(srv, lambda o: "answers=1" in o["msg"]),
               "the resolver's query line (log-queries = on)")
    wait_until(lambda: [o for o in objects(srv) if o.get("status") == 404],
               "the access log's line")

    # a worker dies: the supervisor's line is JSON too (before the zone
    # changes, so that the new worker has nothing to catch up on)
    kids = srv.children()
    assert len(kids) == 2
    os.kill(kids[0], signal.SIGKILL)
    wait_until(lambda: logged(srv, lambda o: "restarting" in o["msg"] and
                              o["level"] == "error"), "the restart line")
    wait_until(lambda: len(srv.children()) == 2 and
               kids[0] not in srv.children(), "the new worker")

    # SIGHUP: the changed zone, logged once by worker 0
    zone.write_text(ZONE % 2)
    srv.signal(signal.SIGHUP)
    wait_until(lambda: logged(srv, zone_reloaded), "the zone reload line")

    # SIGUSR1: the summary is one object with the metrics as members
    srv.signal(signal.SIGUSR1)
    summ = wait_until(lambda: logged(
        srv, lambda o: o["msg"] == "metrics (SIGUSR1)"), "the summary")
    assert len(summ) == 1
    mx = summ[0]["metrics"]
    assert isinstance(mx, dict) and all(
        isinstance(v, int) and v > 0 for v in mx.values()), mx
    assert mx.get("echo_lines_total") == 1, mx
    assert mx.get("echo_datagrams_total") == 1, mx
    assert mx.get('http_requests_total{method="GET",code="2xx"}') == 2, mx
    assert any(k.startswith("dns_queries_total{") for k in mx), mx
    assert mx.get("resolver_queries_total") == 1, mx

    assert srv.stop() == 0
    objs = objects(srv)   # every line, to the last
    msgs = [o.get("msg", "") for o in objs]
    assert "stopped" in msgs and "metrics (exit)" in msgs, msgs
    assert any(m.startswith("started 2 workers") for m in msgs), msgs
    reloads = [o for o in objs if "level" in o and zone_reloaded(o)]
    assert len(reloads) == 1 and reloads[0]["role"] == "worker 0", reloads
    for o in objs:
        if "level" in o:
            assert set(o) >= {"ts", "level", "pid", "role", "msg"}, o


def test_zone_reload_once_and_each_worker_at_debug(camada, tmp_path):
    zone, _ = hierarchy(tmp_path)
    srv = camada("dns", "-l", "127.0.0.1:0", "--workers", "2",
                 "--log-format", "json", "--log-level", "debug", "-z",
                 str(zone), listeners=2)
    wait_until(lambda: len(srv.children()) == 2, "two workers")
    zone.write_text(ZONE % 7)
    srv.signal(signal.SIGHUP)
    lines = wait_until(lambda: (lambda ls: ls if len(ls) == 2 else None)(
        logged(srv, zone_reloaded)), "both workers' lines")
    got = sorted((o["role"], o["level"]) for o in lines)
    assert got == [("worker 0", "info"), ("worker 1", "debug")], lines
    assert all("serial 7" in o["msg"] for o in lines), lines

    # a reload that fails: said once, at error, by worker 0
    zone.write_text("this is not a zone\n")
    srv.signal(signal.SIGHUP)
    lines = wait_until(lambda: (lambda ls: ls if len(ls) == 2 else None)(
        logged(srv, lambda o: o["msg"].startswith("dns: reloading "))),
        "both error lines")
    got = sorted((o["role"], o["level"]) for o in lines)
    assert got == [("worker 0", "error"), ("worker 1", "debug")], lines
    assert all("keeping serial 7" in o["msg"] for o in lines), lines


def test_resolver_logs_queries_only_when_asked(camada, tmp_path):
    zone, hints = hierarchy(tmp_path)
    port = free_udp_tcp_port(["127.0.0.1"])
    camada("dns", "-l", "127.0.0.1:%d" % port, "--workers", "1", "-z",
           str(zone), listeners=2)

    def resolver(*extra):
        srv = camada("resolver", "-l", "127.0.0.1:0", "--root-hints",
                     str(hints), "--upstream-port", str(port), "--workers",
                     "1", *extra, listeners=2)
        r = ask(srv.port("resolver", "udp"), "www.example.")
        assert [rd.address for rs in r.answer for rd in rs] == ["192.0.2.1"]
        # and one over TCP
        r = ask(srv.port("resolver", "udp"), "www.example.", tcp=True)
        assert r.rcode() == dns.rcode.NOERROR
        return srv

    # off (the default): nothing at info; the answers are counted all the
    # same, and the summary at exit comes after every query line
    srv = resolver()
    assert srv.stop() == 0
    out = srv.output()
    assert "metrics (exit)" in out and "resolver_queries_total 2" in out, out
    assert "answers=" not in out, out

    # on: one line per query, at info
    srv = resolver("--log-queries")
    wait_until(lambda: srv.output().count("answers=1") == 2, "2 query lines")
    assert all("[info]" in l for l in srv.output().splitlines()
               if "answers=" in l), srv.output()

    # off, but log-level = debug shows them (at debug)
    srv = resolver("--log-level", "debug")
    wait_until(lambda: srv.output().count("answers=1") == 2, "2 debug lines")
    assert all("[debug]" in l for l in srv.output().splitlines()
               if "answers=" in l), srv.output()


def test_setup_error_in_json_mode_is_json(camada, tmpconf):
    """A setup that fails after the log is open (here a port in use) says
    so in the log's format."""
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    conf = tmpconf("log-format = json\n[echo]\nlisten = 127.0.0.1:%d\n"
                   % busy.getsockname()[1])
    srv = camada("serve", "-c", conf, listeners=0)
    try:
        assert srv.proc.wait(10 * SLOW) == 1
    finally:
        busy.close()
    srv.kill()
    errs = logged(srv, lambda o: o["level"] == "error")
    assert errs and "in use" in errs[0]["msg"], srv.output()


def test_access_log_on_stderr_follows_a_json_log(camada, tmpconf):
    """access-log-format = auto (the default): an access log that shares
    stderr with a JSON log is JSON too; a file keeps the Combined format."""
    www = os.path.join(ROOT, "www")
    conf = tmpconf("log-format = json\n[http]\nlisten = 127.0.0.1:0\n"
                   "root = %s\naccess-log = stderr\n" % www)
    srv = camada("serve", "-c", conf)
    port = srv.port("http")
    with urllib.request.urlopen("http://127.0.0.1:%d/" % port) as r:
        assert r.status == 200
    wait_until(lambda: any(o.get("status") == 200 or "GET" in str(o)
                           for o in objects(srv) if "level" not in o),
               "the access-log object")
    srv.signal(signal.SIGTERM)
    srv.proc.wait(10 * SLOW)
    objects(srv)  # every line, the access log's included, is JSON
