"""`camada get`, the HTTP/1.1 client, against real servers: nginx (from
nginx_client.conf.in, on a free port, serving a copy of www/ plus a few
test files) and a small raw-socket Python server for what nginx will not
send on demand (chunked bodies, HTTP/1.0 close-delimited bodies, broken,
slow and silent replies). curl checks the cookie jar both ways.

Every process a test starts is stopped at teardown."""
import hashlib
import json
import os
import pty
import re
import shutil
import signal
import socket
import subprocess
import threading
import time

import pytest

from conftest import BIN, ROOT, SLOW, free_port, camada_get as get

HERE = os.path.dirname(os.path.abspath(__file__))
WWW = os.path.join(ROOT, "www")
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
CURL = shutil.which("curl") or "/usr/bin/curl"

HELLO = b"Hello from nginx.\n"


def table(stdout):
    """Parses the --page table: rows (status, bytes, url) and totals."""
    text = stdout.decode()
    rows = []
    for line in text.splitlines():
        m = re.match(r"\s*(\d+)\s+(\d+(?: cache)?|error|skipped)\s+(\d+|-)\s+"
                     r"(\S+)\s+(\S+)\s+(\S+)\s+(\S+)", line)
        if m:
            rows.append({"status": m.group(2), "bytes": m.group(3),
                         "conn": m.group(4), "url": m.group(7), "line": line})
    m = re.search(r"objects: (\d+) .*bytes: (\d+)\s+connections opened: (\d+)"
                  r"\s+wall time: ([\d.]+) ms", text)
    assert m, text
    return rows, {"objects": int(m.group(1)), "bytes": int(m.group(2)),
                  "connections": int(m.group(3)), "wall": float(m.group(4))}


# ---- nginx ------------------------------------------------------------------

class Nginx:
    def __init__(self, tmp_path):
        self.prefix = tmp_path / "nginx"
        self.root = tmp_path / "root"
        (self.prefix / "tmp").mkdir(parents=True)
        shutil.copytree(WWW, self.root, ignore=shutil.ignore_patterns(
            "big.bin", "*.py"))
        (self.root / "hello.txt").write_bytes(HELLO)
        big = hashlib.sha256(b"seed").digest() * (2 * 1024 * 1024 // 32)
        (self.root / "big.bin").write_bytes(big)
        self.port = free_port()
        conf = open(os.path.join(HERE, "nginx_client.conf.in")).read()
        for k, v in {"@USER@": "user root;" if os.geteuid() == 0 else "",
                     "@PREFIX@": str(self.prefix), "@PORT@": str(self.port),
                     "@ROOT@": str(self.root)}.items():
            conf = conf.replace(k, v)
        self.conf = self.prefix / "nginx.conf"
        self.conf.write_text(conf)
        self.proc = subprocess.Popen(
            [NGINX, "-c", str(self.conf), "-p", str(self.prefix), "-e",
             str(self.prefix / "error.log"), "-g", "daemon off;"],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.time() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                break
            except OSError:
                if self.proc.poll() is not None or time.time() > deadline:
                    self.stop()
                    raise RuntimeError("nginx did not start: %s %s" % (
                        self.proc.stdout.read().decode(), self.errors()))
                time.sleep(0.05)
        self.url = "http://127.0.0.1:%d" % self.port

    def errors(self):
        p = self.prefix / "error.log"
        return p.read_text() if p.exists() else ""

    def log(self):
        """The access log: (connection, method, uri, status) per request."""
        out = []
        p = self.prefix / "access.log"
        # nginx writes a line after it sends the response; let it land
        time.sleep(0.05)
        for line in p.read_text().splitlines() if p.exists() else []:
            conn, _n, method, uri, status, _bytes = line.split(" ")
            out.append((int(conn), method, uri.strip('"'), int(status)))
        return out

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


@pytest.fixture
def nginx(tmp_path):
    n = Nginx(tmp_path)
    yield n
    n.stop()


# ---- the Python server ------------------------------------------------------

class RawServer:
    """A threaded HTTP/1.1 server that sends exactly the bytes a route
    gives. Routes: path -> function(request) -> (bytes, close_after)."""

    def __init__(self, host="127.0.0.1", family=socket.AF_INET):
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, 0))
        self.sock.listen(128)
        self.port = self.sock.getsockname()[1]
        self.host = host
        self.url = "http://%s:%d" % (
            "[%s]" % host if family == socket.AF_INET6 else host, self.port)
        self.requests = []          # (conn number, method, path, headers, body)
        self.connections = 0
        self.silent_close = False   # close after each response, unannounced
        self.routes = {}
        self.stopping = False
        self.clients = []
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while not self.stopping:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            with self.lock:
                self.connections += 1
                n = self.connections
                self.clients.append(c)
            threading.Thread(target=self._serve, args=(c, n), daemon=True).start()

    def _serve(self, c, n):
        buf = b""
        try:
            while True:
                while b"\r\n\r\n" not in buf:
                    d = c.recv(65536)
                    if not d:
                        return
                    buf += d
                head, buf = buf.split(b"\r\n\r\n", 1)
                lines = head.decode("latin-1").split("\r\n")
                method, target, _ver = lines[0].split(" ")
                headers = {}
                for l in lines[1:]:
                    k, v = l.split(":", 1)
                    headers.setdefault(k.strip().lower(), []).append(v.strip())
                size = int(headers.get("content-length", ["0"])[0])
                while len(buf) < size:
                    d = c.recv(65536)
                    if not d:
                        return
                    buf += d
                body, buf = buf[:size], buf[size:]
                req = {"conn": n, "method": method, "path": target,
                       "headers": headers, "body": body.decode("latin-1")}
                with self.lock:
                    self.requests.append(req)
                route = self.routes.get(target.split("?")[0])
                if route is None:
                    out, close = reply(404, b"not found\n"), False
                else:
                    out, close = route(req)
                if out:
                    c.sendall(out)
                if close or self.silent_close:
                    # a graceful close, as real servers do: half-close,
                    # then read what the client still sends (pipelined
                    # requests) so that the kernel sends FIN, not RST
                    c.shutdown(socket.SHUT_WR)
                    c.settimeout(2)
                    while c.recv(65536):
                        pass
                    return
        except OSError:
            return
        finally:
            c.close()

    def stop(self):
        self.stopping = True
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
        with self.lock:
            for c in self.clients:
                try:
                    c.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
        self.thread.join(2)


