"""The HTTP origin server as curl, wget, Python's http.client and a person
typing into a raw socket see it: keep-alive, HTTP/1.0, HEAD, conditional and
range requests, directories, status codes, virtual hosts, redirects,
dotfiles and the headers every response carries.

Other themes are in test_http_server_*.py: pipelining and bodies, hostile
input and traversal, slow clients, and operations (metrics, cookies, access
log, 10k connections).
"""
import email.utils
import http.client
import os
import re
import socket
import time

import pytest

from conftest import ROOT
from http_testlib import (WWW, connect, curl, curl_head, exchange, get,
                          make_site, one, parse_dump, read_responses,
                          read_until_close, serve, url, wget)


@pytest.fixture
def site(tmp_path):
    return make_site(tmp_path / "root")


# --- curl ---

def test_curl_keepalive_reuses_connection(camada, site):
    _srv, port = serve(camada, site)
    r = curl("-v", url(port, "/hello.txt"), url(port, "/page.html"))
    assert r.returncode == 0, r.stderr
    assert r.stdout == "hello, world\n<p>a page</p>\n"
    assert "Re-using existing connection" in r.stderr
    assert r.stderr.count("Connected to 127.0.0.1") == 1


def test_curl_http10_without_keepalive_closes(camada, site):
    _srv, port = serve(camada, site)
    r = curl("-v", "--http1.0", url(port, "/hello.txt"), url(port, "/page.html"))
    assert r.returncode == 0, r.stderr
    assert r.stdout == "hello, world\n<p>a page</p>\n"
    assert "< HTTP/1.0 200 OK" in r.stderr
    assert "< Connection: close" in r.stderr
    assert "Re-using existing connection" not in r.stderr
    assert r.stderr.count("Connected to 127.0.0.1") == 2


def test_curl_http10_with_keepalive_reuses(camada, site):
    _srv, port = serve(camada, site)
    r = curl("-v", "--http1.0", "-H", "Connection: keep-alive",
             url(port, "/hello.txt"), url(port, "/page.html"))
    assert r.returncode == 0, r.stderr
    assert r.stdout == "hello, world\n<p>a page</p>\n"
    assert "< HTTP/1.0 200 OK" in r.stderr
    assert "< Connection: keep-alive" in r.stderr
    assert "Re-using existing connection" in r.stderr
    assert r.stderr.count("Connected to 127.0.0.1") == 1


def test_curl_head_same_headers_as_get_and_no_body(camada, site):
    _srv, port = serve(camada, site)
    g = curl("-s", "-D", "-", "-o", "/dev/null", url(port, "/page.html"))
    h = curl("-s", "-I", url(port, "/page.html"))
    assert h.returncode == 0, h.stderr
    gs, gh = parse_dump(g.stdout)
    hs, hh = parse_dump(h.stdout)
    assert gs == hs == 200
    gh.pop("date")
    hh.pop("date")
    assert gh == hh
    assert hh["content-length"] == str(len("<p>a page</p>\n"))
    # on the wire: the head and nothing after it, and the connection goes on
    s = connect(port)
    s.sendall(b"HEAD /page.html HTTP/1.1\r\nHost: t\r\n\r\n"
              b"GET /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n")
    rs = read_responses(s, 2, methods=["HEAD", "GET"])
    s.close()
    assert [r.status for r in rs] == [200, 200]
    assert rs[0].body == b"" and rs[1].body == b"hello, world\n"


