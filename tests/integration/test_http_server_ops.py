"""What an operator sees: /metrics in the Prometheus text format, the cookie
demo's sessions shared between workers, the access log in Combined Log
Format and JSON lines, and 10,000 idle keep-alive connections held in little
memory."""
import http.client
import json
import re
import resource
import selectors
import socket
import struct
import time

import pytest

from conftest import ASAN, SLOW
from http_testlib import (HEX32, connect, curl, exchange, make_site, one,
                          read_responses, serve, serving_worker, url,
                          vmrss_kib, wait_workers)


@pytest.fixture
def site(tmp_path):
    return make_site(tmp_path / "root")


# --- /metrics ---

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (-?[0-9.e+-]+|\+Inf|NaN)$')


def scrape(port):
    r = curl("-v", url(port, "/metrics"))
    assert "< HTTP/1.1 200 OK" in r.stderr, r.stderr
    ctype = re.search(r"< Content-Type: (.*)\r?$", r.stderr, re.M).group(1)
    assert ctype.startswith("text/plain") and "version=0.0.4" in ctype
    values = {}
    typed = {}
    for line in r.stdout.splitlines():
        if not line:
            continue
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ", 3)
            typed[name] = kind
            continue
        if line.startswith("# HELP ") or line.startswith("#"):
            continue
        m = SAMPLE.match(line)
        assert m, "not Prometheus text: %r" % line
        name = m.group(1)
        family = re.sub(r"_(bucket|sum|count)$", "", name)
        assert name in typed or family in typed, "sample before its TYPE: %r" % line
        values[name + (m.group(2) or "")] = float(m.group(3))
    return values, typed


def test_metrics_count_requests(camada, site):
    _srv, port = serve(camada, site)
    before, typed = scrape(port)
    key = 'http_requests_total{method="GET",code="2xx"}'
    assert typed["http_requests_total"] == "counter"
    assert typed["http_connections_open"] == "gauge"
    assert typed["http_request_duration_seconds"] == "histogram"
    r = curl(*[url(port, "/hello.txt")] * 5)
    assert r.stdout == "hello, world\n" * 5
    curl(url(port, "/missing"), url(port, "/missing2"))
    curl("-I", url(port, "/hello.txt"))
    after, _ = scrape(port)
    # + 5 files + the first scrape itself
    assert after[key] - before[key] == 6
    assert after['http_requests_total{method="GET",code="4xx"}'] - \
        before['http_requests_total{method="GET",code="4xx"}'] == 2
    assert after['http_requests_total{method="HEAD",code="2xx"}'] - \
        before['http_requests_total{method="HEAD",code="2xx"}'] == 1
    assert after["http_response_bytes_total"] >= before["http_response_bytes_total"] + 5 * 13
    # the scraping connection is open
    assert after["http_connections_open"] >= 1
    # histogram: ascending buckets ending in +Inf == _count
    buckets = [(k, v) for k, v in after.items()
               if k.startswith("http_request_duration_seconds_bucket")]
    assert len(buckets) >= 5
    les = [k.split('le="')[1].rstrip('"}') for k, _ in buckets]
    assert les[-1] == "+Inf"
    counts = [v for _, v in buckets]
    assert counts == sorted(counts)
    assert counts[-1] == after["http_request_duration_seconds_count"]
    assert after["http_request_duration_seconds_count"] >= 9
    assert after["http_request_duration_seconds_sum"] >= 0


def test_metrics_connections_open_gauge(camada, site):
    _srv, port = serve(camada, site)
    base, _ = scrape(port)
    socks = [connect(port) for _ in range(7)]
    for s in socks:
        s.sendall(b"GET /ten.txt HTTP/1.1\r\nHost: t\r\n\r\n")
        read_responses(s, 1)
    now, _ = scrape(port)
    assert now["http_connections_open"] - base["http_connections_open"] == 7
    for s in socks:
        s.close()
    deadline = time.time() + 5 * SLOW
    while True:
        later, _ = scrape(port)
        if later["http_connections_open"] == base["http_connections_open"]:
            break
        assert time.time() < deadline, later["http_connections_open"]
        time.sleep(0.1)