def reply(status, body, headers=(), version="HTTP/1.1", length=True):
    reason = {200: "OK", 301: "Moved Permanently", 302: "Found",
              303: "See Other", 307: "Temporary Redirect",
              308: "Permanent Redirect", 404: "Not Found"}.get(status, "X")
    h = "%s %d %s\r\n" % (version, status, reason)
    for k, v in headers:
        h += "%s: %s\r\n" % (k, v)
    if length:
        h += "Content-Length: %d\r\n" % len(body)
    return h.encode() + b"\r\n" + body


def chunked(pieces, trailer=b""):
    out = b""
    for i, p in enumerate(pieces):
        ext = b";ext=%d" % i if i % 2 else b""
        out += b"%x%s\r\n%s\r\n" % (len(p), ext, p)
    return out + b"0\r\n" + trailer + b"\r\n"


def echo(req):
    return reply(200, json.dumps(req).encode(),
                 [("Content-Type", "application/json")]), False


@pytest.fixture
def raw():
    servers = []

    def start(host="127.0.0.1", family=socket.AF_INET):
        s = RawServer(host, family)
        s.routes["/echo"] = echo
        servers.append(s)
        return s

    yield start
    for s in servers:
        s.stop()


# ---- plain fetches ----------------------------------------------------------

def test_plain_fetch(nginx):
    r = get(nginx.url + "/hello.txt")
    assert r.returncode == 0, r.stderr
    assert r.stdout == HELLO
    assert r.stderr == b""
    png = (nginx.root / "images" / "4.png").read_bytes()
    r = get(nginx.url + "/images/4.png")
    assert r.returncode == 0 and r.stdout == png


def test_output_file(nginx, tmp_path):
    out = tmp_path / "big.out"
    r = get("-o", out, nginx.url + "/big.bin")
    assert r.returncode == 0, r.stderr
    assert r.stdout == b""
    assert out.read_bytes() == (nginx.root / "big.bin").read_bytes()
    # no progress bar when stderr is not a terminal
    assert b"\r" not in r.stderr and b"[#" not in r.stderr


def test_head(nginx):
    r = get("-I", nginx.url + "/hello.txt")
    assert r.returncode == 0, r.stderr
    text = r.stdout.decode()
    assert text.startswith("HTTP/1.1 200 OK\r\n"), text
    assert "\r\nContent-Length: %d\r\n" % len(HELLO) in text
    assert re.search(r'\r\nETag: "[^"]+"\r\n', text)
    assert text.endswith("\r\n\r\n") and "Hello" not in text
    assert nginx.log()[-1][1:] == ("HEAD", "/hello.txt", 200)


def test_verbose(nginx):
    r = get("-v", nginx.url + "/hello.txt")
    assert r.returncode == 0
    assert r.stdout == HELLO
    err = r.stderr.decode()
    assert "> GET /hello.txt HTTP/1.1\n" in err
    assert "> Host: 127.0.0.1:%d\n" % nginx.port in err
    assert "> User-Agent: camada/" in err
    assert "< HTTP/1.1 200 OK\n" in err
    assert "< Server: nginx" in err
    assert "< Content-Length: %d\n" % len(HELLO) in err
    assert "* Connected to 127.0.0.1" in err


def test_method_and_headers(nginx):
    r = get("-X", "DELETE", nginx.url + "/method")
    assert r.returncode == 0 and r.stdout == b"DELETE\n"
    r = get("-H", "X-Test: yes please", "-H", "User-Agent: tester/1",
            "-H", "Accept:", nginx.url + "/header")
    assert r.returncode == 0
    assert r.stdout == b"x-test=yes please ua=tester/1 accept=\n"
    r = get("-H", "no colon", nginx.url + "/header")
    assert r.returncode == 2 and b"bad header" in r.stderr
    r = get("-X", "GET BAD", nginx.url + "/method")
    assert r.returncode == 2


def test_post_data(raw, tmp_path):
    s = raw()
    r = get("-d", "name=Ada", "-d", "msg=hi%20there", s.url + "/echo")
    assert r.returncode == 0, r.stderr
    req = json.loads(r.stdout)
    assert req["method"] == "POST"
    assert req["body"] == "name=Ada&msg=hi%20there"
    assert req["headers"]["content-type"] == ["application/x-www-form-urlencoded"]
    assert req["headers"]["content-length"] == ["23"]
    f = tmp_path / "form.txt"
    f.write_bytes(b"a=1\r\n&b=2\n")
    r = get("-d", "@%s" % f, s.url + "/echo")
    assert json.loads(r.stdout)["body"] == "a=1&b=2"       # CR, LF stripped
    r = get("--data-binary", "@%s" % f, "-H", "Content-Type: text/plain",
            s.url + "/echo")
    req = json.loads(r.stdout)
    assert req["body"] == "a=1\r\n&b=2\n"
    assert req["headers"]["content-type"] == ["text/plain"]
    r = get("-X", "PUT", "-d", "x", s.url + "/echo")
    assert json.loads(r.stdout)["method"] == "PUT"
    r = get("-d", "@%s" % (tmp_path / "missing"), s.url + "/echo")
    assert r.returncode == 26 and b"cannot read" in r.stderr