def test_curl_304_by_date(camada, site):
    _srv, port = serve(camada, site)
    st, h = curl_head(url(port, "/hello.txt"))
    assert st == 200
    lm = h["last-modified"]
    r = curl("-v", "-H", "If-Modified-Since: " + lm, url(port, "/hello.txt"))
    assert "< HTTP/1.1 304 Not Modified" in r.stderr
    assert r.stdout == ""
    # curl -z with the file's own date: the same thing, the curl way
    r = curl("-v", "-z", lm, url(port, "/hello.txt"))
    assert "< HTTP/1.1 304 Not Modified" in r.stderr and r.stdout == ""
    # a date before the file's: the whole file
    old = email.utils.formatdate(time.time() - 86400 * 365, usegmt=True)
    os.utime(site / "hello.txt", (time.time() - 10, time.time() - 10))
    r = curl("-v", "-H", "If-Modified-Since: " + old, url(port, "/hello.txt"))
    assert "< HTTP/1.1 200 OK" in r.stderr and r.stdout == "hello, world\n"
    # a garbage date is ignored
    r = curl("-H", "If-Modified-Since: yesterday-ish", url(port, "/hello.txt"))
    assert r.stdout == "hello, world\n"


def test_curl_304_by_etag(camada, site):
    # no file cache: the test changes the file and wants to see it at once
    _srv, port = serve(camada, site, "--file-cache-valid", "0")
    st, h = curl_head(url(port, "/hello.txt"))
    etag = h["etag"]
    assert re.match(r'^(W/)?"[^"]+"$', etag), etag
    r = curl("-v", "-H", "If-None-Match: " + etag, url(port, "/hello.txt"))
    assert "< HTTP/1.1 304 Not Modified" in r.stderr
    assert "< ETag: " + etag in r.stderr
    assert r.stdout == ""
    r = curl("-v", "-H", 'If-None-Match: "other", ' + etag, url(port, "/hello.txt"))
    assert "304 Not Modified" in r.stderr
    r = curl("-v", "-H", "If-None-Match: *", url(port, "/hello.txt"))
    assert "304 Not Modified" in r.stderr
    r = curl("-v", "-H", 'If-None-Match: "nope"', url(port, "/hello.txt"))
    assert "< HTTP/1.1 200 OK" in r.stderr and r.stdout == "hello, world\n"
    # If-None-Match wins over If-Modified-Since (RFC 9110 13.2.2)
    r = curl("-v", "-H", 'If-None-Match: "nope"', "-H",
             "If-Modified-Since: " + h["last-modified"], url(port, "/hello.txt"))
    assert "< HTTP/1.1 200 OK" in r.stderr
    # the file changes: the old tag no longer matches
    (site / "hello.txt").write_text("hello, world, again\n")
    os.utime(site / "hello.txt", (time.time() + 5, time.time() + 5))
    r = curl("-v", "-H", "If-None-Match: " + etag, url(port, "/hello.txt"))
    assert "< HTTP/1.1 200 OK" in r.stderr and r.stdout == "hello, world, again\n"


def test_curl_range_206_and_416(camada, site):
    _srv, port = serve(camada, site)
    r = curl("-v", "-r", "2-5", url(port, "/ten.txt"))
    assert "< HTTP/1.1 206 Partial Content" in r.stderr
    assert "< Content-Range: bytes 2-5/10" in r.stderr
    assert "< Content-Length: 4" in r.stderr
    assert r.stdout == "2345"
    r = curl("-r", "7-", url(port, "/ten.txt"))
    assert r.stdout == "789"
    r = curl("-r", "-3", url(port, "/ten.txt"))
    assert r.stdout == "789"
    r = curl("-r", "5-100", url(port, "/ten.txt"))
    assert r.stdout == "56789"
    r = curl("-v", "-r", "10-20", url(port, "/ten.txt"))
    assert "< HTTP/1.1 416 Range Not Satisfiable" in r.stderr
    assert "< Content-Range: bytes */10" in r.stderr
    assert "0123456789" not in r.stdout


def test_wget_resumes_a_partial_download(camada, site, tmp_path):
    data = os.urandom(200000)
    (site / "blob.bin").write_bytes(data)
    _srv, port = serve(camada, site)
    dl = tmp_path / "dl"
    dl.mkdir()
    (dl / "blob.bin").write_bytes(data[:70000])
    r = wget("-c", "-S", url(port, "/blob.bin"), cwd=dl)
    assert r.returncode == 0, r.stderr
    assert "206 Partial Content" in r.stderr
    assert "Content-Range: bytes 70000-199999/200000" in r.stderr
    assert (dl / "blob.bin").read_bytes() == data


