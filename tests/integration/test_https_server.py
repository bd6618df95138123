"""HTTPS in the origin server (issue 9): the demo site over TLS to curl,
wget, Python's ssl and http.client and openssl s_client, each trusting the
test's own CA (tls_testlib); SNI picks a vhost's certificate, ALPN says
http/1.1 and refuses the rest, TLS 1.0/1.1 are refused, sessions resume on
either worker; keep-alive, pipelining, ranges, conditional GET, /metrics,
the demo and the large file work as over plain TCP; hostile handshakes are
closed while others are served; SIGHUP swaps the certificate for new
connections while a download in flight completes; redirect-to-https and
hsts.

One server (two workers) serves most tests; tests that need their own
settings (a short handshake timeout, a reload) start their own."""
import hashlib
import http.client
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import time
from types import SimpleNamespace

import pytest

from conftest import ASAN, SLOW, Camada, run, wait_until
from http_testlib import (WWW, Incomplete, curl, parse_all, parse_one,
                          read_until_close, serving_worker, wget)
from tls_testlib import fingerprint, make_ca, make_cert, subject_cn

BIG = os.path.join(WWW, "big.bin")
REQ = b"GET %s HTTP/1.1\r\nHost: localhost\r\n%s\r\n"


def has_ipv6():
    try:
        s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        s.bind(("::1", 0))
        s.close()
        return True
    except OSError:
        return False


def finish(srv):
    """Stops srv and checks what the sanitizers said."""
    srv.kill()
    if ASAN:
        out = srv.output()
        assert "ERROR: AddressSanitizer" not in out, out
        assert "ERROR: LeakSanitizer" not in out, out
        assert "runtime error:" not in out, out


def start(args, listeners):
    srv = Camada(args)
    try:
        srv.wait_listening(listeners)
    except Exception:
        srv.kill()
        raise
    return srv


# --- the shared server ---

@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    d = tmp_path_factory.mktemp("pki")
    ca = make_ca(d / "ca")
    cert, key = make_cert(ca, d / "leaf", ["localhost", "127.0.0.1", "::1"])
    acert, akey = make_cert(ca, d / "leaf", ["a.test"], key="rsa")
    return SimpleNamespace(dir=d, ca=ca, cert=cert, key=key, acert=acert,
                           akey=akey)


@pytest.fixture(scope="module")
def https(pki, tmp_path_factory):
    """camada serve: plain and TLS listeners on the demo site, vhost a.test
    with its own (RSA) certificate, b.test without one, hsts and
    redirect-to-https on (so plain requests but /metrics are redirected)."""
    d = tmp_path_factory.mktemp("https")
    for name in ("a", "b"):
        (d / name).mkdir()
        (d / name / "index.html").write_text("<p>site %s</p>\n" % name)
    v6 = has_ipv6()
    conf = d / "camada.conf"
    conf.write_text(
        "workers = 2\n"
        "[http]\n"
        "listen = 127.0.0.1:0\n"
        "tls-listen = 127.0.0.1:0\n" +
        ("tls-listen = [::1]:0\n" if v6 else "") +
        "root = %s\n"
        "tls-cert = %s\ntls-key = %s\n"
        "vhost = a.test %s %s %s\n"
        "vhost = b.test %s\n"
        "demo = on\n"
        "hsts = max-age=31536000\n"
        "redirect-to-https = on\n"
        % (WWW, pki.cert, pki.key, d / "a", pki.acert, pki.akey, d / "b"))
    srv = start(["serve", "-c", str(conf)], 3 if v6 else 2)
    ports = [p for _s, _h, p, _pr in srv.listeners]
    yield SimpleNamespace(srv=srv, plain=ports[0], tls=ports[1],
                          tls6=ports[2] if v6 else None, ca=pki.ca.pem,
                          pki=pki, dir=d)
    finish(srv)


def client_ctx(cafile, alpn=None):
    ctx = ssl.create_default_context(cafile=cafile)
    if alpn:
        ctx.set_alpn_protocols(alpn)
    return ctx


def tls_connect(port, cafile, host="localhost", alpn=None, session=None,
                ctx=None, addr="127.0.0.1"):
    ctx = ctx or client_ctx(cafile, alpn)
    raw = socket.create_connection((addr, port), timeout=10 * SLOW)
    return ctx.wrap_socket(raw, server_hostname=host, session=session)