def test_metrics_summed_over_workers(camada, site):
    _srv, port = serve(camada, site, workers=2)
    before, _ = scrape(port)
    key = 'http_requests_total{method="GET",code="2xx"}'
    for _ in range(20):   # new connections land on both workers
        curl(url(port, "/hello.txt"))
    after, _ = scrape(port)
    assert after[key] - before[key] == 21


def test_metrics_bad_requests_counted(camada, site):
    _srv, port = serve(camada, site)
    before, _ = scrape(port)
    one(port, b"GET / HTTP/1.1\r\nHost : x\r\n\r\n")
    one(port, b"GET / HTTP/1.1\r\n\r\n")
    after, _ = scrape(port)
    assert after["http_bad_requests_total"] - before["http_bad_requests_total"] == 2


def test_metrics_refused_outside_allowed_networks(camada, site):
    _srv, port = serve(camada, site, "--metrics-allow", "10.0.0.0/8")
    r = curl("-v", url(port, "/metrics"))
    assert "< HTTP/1.1 403 Forbidden" in r.stderr
    assert "http_requests_total" not in r.stdout
    srv2, port2 = serve(camada, site, "--metrics-allow", "10.0.0.0/8",
                        "--metrics-allow", "127.0.0.1/32")
    assert "http_requests_total" in curl(url(port2, "/metrics")).stdout


def test_metrics_off_is_a_plain_file_lookup(camada, site):
    _srv, port = serve(camada, site, "--no-metrics")
    r = curl("-v", url(port, "/metrics"))
    assert "< HTTP/1.1 404" in r.stderr


# --- the cookie demo ---

def visit(port, cookie=None, new_conn=True, conn=None):
    c = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=5 * SLOW)
    headers = {"Cookie": cookie} if cookie else {}
    c.request("GET", "/visits", headers=headers)
    r = c.getresponse()
    body = r.read().decode()
    if new_conn:
        c.close()
    m = re.search(r"visit number (\d+)", body)
    assert r.status == 200 and m, body
    return int(m.group(1)), r.getheader("Set-Cookie"), body


def test_visits_cookie_counts(camada, site):
    _srv, port = serve(camada, site)
    n, sc, body = visit(port)
    assert n == 1
    m = re.match(r"^sid=([0-9a-f]+)(;|$)", sc)
    assert m and HEX32.match(m.group(1)), sc
    sid = m.group(1)
    assert "Path=/" in sc and "HttpOnly" in sc
    assert sid in body
    n, sc2, _ = visit(port, "sid=" + sid)
    assert n == 2 and sc2 is None
    n, _, _ = visit(port, "theme=dark; sid=%s; x=1" % sid)
    assert n == 3
    # another client: another id, its own count
    n, other, _ = visit(port)
    assert n == 1
    other_sid = re.match(r"^sid=([0-9a-f]{32})", other).group(1)
    assert other_sid != sid
    assert visit(port, "sid=" + other_sid)[0] == 2
    assert visit(port, "sid=" + sid)[0] == 4
    # a forged or unknown id gets a fresh session, not someone else's
    n, sc3, _ = visit(port, "sid=" + "0" * 32)
    assert n == 1 and sc3 and "0" * 32 not in sc3
    n, sc4, _ = visit(port, "sid=../../etc/passwd")
    assert n == 1 and sc4


def test_visits_with_curl_cookie_jar(camada, site, tmp_path):
    _srv, port = serve(camada, site)
    jar = str(tmp_path / "jar")
    for i in (1, 2, 3):
        r = curl("-c", jar, "-b", jar, url(port, "/visits"))
        assert "visit number %d " % i in r.stdout, r.stdout