def test_directory_without_slash_301_then_index(camada, site):
    _srv, port = serve(camada, site)
    r = curl("-v", url(port, "/dir"))
    assert "< HTTP/1.1 301 Moved Permanently" in r.stderr
    loc = re.search(r"< Location: (\S+)", r.stderr).group(1)
    assert loc.endswith("/") and loc.rstrip("/").endswith("/dir")
    r = curl("-L", url(port, "/dir"))
    assert r.stdout == "<p>index of dir</p>\n"
    r = curl(url(port, "/dir/"))
    assert r.stdout == "<p>index of dir</p>\n"
    # the query survives the redirect
    r = curl("-v", url(port, "/dir?x=1"))
    assert re.search(r"< Location: \S*/dir/\?x=1\r?$", r.stderr, re.M), r.stderr
    # and "/" is the root's index.html
    assert curl(url(port, "/")).stdout == "<h1>home page</h1>\n"


def test_autoindex_on_lists_and_escapes(camada, site):
    _srv, port = serve(camada, site, "--autoindex")
    r = curl("-v", url(port, "/list/"))
    assert "< HTTP/1.1 200 OK" in r.stderr
    assert "text/html" in r.stderr
    assert 'href="alpha.txt"' in r.stdout
    assert "beta &amp; &lt;b&gt;.txt" in r.stdout
    assert "<b>" not in r.stdout
    # the link works
    href = re.search(r'href="(beta[^"]*)"', r.stdout).group(1)
    assert curl(url(port, "/list/" + href)).stdout == "b\n"
    st, _ = curl_head(url(port, "/dir/"))
    assert st == 200   # an index.html still wins


def test_autoindex_off_is_403(camada, site):
    _srv, port = serve(camada, site)
    r = curl("-v", url(port, "/list/"))
    assert "< HTTP/1.1 403 Forbidden" in r.stderr
    assert "alpha.txt" not in r.stdout


def test_404(camada, site):
    _srv, port = serve(camada, site)
    r = curl("-v", url(port, "/no/such/file.html"))
    assert "< HTTP/1.1 404 Not Found" in r.stderr
    assert "404 Not Found" in r.stdout
    assert "text/html" in r.stderr
    r = curl("-v", url(port, "/hello.txt/more"))
    assert "< HTTP/1.1 404 Not Found" in r.stderr


@pytest.mark.parametrize("method", ["PUT", "DELETE"])
def test_405_with_allow(camada, site, method):
    _srv, port = serve(camada, site)
    r = curl("-v", "-X", method, url(port, "/hello.txt"))
    assert "< HTTP/1.1 405 Method Not Allowed" in r.stderr
    allow = re.search(r"< Allow: (.*)\r?$", r.stderr, re.M).group(1)
    assert "GET" in allow and "HEAD" in allow and method not in allow
    assert (site / "hello.txt").read_text() == "hello, world\n"


def test_501_for_unknown_method(camada, site):
    _srv, port = serve(camada, site)
    r = curl("-v", "-X", "BREW", url(port, "/coffee"))
    assert "< HTTP/1.1 501 Not Implemented" in r.stderr
    # methods are case-sensitive: "get" is not GET
    s = connect(port)
    s.sendall(b"get /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n")
    rs = read_responses(s, 1)
    s.close()
    assert rs[0].status == 501


@pytest.mark.parametrize("version", [b"HTTP/2.0", b"HTTP/3.1", b"HTTP/0.9"])
def test_505_for_other_major_versions(camada, site, version):
    _srv, port = serve(camada, site)
    rs, raw, closed = exchange(port, b"GET /hello.txt " + version +
                               b"\r\nHost: t\r\n\r\n")
    assert closed
    assert b"hello, world" not in raw
    if version == b"HTTP/0.9":
        # major 0 is not HTTP/1 either; 505 or 400, never the file
        assert rs and rs[0].status in (400, 505), raw
    else:
        assert rs[0].status == 505, raw
        assert rs[0].version == "HTTP/1.1"