def responses(s, count, methods=None, timeout=10):
    """Reads count final responses from s (any socket)."""
    s.settimeout(timeout * SLOW)
    data = b""
    while True:
        try:
            rs = parse_all(data, methods)
            if len([r for r in rs if r.status >= 200]) >= count:
                return rs
        except Incomplete:
            pass
        b = s.recv(1 << 20)
        assert b, "closed after %r" % data[:300]
        data += b


def metrics(port):
    """/metrics over plain HTTP (not redirected): {series: value}."""
    r = curl("http://127.0.0.1:%d/metrics" % port)
    out = {}
    for line in r.stdout.splitlines():
        if line and not line.startswith("#"):
            k, _, v = line.rpartition(" ")
            out[k] = float(v)
    return out


def s_client(port, *args, input=b"", host="127.0.0.1"):
    """openssl s_client against port; returns (rc, stdout + stderr)."""
    r = subprocess.run(["openssl", "s_client", "-connect",
                        "%s:%d" % (host, port)] + [str(a) for a in args],
                       input=input, capture_output=True, timeout=30 * SLOW)
    return r.returncode, (r.stdout + r.stderr).decode("utf-8", "replace")


def peer_cn(out):
    m = re.search(r"^subject=.*?CN\s*=\s*([^,/\n]+)", out, re.M)
    return m.group(1).strip() if m else None


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for b in iter(lambda: f.read(1 << 20), b""):
            h.update(b)
    return h.hexdigest()


# --- real clients ---

def test_curl_with_cacert(https):
    r = curl("--cacert", https.ca, "-D", "-",
             "https://localhost:%d/index.html" % https.tls)
    assert r.returncode == 0, r.stderr
    head, _, body = r.stdout.partition("\n\n")  # text mode: CRLF is LF
    assert head.startswith("HTTP/1.1 200 ")
    assert body == open(os.path.join(WWW, "index.html")).read()
    # and by address: the certificate names 127.0.0.1 too
    r = curl("--cacert", https.ca, "-o", "/dev/null", "-w", "%{http_code}",
             "https://127.0.0.1:%d/" % https.tls)
    assert r.stdout == "200", r.stderr
    # without the CA, curl refuses the server as it should
    r = curl("https://localhost:%d/" % https.tls)
    assert r.returncode == 60, (r.returncode, r.stderr)


def test_curl_over_ipv6(https):
    if https.tls6 is None:
        pytest.skip("no IPv6 loopback")
    r = curl("--cacert", https.ca, "-g", "https://[::1]:%d/index.html" %
             https.tls6)
    assert r.returncode == 0, r.stderr
    assert r.stdout == open(os.path.join(WWW, "index.html")).read()


def test_wget_with_ca_certificate(https, tmp_path):
    r = wget("--ca-certificate=%s" % https.ca, "-O", tmp_path / "page.html",
             "https://localhost:%d/page.html" % https.tls)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "page.html").read_bytes() == \
        open(os.path.join(WWW, "page.html"), "rb").read()


def test_python_http_client_keeps_one_tls_connection(https):
    ctx = client_ctx(https.ca, ["http/1.1"])
    c = http.client.HTTPSConnection("localhost", https.tls, context=ctx,
                                    timeout=10 * SLOW)
    c.request("GET", "/index.html")
    r = c.getresponse()
    body = r.read()
    assert r.status == 200 and body == \
        open(os.path.join(WWW, "index.html"), "rb").read()
    sock = c.sock
    assert sock.version() in ("TLSv1.2", "TLSv1.3")
    assert sock.selected_alpn_protocol() == "http/1.1"
    # conditional GET and a range over the same connection
    etag = r.getheader("ETag")
    c.request("GET", "/index.html", headers={"If-None-Match": etag})
    r = c.getresponse()
    assert r.status == 304 and r.read() == b""
    c.request("GET", "/index.html", headers={"Range": "bytes=0-9"})
    r = c.getresponse()
    assert r.status == 206 and r.read() == body[:10]
    assert r.getheader("Content-Range") == "bytes 0-9/%d" % len(body)
    # the cookie demo and the form demo
    c.request("GET", "/visits")
    r = c.getresponse()
    page = r.read().decode()
    assert r.status == 200 and re.search(r"visit number 1\b", page), page
    sid = re.search(r"sid=([0-9a-f]{32})", r.getheader("Set-Cookie")).group(1)
    c.request("GET", "/visits", headers={"Cookie": "sid=" + sid})
    r = c.getresponse()
    assert re.search(r"visit number 2\b", r.read().decode())
    c.request("POST", "/post", body="a=1&b=2",
              headers={"Content-Type": "application/x-www-form-urlencoded"})
    r = c.getresponse()
    assert r.status == 200 and "<th>a</th><td>1</td>" in r.read().decode()
    assert c.sock is sock, "every request went over the one connection"
    c.close()


