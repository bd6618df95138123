"""`camada get https://...` against nginx serving HTTPS with the test's own
CA (tls_testlib): bodies byte-exact, keep-alive over TLS, --cacert, the
system store, the three verification failures and -k, a handshake with a
plain server, --page's TLS column, redirects between http and https, and
Secure cookies. One nginx for the module, one server block per case (each
its own port and certificate), so no test waits for another's server.

Every process a test starts is stopped at teardown."""
import hashlib
import os
import re
import shutil
import signal
import socket
import subprocess
import time

import pytest

from conftest import ROOT, free_port, camada_get as get

from tls_testlib import make_ca, make_cert

WWW = os.path.join(ROOT, "www")
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
OPENSSL = shutil.which("openssl") or "/usr/bin/openssl"

HELLO = b"Hello from nginx over TLS.\n"


# ---- nginx --------------------------------------------------------------------

CONF = """
%(user)s
worker_processes 1;
error_log %(prefix)s/error.log warn;
pid %(prefix)s/nginx.pid;
events { worker_connections 512; }
http {
    log_format conns '$connection $scheme $server_port $request_method '
                     '"$request_uri" $status';
    access_log %(prefix)s/access.log conns;
    client_body_temp_path %(prefix)s/tmp/body;
    proxy_temp_path       %(prefix)s/tmp/proxy;
    fastcgi_temp_path     %(prefix)s/tmp/fastcgi;
    uwsgi_temp_path       %(prefix)s/tmp/uwsgi;
    scgi_temp_path        %(prefix)s/tmp/scgi;
    types { text/html html; image/png png; application/octet-stream bin; }
    default_type text/plain;
    keepalive_timeout 30s;
    keepalive_requests 1000;
    %(servers)s
}
"""

ROUTES = """
        root %(root)s;
        location = /to-https { return 301 https://127.0.0.1:%(good)d/hello.txt; }
        location = /to-http  { return 302 http://127.0.0.1:%(plain)d/showcookie; }
        location = /again    { return 302 /hello.txt; }
        location = /setcookie {
            add_header Set-Cookie "sec=1; Path=/; Secure";
            add_header Set-Cookie "plain=2; Path=/";
            return 200 "set\\n";
        }
        location = /showcookie { return 200 "cookie=$http_cookie\\n"; }
"""


def _can_bind6(port):
    try:
        s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    except OSError:
        return False
    try:
        s.bind(("::1", port))
        return True
    except OSError:
        return False
    finally:
        s.close()