# ---- redirects --------------------------------------------------------------

def test_redirect_not_followed(nginx):
    r = get(nginx.url + "/redirect301")
    assert r.returncode == 0
    assert b"301 Moved Permanently" in r.stdout      # nginx's page
    r = get("-I", nginx.url + "/redirect301")
    assert r.stdout.startswith(b"HTTP/1.1 301")
    assert re.search(rb"\r\nLocation: http://127\.0\.0\.1:%d/hello\.txt\r\n"
                     % nginx.port, r.stdout), r.stdout


def test_redirect_followed(nginx):
    for path in ("/redirect301", "/redirect302", "/relative", "/hop1"):
        r = get("-L", nginx.url + path)
        assert r.returncode == 0, (path, r.stderr)
        assert r.stdout == HELLO, path
    # three hops over one connection
    log = nginx.log()[-4:]
    assert [e[2] for e in log] == ["/hop1", "/hop2", "/hop3", "/hello.txt"]
    assert len({e[0] for e in log}) == 1
    r = get("-L", "-I", nginx.url + "/redirect301")
    heads = r.stdout.decode()
    assert heads.startswith("HTTP/1.1 301") and "HTTP/1.1 200 OK" in heads


def test_redirect_methods(nginx):
    # 302/303 turn POST into GET; 307/308 keep it (301: next test)
    for path, want in (("/found", b"GET\n"), ("/see-other", b"GET\n"),
                       ("/temporary", b"POST\n"), ("/permanent", b"POST\n")):
        r = get("-L", "-d", "x=1", nginx.url + path)
        assert r.returncode == 0, (path, r.stderr)
        assert r.stdout == want, path
    r = get("-L", "-I", nginx.url + "/see-other")    # 303 keeps HEAD
    assert r.returncode == 0
    assert nginx.log()[-1][1:3] == ("HEAD", "/method")


def test_redirect_keeps_body_307(raw):
    s = raw()
    s.routes["/r307"] = lambda q: (reply(307, b"", [("Location", "/echo")]), False)
    s.routes["/r308"] = lambda q: (reply(308, b"", [("Location", "echo")]), False)
    s.routes["/r301"] = lambda q: (reply(301, b"moved", [("Location", "/echo")]), False)
    for path, method, body in (("/r307", "POST", "k=v"), ("/r308", "POST", "k=v"),
                               ("/r301", "GET", "")):
        r = get("-L", "-d", "k=v", s.url + path)
        assert r.returncode == 0, r.stderr
        req = json.loads(r.stdout)
        assert (req["method"], req["body"]) == (method, body), path
        if method == "GET":
            assert "content-length" not in req["headers"]
    assert s.connections == 3          # one connection per command


def test_redirect_limit(nginx):
    r = get("-L", nginx.url + "/loop")
    assert r.returncode == 47, r.stderr
    assert b"redirects" in r.stderr
    assert len(nginx.log()) == 11      # the first request + 10 redirects
    r = get("-L", "--max-redirs", "2", nginx.url + "/hop1")
    assert r.returncode == 47
    r = get("-L", "--max-redirs", "3", nginx.url + "/hop1")
    assert r.returncode == 0 and r.stdout == HELLO


def test_redirect_to_another_host(nginx, raw):
    s = raw()
    s.routes["/away"] = lambda q: (reply(302, b"", [
        ("Location", nginx.url + "/hello.txt")]), False)
    r = get("-L", "-v", s.url + "/away")
    assert r.returncode == 0 and r.stdout == HELLO
    assert r.stderr.decode().count("* Connected to") == 2


# ---- framing ----------------------------------------------------------------

def test_chunked_body(raw):
    s = raw()
    pieces = [b"Hello, ", b"chunked ", b"", b"world", b"!\n"]
    pieces = [p for p in pieces if p]
    body = b"".join(pieces)
    s.routes["/chunked"] = lambda q: (reply(200, chunked(
        pieces, b"X-Trailer: yes\r\n"), [("Transfer-Encoding", "chunked")],
        length=False), False)
    big = os.urandom(1 << 20)
    sizes, i = [], 0
    while i < len(big):
        n = min(len(big) - i, 1 + (i * 7919) % 40000)
        sizes.append(big[i:i + n])
        i += n
    s.routes["/bigchunked"] = lambda q: (reply(200, chunked(sizes),
        [("Transfer-Encoding", "chunked")], length=False), False)
    r = get(s.url + "/chunked")
    assert r.returncode == 0, r.stderr
    assert r.stdout == body
    r = get(s.url + "/bigchunked")
    assert r.returncode == 0 and r.stdout == big
    # the connection stays usable after a chunked body: a redirect reuses it
    s.routes["/tochunked"] = lambda q: (reply(302, chunked([b"moved"]), [
        ("Location", "/chunked"), ("Transfer-Encoding", "chunked")],
        length=False), False)
    before = s.connections
    r = get("-L", s.url + "/tochunked")
    assert r.stdout == body and s.connections == before + 1


def test_http10_close_delimited(raw):
    s = raw()
    body = b"an HTTP/1.0 body that ends when the server closes\n" * 1000
    s.routes["/old"] = lambda q: (reply(200, body, version="HTTP/1.0",
                                        length=False), True)
    r = get(s.url + "/old")
    assert r.returncode == 0, r.stderr
    assert r.stdout == body
    # an HTTP/1.1 reply without length is close-delimited too
    s.routes["/nolen"] = lambda q: (reply(200, b"abc", length=False), True)
    r = get(s.url + "/nolen")
    assert r.returncode == 0 and r.stdout == b"abc"