def test_options(camada, site):
    _srv, port = serve(camada, site)
    r = curl("-v", "-X", "OPTIONS", url(port, "/hello.txt"))
    assert r.returncode == 0, r.stderr
    assert re.search(r"< HTTP/1.1 (200|204) ", r.stderr)
    allow = re.search(r"< Allow: (.*)\r?$", r.stderr, re.M).group(1)
    assert {"GET", "HEAD", "OPTIONS"} <= {m.strip() for m in allow.split(",")}
    # OPTIONS * asks about the server as a whole
    s = connect(port)
    s.sendall(b"OPTIONS * HTTP/1.1\r\nHost: t\r\n\r\n"
              b"GET /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n")
    rs = read_responses(s, 2)
    s.close()
    assert rs[0].status in (200, 204) and rs[0].header("Allow")
    assert rs[1].body == b"hello, world\n"


def test_http11_without_host_is_400(camada, site):
    _srv, port = serve(camada, site)
    r = one(port, b"GET /hello.txt HTTP/1.1\r\n\r\n")
    assert r.status == 400
    assert b"hello, world" not in r.body
    # two Host headers too
    r = one(port, b"GET /hello.txt HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n")
    assert r.status == 400
    # HTTP/1.0 needs none
    r = one(port, b"GET /hello.txt HTTP/1.0\r\n\r\n")
    assert r.status == 200 and r.body == b"hello, world\n"


def test_virtual_hosts(camada, site, tmp_path):
    other = tmp_path / "other"
    other.mkdir()
    (other / "index.html").write_text("<h1>site a.test</h1>\n")
    (other / "only-a.txt").write_text("only on a\n")
    _srv, port = serve(camada, site, "--vhost", "a.test %s" % other)
    assert curl(url(port, "/")).stdout == "<h1>home page</h1>\n"
    assert curl("-H", "Host: a.test", url(port, "/")).stdout == \
        "<h1>site a.test</h1>\n"
    # the way a user reaches it: the name resolves to the server
    r = curl("--resolve", "a.test:%d:127.0.0.1" % port,
             "http://a.test:%d/only-a.txt" % port)
    assert r.stdout == "only on a\n", r.stderr
    # names are case-insensitive, a trailing dot is the same name
    assert curl("-H", "Host: A.Test.:%d" % port, url(port, "/only-a.txt")).stdout == \
        "only on a\n"
    # unknown hosts get the default root
    st, _ = curl_head("-H", "Host: b.test", url(port, "/only-a.txt"))
    assert st == 404
    st, _ = curl_head(url(port, "/only-a.txt"))
    assert st == 404
    # absolute-form target: its authority picks the host
    s = connect(port)
    s.sendall(b"GET http://a.test/only-a.txt HTTP/1.1\r\nHost: zzz\r\n\r\n")
    rs = read_responses(s, 1)
    s.close()
    assert rs[0].status == 200 and rs[0].body == b"only on a\n"


def test_configured_redirects(camada, site):
    _srv, port = serve(camada, site, "--redirect", "/old /page.html 301",
                       "--redirect", "/tmp /hello.txt 307",
                       "--redirect", "/away https://example.org/x")
    r = curl("-v", url(port, "/old"))
    assert "< HTTP/1.1 301 Moved Permanently" in r.stderr
    assert re.search(r"< Location: /page.html\r?$", r.stderr, re.M)
    assert curl("-L", url(port, "/old")).stdout == "<p>a page</p>\n"
    r = curl("-v", url(port, "/tmp"))
    assert "< HTTP/1.1 307 Temporary Redirect" in r.stderr
    assert curl("-L", url(port, "/tmp")).stdout == "hello, world\n"
    r = curl("-v", url(port, "/away"))
    assert "< HTTP/1.1 301" in r.stderr
    assert "< Location: https://example.org/x" in r.stderr
    # only the exact path
    st, _ = curl_head(url(port, "/old/x"))
    assert st == 404