# --- SNI, ALPN, versions ---

def test_sni_picks_the_vhosts_certificate(https):
    rc, out = s_client(https.tls, "-servername", "a.test", "-CAfile",
                       https.ca, "-verify_return_error")
    assert rc == 0, out
    assert peer_cn(out) == "a.test", out
    assert "Verify return code: 0 (ok)" in out
    # a name no certificate covers, a vhost without one, and no SNI at all
    # get the default
    for args in (["-servername", "unknown.test"],
                 ["-servername", "b.test"], ["-noservername"]):
        rc, out = s_client(https.tls, *args)
        assert rc == 0, out
        assert peer_cn(out) == "localhost", (args, out)


def test_sni_and_host_reach_the_vhost(https):
    r = curl("--cacert", https.ca, "--resolve",
             "a.test:%d:127.0.0.1" % https.tls,
             "https://a.test:%d/" % https.tls)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "<p>site a</p>\n"
    s = tls_connect(https.tls, https.ca, host="a.test")
    assert s.getpeercert()["subject"] == ((("commonName", "a.test"),),)
    s.close()


def test_alpn_http11_is_answered(https):
    rc, out = s_client(https.tls, "-alpn", "h2,http/1.1", "-servername",
                       "localhost")
    assert rc == 0, out
    assert "ALPN protocol: http/1.1" in out, out


def test_a_client_offering_only_h2_is_refused_with_the_alert(https):
    before = metrics(https.plain).get(
        'tls_handshake_failures_total{reason="alpn"}', 0)
    rc, out = s_client(https.tls, "-alpn", "h2")
    assert rc != 0, out
    assert "no application protocol" in out, out
    wait_until(lambda: metrics(https.plain).get(
        'tls_handshake_failures_total{reason="alpn"}', 0) > before,
        "the ALPN failure counted")


@pytest.mark.parametrize("flag", ["-tls1_1", "-tls1"])
def test_tls_1_1_and_1_0_are_refused(https, flag):
    before = metrics(https.plain).get(
        'tls_handshake_failures_total{reason="version"}', 0)
    # SECLEVEL=0: this OpenSSL would not even offer the old versions
    rc, out = s_client(https.tls, flag, "-cipher", "DEFAULT@SECLEVEL=0")
    assert rc != 0, out
    assert "alert protocol version" in out, out
    assert "Cipher is (NONE)" in out, out
    # the server said no: it counted the refusal
    wait_until(lambda: metrics(https.plain).get(
        'tls_handshake_failures_total{reason="version"}', 0) > before,
        "the version refusal counted")


@pytest.mark.parametrize("flag,version", [("-tls1_2", "TLSv1.2"),
                                          ("-tls1_3", "TLSv1.3")])
def test_tls_1_2_and_1_3_are_served(https, flag, version):
    rc, out = s_client(https.tls, flag, "-CAfile", https.ca,
                       "-verify_return_error", "-servername", "localhost")
    assert rc == 0, out
    assert re.search(r"^New, %s, Cipher is " % re.escape(version), out,
                     re.M), out


def test_tls12_without_forward_secrecy_is_refused(https):
    rc, out = s_client(https.tls, "-tls1_2", "-cipher", "AES128-SHA:AES256-SHA")
    assert rc != 0, out


# --- resumption ---

def test_resumption_with_s_client_sess_in(https, tmp_path):
    sess = tmp_path / "sess.pem"
    req = b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    # -ign_eof: read to the server's close, so TLS 1.3's ticket arrives
    rc, out = s_client(https.tls, "-sess_out", sess, "-ign_eof",
                       "-servername", "localhost", input=req)
    assert rc == 0 and "HTTP/1.1 200" in out, out
    assert sess.exists()
    before = metrics(https.plain).get('tls_handshakes_total{kind="resumed"}', 0)
    for _ in range(6):
        rc, out = s_client(https.tls, "-sess_in", sess, "-ign_eof",
                           "-servername", "localhost", input=req)
        assert rc == 0 and "HTTP/1.1 200" in out, out
        assert re.search(r"^Reused, TLSv1\.[23]", out, re.M), out
    wait_until(lambda: metrics(https.plain).get(
        'tls_handshakes_total{kind="resumed"}', 0) >= before + 6,
        "six resumed handshakes counted")