def test_visits_shared_between_workers(camada, site):
    srv, port = serve(camada, site, workers=2)
    workers = set(wait_workers(srv, 2))
    _, sc, _ = visit(port)
    cookie = sc.split(";")[0]
    # a new connection each time, until both workers have counted
    seen = set()
    i = 1
    while seen != workers or i < 10:
        i += 1
        assert i < 200, "every connection went to one worker"
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=5 * SLOW)
        c.connect()
        time.sleep(0.02)   # let the worker accept it
        seen.add(serving_worker(srv, c.sock, port))
        n, _, _ = visit(port, cookie, conn=c)
        assert n == i


# --- the access log ---

CLF = re.compile(
    r'^(?P<host>\S+) - - \[(?P<date>\d{2}/[A-Z][a-z]{2}/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4})\] '
    r'"(?P<req>(?:[^"\\]|\\.)*)" (?P<status>\d{3}) (?P<bytes>\d+|-) '
    r'"(?P<ref>(?:[^"\\]|\\.)*)" "(?P<ua>(?:[^"\\]|\\.)*)"$')


def wait_lines(path, n, timeout=5):
    deadline = time.time() + timeout * SLOW
    while True:
        lines = path.read_bytes().split(b"\n") if path.exists() else [b""]
        assert lines[-1] == b"", "a partial line: %r" % lines[-1]
        if len(lines) - 1 >= n or time.time() > deadline:
            return [l.decode("ascii") for l in lines[:-1]]
        time.sleep(0.05)


def test_access_log_combined(camada, site, tmp_path):
    log = tmp_path / "access.log"
    _srv, port = serve(camada, site, "--access-log", log)
    curl("-A", "test-agent/1.0", "-e", "http://ref.example/", url(port, "/hello.txt"))
    curl("-A", "test-agent/1.0", url(port, "/missing"))
    curl("-A", "ua", "-I", url(port, "/page.html"))
    lines = wait_lines(log, 3)
    assert len(lines) == 3, lines
    ms = [CLF.match(l) for l in lines]
    assert all(ms), lines
    assert ms[0]["host"] == "127.0.0.1"
    assert ms[0]["req"] == "GET /hello.txt HTTP/1.1"
    assert ms[0]["status"] == "200" and ms[0]["bytes"] == "13"
    assert ms[0]["ref"] == "http://ref.example/" and ms[0]["ua"] == "test-agent/1.0"
    assert ms[1]["req"] == "GET /missing HTTP/1.1" and ms[1]["status"] == "404"
    assert ms[1]["ref"] == "-"
    assert ms[2]["req"] == "HEAD /page.html HTTP/1.1" and ms[2]["bytes"] == "0"
    t = time.strptime(ms[0]["date"], "%d/%b/%Y:%H:%M:%S %z")
    assert abs(time.mktime(t) - time.mktime(time.gmtime())) < 120


def test_access_log_json(camada, site, tmp_path):
    log = tmp_path / "access.json"
    _srv, port = serve(camada, site, "--access-log", log,
                       "--access-log-format", "json")
    curl("-A", "json-agent", url(port, "/hello.txt"))
    curl("-A", 'quote " and \\ back', url(port, "/nope?a=1"))
    lines = wait_lines(log, 2)
    assert len(lines) == 2
    recs = [json.loads(l) for l in lines]
    assert recs[0]["method"] == "GET" and recs[0]["target"] == "/hello.txt"
    assert recs[0]["status"] == 200 and recs[0]["bytes"] == 13
    assert recs[0]["remote"] == "127.0.0.1"
    assert recs[0]["user_agent"] == "json-agent"
    assert recs[1]["status"] == 404 and recs[1]["target"] == "/nope?a=1"
    assert recs[1]["user_agent"] == 'quote " and \\ back'