def test_dotfiles_404_by_default_and_served_when_on(camada, site, tmp_path):
    (site / ".git").mkdir()
    (site / ".git" / "config").write_text("[core]\n")
    _srv, port = serve(camada, site, "--autoindex")
    for path in ("/.secret", "/.git/config", "/.git/", "/dir/../.secret",
                 "/%2esecret"):
        r = get(port, path.encode())
        assert r.status == 404, (path, r)
        assert b"dotfile content" not in r.body and b"[core]" not in r.body
    assert ".secret" not in curl(url(port, "/list/")).stdout
    srv2, port2 = serve(camada, site, "--dotfiles")
    assert curl(url(port2, "/.secret")).stdout == "dotfile content\n"


def test_content_types(camada, site):
    (site / "app.js").write_text("1;\n")
    (site / "noext").write_text("x\n")
    _srv, port = serve(camada, site)
    want = {"/page.html": "text/html", "/pixel.png": "image/png",
            "/style.css": "text/css", "/hello.txt": "text/plain",
            "/app.js": "text/javascript"}
    for path, ctype in want.items():
        st, h = curl_head(url(port, path))
        assert st == 200
        assert h["content-type"].split(";")[0] == ctype, (path, h)
    st, h = curl_head(url(port, "/noext"))
    assert st == 200 and h["content-type"] == "application/octet-stream"
    # the bytes of a binary file arrive intact
    r = curl("-s", "-o", "-", url(port, "/pixel.png"))
    assert r.returncode == 0


def test_standard_headers_present(camada, site):
    _srv, port = serve(camada, site)
    st, h = curl_head(url(port, "/page.html"))
    assert st == 200
    for name in ("date", "server", "last-modified", "etag", "accept-ranges",
                 "content-length", "content-type"):
        assert name in h, (name, h)
    assert h["server"].startswith("camada")
    assert h["accept-ranges"] == "bytes"
    # Date is now, Last-Modified is the file's mtime, both IMF-fixdate
    date = email.utils.parsedate_to_datetime(h["date"]).timestamp()
    assert abs(date - time.time()) < 5
    assert h["date"].endswith(" GMT")
    lm = email.utils.parsedate_to_datetime(h["last-modified"]).timestamp()
    assert int(lm) == int(os.stat(site / "page.html").st_mtime)
    # error responses have Date and Server too
    st, h = curl_head(url(port, "/missing"))
    assert st == 404 and "date" in h and "server" in h
    srv2, port2 = serve(camada, site, "--server-name", "Acme/9")
    assert curl_head(url(port2, "/"))[1]["server"] == "Acme/9"


# --- wget ---

def test_wget_downloads_and_reuses(camada, site, tmp_path):
    data = os.urandom(300000)
    (site / "data.bin").write_bytes(data)
    _srv, port = serve(camada, site)
    dl = tmp_path / "dl"
    dl.mkdir()
    r = wget("-S", url(port, "/data.bin"), url(port, "/hello.txt"), cwd=dl)
    assert r.returncode == 0, r.stderr
    assert (dl / "data.bin").read_bytes() == data
    assert (dl / "hello.txt").read_text() == "hello, world\n"
    assert "Reusing existing connection" in r.stderr
    assert "HTTP/1.1 200 OK" in r.stderr


def test_wget_timestamping_gets_304(camada, site, tmp_path):
    _srv, port = serve(camada, site)
    dl = tmp_path / "dl"
    dl.mkdir()
    r = wget("-N", "-S", url(port, "/page.html"), cwd=dl)
    assert r.returncode == 0, r.stderr
    assert (dl / "page.html").read_text() == "<p>a page</p>\n"
    r = wget("-N", "-S", url(port, "/page.html"), cwd=dl)
    assert r.returncode == 0, r.stderr
    assert "304 Not Modified" in r.stderr
    assert "not modified on server" in r.stderr