def test_a_session_resumes_on_the_other_worker(https):
    """The ticket one worker issued is taken by the other: find a
    connection that lands on the other worker (SO_REUSEPORT spreads them by
    port) and check it resumed."""
    ctx = client_ctx(https.ca)
    s = tls_connect(https.tls, https.ca, ctx=ctx)
    s.sendall(REQ % (b"/index.html", b"Connection: close\r\n"))
    read_until_close(s)
    sess = s.session
    s.close()
    assert sess is not None
    pids = set()
    resumed_on = set()
    for _ in range(40):
        s = tls_connect(https.tls, https.ca, ctx=ctx, session=sess)
        pid = serving_worker(https.srv, s, https.tls)
        s.sendall(REQ % (b"/index.html", b""))
        r = responses(s, 1)[0]
        assert r.status == 200
        if s.session_reused:
            resumed_on.add(pid)
        pids.add(pid)
        s.close()
        if len(resumed_on) == 2:
            break
    assert len(resumed_on) == 2, "resumed on %r of %r" % (resumed_on, pids)


# --- HTTP over TLS as over TCP ---

def test_pipelined_requests_in_one_write_over_tls(https):
    s = tls_connect(https.tls, https.ca)
    s.sendall(REQ % (b"/index.html", b"") + REQ % (b"/style.css", b"") +
              REQ % (b"/index.html", b""))
    rs = responses(s, 3)
    assert [r.status for r in rs] == [200, 200, 200]
    idx = open(os.path.join(WWW, "index.html"), "rb").read()
    assert rs[0].body == idx and rs[2].body == idx
    assert rs[1].body == open(os.path.join(WWW, "style.css"), "rb").read()
    # kept alive: one more on the same connection, then close
    s.sendall(REQ % (b"/index.html", b"Connection: close\r\n"))
    data, closed = read_until_close(s)
    r, _ = parse_one(data)
    assert r.status == 200 and r.body == idx and closed
    s.close()


def test_connection_close_ends_with_close_notify(https):
    """After "Connection: close" the server ends TLS properly, so the
    client can tell the end of the stream from a truncation."""
    raw = socket.create_connection(("127.0.0.1", https.tls), timeout=5 * SLOW)
    s = client_ctx(https.ca).wrap_socket(raw, server_hostname="localhost",
                                         suppress_ragged_eofs=False)
    s.sendall(REQ % (b"/index.html", b"Connection: close\r\n"))
    data = b""
    while True:
        b = s.recv(65536)  # SSLEOFError on an EOF without close_notify
        if not b:
            break
        data += b
    s.close()
    r, rest = parse_one(data)
    assert r.status == 200 and rest == b""


def test_range_and_if_none_match_over_tls(https):
    s = tls_connect(https.tls, https.ca)
    s.sendall(REQ % (b"/big.bin", b"Range: bytes=100-199\r\n"))
    r = responses(s, 1)[0]
    assert r.status == 206
    with open(BIG, "rb") as f:
        f.seek(100)
        assert r.body == f.read(100)
    s.sendall(REQ % (b"/page.html", b""))
    r = responses(s, 1)[0]
    etag = r.header("ETag")
    assert r.status == 200 and etag
    s.sendall(REQ % (b"/page.html", b"If-None-Match: " + etag.encode() +
                     b"\r\n"))
    r = responses(s, 1)[0]
    assert r.status == 304 and r.body == b""
    s.close()


def test_metrics_over_tls_show_the_tls_counters(https):
    r = curl("--cacert", https.ca, "https://localhost:%d/metrics" % https.tls)
    assert r.returncode == 0, r.stderr
    assert re.search(r'^tls_handshakes_total\{kind="full"\} [1-9]', r.stdout,
                     re.M), r.stdout
    assert 'tls_sessions_total{version="TLSv1.3"}' in r.stdout
    assert "tls_ktls_total" in r.stdout
    assert "http_requests_total" in r.stdout