HOSTILE = [
    b'GET /a"b HTTP/1.1\r\nHost: t\r\n\r\n',
    b'GET /x" 200 0 "-" "forged HTTP/1.1\r\nHost: t\r\n\r\n',
    b"GET /caf\xc3\xa9\x80\xff HTTP/1.1\r\nHost: t\r\n\r\n",
    b"GET /%0a%0d%22 HTTP/1.1\r\nHost: t\r\n\r\n",
    b"GET /x HTTP/1.1\r\nHost: t\r\nUser-Agent: a\" 200 1 \"b\r\n\r\n",
    b"GET /x HTTP/1.1\r\nHost: t\r\nUser-Agent: tab\there \xff\xfe\\\r\n\r\n",
    b"GET /x HTTP/1.1\r\nHost: t\r\nReferer: \x1b[31mred\r\n\r\n",
    b"GET /a\x01b HTTP/1.1\r\nHost: t\r\n\r\n",
    b"GET /a\nb HTTP/1.1\r\nHost: t\r\n\r\n",
    b"GET /x HTTP/1.1\r\nHost: t\r\nUser-Agent: a\x00b\r\n\r\n",
    # fields longer than a log line's buffer
    b"GET /" + b"\"" * 7000 + b" HTTP/1.1\r\nHost: t\r\n\r\n",
    b"GET /" + b"y" * 3000 + b" HTTP/1.1\r\nHost: t\r\nUser-Agent: " +
    b"\xff" * 3000 + b"\r\nReferer: " + b"\"" * 3000 + b"\r\n\r\n",
    b"M" * 3000 + b" /" + b"\"" * 3000 + b" HTTP/1.1\r\nHost: t\r\nUser-Agent: " +
    b"\x01" * 2000 + b"\r\nReferer: " + b"\\" * 2000 + b"\r\n\r\n",
]


@pytest.mark.parametrize("fmt", ["combined", "json"])
def test_access_log_cannot_be_broken(camada, site, tmp_path, fmt):
    log = tmp_path / "access.log"
    _srv, port = serve(camada, site, "--access-log", log,
                       "--access-log-format", fmt)
    for req in HOSTILE:
        exchange(port, req + b"GET /end HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
                 timeout=3)
    lines = wait_lines(log, len(HOSTILE))
    assert len(lines) >= len(HOSTILE)
    for line in lines:
        assert all(0x20 <= ord(ch) < 0x7f for ch in line), repr(line)[:300]
        assert len(line) < 4096
        if fmt == "json":
            try:
                rec = json.loads(line)
            except ValueError:
                raise AssertionError("broken JSON line: %r" % line[:300])
            assert isinstance(rec["status"], int)
        else:
            m = CLF.match(line)
            assert m, "broken log line: %r" % line[:300]
            assert m["host"] == "127.0.0.1"
    if fmt == "combined":
        # what the client sent is in its field, escaped, and nowhere else
        ms = [CLF.match(l) for l in lines]
        assert any(m["req"] == r'GET /a\"b HTTP/1.1' and m["status"] == "404"
                   for m in ms)
        assert any(m["ua"] == r'a\" 200 1 \"b' and m["status"] == "404"
                   for m in ms)
        assert not any(m["status"] == "200" for m in ms)
    else:
        recs = [json.loads(l) for l in lines]
        assert any(r.get("target") == '/a"b' for r in recs)
        assert any(r["user_agent"] == 'a" 200 1 "b' for r in recs)


def test_access_log_stderr(camada, site):
    srv, port = serve(camada, site, "--access-log", "stderr")
    curl("-A", "to-stderr", url(port, "/hello.txt"))
    line = srv.wait_line(r'"GET /hello.txt HTTP/1.1" 200 13 "-" "to-stderr"')
    assert CLF.match(line[line.index("127.0.0.1"):])