def test_wget_spider_head_and_404(camada, site):
    _srv, port = serve(camada, site)
    r = wget("--spider", "-S", url(port, "/page.html"))
    assert r.returncode == 0, r.stderr
    assert "HTTP/1.1 200 OK" in r.stderr
    assert "Remote file exists" in r.stderr
    r = wget("-O", "-", url(port, "/nothing"))
    assert r.returncode == 8
    assert "404 Not Found" in r.stderr


# --- Python http.client ---

def test_python_http_client_basics(camada, site):
    _srv, port = serve(camada, site)
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    c.request("GET", "/hello.txt")
    r = c.getresponse()
    assert (r.status, r.reason, r.version) == (200, "OK", 11)
    assert r.getheader("Content-Type").startswith("text/plain")
    assert r.read() == b"hello, world\n"
    sock = c.sock
    c.request("HEAD", "/hello.txt")
    r = c.getresponse()
    assert r.status == 200 and r.getheader("Content-Length") == "13"
    assert r.read() == b""
    etag = r.getheader("ETag")
    c.request("GET", "/hello.txt", headers={"If-None-Match": etag})
    r = c.getresponse()
    assert r.status == 304 and r.read() == b""
    c.request("GET", "/ten.txt", headers={"Range": "bytes=0-2"})
    r = c.getresponse()
    assert r.status == 206 and r.read() == b"012"
    c.request("GET", "/nothing")
    r = c.getresponse()
    assert r.status == 404
    r.read()
    c.request("GET", "/dir")
    r = c.getresponse()
    assert r.status == 301 and r.getheader("Location").endswith("/dir/")
    r.read()
    c.request("DELETE", "/hello.txt")
    r = c.getresponse()
    assert r.status == 405 and "GET" in r.getheader("Allow")
    r.read()
    c.request("POST", "/post", body="a=1&b=2",
              headers={"Content-Type": "application/x-www-form-urlencoded"})
    r = c.getresponse()
    body = r.read().decode()
    assert r.status == 200 and "<th>a</th><td>1</td>" in body
    # every request went over the one connection
    assert c.sock is sock
    c.close()


def test_python_http_client_http10(camada, site):
    _srv, port = serve(camada, site)

    class C10(http.client.HTTPConnection):
        _http_vsn = 10
        _http_vsn_str = "HTTP/1.0"

    c = C10("127.0.0.1", port, timeout=5)
    c.request("GET", "/hello.txt")
    r = c.getresponse()
    assert r.version == 10 and r.status == 200
    assert r.read() == b"hello, world\n"
    assert r.getheader("Connection", "").lower() == "close"
    c.close()


# --- a person typing into a socket ---