def test_interim_100_is_skipped(raw):
    s = raw()
    s.routes["/continue"] = lambda q: (b"HTTP/1.1 100 Continue\r\n\r\n" +
                                       reply(200, b"final\n"), False)
    r = get(s.url + "/continue")
    assert r.returncode == 0 and r.stdout == b"final\n"


def test_ipv6_literal(raw):
    try:
        s = raw("::1", socket.AF_INET6)
    except OSError as e:
        pytest.skip("no IPv6 loopback here: %s" % e)
    r = get("-v", s.url + "/echo")
    assert r.returncode == 0, r.stderr
    req = json.loads(r.stdout)
    assert req["headers"]["host"] == ["[::1]:%d" % s.port]
    assert b"Connected to ::1" in r.stderr


# ---- --page -----------------------------------------------------------------

IMAGES = ["images/%d.png" % i for i in range(1, 11)]


def check_page(nginx, r):
    assert r.returncode == 0, r.stderr
    rows, tot = table(r.stdout)
    assert tot["objects"] == 11
    assert [x["url"] for x in rows] == [nginx.url + "/page.html"] + [
        nginx.url + "/" + i for i in IMAGES]
    assert all(x["status"] == "200" for x in rows), r.stdout.decode()
    want = [(nginx.root / "page.html").stat().st_size] + [
        (nginx.root / i).stat().st_size for i in IMAGES]
    assert [int(x["bytes"]) for x in rows] == want
    assert tot["bytes"] == sum(want)
    return rows, tot


def test_page_persistent(nginx):
    r = get("--page", nginx.url + "/page.html")
    rows, tot = check_page(nginx, r)
    assert tot["connections"] == 1
    assert float(rows[0]["conn"]) > 0
    assert all(float(x["conn"]) == 0 for x in rows[1:])     # reused
    log = nginx.log()
    assert len(log) == 11 and len({e[0] for e in log}) == 1


def test_page_non_persistent(nginx):
    r = get("--page", "--no-keepalive", nginx.url + "/page.html")
    rows, tot = check_page(nginx, r)
    assert tot["connections"] == 11
    assert all(float(x["conn"]) > 0 for x in rows)
    log = nginx.log()
    assert len(log) == 11 and len({e[0] for e in log}) == 11


def test_page_pipelined(nginx):
    r = get("--page", "--pipeline", nginx.url + "/page.html")
    rows, tot = check_page(nginx, r)
    assert tot["connections"] == 1
    assert len({e[0] for e in nginx.log()}) == 1


def test_page_parallel(nginx):
    r = get("--page", "--parallel", "3", nginx.url + "/page.html")
    rows, tot = check_page(nginx, r)
    assert tot["connections"] == 3
    assert len({e[0] for e in nginx.log()}) == 3
    r = get("--page", "--parallel", "3", "--pipeline", nginx.url + "/page.html")
    check_page(nginx, r)
    r = get("--page", "--parallel", "4", "--no-keepalive",
            nginx.url + "/page.html")
    rows, tot = check_page(nginx, r)
    assert tot["connections"] == 11


def test_page_hostile_html(nginx, raw):
    other = raw()
    other.routes["/x.png"] = lambda q: (reply(200, b"PNG" * 10), False)
    html = """<!DOCTYPE html><HTML><HEAD>
<LINK REL="stylesheet" HREF="/style.css"><link rel=alternate href=feed.xml>
<script>document.write('<img src="no1.png">');</script>
<SCRIPT SRC='images/../images/2.png'></SCRIPT>
</HEAD><BODY>
<!-- <img src="no2.png"> -->
<IMG SRC="images/1.png?a=1&amp;b=2" ALT='a > b'>
<img src = images/3.png><img src="images/3.png"><img src="#frag">
<img src="data:image/png;base64,AAAA"><img src="ftp://example.com/s.png">
<img src="//127.0.0.1:%d/x.png"><textarea><img src=no3.png></textarea>
<picture><source srcset="images/4.png 1x, images/5.png 2x"></picture>
<img src="images/nope.png">
</BODY></HTML>""" % other.port
    (nginx.root / "hostile.html").write_text(html)
    r = get("--page", nginx.url + "/hostile.html")
    assert r.returncode == 0, r.stderr      # a 404 object is not an error
    rows, tot = table(r.stdout)
    got = [(x["url"], x["status"]) for x in rows]
    u = nginx.url
    assert got == [
        (u + "/hostile.html", "200"), (u + "/style.css", "200"),
        (u + "/images/2.png", "200"), (u + "/images/1.png?a=1&b=2", "200"),
        (u + "/images/3.png", "200"), ("ftp://example.com/s.png", "skipped"),
        (other.url + "/x.png", "200"), (u + "/images/4.png", "200"),
        (u + "/images/nope.png", "404")], r.stdout.decode()
    assert "unsupported scheme" in rows[5]["line"]
    assert tot["connections"] == 2           # one per host
    assert other.connections == 1
    uris = [e[2] for e in nginx.log()]
    assert "/images/1.png?a=1&b=2" in uris
    assert not [x for x in uris if re.search(r"no\d\.png", x)], uris