def test_the_big_file_byte_exact(https, tmp_path):
    out = tmp_path / "big.bin"
    r = curl("--cacert", https.ca, "-o", out,
             "https://localhost:%d/big.bin" % https.tls, timeout=60)
    assert r.returncode == 0, r.stderr
    assert os.path.getsize(out) == os.path.getsize(BIG)
    assert sha256_file(out) == sha256_file(BIG)


def test_small_files_from_the_cache_over_tls(https):
    """The second request is a file-cache hit (within file-cache-valid):
    the same bytes either way."""
    s = tls_connect(https.tls, https.ca)
    want = open(os.path.join(WWW, "style.css"), "rb").read()
    for _ in range(3):
        s.sendall(REQ % (b"/style.css", b""))
        r = responses(s, 1)[0]
        assert r.status == 200 and r.body == want
    s.close()


def test_demo_visits_with_curl_over_tls(https, tmp_path):
    jar = str(tmp_path / "jar")
    for n in (1, 2):
        r = curl("--cacert", https.ca, "-c", jar, "-b", jar,
                 "https://localhost:%d/visits" % https.tls)
        assert r.returncode == 0, r.stderr
        assert re.search(r"visit number %d\b" % n, r.stdout), r.stdout


# --- hsts and redirect-to-https ---

def test_hsts_only_over_tls(https):
    r = curl("--cacert", https.ca, "-D", "-", "-o", "/dev/null",
             "https://localhost:%d/" % https.tls)
    assert re.search(r"(?im)^Strict-Transport-Security: max-age=31536000\r?$",
                     r.stdout), r.stdout
    r = curl("-D", "-", "-o", "/dev/null",
             "http://127.0.0.1:%d/metrics" % https.plain)
    assert r.stdout.startswith("HTTP/1.1 200 ")
    assert "strict-transport-security" not in r.stdout.lower()


def plain(port, req):
    s = socket.create_connection(("127.0.0.1", port), timeout=5 * SLOW)
    s.sendall(req)
    data, _ = read_until_close(s)
    s.close()
    return parse_one(data, req.split(b" ", 1)[0].decode())[0]


def test_redirect_to_https(https):
    r = plain(https.plain, b"GET /page.html?x=1&y=%%41 HTTP/1.1\r\n"
              b"Host: localhost:%d\r\nConnection: close\r\n\r\n" % https.plain)
    assert r.status == 301
    assert r.header("Location") == \
        "https://localhost:%d/page.html?x=1&y=%%41" % https.tls
    assert r.header("Strict-Transport-Security") is None
    r = plain(https.plain, b"HEAD / HTTP/1.1\r\nHost: [::1]:%d\r\n"
              b"Connection: close\r\n\r\n" % https.plain)
    assert r.status == 301
    assert r.header("Location") == "https://[::1]:%d/" % https.tls
    # /metrics stays plain: a Prometheus scrape would not follow
    r = plain(https.plain, b"GET /metrics HTTP/1.1\r\nHost: localhost\r\n"
              b"Connection: close\r\n\r\n")
    assert r.status == 200
    # a Host that cannot name a URL is answered here, not redirected
    r = plain(https.plain, b"GET /index.html HTTP/1.0\r\n\r\n")
    assert r.status == 200
    # curl -L ends up on the HTTPS page
    r = curl("-L", "--cacert", https.ca,
             "http://localhost:%d/index.html" % https.plain)
    assert r.returncode == 0, r.stderr
    assert r.stdout == open(os.path.join(WWW, "index.html")).read()


# --- hostile clients ---

