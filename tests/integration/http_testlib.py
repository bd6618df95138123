"""Helpers shared by the HTTP server tests (test_http_server_*.py and
test_http_browser.py): starting `camada http` on a root, raw-socket
exchanges, a small strict response parser, and curl/wget runners.

The parser here is deliberately independent of camada's own: it is what a
test uses to decide what a client would have seen on the wire.
"""
import os
import re
import socket
import subprocess
import time

from conftest import ROOT, SLOW

# the demo site; CAMADA_TEST_WWW points the browser tests at another one
WWW = os.environ.get("CAMADA_TEST_WWW", os.path.join(ROOT, "www"))
HEX32 = re.compile(r"^[0-9a-f]{32}$")


def serve(camada, root, *args, workers=1):
    """Starts `camada http` on root, the /visits and /post demos on (they are
    off unless asked for); returns (srv, port)."""
    srv = camada("http", "-l", "127.0.0.1:0", "-r", str(root), "--demo",
                 "--workers", str(workers), *[str(a) for a in args])
    return srv, srv.port("http")


def make_site(root):
    """A small site under root (a pathlib.Path); returns root."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "index.html").write_text("<h1>home page</h1>\n")
    (root / "hello.txt").write_text("hello, world\n")
    (root / "style.css").write_text("body { color: black; }\n")
    (root / "page.html").write_text("<p>a page</p>\n")
    (root / "pixel.png").write_bytes(
        bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000"
                      "001f15c4890000000d4944415478da63f8cfc0f01f0005000201a5"
                      "6b95c70000000049454e44ae426082"))
    (root / "ten.txt").write_bytes(b"0123456789")
    (root / "dir").mkdir(exist_ok=True)
    (root / "dir" / "index.html").write_text("<p>index of dir</p>\n")
    (root / "list").mkdir(exist_ok=True)
    (root / "list" / "alpha.txt").write_text("a\n")
    (root / "list" / "beta & <b>.txt").write_text("b\n")
    (root / ".secret").write_text("dotfile content\n")
    return root


# --- the wire ---

class Resp:
    """One HTTP response as read off the wire."""

    def __init__(self, version, status, reason, headers, body, raw_head):
        self.version = version
        self.status = status
        self.reason = reason
        self.headers = headers      # [(name, value)] in order
        self.body = body
        self.raw_head = raw_head

    def header(self, name, default=None):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return default

    def all(self, name):
        return [v for k, v in self.headers if k.lower() == name.lower()]

    def __repr__(self):
        return "<Resp %s %d %r %d bytes>" % (self.version, self.status,
                                            self.headers, len(self.body))


class Incomplete(Exception):
    pass


def parse_one(data, method="GET"):
    """Parses one response from the start of data; returns (Resp, rest).
    Raises Incomplete when more bytes are needed. A response with neither
    Content-Length nor chunked takes the rest of data (close-delimited)."""
    end = data.find(b"\r\n\r\n")
    if end < 0:
        raise Incomplete()
    head = data[:end].decode("latin-1")
    rest = data[end + 4:]
    lines = head.split("\r\n")
    m = re.match(r"^(HTTP/\d\.\d) (\d{3}) ?(.*)$", lines[0])
    assert m, "bad status line %r" % lines[0]
    headers = []
    for line in lines[1:]:
        k, sep, v = line.partition(":")
        assert sep and k and k == k.strip(), "bad header line %r" % line
        headers.append((k, v.strip()))
    r = Resp(m.group(1), int(m.group(2)), m.group(3), headers, b"",
             data[:end + 4])
    te = r.header("Transfer-Encoding")
    cl = r.header("Content-Length")
    if method == "HEAD" or r.status in (204, 304) or 100 <= r.status < 200:
        return r, rest
    if te is not None:
        assert te.lower() == "chunked", te
        assert cl is None, "both Content-Length and Transfer-Encoding"
        body = b""
        while True:
            nl = rest.find(b"\r\n")
            if nl < 0:
                raise Incomplete()
            size = int(rest[:nl].split(b";")[0], 16)
            if len(rest) < nl + 2 + size + 2:
                raise Incomplete()
            body += rest[nl + 2:nl + 2 + size]
            assert rest[nl + 2 + size:nl + 4 + size] == b"\r\n"
            rest = rest[nl + 4 + size:]
            if size == 0:
                break
        r.body = body
        return r, rest
    if cl is not None:
        n = int(cl)
        if len(rest) < n:
            raise Incomplete()
        r.body = rest[:n]
        return r, rest[n:]
    r.body = rest
    return r, b""


def parse_all(data, methods=None):
    """Every response in data, in order; methods[i] says which were HEAD.
    Interim 1xx responses are returned too."""
    out = []
    i = 0
    while data:
        meth = methods[i] if methods and i < len(methods) else "GET"
        r, data = parse_one(data, meth)
        out.append(r)
        if not (100 <= r.status < 200):
            i += 1
    return out


def connect(port, timeout=5):
    return socket.create_connection(("127.0.0.1", port), timeout=timeout * SLOW)


def read_until_close(s, timeout=5):
    """Reads until EOF; returns (data, closed). closed is False when the
    timeout passed with the connection still open."""
    s.settimeout(timeout * SLOW)
    data = b""
    try:
        while True:
            b = s.recv(65536)
            if not b:
                return data, True
            data += b
    except socket.timeout:
        return data, False
    except ConnectionResetError:
        return data, True


def read_responses(s, count, methods=None, timeout=10):
    """Reads until count final responses have arrived; returns them."""
    s.settimeout(timeout * SLOW)
    data = b""
    deadline = time.time() + timeout * SLOW
    while True:
        try:
            rs = parse_all(data, methods)
            if len([r for r in rs if r.status >= 200]) >= count:
                return rs
        except Incomplete:
            pass
        if time.time() > deadline:
            raise AssertionError("only %r after %ds" % (data[:500], timeout))
        b = s.recv(1 << 20)
        if not b:
            # close-delimited bodies end here
            rs = parse_all(data, methods)
            return rs
        data += b


def exchange(port, data, timeout=5):
    """Sends data on a new connection, reads until the server closes it (or
    timeout); returns (responses, raw bytes, closed)."""
    s = connect(port)
    try:
        s.sendall(data)
        raw, closed = read_until_close(s, timeout)
    finally:
        s.close()
    return parse_all(raw), raw, closed


def one(port, data, timeout=5):
    """One request that should end with the connection closed: returns the
    single response, asserting the server closed."""
    rs, raw, closed = exchange(port, data, timeout)
    assert closed, "connection still open after %r" % raw[:300]
    assert len(rs) == 1, rs
    return rs[0]


def get(port, path, host="t", extra=b"", version=b"HTTP/1.1"):
    """Raw GET with Connection: close; returns the response."""
    req = b"GET " + path + b" " + version + b"\r\nHost: " + host.encode() + \
        b"\r\nConnection: close\r\n" + extra + b"\r\n"
    return one(port, req)


# --- real clients ---

def curl(*args, timeout=20):
    """Runs curl; returns CompletedProcess with text stdout/stderr."""
    return subprocess.run(["curl", "-sS", "--max-time", str(timeout * SLOW)] +
                          [str(a) for a in args], capture_output=True,
                          timeout=timeout * SLOW + 5, errors="replace")


def curl_head(*args):
    """curl -D - -o /dev/null: (status, {lower name: value}, stderr)."""
    r = curl("-D", "-", "-o", "/dev/null", *args)
    return parse_dump(r.stdout)


def parse_dump(text):
    """Parses curl -D output (the last response in it)."""
    blocks = [b for b in text.replace("\r\n", "\n").split("\n\n") if b.strip()]
    assert blocks, "no response head in %r" % text
    lines = blocks[-1].split("\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    return status, headers


def wget(*args, cwd=None, timeout=20):
    return subprocess.run(["wget", "--no-proxy", "-T", str(timeout * SLOW),
                           "-t", "1"] + [str(a) for a in args],
                          capture_output=True, cwd=cwd,
                          timeout=timeout * SLOW + 5, errors="replace")


def url(port, path="/"):
    return "http://127.0.0.1:%d%s" % (port, path)


def worker_pids(srv):
    return srv.children()


def vmrss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS for %d" % pid)


def serving_worker(srv, sock, port):
    """The pid of the worker process holding the server side of sock (a
    connected client socket), found through /proc/net/tcp and the workers'
    descriptors; None if not found."""
    cport = sock.getsockname()[1]
    inode = None
    with open("/proc/net/tcp") as f:
        for line in f.readlines()[1:]:
            parts = line.split()
            lport = int(parts[1].split(":")[1], 16)
            rport = int(parts[2].split(":")[1], 16)
            if lport == port and rport == cport:
                inode = parts[9]
    if inode is None:
        return None
    want = "socket:[%s]" % inode
    for pid in srv.children():
        try:
            for fd in os.listdir("/proc/%d/fd" % pid):
                try:
                    if os.readlink("/proc/%d/fd/%s" % (pid, fd)) == want:
                        return pid
                except OSError:
                    pass
        except OSError:
            pass
    return None


def wait_workers(srv, n, timeout=5):
    """The worker pids, once n of them are running."""
    deadline = time.time() + timeout * SLOW
    while True:
        kids = srv.children()
        if len(kids) == n:
            return kids
        assert time.time() < deadline, "workers: %r" % kids
        time.sleep(0.05)