def test_textbook_request_by_hand(camada, site):
    _srv, port = serve(camada, site)
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(("127.0.0.1", port))
    s.send(("GET /index.html HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n" % port).encode())
    rs = read_responses(s, 1)
    assert rs[0].status == 200
    assert rs[0].raw_head.startswith(b"HTTP/1.1 200 OK\r\n")
    assert rs[0].body == b"<h1>home page</h1>\n"
    # HTTP/1.1: the connection stays open for the next request
    s.send(b"GET /hello.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    data = b""
    while True:
        b = s.recv(4096)
        if not b:
            break
        data += b
    s.close()
    assert data.endswith(b"\r\n\r\nhello, world\n")
    assert b"Connection: close\r\n" in data


def test_bare_lf_like_netcat(camada, site):
    _srv, port = serve(camada, site)
    s = connect(port)
    s.sendall(b"GET /index.html HTTP/1.1\nHost: localhost\n\n")
    rs = read_responses(s, 1)
    assert rs[0].status == 200 and rs[0].body == b"<h1>home page</h1>\n"
    # typed slowly, a few bytes at a time, as a person would
    for piece in (b"GET /hel", b"lo.txt HTTP/1.0", b"\n", b"\n"):
        s.sendall(piece)
        time.sleep(0.05)
    data = b""
    s.settimeout(5)
    while True:
        b = s.recv(4096)
        if not b:
            break
        data += b
    s.close()
    assert data.startswith(b"HTTP/1.0 200 OK\r\n")
    assert data.endswith(b"hello, world\n")


def test_http10_request_without_headers(camada, site):
    _srv, port = serve(camada, site)
    r = one(port, b"GET / HTTP/1.0\r\n\r\n")
    assert r.status == 200 and r.version == "HTTP/1.0"
    assert r.body == b"<h1>home page</h1>\n"


def test_if_range(camada, site):
    _srv, port = serve(camada, site)
    _, h = curl_head(url(port, "/ten.txt"))
    r = curl("-r", "0-1", "-H", "If-Range: " + h["etag"], url(port, "/ten.txt"))
    assert r.stdout == "01"
    r = curl("-r", "0-1", "-H", "If-Range: " + h["last-modified"], url(port, "/ten.txt"))
    assert r.stdout == "01"
    # a stale validator: the whole, current file
    r = curl("-v", "-r", "0-1", "-H", 'If-Range: "stale"', url(port, "/ten.txt"))
    assert "< HTTP/1.1 200 OK" in r.stderr and r.stdout == "0123456789"
    # several ranges are not supported: the whole file, never garbage
    r = curl("-v", "-r", "0-1,4-5", url(port, "/ten.txt"))
    assert "< HTTP/1.1 200 OK" in r.stderr and r.stdout == "0123456789"


def test_names_with_spaces_unicode_and_queries(camada, site):
    (site / "a b.txt").write_text("space\n")
    (site / "café.txt").write_text("unicode\n")
    (site / "empty.txt").write_bytes(b"")
    _srv, port = serve(camada, site, "--autoindex")
    assert curl(url(port, "/a%20b.txt")).stdout == "space\n"
    assert curl(url(port, "/caf%C3%A9.txt")).stdout == "unicode\n"
    assert curl(url(port, "/caf%c3%a9.txt")).stdout == "unicode\n"
    assert curl(url(port, "/hello.txt?v=2&x=%2F..")).stdout == "hello, world\n"
    r = curl("-v", url(port, "/empty.txt"))
    assert "< Content-Length: 0" in r.stderr and r.stdout == ""
    r = curl("-v", "-r", "0-0", url(port, "/empty.txt"))
    assert "< HTTP/1.1 416 " in r.stderr
    # the listing links to them in a form that works
    listing = curl(url(port, "/")).stdout
    for href in re.findall(r'href="([^"]+\.txt)"', listing):
        st, _ = curl_head(url(port, "/" + href))
        assert st == 200, href


def test_head_of_errors_and_demos_has_no_body(camada, site):
    _srv, port = serve(camada, site)
    s = connect(port)
    s.sendall(b"HEAD /missing HTTP/1.1\r\nHost: t\r\n\r\n"
              b"HEAD /visits HTTP/1.1\r\nHost: t\r\n\r\n"
              b"HEAD /dir HTTP/1.1\r\nHost: t\r\n\r\n"
              b"GET /ten.txt HTTP/1.1\r\nHost: t\r\n\r\n")
    rs = read_responses(s, 4, methods=["HEAD", "HEAD", "HEAD", "GET"])
    s.close()
    assert [r.status for r in rs] == [404, 200, 301, 200]
    assert [r.body for r in rs] == [b"", b"", b"", b"0123456789"]
    assert int(rs[0].header("Content-Length")) > 0


def test_sigterm_stops_gracefully(camada, site):
    srv, port = serve(camada, site)
    idle = connect(port)
    idle.sendall(b"GET /ten.txt HTTP/1.1\r\nHost: t\r\n\r\n")
    read_responses(idle, 1)
    t0 = time.time()
    assert srv.stop() == 0
    assert time.time() - t0 < 3
    data, closed = read_until_close(idle, timeout=2)
    idle.close()
    assert closed and data == b""
    with pytest.raises(OSError):
        connect(port).close()


def test_ipv6_loopback(camada, site):
    srv = camada("http", "-l", "[::1]:0", "-r", str(site), "--workers", "1")
    port = srv.port("http")
    assert ("http", "::1", port, "tcp") in srv.listeners
    r = curl("-g", "http://[::1]:%d/hello.txt" % port)
    assert r.stdout == "hello, world\n", r.stderr
    # /metrics is for loopback by default, in both families
    r = curl("-g", "http://[::1]:%d/metrics" % port)
    assert "http_requests_total" in r.stdout
    srv2 = camada("http", "-l", "[::1]:0", "-r", str(site), "--workers", "1",
                  "--metrics-allow", "127.0.0.1")
    r = curl("-v", "-g", "http://[::1]:%d/metrics" % srv2.port("http"))
    assert "< HTTP/1.1 403 " in r.stderr
    srv3 = camada("http", "-l", "[::1]:0", "-r", str(site), "--workers", "1",
                  "--metrics-allow", "10.0.0.0/8, ::1/128")
    r = curl("-g", "http://[::1]:%d/metrics" % srv3.port("http"))
    assert "http_requests_total" in r.stdout


# --- the demo site in www/, served with the shipped configuration ---

def demo_server(camada):
    for name in ("index.html", "page.html", "form.html", "style.css",
                 "cookies.html"):
        assert os.path.isfile(os.path.join(WWW, name)), "www/%s missing" % name
    # its HTTPS port (8443) moved to a free one as -l moves 8080
    return serve(camada, WWW, "-c", os.path.join(ROOT, "etc", "camada.conf"),
                 "--access-log", "off", "--tls-listen", "127.0.0.1:0")


def test_demo_page_and_ten_images_over_one_connection(camada):
    _srv, port = demo_server(camada)
    page = curl(url(port, "/page.html")).stdout
    srcs = re.findall(r'<img[^>]* src="([^"]+)"', page)
    assert len(srcs) == 10, srcs
    urls = [url(port, "/" + s.lstrip("/")) for s in srcs]
    args = []
    for u in urls:
        args += ["-o", "/dev/null", u]
    r = curl("-v", "-w", "%{content_type} %{size_download}\\n", *args)
    assert r.returncode == 0, r.stderr
    assert r.stderr.count("Connected to 127.0.0.1") == 1
    assert r.stderr.count("Re-using existing connection") == 9
    lines = r.stdout.split("\n")[:10]
    for src, line in zip(srcs, lines):
        ctype, size = line.split()
        assert ctype == "image/png"
        assert int(size) == os.path.getsize(os.path.join(WWW, src.lstrip("/")))


def test_demo_site_has_no_broken_links(camada, tmp_path):
    _srv, port = demo_server(camada)
    seen, todo, broken = set(), ["/"], []
    out = tmp_path / "body"
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        if path == "/big.bin" and not os.path.exists(os.path.join(WWW, "big.bin")):
            continue   # made by `make all`, not committed
        r = curl("-o", out, "-w", "%{http_code} %{content_type}", url(port, path))
        code, _, ctype = r.stdout.partition(" ")
        if code != "200":
            broken.append((path, code))
            continue
        if not ctype.startswith("text/html"):
            continue
        body = out.read_text(errors="replace")
        base = path if path.endswith("/") else path.rsplit("/", 1)[0] + "/"
        for link in re.findall(r'(?:href|src)="([^"#?]+)', body):
            if "://" in link or link.startswith("mailto:"):
                continue
            todo.append(link if link.startswith("/") else base + link)
    assert {"/page.html", "/form.html", "/cookies.html", "/visits",
            "/images/1.png", "/images/10.png", "/style.css"} <= seen
    assert not broken, broken


def test_file_cache_sees_a_change_after_its_window(camada, site):
    _srv, port = serve(camada, site, "--file-cache-valid", "300ms")
    assert curl(url(port, "/hello.txt")).stdout == "hello, world\n"
    (site / "hello.txt").write_text("changed\n")
    time.sleep(0.5)
    assert curl(url(port, "/hello.txt")).stdout == "changed\n"
    # a file that goes away is gone once the window has passed
    (site / "hello.txt").unlink()
    time.sleep(0.5)
    assert curl("-o", "/dev/null", "-w", "%{http_code}",
                url(port, "/hello.txt")).stdout == "404"