def test_access_log_two_workers_whole_lines(camada, site, tmp_path):
    log = tmp_path / "access.log"
    _srv, port = serve(camada, site, "--access-log", log, workers=2)
    ua = "agent-" + "x" * 800
    socks = []
    for i in range(20):
        s = connect(port)
        s.sendall(b"".join(b"GET /hello.txt?%d HTTP/1.1\r\nHost: t\r\nUser-Agent: %s\r\n\r\n"
                           % (k, ua.encode()) for k in range(10)))
        socks.append(s)
    for s in socks:
        read_responses(s, 10)
        s.close()
    lines = wait_lines(log, 200)
    assert len(lines) == 200
    assert all(CLF.match(l) and l.endswith('"%s"' % ua) for l in lines)


# --- 10,000 idle keep-alive connections ---

@pytest.mark.slow
@pytest.mark.skipif(ASAN, reason="too slow and memory-hungry under ASan")
def test_ten_thousand_idle_keepalive_connections(camada, site):
    N = 10000
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = N + 500
    if hard < need:
        pytest.skip("RLIMIT_NOFILE hard limit %d < %d" % (hard, need))
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, need), hard))
    socks = []
    try:
        srv, port = serve(camada, site, "--keepalive-timeout", "300s",
                          "--header-timeout", "300s")
        (worker,) = wait_workers(srv, 1)
        # warm up the worker's allocator and caches
        for _ in range(20):
            curl(url(port, "/hello.txt"))
        time.sleep(0.2)
        rss_before = vmrss_kib(worker)
        req = b"GET /ten.txt HTTP/1.1\r\nHost: t\r\n\r\n"
        sel = selectors.DefaultSelector()
        pending = 0
        t0 = time.time()
        for i in range(N):
            s = socket.create_connection(("127.0.0.1", port), timeout=30)
            s.sendall(req)
            s.setblocking(False)
            sel.register(s, selectors.EVENT_READ, [b""])
            socks.append(s)
            pending += 1
            # read answers as we go, so the backlog never fills
            if i % 200 == 199 or i == N - 1:
                pending = drain(sel, pending, final=(i == N - 1))
        elapsed = time.time() - t0
        assert pending == 0
        # every connection is open and idle; a fresh client is still served
        r = curl("-v", url(port, "/hello.txt"))
        assert r.stdout == "hello, world\n", r.stderr
        metrics = curl(url(port, "/metrics")).stdout
        open_now = int(re.search(r"^http_connections_open (\d+)", metrics, re.M).group(1))
        assert open_now >= N
        time.sleep(0.2)
        rss_after = vmrss_kib(worker)
        per_conn = (rss_after - rss_before) * 1024.0 / N
        print("\n10k idle keep-alive connections: worker VmRSS %d KiB before, "
              "%d KiB after, %+d KiB, %.0f bytes per connection; opened in %.1fs"
              % (rss_before, rss_after, rss_after - rss_before, per_conn, elapsed))
        # none was closed: each still answers on the same connection
        for s in socks[::500]:
            s.setblocking(True)
            s.settimeout(5)
            s.sendall(req)
            assert read_responses(s, 1)[0].body == b"0123456789"
        assert srv.proc.poll() is None
        assert "error" not in srv.output().lower()
        # reset rather than close: no 10,000 sockets left in TIME_WAIT
        linger = struct.pack("ii", 1, 0)
        for s in socks:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
            s.close()
        socks = []
    finally:
        for s in socks:
            s.close()
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def drain(sel, pending, final=False):
    """Reads responses until at most a few are outstanding (all if final)."""
    deadline = time.time() + 60
    while pending > (0 if final else 100):
        assert time.time() < deadline, "%d responses missing" % pending
        for key, _ in sel.select(timeout=1):
            s = key.fileobj
            b = s.recv(4096)
            assert b, "server closed a keep-alive connection"
            key.data[0] += b
            if key.data[0].endswith(b"0123456789"):
                assert key.data[0].startswith(b"HTTP/1.1 200 OK\r\n")
                sel.unregister(s)
                pending -= 1
    return pending