def test_page_silent_close(raw):
    """A server that closes after every response without saying so: the
    client notices the dead connection (or retries once) and goes on."""
    s = raw()
    s.silent_close = True
    s.routes["/p.html"] = lambda q: (reply(200, b"".join(
        b"<img src=/i%d.png>" % i for i in range(5))), False)
    for i in range(5):
        s.routes["/i%d.png" % i] = lambda q, i=i: (reply(200, b"x" * (i + 1)), False)
    for extra in ([], ["--pipeline"]):
        r = get("--page", *extra, s.url + "/p.html")
        assert r.returncode == 0, r.stderr
        rows, tot = table(r.stdout)
        assert [x["status"] for x in rows] == ["200"] * 6, r.stdout.decode()
        assert [x["bytes"] for x in rows[1:]] == ["1", "2", "3", "4", "5"]


# ---- cookies ----------------------------------------------------------------

def jar_lines(path):
    return [l for l in path.read_text().splitlines() if l and
            (not l.startswith("#") or l.startswith("#HttpOnly_"))]


def test_cookie_jar_roundtrip_with_curl(nginx, tmp_path):
    jar = tmp_path / "jar.txt"
    r = get("--cookie-jar", jar, nginx.url + "/setcookie")
    assert r.returncode == 0 and r.stdout == b"set\n"
    text = jar.read_text()
    assert text.startswith("# Netscape HTTP Cookie File\n")
    lines = jar_lines(jar)
    assert len(lines) == 3, text
    fields = {l.split("\t")[5]: l.split("\t") for l in lines}
    assert fields["sid"][0] == "127.0.0.1" and fields["sid"][1] == "FALSE"
    assert fields["sid"][2] == "/" and fields["sid"][3] == "FALSE"
    assert abs(int(fields["sid"][4]) - (time.time() + 3600)) < 60
    assert fields["sid"][6] == "abc123"
    assert fields["theme"][0] == "#HttpOnly_127.0.0.1"
    assert fields["theme"][4] == "0"                 # a session cookie
    assert fields["scoped"][2] == "/private"

    # we send them back, by path
    r = get("--cookie-jar", jar, nginx.url + "/showcookie")
    assert r.stdout == b"cookie=sid=abc123; theme=dark\n"
    r = get("--cookie-jar", jar, nginx.url + "/private/x")
    assert r.stdout == b"private cookie=scoped=1; sid=abc123; theme=dark\n"

    # curl reads the file we wrote and writes its own
    c = subprocess.run([CURL, "-s", "-b", str(jar), "-c", str(jar),
                        nginx.url + "/showcookie"], capture_output=True,
                       timeout=20)
    assert c.returncode == 0
    sent = c.stdout.decode().strip()[len("cookie="):].split("; ")
    assert sorted(sent) == ["sid=abc123", "theme=dark"]
    assert "curl" in jar.read_text() or "libcurl" in jar.read_text()

    # and we read curl's file (whose order is curl's)
    r = get("--cookie-jar", jar, nginx.url + "/showcookie")
    sent = r.stdout.decode().strip()[len("cookie="):].split("; ")
    assert sorted(sent) == ["sid=abc123", "theme=dark"], jar.read_text()

    # deletion (Max-Age=0) reaches the file
    r = get("--cookie-jar", jar, nginx.url + "/delcookie")
    assert not any("\tsid\t" in l for l in jar_lines(jar))
    r = get("--cookie-jar", jar, nginx.url + "/showcookie")
    assert r.stdout == b"cookie=theme=dark\n"


def test_cookie_file_from_curl(nginx, tmp_path):
    jar = tmp_path / "curljar.txt"
    c = subprocess.run([CURL, "-s", "-c", str(jar), nginx.url + "/setcookie"],
                       capture_output=True, timeout=20)
    assert c.returncode == 0 and jar.exists()
    r = get("--cookie-jar", jar, nginx.url + "/private/")
    assert r.returncode == 0
    sent = r.stdout.decode().strip()[len("private cookie="):].split("; ")
    assert sent[0] == "scoped=1", sent          # the longest path first
    assert sorted(sent[1:]) == ["sid=abc123", "theme=dark"]


def test_cookie_rules(raw, tmp_path):
    s = raw()
    s.routes["/set"] = lambda q: (reply(200, b"ok", [
        ("Set-Cookie", "foreign=1; Domain=example.com"),
        ("Set-Cookie", "secret=2; Secure"),
        ("Set-Cookie", "plain=3"),
        ("Set-Cookie", "gone=4; Expires=Thu, 01 Jan 1970 00:00:00 GMT"),
        ("Set-Cookie", "broken"),
        # 5 s: the first /echo must come before it runs out even under
        # ASan on a loaded machine (1 s was not always enough)
        ("Set-Cookie", "later=5; Max-Age=5")]), False)
    jar = tmp_path / "jar"
    assert get("--cookie-jar", jar, s.url + "/set").returncode == 0
    names = sorted(l.split("\t")[5] for l in jar_lines(jar))
    assert names == ["later", "plain", "secret"]
    secret = [l for l in jar_lines(jar) if "\tsecret\t" in l][0]
    assert secret.split("\t")[3] == "TRUE"
    r = get("--cookie-jar", jar, s.url + "/echo")
    assert json.loads(r.stdout)["headers"]["cookie"] == ["plain=3; later=5"]
    time.sleep(5.1)                                      # Max-Age=5 runs out
    r = get("--cookie-jar", jar, s.url + "/echo")
    assert json.loads(r.stdout)["headers"]["cookie"] == ["plain=3"]
    assert sorted(l.split("\t")[5] for l in jar_lines(jar)) == ["plain", "secret"]


# ---- the cache --------------------------------------------------------------