def test_garbage_instead_of_a_client_hello(https):
    for junk in (os.urandom(600), b"\x16\x03\x01\x00\x05hello" * 10,
                 b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"):
        s = socket.create_connection(("127.0.0.1", https.tls),
                                     timeout=5 * SLOW)
        cport = s.getsockname()[1]
        s.sendall(junk)
        _data, closed = read_until_close(s)
        s.close()
        assert closed, junk[:20]
        https.srv.wait_line(r"tls: handshake with 127\.0\.0\.1:%d failed"
                            % cport)
    # and the server is fine
    r = curl("--cacert", https.ca, "https://localhost:%d/" % https.tls)
    assert r.returncode == 0, r.stderr


def client_hello(host="localhost"):
    """The bytes of a real ClientHello, made with Python's ssl over memory."""
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ssl.create_default_context().wrap_bio(inc, out,
                                                server_hostname=host)
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return out.read()


@pytest.fixture
def short_handshake(pki, camada):
    srv = camada("http", "-l", "127.0.0.1:0", "--tls-listen", "127.0.0.1:0",
                 "-r", WWW, "--workers", "2", "--tls-cert", pki.cert,
                 "--tls-key", pki.key, "--tls-handshake-timeout", "1s",
                 "--access-log", "off", listeners=2)
    ports = [p for _s, _h, p, _pr in srv.listeners]
    return SimpleNamespace(srv=srv, plain=ports[0], tls=ports[1],
                           ca=pki.ca.pem)


def test_stalled_handshakes_are_closed_while_others_are_served(
        short_handshake):
    h = short_handshake
    hello = client_hello()
    socks = []
    try:
        # 2,000 that never finish: half say nothing, half stop half way
        # through their ClientHello
        for i in range(2000):
            s = socket.create_connection(("127.0.0.1", h.tls),
                                         timeout=10 * SLOW)
            if i % 2:
                s.sendall(hello[:len(hello) // 2])
            socks.append(s)
        # and a few that stall later: the whole ClientHello, the server's
        # answer read, and then no Finished from us
        for _ in range(10):
            s = socket.create_connection(("127.0.0.1", h.tls),
                                         timeout=10 * SLOW)
            s.sendall(hello)
            assert s.recv(5)[:1] == b"\x16", "a handshake record"
            socks.append(s)
        # meanwhile another client is served, over TLS and plain
        r = curl("--cacert", h.ca, "https://localhost:%d/index.html" % h.tls)
        assert r.returncode == 0, r.stderr
        assert r.stdout == open(os.path.join(WWW, "index.html")).read()
        r = curl("http://127.0.0.1:%d/index.html" % h.plain)
        assert r.returncode == 0, r.stderr
        # every one is closed by the server once the 1 s bound passes
        deadline = time.time() + 30 * SLOW
        for s in socks:
            s.settimeout(max(0.1, deadline - time.time()))
            try:
                while s.recv(65536):
                    pass  # the rest of a server's flight, then EOF
            except ConnectionResetError:
                pass
    finally:
        for s in socks:
            s.close()
    wait_until(lambda: metrics(h.plain).get(
        'tls_handshake_failures_total{reason="timeout"}', 0) >= 2010,
        "2010 handshake timeouts counted")
    r = curl("--cacert", h.ca, "https://localhost:%d/" % h.tls)
    assert r.returncode == 0, r.stderr


# --- reload ---

def serving_cert(port, cafile):
    """The SHA-256 fingerprint (hex, upper case) a new connection sees."""
    s = tls_connect(port, cafile)
    der = s.getpeercert(binary_form=True)
    s.close()
    return hashlib.sha256(der).hexdigest().upper()


def test_sighup_swaps_the_certificate_while_a_download_completes(
        camada, pki, tmp_path):
    live = tmp_path / "live"
    live.mkdir()
    c1 = make_cert(pki.ca, tmp_path / "c1", ["localhost"])
    c2 = make_cert(pki.ca, tmp_path / "c2", ["localhost"], key="rsa")
    shutil.copy(c1[0], live / "cert.pem")
    shutil.copy(c1[1], live / "key.pem")
    conf = tmp_path / "camada.conf"
    conf.write_text("workers = 2\n[http]\nlisten = 127.0.0.1:0\n"
                    "tls-listen = 127.0.0.1:0\nroot = %s\n"
                    "tls-cert = live/cert.pem\ntls-key = live/key.pem\n"
                    % WWW)
    srv = camada("serve", "-c", str(conf), listeners=2)
    port = srv.listeners[1][2]
    ca = pki.ca.pem
    assert serving_cert(port, ca) == fingerprint(c1[0])

    # a download in flight, held back by a slow reader
    raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
    raw.settimeout(20 * SLOW)
    raw.connect(("127.0.0.1", port))
    dl = client_ctx(ca).wrap_socket(raw, server_hostname="localhost")
    dl_cert = hashlib.sha256(dl.getpeercert(True)).hexdigest().upper()
    dl.sendall(REQ % (b"/big.bin", b"Connection: close\r\n"))
    first = dl.recv(65536)
    assert first.startswith(b"HTTP/1.1 200"), first[:100]

    shutil.copy(c2[0], live / "cert.pem")
    shutil.copy(c2[1], live / "key.pem")
    srv.signal(signal.SIGHUP)
    srv.wait_line(r"reloaded " + re.escape(str(conf)))
    new = fingerprint(c2[0])
    wait_until(lambda: serving_cert(port, ca) == new,
               "a new connection sees the new certificate")
    for _ in range(8):  # on both workers
        assert serving_cert(port, ca) == new

    # the download goes on with its own session and completes
    data = first
    while True:
        b = dl.recv(1 << 20)
        if not b:
            break
        data += b
    dl.close()
    head, body = data.split(b"\r\n\r\n", 1)
    assert dl_cert == fingerprint(c1[0])
    assert len(body) == os.path.getsize(BIG)
    assert hashlib.sha256(body).hexdigest() == sha256_file(BIG)

    # a bad file: the reload is refused, says why, and the new
    # certificate stays
    (live / "cert.pem").write_text("not a certificate\n")
    srv.signal(signal.SIGHUP)
    line = srv.wait_line(r"keeping the running configuration")
    assert "cert.pem" in line, line
    for _ in range(8):
        assert serving_cert(port, ca) == new
    assert srv.stop() == 0


def test_a_key_that_does_not_match_keeps_the_old_certificate(
        camada, pki, tmp_path):
    live = tmp_path / "live"
    live.mkdir()
    c1 = make_cert(pki.ca, tmp_path / "c1", ["localhost"])
    other = make_cert(pki.ca, tmp_path / "c2", ["localhost"])
    shutil.copy(c1[0], live / "cert.pem")
    shutil.copy(c1[1], live / "key.pem")
    conf = tmp_path / "camada.conf"
    conf.write_text("workers = 1\n[http]\nlisten = 127.0.0.1:0\n"
                    "tls-listen = 127.0.0.1:0\nroot = %s\n"
                    "tls-cert = live/cert.pem\ntls-key = live/key.pem\n"
                    % WWW)
    srv = camada("serve", "-c", str(conf), listeners=2)
    port = srv.listeners[1][2]
    shutil.copy(other[1], live / "key.pem")
    srv.signal(signal.SIGHUP)
    line = srv.wait_line(r"keeping the running configuration")
    assert "key" in line, line
    assert serving_cert(port, pki.ca.pem) == fingerprint(c1[0])
    assert srv.stop() == 0


def test_a_restarted_worker_serves_the_reloaded_certificate(
        camada, pki, tmp_path):
    """A worker forked after a crash starts from the parent's context and
    reloads, as every worker did, so it serves what the last SIGHUP read."""
    live = tmp_path / "live"
    live.mkdir()
    c1 = make_cert(pki.ca, tmp_path / "c1", ["localhost"])
    c2 = make_cert(pki.ca, tmp_path / "c2", ["localhost"])
    shutil.copy(c1[0], live / "cert.pem")
    shutil.copy(c1[1], live / "key.pem")
    conf = tmp_path / "camada.conf"
    conf.write_text("workers = 1\n[http]\nlisten = 127.0.0.1:0\n"
                    "tls-listen = 127.0.0.1:0\nroot = %s\n"
                    "tls-cert = live/cert.pem\ntls-key = live/key.pem\n"
                    % WWW)
    srv = camada("serve", "-c", str(conf), listeners=2)
    port = srv.listeners[1][2]
    ca = pki.ca.pem
    kid = srv.children()
    os.kill(kid[0], signal.SIGKILL)
    srv.wait_line(r"restarting")
    wait_until(lambda: srv.children() and srv.children() != kid,
               "a new worker")
    assert serving_cert(port, ca) == fingerprint(c1[0])
    shutil.copy(c2[0], live / "cert.pem")
    shutil.copy(c2[1], live / "key.pem")
    srv.signal(signal.SIGHUP)
    srv.wait_line(r"reloaded ")
    wait_until(lambda: serving_cert(port, ca) == fingerprint(c2[0]),
               "the new certificate")
    kid = srv.children()
    os.kill(kid[0], signal.SIGKILL)
    wait_until(lambda: srv.children() and srv.children() != kid,
               "another new worker")
    wait_until(lambda: serving_cert(port, ca) == fingerprint(c2[0]),
               "the restarted worker on the new certificate")
    assert srv.stop() == 0


def test_tls_listen_needs_a_restart(camada, pki, tmp_path):
    conf = tmp_path / "camada.conf"
    text = ("workers = 1\n[http]\nlisten = 127.0.0.1:0\n"
            "tls-listen = 127.0.0.1:0\nroot = %s\ntls-cert = %s\n"
            "tls-key = %s\n" % (WWW, pki.cert, pki.key))
    conf.write_text(text)
    srv = camada("serve", "-c", str(conf), listeners=2)
    port = srv.listeners[1][2]
    conf.write_text(text.replace("tls-listen = 127.0.0.1:0",
                                 "tls-listen = 127.0.0.1:1"))
    srv.signal(signal.SIGHUP)
    srv.wait_line(r"%s:4: restart needed to apply \[http\] tls-listen"
                  % re.escape(str(conf)))
    srv.wait_line(r"reloaded ")
    # the running listener goes on serving TLS
    assert serving_cert(port, pki.ca.pem) == fingerprint(pki.cert)
    assert srv.stop() == 0


# --- configuration ---

def test_check_and_start_say_what_is_wrong(pki, tmp_path):
    conf = tmp_path / "c.conf"
    conf.write_text("[http]\nlisten = 127.0.0.1:0\ntls-listen = 127.0.0.1:0\n"
                    "root = %s\n" % WWW)
    r = run(["check", "-c", str(conf)])
    assert r.returncode == 2
    assert b"tls-listen needs tls-cert and tls-key" in r.stderr, r.stderr
    assert ("%s:1:" % conf).encode() in r.stderr, r.stderr

    conf.write_text("[http]\nlisten = 127.0.0.1:0\ntls-listen = 127.0.0.1:0\n"
                    "root = %s\ntls-cert = missing.pem\ntls-key = %s\n"
                    % (WWW, pki.key))
    r = run(["check", "-c", str(conf)])
    assert r.returncode == 2
    assert ("tls-cert %s: No such file" % (tmp_path / "missing.pem")).encode() \
        in r.stderr, r.stderr

    # the start fails the same way, before any "listening on" line
    r = run(["http", "-l", "127.0.0.1:0", "--tls-listen", "127.0.0.1:0",
             "-r", WWW, "--tls-cert", pki.key, "--tls-key", pki.key])
    assert r.returncode == 2, r.stderr
    assert b"listening on" not in r.stderr
    assert pki.key.encode() in r.stderr, r.stderr

    conf.write_text("[http]\nroot = %s\nvhost = a.test %s only-a-cert.pem\n"
                    % (WWW, WWW))
    r = run(["check", "-c", str(conf)])
    assert r.returncode == 2
    assert b"NAME ROOT [CERT KEY]" in r.stderr, r.stderr


def test_vhost_certificates_relative_to_the_config(pki, tmp_path):
    """vhost = NAME ROOT CERT KEY: each word is taken from the config's
    folder, as the root is."""
    d = tmp_path / "conf"
    (d / "site").mkdir(parents=True)
    shutil.copy(pki.acert, d / "a.pem")
    shutil.copy(pki.akey, d / "a.key")
    shutil.copy(pki.cert, d / "default.pem")
    shutil.copy(pki.key, d / "default.key")
    (d / "camada.conf").write_text(
        "[http]\nlisten = 127.0.0.1:0\ntls-listen = 127.0.0.1:0\n"
        "root = site\ntls-cert = default.pem\ntls-key = default.key\n"
        "vhost = a.test site a.pem a.key\n")
    r = run(["check", "-c", "conf/camada.conf"], cwd=str(tmp_path))
    assert r.returncode == 0, r.stderr


def test_camada_http_announces_https(camada, pki):
    srv = camada("http", "-l", "127.0.0.1:0", "--tls-listen", "127.0.0.1:0",
                 "-r", WWW, "--workers", "1", "--tls-cert", pki.cert,
                 "--tls-key", pki.key, listeners=2)
    port = srv.listeners[1][2]
    line = srv.wait_line(r"serving HTTPS on ")
    assert line == ("camada: serving HTTPS on 127.0.0.1 port %d "
                    "(https://127.0.0.1:%d/) from %s" % (port, port,
                                                         os.path.realpath(WWW)))
    srv.wait_line(r"serving HTTP on 127\.0\.0\.1 port %d " %
                  srv.listeners[0][2])
    assert subject_cn(pki.cert) == "localhost"