class Nginx:
    """One nginx, one server block per case: `plain` (http), `good` (the
    CA's ECDSA certificate for 127.0.0.1 and localhost), `rsa` (the same
    with RSA-2048, TLS 1.2 only), `other` (a certificate for another name),
    `expired`."""

    CASES = ("plain", "good", "rsa", "other", "expired")

    def __init__(self, tmp):
        self.prefix = tmp / "nginx"
        self.root = tmp / "root"
        (self.prefix / "tmp").mkdir(parents=True)
        certs = tmp / "certs"
        certs.mkdir()
        shutil.copytree(WWW, self.root, ignore=shutil.ignore_patterns(
            "big.bin", "*.py"))
        (self.root / "hello.txt").write_bytes(HELLO)
        # 3 MiB that no two offsets share: a body cut or shifted anywhere
        # changes the digest
        self.big = b"".join(hashlib.sha256(i.to_bytes(4, "big")).digest()
                            for i in range(3 * 1024 * 1024 // 32))
        (self.root / "big.bin").write_bytes(self.big)
        self.ca = make_ca(certs, name="camada get test CA")
        names = ["localhost", "127.0.0.1", "::1"]
        crt = {"good": make_cert(self.ca, certs, names),
               "rsa": make_cert(self.ca, certs, names, key="rsa"),
               "other": make_cert(self.ca, certs, ["other.test"]),
               "expired": make_cert(self.ca, certs, names, expired=True)}
        self.port = {c: free_port() for c in self.CASES}
        self.ipv6 = _can_bind6(self.port["good"])
        routes = ROUTES % {"root": self.root, "good": self.port["good"],
                           "plain": self.port["plain"]}
        servers = ["server { listen 127.0.0.1:%d; %s }" % (
            self.port["plain"], routes)]
        for case, (cert, key) in crt.items():
            protos = "TLSv1.2" if case == "rsa" else "TLSv1.2 TLSv1.3"
            listen = "listen 127.0.0.1:%d ssl;" % self.port[case]
            if case == "good" and self.ipv6:
                listen += " listen [::1]:%d ssl;" % self.port[case]
            servers.append(
                "server { %s ssl_certificate %s; ssl_certificate_key %s; "
                "ssl_protocols %s; %s }" % (listen, cert, key, protos,
                                            routes))
        conf = CONF % {"user": "user root;" if os.geteuid() == 0 else "",
                       "prefix": self.prefix,
                       "servers": "\n    ".join(servers)}
        self.conf = self.prefix / "nginx.conf"
        self.conf.write_text(conf)
        self.proc = subprocess.Popen(
            [NGINX, "-c", str(self.conf), "-p", str(self.prefix), "-e",
             str(self.prefix / "error.log"), "-g", "daemon off;"],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.time() + 10
        for port in self.port.values():
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), 0.2).close()
                    break
                except OSError:
                    if self.proc.poll() is not None or time.time() > deadline:
                        self.stop()
                        raise RuntimeError("nginx did not start: %s" %
                                           self.proc.stdout.read().decode())
                    time.sleep(0.05)

    def url(self, case, path="/", host="127.0.0.1"):
        scheme = "http" if case == "plain" else "https"
        if ":" in host:
            host = "[%s]" % host
        return "%s://%s:%d%s" % (scheme, host, self.port[case], path)

    def log(self):
        """The access log: (connection, scheme, port, uri, status)."""
        p = self.prefix / "access.log"
        # nginx writes a line after it sends the response; let it land
        time.sleep(0.05)
        out = []
        for line in p.read_text().splitlines() if p.exists() else []:
            conn, scheme, port, _m, uri, status = line.split(" ")
            out.append((int(conn), scheme, int(port), uri.strip('"'),
                        int(status)))
        return out

    def log_since(self, n):
        return self.log()[n:]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                pass
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait(5)
        self.proc.stdout.close()


@pytest.fixture(scope="module")
def ngx(tmp_path_factory):
    n = Nginx(tmp_path_factory.mktemp("tls"))
    yield n
    n.stop()


def table(stdout):
    """--page's table with the TLS column: rows and the totals line."""
    text = stdout.decode()
    head = [l for l in text.splitlines() if l.lstrip().startswith("#")]
    assert head and re.search(r"conn ms\s+tls ms\s+ttfb ms\s+xfer ms",
                              head[0]), text
    rows = []
    for line in text.splitlines():
        m = re.match(r"\s*(\d+)\s+(\d+(?: cache)?|error|skipped)\s+(\d+|-)\s+"
                     r"(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)", line)
        if m:
            rows.append({"status": m.group(2), "bytes": m.group(3),
                         "conn": m.group(4), "tls": m.group(5),
                         "url": m.group(8)})
    m = re.search(r"connections opened: (\d+)", text)
    assert m, text
    return rows, int(m.group(1))


# ---- bodies and connections ----------------------------------------------------

def test_bodies_byte_exact(ngx, tmp_path):
    ca = ngx.ca.cert
    r = get("--cacert", ca, ngx.url("good", "/hello.txt"))
    assert r.returncode == 0, r.stderr
    assert r.stdout == HELLO
    out = tmp_path / "big"
    r = get("--cacert", ca, "-o", out, ngx.url("good", "/big.bin"))
    assert r.returncode == 0, r.stderr
    assert hashlib.sha256(out.read_bytes()).digest() == \
        hashlib.sha256(ngx.big).digest()
    # the RSA certificate, TLS 1.2 only
    r = get("--cacert", ca, "-o", out, ngx.url("rsa", "/big.bin"))
    assert r.returncode == 0, r.stderr
    assert out.read_bytes() == ngx.big
    # the host name checked against the certificate's DNS name
    r = get("--cacert", ca, ngx.url("good", "/hello.txt", host="localhost"))
    assert r.returncode == 0, r.stderr
    assert r.stdout == HELLO


def test_ipv6_literal(ngx):
    """An IP literal gets no SNI, and is checked against the certificate's
    IP address names."""
    if not ngx.ipv6:
        pytest.skip("no IPv6 loopback here")
    r = get("--cacert", ngx.ca.cert, ngx.url("good", "/hello.txt",
                                             host="::1"))
    assert r.returncode == 0, r.stderr
    assert r.stdout == HELLO


def test_verbose_says_what_was_agreed(ngx):
    r = get("-v", "--cacert", ngx.ca.cert, ngx.url("good", "/hello.txt"))
    assert r.returncode == 0, r.stderr
    err = r.stderr.decode()
    assert re.search(r"\* SSL connection using TLSv1\.3 / \S+", err), err
    assert "* ALPN: server accepted http/1.1" in err, err
    r = get("-v", "--cacert", ngx.ca.cert, ngx.url("rsa", "/hello.txt"))
    assert r.returncode == 0, r.stderr
    assert re.search(r"\* SSL connection using TLSv1\.2 / ECDHE-RSA-",
                     r.stderr.decode()), r.stderr


def test_keepalive_over_tls(ngx):
    """A redirect to the same https origin goes on the same connection."""
    n = len(ngx.log())
    r = get("-L", "-w", "%{num_connects} %{scheme}", "--cacert", ngx.ca.cert,
            ngx.url("good", "/again"))
    assert r.returncode == 0, r.stderr
    assert r.stdout == HELLO + b"1 HTTPS"
    got = ngx.log_since(n)
    assert [(g[1], g[3]) for g in got] == [("https", "/again"),
                                           ("https", "/hello.txt")]
    assert got[0][0] == got[1][0], got         # one connection


def test_write_out_appconnect(ngx):
    r = get("-o", "/dev/null", "-w",
            "%{time_connect} %{time_appconnect} %{time_starttransfer}",
            "--cacert", ngx.ca.cert, ngx.url("good", "/hello.txt"))
    assert r.returncode == 0, r.stderr
    connect, app, start = map(float, r.stdout.split())
    assert 0 < connect <= app <= start, r.stdout
    r = get("-o", "/dev/null", "-w", "%{time_appconnect} %{scheme}",
            ngx.url("plain", "/hello.txt"))
    assert r.stdout == b"0.000000 HTTP", r.stdout


# ---- verification --------------------------------------------------------------

def test_system_store_does_not_know_the_test_ca(ngx):
    r = get(ngx.url("good", "/hello.txt"))
    assert r.returncode == 60, r.stderr
    err = r.stderr.decode()
    assert err.startswith("camada get: %s: certificate verify failed: "
                          "unknown CA" % ngx.url("good", "/hello.txt")), err
    assert r.stdout == b""


def test_name_mismatch(ngx):
    r = get("--cacert", ngx.ca.cert, ngx.url("other", "/hello.txt"))
    assert r.returncode == 60, r.stderr
    assert b"certificate verify failed: name mismatch" in r.stderr, r.stderr
    assert r.stdout == b""


def test_expired(ngx):
    r = get("--cacert", ngx.ca.cert, ngx.url("expired", "/hello.txt"))
    assert r.returncode == 60, r.stderr
    assert b"certificate verify failed: expired (certificate has expired)" \
        in r.stderr, r.stderr


def test_another_ca_file(ngx, tmp_path):
    """--cacert replaces the system store: a CA that did not sign the
    server's certificate is an unknown CA."""
    stranger = make_ca(tmp_path, name="stranger CA")
    r = get("--cacert", stranger.cert, ngx.url("good", "/hello.txt"))
    assert r.returncode == 60, r.stderr
    assert b"unknown CA" in r.stderr


@pytest.mark.parametrize("case", ["good", "other", "expired"])
def test_insecure_accepts_them_all(ngx, case):
    for flag in ("-k", "--insecure"):
        r = get(flag, ngx.url(case, "/hello.txt"))
        assert r.returncode == 0, r.stderr
        assert r.stdout == HELLO


def test_unreadable_cacert(ngx, tmp_path):
    r = get("--cacert", tmp_path / "nope.pem", ngx.url("good", "/hello.txt"))
    assert r.returncode == 77, r.stderr
    assert r.stderr.startswith(b"camada get: error setting certificate file: "
                               b"%s: " % str(tmp_path / "nope.pem").encode())
    assert r.stderr.count(b"nope.pem") == 1, r.stderr
    # a plain URL does not read it (curl neither)
    r = get("--cacert", tmp_path / "nope.pem", ngx.url("plain", "/hello.txt"))
    assert r.returncode == 0 and r.stdout == HELLO


def test_handshake_with_a_plain_server(ngx):
    """https to a port that speaks plain HTTP: a handshake failure (35), not
    a hang, not a certificate error."""
    url = "https://127.0.0.1:%d/hello.txt" % ngx.port["plain"]
    r = get("-k", url)
    assert r.returncode == 35, r.stderr
    assert r.stderr.decode().startswith(
        "camada get: %s: TLS handshake failed: " % url), r.stderr
    assert r.stdout == b""


def test_handshake_timeout(ngx):
    """A server that accepts and never answers the ClientHello: the connect
    timeout bounds the handshake too (curl's 28)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(8)
    try:
        r = get("-k", "--connect-timeout", "1",
                "https://127.0.0.1:%d/" % s.getsockname()[1])
        assert r.returncode == 28, r.stderr
        assert b"TLS handshake timed out after 1000 ms" in r.stderr, r.stderr
    finally:
        s.close()


def test_max_time_during_the_handshake(ngx):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(8)
    try:
        # the TCP connect ends at once (the kernel accepts): the time runs
        # out in the handshake
        r = get("-k", "--max-time", "1",
                "https://127.0.0.1:%d/" % s.getsockname()[1])
        assert r.returncode == 28, r.stderr
        assert b"TLS handshake: operation timed out" in r.stderr, r.stderr
    finally:
        s.close()


def test_refused_is_still_a_connect_error(ngx):
    r = get("--cacert", ngx.ca.cert, "https://127.0.0.1:%d/" % free_port())
    assert r.returncode == 7, r.stderr


# ---- --page ----------------------------------------------------------------------

def test_page_over_https_has_the_tls_column(ngx):
    n = len(ngx.log())
    r = get("--page", "--cacert", ngx.ca.cert, ngx.url("good", "/page.html"))
    assert r.returncode == 0, r.stderr
    rows, opened = table(r.stdout)
    assert len(rows) == 11 and all(x["status"] == "200" for x in rows), rows
    assert opened == 1
    assert float(rows[0]["tls"]) > 0              # the one handshake
    assert all(float(x["tls"]) == 0 for x in rows[1:])    # reused
    got = ngx.log_since(n)
    assert len(got) == 11 and len({g[0] for g in got}) == 1, got
    assert all(g[1] == "https" for g in got)


def test_page_plain_keeps_its_table(ngx):
    """No https object: the table has no TLS column, as before."""
    r = get("--page", ngx.url("plain", "/page.html"))
    assert r.returncode == 0, r.stderr
    assert b"tls ms" not in r.stdout
    assert b"connections opened: 1" in r.stdout


def test_pool_keeps_schemes_and_names_apart(ngx):
    """A page on https that references the same objects over http and
    under the other name of the same server: each origin gets its own
    connection, and no connection carries two schemes."""
    html = "".join('<img src="%s">' % u for u in (
        "/images/1.png",
        ngx.url("plain", "/images/2.png"),
        ngx.url("good", "/images/3.png", host="localhost"),
        ngx.url("good", "/images/4.png")))
    (ngx.root / "mixed.html").write_text(html)
    n = len(ngx.log())
    r = get("--page", "--cacert", ngx.ca.cert, ngx.url("good", "/mixed.html"))
    assert r.returncode == 0, r.stderr
    rows, opened = table(r.stdout)
    assert [x["status"] for x in rows] == ["200"] * 5, r.stdout
    plain = [x for x in rows if x["url"].startswith("http:")]
    assert len(plain) == 1 and plain[0]["tls"] == "-", rows
    assert opened == 3, r.stdout      # https 127.0.0.1, http, https localhost
    by_conn = {}
    for conn, scheme, port, _uri, _st in ngx.log_since(n):
        by_conn.setdefault((port, conn), set()).add(scheme)
    assert len(by_conn) == 3 and all(len(s) == 1 for s in by_conn.values())


def test_page_pipelined_over_tls(ngx):
    r = get("--page", "--pipeline", "--cacert", ngx.ca.cert,
            ngx.url("rsa", "/page.html"))
    assert r.returncode == 0, r.stderr
    rows, opened = table(r.stdout)
    assert len(rows) == 11 and all(x["status"] == "200" for x in rows), rows
    assert opened == 1


def test_page_with_a_bad_certificate(ngx):
    r = get("--page", ngx.url("good", "/page.html"))
    assert r.returncode == 60, r.stderr
    assert b"unknown CA" in r.stderr


# ---- redirects and cookies ---------------------------------------------------------

def test_redirect_http_to_https(ngx):
    n = len(ngx.log())
    r = get("-L", "-w", " %{url_effective} %{num_redirects}", "--cacert",
            ngx.ca.cert, ngx.url("plain", "/to-https"))
    assert r.returncode == 0, r.stderr
    assert r.stdout == HELLO + (" %s 1" % ngx.url("good", "/hello.txt")
                                ).encode()
    got = ngx.log_since(n)
    assert [(g[1], g[3], g[4]) for g in got] == [
        ("http", "/to-https", 301), ("https", "/hello.txt", 200)]


def test_redirect_to_https_is_verified(ngx):
    r = get("-L", ngx.url("plain", "/to-https"))
    assert r.returncode == 60, r.stderr
    assert b"unknown CA" in r.stderr


def test_secure_cookies_stay_on_https(ngx, tmp_path):
    """A Secure cookie goes to https only: a redirect from https to http
    (allowed, as curl) takes the plain one alone."""
    jar = tmp_path / "jar"
    ca = ngx.ca.cert
    assert get("--cookie-jar", jar, "--cacert", ca,
               ngx.url("good", "/setcookie")).returncode == 0
    lines = [l.split("\t") for l in jar.read_text().splitlines()
             if l and not l.startswith("#")]
    assert sorted((l[5], l[3]) for l in lines) == [("plain", "FALSE"),
                                                   ("sec", "TRUE")]
    r = get("--cookie-jar", jar, "--cacert", ca,
            ngx.url("good", "/showcookie"))
    assert r.returncode == 0, r.stderr
    assert sorted(r.stdout.decode().strip()[len("cookie="):].split("; ")) \
        == ["plain=2", "sec=1"]
    # https -> http: the cookies were set for 127.0.0.1, any port
    r = get("-L", "--cookie-jar", jar, "--cacert", ca,
            ngx.url("good", "/to-http"))
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"cookie=plain=2\n"