def test_cache_revalidates(nginx, tmp_path):
    cache = tmp_path / "cache"
    url = nginx.url + "/hello.txt"
    r = get("--cache", cache, url)
    assert r.returncode == 0 and r.stdout == HELLO
    files = os.listdir(cache)
    assert files == [hashlib.sha256(url.encode()).hexdigest()]
    meta = (cache / files[0]).read_bytes()
    assert meta.startswith(b"camada-cache 1\nurl: " + url.encode() + b"\n")
    assert re.search(rb'\netag: "[^"]+"\n', meta) and b"\nlast-modified: " in meta
    assert meta.endswith(b"\n\n" + HELLO)

    r = get("-v", "--cache", cache, url)
    assert r.returncode == 0, r.stderr
    assert r.stdout == HELLO
    err = r.stderr.decode()
    assert "304, from cache" in err
    assert "> If-None-Match: \"" in err and "> If-Modified-Since: " in err
    assert nginx.log()[-1][3] == 304

    # the resource changes: a 200 replaces the entry
    time.sleep(1.1)
    (nginx.root / "hello.txt").write_bytes(b"changed\n")
    r = get("--cache", cache, url)
    assert r.returncode == 0 and r.stdout == b"changed\n"
    assert b"from cache" not in r.stderr
    assert nginx.log()[-1][3] == 200
    assert (cache / files[0]).read_bytes().endswith(b"\n\nchanged\n")
    r = get("--cache", cache, "-o", tmp_path / "o", url)
    assert (tmp_path / "o").read_bytes() == b"changed\n"
    assert b"304, from cache" in r.stderr
    assert not [f for f in os.listdir(cache) if f.startswith(".tmp")]


def test_cache_page(nginx, tmp_path):
    cache = tmp_path / "cache"
    r = get("--page", "--cache", cache, nginx.url + "/page.html")
    check_page(nginx, r)
    assert len(os.listdir(cache)) == 11
    r = get("--page", "--cache", cache, nginx.url + "/page.html")
    assert r.returncode == 0, r.stderr
    rows, tot = table(r.stdout)
    assert [x["status"] for x in rows] == ["304 cache"] * 11
    assert tot["bytes"] == sum((nginx.root / p).stat().st_size
                               for p in ["page.html"] + IMAGES)
    assert r.stderr.decode() == "camada get: 304, from cache: 11 of 11 objects\n"


def test_cache_skips_uncacheable(raw, tmp_path):
    s = raw()
    s.routes["/nostore"] = lambda q: (reply(200, b"x", [
        ("ETag", '"1"'), ("Cache-Control", "no-store")]), False)
    s.routes["/novalidator"] = lambda q: (reply(200, b"y"), False)
    cache = tmp_path / "c"
    get("--cache", cache, s.url + "/nostore")
    get("--cache", cache, s.url + "/novalidator")
    assert os.listdir(cache) == []


# ---- progress bar -----------------------------------------------------------

def test_progress_bar_on_a_terminal(nginx, tmp_path):
    master, slave = pty.openpty()
    try:
        p = subprocess.run([BIN, "get", "-o", str(tmp_path / "b"),
                            nginx.url + "/big.bin"], stderr=slave,
                           stdout=subprocess.PIPE, timeout=30 * SLOW)
        os.close(slave)
        slave = None
        out = b""
        while True:
            try:
                d = os.read(master, 65536)
            except OSError:
                break
            if not d:
                break
            out += d
    finally:
        if slave is not None:
            os.close(slave)
        os.close(master)
    assert p.returncode == 0
    assert b"100%" in out and b"[####" in out, out[-300:]
    r = get("-o", tmp_path / "s", nginx.url + "/hello.txt")
    assert r.stderr == b""


# ---- errors and exit codes --------------------------------------------------

def test_exit_refused():
    port = free_port()
    r = get("http://127.0.0.1:%d/" % port)
    assert r.returncode == 7
    assert b"failed to connect" in r.stderr and b"refused" in r.stderr


def test_exit_bad_url():
    # "notaurl" left this list in issue 8: without a scheme a URL is taken
    # as http://, as curl does, so it is a host that does not resolve (6)
    for u in ("http://", "http://exa mple.com/", "http://h:99999/",
              "http://[::1/", "h:99999/", "[::1/"):
        r = get(u)
        assert r.returncode == 3, u
        assert b"malformed URL" in r.stderr
    r = get("notaurl.invalid")
    assert r.returncode == 6


def test_exit_unknown_host():
    r = get("http://no-such-host.invalid/")
    assert r.returncode == 6
    assert b"could not resolve host: no-such-host.invalid" in r.stderr


def test_exit_unsupported_scheme():
    r = get("ftp://127.0.0.1/")
    assert r.returncode == 1
    assert b'protocol "ftp" not supported' in r.stderr
    # https is spoken now (test_http_get_tls.py): nothing listens here
    r = get("https://127.0.0.1:%d/" % free_port())
    assert r.returncode == 7, r.stderr


def test_exit_fail_on_http_error(nginx, tmp_path):
    r = get(nginx.url + "/missing")
    assert r.returncode == 0 and b"404 Not Found" in r.stdout
    r = get("-f", "-o", tmp_path / "o", nginx.url + "/missing")
    assert r.returncode == 22
    assert b"404" in r.stderr and r.stdout == b""
    assert not (tmp_path / "o").exists()
    r = get("--fail", nginx.url + "/error500")
    assert r.returncode == 22 and r.stdout == b""


def test_exit_write_error(nginx, tmp_path):
    r = get("-o", tmp_path / "no" / "such" / "dir", nginx.url + "/hello.txt")
    assert r.returncode == 23
    with open("/dev/full", "wb") as full:
        r = subprocess.run([BIN, "get", nginx.url + "/big.bin"], stdout=full,
                           stderr=subprocess.PIPE, timeout=20 * SLOW)
    assert r.returncode == 23 and b"failed writing" in r.stderr


def test_exit_bad_responses(raw):
    s = raw()
    s.routes["/garbage"] = lambda q: (b"HELLO THERE\r\n\r\n", True)
    s.routes["/empty"] = lambda q: (b"", True)
    s.routes["/short"] = lambda q: (b"HTTP/1.1 200 OK\r\nContent-Length: 100"
                                    b"\r\n\r\nonly ten b", True)
    s.routes["/badchunk"] = lambda q: (b"HTTP/1.1 200 OK\r\nTransfer-Encoding:"
                                       b" chunked\r\n\r\nZZ\r\n", True)
    s.routes["/gzipped"] = lambda q: (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: "
                                      b"gzip, chunked\r\n\r\n0\r\n\r\n", True)
    assert get(s.url + "/garbage").returncode == 8
    r = get(s.url + "/empty")
    assert r.returncode == 52 and b"empty reply" in r.stderr
    r = get(s.url + "/short")
    assert r.returncode == 18 and r.stdout == b"only ten b"
    assert get(s.url + "/badchunk").returncode == 8
    assert get(s.url + "/gzipped").returncode == 8


def test_exit_timeout(raw):
    s = raw()
    stop = threading.Event()

    def slow(q):
        stop.wait(10)
        return reply(200, b"late"), True
    s.routes["/slow"] = slow
    t = time.time()
    r = get("--max-time", "0.5", s.url + "/slow")
    took = time.time() - t
    stop.set()
    assert r.returncode == 28, r.stderr
    assert b"timed out" in r.stderr
    assert took < 5 * SLOW


def test_exit_connect_timeout():
    """A listener whose accept queue is full drops SYNs: connect hangs."""
    lsn = socket.socket()
    lsn.bind(("127.0.0.1", 0))
    lsn.listen(0)
    port = lsn.getsockname()[1]
    fill = []
    try:
        for _ in range(3):
            c = socket.socket()
            c.setblocking(False)
            try:
                c.connect(("127.0.0.1", port))
            except BlockingIOError:
                pass
            fill.append(c)
        time.sleep(0.2)
        t = time.time()
        r = get("--connect-timeout", "0.5", "http://127.0.0.1:%d/" % port)
        assert r.returncode == 28, r.stderr
        assert b"connection timed out after 500 ms" in r.stderr
        assert time.time() - t < 3 * SLOW
        r = get("--max-time", "0.5", "http://127.0.0.1:%d/" % port)
        assert r.returncode == 28 and b"operation timed out" in r.stderr
    finally:
        for c in fill:
            c.close()
        lsn.close()


def test_credentials_stay_on_their_host(raw):
    a, b = raw(), raw()
    a.routes["/go"] = lambda q: (reply(302, b"", [("Location", b.url + "/echo")]),
                                 False)
    a.routes["/here"] = lambda q: (reply(302, b"", [("Location", "/echo")]), False)
    r = get("-L", "-H", "Authorization: Basic eDp5", "-H", "Cookie: c=1",
            "-H", "X-Other: kept", a.url + "/go")
    h = json.loads(r.stdout)["headers"]
    assert "authorization" not in h and "cookie" not in h
    assert h["x-other"] == ["kept"]
    r = get("-L", "-H", "Authorization: Basic eDp5", a.url + "/here")
    assert json.loads(r.stdout)["headers"]["authorization"] == ["Basic eDp5"]


def test_page_fail(nginx):
    (nginx.root / "broken.html").write_text('<img src="images/1.png">'
                                            '<img src="missing.png">')
    r = get("--page", nginx.url + "/broken.html")
    assert r.returncode == 0
    r = get("--page", "-f", nginx.url + "/broken.html")
    assert r.returncode == 22 and b"missing.png" in r.stderr
    rows, tot = table(r.stdout)
    assert [x["status"] for x in rows] == ["200", "200", "404"]


def test_usage_errors():
    assert get().returncode == 2
    assert get("--bogus", "http://x/").returncode == 2
    assert get("-o").returncode == 2
    assert get("http://a/", "http://b/").returncode == 2
    assert get("--parallel", "0", "http://a/").returncode == 2
    assert get("--max-time", "soon", "http://a/").returncode == 2
    assert get("--page", "-d", "x", "http://a/").returncode == 2
    assert get("--page", "-o", "f", "http://a/").returncode == 2
    r = get("--help")
    assert r.returncode == 0
    text = r.stdout.decode()
    for code in ("0", "1", "2", "3", "6", "7", "8", "18", "22", "23", "26",
                 "28", "47", "52", "55", "56"):
        assert re.search(r"(^|\s)%s  " % code, text), code


# ---- names: the hosts file, the stub, the pool --------------------------------

def test_localhost_from_the_hosts_file(nginx):
    """"localhost" comes from /etc/hosts (or is loopback by RFC 6761), as
    getaddrinfo gave it: no DNS query is needed."""
    r = get("-v", "http://localhost:%d/hello.txt" % nginx.port)
    assert r.returncode == 0, r.stderr
    assert r.stdout == HELLO
    assert b"Connected to localhost" in r.stderr


def test_invalid_names_fail_without_a_query():
    """Names under .invalid have no address (RFC 6761), with or without a
    resolver: nothing is asked."""
    port = free_port()
    for extra in ([], ["--resolver", "127.0.0.1:%d" % port]):
        t = time.time()
        r = get(*extra, "http://a.b.invalid/")
        assert r.returncode == 6, r.stderr
        assert b"could not resolve host: a.b.invalid (no address)" in r.stderr
        assert time.time() - t < 2 * SLOW


def test_resolver_that_does_not_answer():
    port = free_port()
    r = get("--resolver", "127.0.0.1:%d" % port, "http://www.example.test/")
    assert r.returncode == 6, r.stderr
    assert b"could not resolve host: www.example.test" in r.stderr


def test_reuse_across_redirects_to_the_same_host(nginx):
    r = get("-L", "-v", nginx.url + "/hop1")
    assert r.returncode == 0 and r.stdout == HELLO, r.stderr
    err = r.stderr.decode()
    assert err.count("* Connected to") == 1, err
    assert "Re-using existing connection #0" in err


# ---- review fixes: no hang, bounded 1xx, honest timeouts --------------------
# Each run carries -m as a safety bound: a hang shows as exit 28, not as a
# test that never ends.

def test_large_request_header_is_sent(raw):
    """curl sends a 100 kB header; so do we, on a kept connection."""
    s = raw()
    r = get("-m", "20", "-s", "-H", "X: " + "a" * 100000, s.url + "/echo")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["headers"]["x"] == ["a" * 100000]


def test_request_head_over_the_bound_fails_fast(raw):
    """Past curl's 1 MiB request head: curl's exit 27, with a message."""
    s = raw()
    hs = []
    for i in range(9):
        hs += ["-H", "X%d: %s" % (i, "a" * 120000)]
    r = get("-m", "20", *hs, s.url + "/echo")
    assert r.returncode == 27, r.stderr
    assert b"request head is over 1048576 bytes" in r.stderr
    assert s.requests == []


def test_page_pipelined_request_over_the_bound(raw):
    """A pipelined object whose request cannot be built while others are in
    flight: the answers in flight are read, that object fails with 27, the
    lane goes on with the rest."""
    s = raw()
    port_part = "Host: 127.0.0.1:%d\r\n" % s.port
    fixed = (len("GET  HTTP/1.1\r\n") + len(port_part) +
             len("User-Agent: camada/0.1.0\r\n") + len("Accept: */*\r\n") + 2)
    long_path = "/" + "l" * 5000 + ".png"
    # room left for the target: 2500 bytes; the short paths fit, the long
    # one does not
    budget = 1024 * 1024 - fixed - 2500
    hs, left, i = [], budget, 0
    while left > 0:
        n = min(left, 120000) - len("Xnn: \r\n")
        if n <= 0:
            break
        hs += ["-H", "X%02d: %s" % (i, "a" * n)]
        left -= n + len("Xnn: \r\n")
        i += 1
    html = ('<img src="/a.png"><img src="%s"><img src="/b.png">'
            '<img src="/c.png">' % long_path).encode()
    s.routes["/page.html"] = lambda q: (reply(200, html), False)
    for p in ("/a.png", "/b.png", "/c.png"):
        s.routes[p] = lambda q: (reply(200, b"png"), False)
    r = get("-m", "30", "--page", "--pipeline", *hs, s.url + "/page.html")
    assert r.returncode == 27, r.stderr
    rows, tot = table(r.stdout)
    st = {x["url"].rsplit("/", 1)[-1]: x["status"] for x in rows}
    assert st["a.png"] == "200" and st["b.png"] == "200", r.stdout
    assert st["c.png"] == "200", r.stdout
    assert [x["status"] for x in rows if "lll" in x["url"]] == ["error"]
    assert b"request head is over" in r.stderr
    paths = sorted(q["path"] for q in s.requests)
    assert paths == ["/a.png", "/b.png", "/c.png", "/page.html"]


def test_endless_interim_responses():
    """A server that sends 1xx forever: given up after a few (8)."""
    lsn = socket.socket()
    lsn.bind(("127.0.0.1", 0))
    lsn.listen(1)
    port = lsn.getsockname()[1]

    def serve():
        c, _ = lsn.accept()
        try:
            c.recv(65536)
            while True:     # until the client goes (an OSError ends it)
                c.sendall(b"HTTP/1.1 100 Continue\r\n\r\n" * 64)
        except OSError:
            pass
        finally:
            c.close()
    t = threading.Thread(target=serve, daemon=True)
    t.start()
    try:
        r = get("-m", "20", "http://127.0.0.1:%d/forever" % port)
        assert r.returncode == 8, r.stderr
        assert b"more than 16 1xx responses" in r.stderr
    finally:
        t.join(5)
        lsn.close()


def test_max_time_marks_unfollowed_pipelined_redirects(raw):
    """--max-time in a pipelined --page fetch: an object whose redirect was
    read but not followed yet is not reported as done."""
    s = raw()
    release = threading.Event()
    html = b'<img src="/r1.png"><img src="/slow.png">'
    s.routes["/page.html"] = lambda q: (reply(200, html), False)
    s.routes["/r1.png"] = lambda q: (reply(302, b"", [("Location",
                                                        "/a.png")]), False)
    s.routes["/a.png"] = lambda q: (reply(200, b"png"), False)

    def slow(q):
        release.wait(20)
        return reply(200, b"late"), True
    s.routes["/slow.png"] = slow
    try:
        r = get("-m", "1", "--page", "--pipeline", "-L", s.url + "/page.html")
    finally:
        release.set()
    assert r.returncode == 28, r.stderr
    assert b"/r1.png: following the redirect: operation timed out" in \
        r.stderr, r.stderr
    assert "/a.png" not in [q["path"] for q in s.requests]


def test_max_time_while_resolving():
    """--max-time during the name lookup says so, as curl does."""
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind(("127.0.0.1", 0))        # takes the queries, answers none
    try:
        r = get("-m", "0.5", "--resolver", "127.0.0.1:%d" %
                u.getsockname()[1], "http://www.example.test/")
        assert r.returncode == 28, r.stderr
        assert b"Resolving timed out after" in r.stderr, r.stderr
    finally:
        u.close()
