"""Bad and hostile input: ambiguous framing, malformed heads, limits, path
traversal in every spelling, symbolic links, and slow or idle clients. Each
bad request gets its status and the connection closed; the server keeps
serving everyone else."""
import os
import socket
import threading
import time

import pytest

from conftest import SLOW
from http_testlib import (connect, curl, get, make_site, one,
                          parse_all, read_responses, read_until_close, serve, url)

SECRET = b"TOP-SECRET-7f3a9c outside the root"


@pytest.fixture
def site(tmp_path):
    root = make_site(tmp_path / "root")
    (tmp_path / "secret.txt").write_bytes(SECRET + b"\n")
    return root


def assert_alive(port):
    """The server still answers a fresh, well-behaved client."""
    r = get(port, b"/hello.txt")
    assert r.status == 200 and r.body == b"hello, world\n"


BAD = {
    "cl_and_te": (b"POST /post HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n"
                  b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
    "te_and_cl": (b"POST /post HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n"
                  b"Content-Length: 5\r\n\r\n0\r\n\r\n", 400),
    "two_content_lengths": (b"POST /post HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n"
                            b"Content-Length: 4\r\n\r\nabcd", 400),
    "content_length_list": (b"POST /post HTTP/1.1\r\nHost: t\r\n"
                            b"Content-Length: 3, 4\r\n\r\nabcd", 400),
    "content_length_not_a_number": (b"POST /post HTTP/1.1\r\nHost: t\r\n"
                                    b"Content-Length: +3\r\n\r\nabc", 400),
    "chunked_not_last": (b"POST /post HTTP/1.1\r\nHost: t\r\n"
                         b"Transfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n", 400),
    "chunked_twice": (b"POST /post HTTP/1.1\r\nHost: t\r\n"
                      b"Transfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n", 400),
    "te_in_http10": (b"POST /post HTTP/1.0\r\n"
                     b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
    "obs_fold": (b"GET /hello.txt HTTP/1.1\r\nHost: t\r\nX-Long: one\r\n"
                 b"  two\r\n\r\n", 400),
    "obs_fold_tab": (b"GET /hello.txt HTTP/1.1\r\nHost: t\r\nX-Long: one\r\n"
                     b"\ttwo\r\n\r\n", 400),
    "space_before_colon": (b"GET /hello.txt HTTP/1.1\r\nHost : t\r\n\r\n", 400),
    "tab_before_colon": (b"GET /hello.txt HTTP/1.1\r\nHost: t\r\nX-A\t: 1\r\n\r\n", 400),
    "bare_cr_in_value": (b"GET /hello.txt HTTP/1.1\r\nHost: t\r\nX-A: 1\r2\r\n\r\n", 400),
    "bare_cr_line_end": (b"GET /hello.txt HTTP/1.1\rHost: t\r\n\r\n", 400),
    "nul_in_header": (b"GET /hello.txt HTTP/1.1\r\nHost: t\r\nX-A: a\x00b\r\n\r\n", 400),
    "nul_in_name": (b"GET /hello.txt HTTP/1.1\r\nHost: t\r\nX\x00A: ab\r\n\r\n", 400),
    "del_in_value": (b"GET /hello.txt HTTP/1.1\r\nHost: t\r\nX-A: a\x7fb\r\n\r\n", 400),
    "no_colon": (b"GET /hello.txt HTTP/1.1\r\nHost: t\r\nJust a line\r\n\r\n", 400),
    "empty_name": (b"GET /hello.txt HTTP/1.1\r\nHost: t\r\n: v\r\n\r\n", 400),
    "bad_request_line": (b"GET  /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n", 400),
    "no_version": (b"GET /hello.txt\r\nHost: t\r\n\r\n", 400),
    "lowercase_version": (b"GET /hello.txt http/1.1\r\nHost: t\r\n\r\n", 400),
    "space_in_target": (b"GET /hello .txt HTTP/1.1\r\nHost: t\r\n\r\n", 400),
    "bad_host": (b"GET /hello.txt HTTP/1.1\r\nHost: a/b\r\n\r\n", 400),
    "host_with_userinfo": (b"GET /hello.txt HTTP/1.1\r\nHost: u@h\r\n\r\n", 400),
    "bad_chunk_size": (b"POST /post HTTP/1.1\r\nHost: t\r\n"
                       b"Transfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n", 400),
    "chunk_without_crlf": (b"POST /post HTTP/1.1\r\nHost: t\r\n"
                           b"Transfer-Encoding: chunked\r\n\r\n3\r\nabcdef\r\n0\r\n\r\n", 400),
    "chunk_size_overflow": (b"POST /post HTTP/1.1\r\nHost: t\r\n"
                            b"Transfer-Encoding: chunked\r\n\r\n"
                            b"1" + b"0" * 20 + b"\r\nab\r\n", 400),
    "gzip_only": (b"POST /post HTTP/1.1\r\nHost: t\r\n"
                  b"Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_request_answered_and_closed(camada, site, name):
    req, status = BAD[name]
    _srv, port = serve(camada, site)
    # a valid request first: the bad one must close a used connection too
    s = connect(port)
    s.sendall(b"GET /ten.txt HTTP/1.1\r\nHost: t\r\n\r\n" + req +
              b"GET /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n")
    data, closed = read_until_close(s)
    s.close()
    rs = parse_all(data)
    assert closed, "connection left open after %s: %r" % (name, data[-300:])
    assert [r.status for r in rs] == [200, status], (name, data)
    assert rs[0].body == b"0123456789"
    assert rs[1].header("Connection") == "close"
    assert b"hello, world" not in data
    assert_alive(port)


def test_request_line_over_limit_is_414(camada, site):
    _srv, port = serve(camada, site, "--max-request-line", "1k")
    r = one(port, b"GET /" + b"a" * 2000 + b" HTTP/1.1\r\nHost: t\r\n\r\n")
    assert r.status == 414
    # it is refused without waiting for the end of the line
    s = connect(port)
    s.sendall(b"GET /" + b"a" * 3000)
    data, closed = read_until_close(s)
    s.close()
    assert closed and data.startswith(b"HTTP/1.1 414 ")
    # just under the limit is a plain 404
    r = one(port, b"GET /" + b"a" * 900 + b" HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
    assert r.status == 404
    assert_alive(port)


def test_headers_over_limit_are_431(camada, site):
    _srv, port = serve(camada, site, "--max-header-size", "4k")
    big = b"".join(b"X-H%d: %s\r\n" % (i, b"v" * 100) for i in range(60))
    r = one(port, b"GET /hello.txt HTTP/1.1\r\nHost: t\r\n" + big + b"\r\n")
    assert r.status == 431
    # one huge header
    r = one(port, b"GET /hello.txt HTTP/1.1\r\nHost: t\r\nCookie: " + b"c" * 8000 +
            b"\r\n\r\n")
    assert r.status == 431
    # never ending headers are cut at the limit, not buffered
    s = connect(port)
    s.sendall(b"GET /hello.txt HTTP/1.1\r\nHost: t\r\n")
    try:
        for i in range(1000):
            s.sendall(b"X-More-%d: yes\r\n" % i)
    except (BrokenPipeError, ConnectionResetError):
        pass
    data, closed = read_until_close(s)
    s.close()
    assert closed and data.startswith(b"HTTP/1.1 431 "), data[:100]
    assert_alive(port)


def test_too_many_header_lines_are_431(camada, site):
    _srv, port = serve(camada, site, "--max-headers", "20")
    lines = b"".join(b"X-%d: 1\r\n" % i for i in range(30))
    r = one(port, b"GET /hello.txt HTTP/1.1\r\nHost: t\r\n" + lines + b"\r\n")
    assert r.status == 431


# --- path traversal ---

TRAVERSALS = [
    b"/../secret.txt",
    b"/../../../../../../etc/passwd",
    b"/dir/../../secret.txt",
    b"/./../secret.txt",
    b"/%2e%2e/secret.txt",
    b"/%2E%2e/secret.txt",
    b"/.%2e/secret.txt",
    b"/%2E%2e%2fsecret.txt",
    b"/dir%2f..%2f..%2fsecret.txt",
    b"/..%2f..%2fetc/passwd",
    b"/..%2F..%2F..%2Fetc%2Fpasswd",
    b"/..\\..\\secret.txt",
    b"/..%5c..%5csecret.txt",
    b"/dir\\..\\..\\secret.txt",
    b"/secret.txt%00.html",
    b"/..%00/secret.txt",
    b"/%00../secret.txt",
    b"/%c0%ae%c0%ae/secret.txt",
    b"/%c0%ae%c0%ae%c0%afsecret.txt",
    b"/%e0%80%ae%e0%80%ae/secret.txt",
    b"/%252e%252e/secret.txt",
    b"/%252e%252e%252fsecret.txt",
    b"/dir/%2e%2e/%2e%2e/secret.txt",
    b"//../secret.txt",
    b"/.../secret.txt",
    b"/..;/secret.txt",
    b"http://t/../../secret.txt",
    b"http://t/%2e%2e/%2e%2e/etc/passwd",
    b"http://t/..%2f..%2fsecret.txt",
]


@pytest.mark.parametrize("target", TRAVERSALS, ids=lambda t: t.decode())
def test_traversal_never_leaves_root(camada, site, target):
    _srv, port = serve(camada, site, "--autoindex")
    r = get(port, target)
    assert SECRET not in r.body
    assert b"root:x:0:0" not in r.body
    assert r.status in (400, 404), (target, r)
    assert_alive(port)


def test_traversal_through_curl_path_as_is(camada, site):
    _srv, port = serve(camada, site)
    for path in ("/../secret.txt", "/%2e%2e/secret.txt", "/..%2fsecret.txt",
                 "/../../../../etc/passwd"):
        r = curl("--path-as-is", "-v", url(port, path))
        assert SECRET.decode() not in r.stdout
        assert "root:x:0:0" not in r.stdout
        assert "< HTTP/1.1 200" not in r.stderr


def test_double_encoding_is_a_literal_name(camada, site):
    """%252e decodes once, to the three characters "%2e": a name like any
    other. It is 404 when no such file exists, and that file when it does."""
    _srv, port = serve(camada, site)
    r = get(port, b"/%252e%252e/secret.txt")
    assert r.status == 404
    literal = site / "%2e%2e"
    literal.mkdir()
    (literal / "secret.txt").write_text("a file in a folder named %2e%2e\n")
    r = get(port, b"/%252e%252e/secret.txt")
    assert r.status == 200
    assert r.body == b"a file in a folder named %2e%2e\n"


def test_symlink_leaving_root_is_refused(camada, site, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "file.txt").write_bytes(SECRET)
    os.symlink(tmp_path / "secret.txt", site / "escape.txt")
    os.symlink(outside, site / "escape-dir")
    os.symlink("../secret.txt", site / "relative-escape.txt")
    os.symlink("/etc/passwd", site / "passwd")
    os.symlink(site / "hello.txt", site / "inside.txt")
    os.symlink("dir", site / "inside-dir")
    os.symlink(site / "dir", site / "abs-dir")
    os.symlink("../hello.txt", site / "dir" / "up.txt")
    (site / "linked-index").mkdir()
    os.symlink(site / "page.html", site / "linked-index" / "index.html")
    (site / "escaping-index").mkdir()
    os.symlink(tmp_path / "secret.txt", site / "escaping-index" / "index.html")
    _srv, port = serve(camada, site)
    for path in (b"/escape.txt", b"/escape-dir/file.txt", b"/escape-dir/",
                 b"/relative-escape.txt", b"/passwd"):
        r = get(port, path)
        assert r.status == 404, (path, r)
        assert SECRET not in r.body and b"root:x:0:0" not in r.body
    r = get(port, b"/inside.txt")
    assert r.status == 200 and r.body == b"hello, world\n"
    r = get(port, b"/inside-dir/index.html")
    assert r.status == 200 and r.body == b"<p>index of dir</p>\n"
    # absolute links that stay inside the root are fine too
    r = get(port, b"/abs-dir/")
    assert r.status == 200 and r.body == b"<p>index of dir</p>\n"
    r = get(port, b"/dir/up.txt")
    assert r.status == 200 and r.body == b"hello, world\n"
    r = get(port, b"/linked-index/")
    assert r.status == 200 and r.body == b"<p>a page</p>\n"
    r = get(port, b"/escaping-index/")
    assert r.status in (403, 404) and SECRET not in r.body


def test_symlinks_outside_root_when_allowed(camada, site, tmp_path):
    os.symlink(tmp_path / "secret.txt", site / "escape.txt")
    _srv, port = serve(camada, site, "--symlinks-outside-root")
    r = get(port, b"/escape.txt")
    assert r.status == 200 and r.body == SECRET + b"\n"
    # ".." is still refused: only links may leave
    r = get(port, b"/../secret.txt")
    assert r.status in (400, 404) and SECRET not in r.body


def test_unreadable_file_is_403(camada, site):
    if os.geteuid() == 0:
        pytest.skip("root reads every file")
    (site / "locked.txt").write_text("x")
    os.chmod(site / "locked.txt", 0)
    _srv, port = serve(camada, site)
    assert get(port, b"/locked.txt").status == 403


def test_fifo_and_devices_are_not_served(camada, site):
    os.mkfifo(site / "pipe")
    _srv, port = serve(camada, site)
    # opening a FIFO must not block the worker
    r = get(port, b"/pipe")
    assert r.status in (403, 404)
    assert_alive(port)


def test_garbage_never_kills_the_server(camada, site):
    srv, port = serve(camada, site)
    blobs = [os.urandom(n) for n in (1, 7, 100, 3000)] + [
        b"\r\n" * 100, b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + os.urandom(64),
        b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", b"GET / HTTP/1.1\r\n" * 50,
        b"\xff\xfe\x00GET"]
    for b in blobs:
        s = connect(port)
        try:
            s.sendall(b)
            s.shutdown(socket.SHUT_WR)
            read_until_close(s, timeout=3)
        except OSError:
            pass
        s.close()
    assert_alive(port)
    assert srv.proc.poll() is None


# --- slow and idle clients ---

def test_slowloris_cut_at_header_timeout_others_served(camada, site):
    srv, port = serve(camada, site, "--header-timeout", "2s")
    result = {}

    def slow():
        s = connect(port, timeout=20)
        t0 = time.time()
        head = b"GET /hello.txt HTTP/1.1\r\nHost: t\r\nX-Slow: " + b"z" * 100
        data = b""
        try:
            for ch in head:
                s.send(bytes([ch]))
                time.sleep(1)
                s.setblocking(False)
                try:
                    got = s.recv(4096)
                    if got == b"":
                        break
                    data += got
                except BlockingIOError:
                    pass
                finally:
                    s.setblocking(True)
                if time.time() - t0 > 15 * SLOW:
                    break
            rest, _ = read_until_close(s, timeout=3)
            data += rest
        except (BrokenPipeError, ConnectionResetError):
            pass
        result["elapsed"] = time.time() - t0
        result["data"] = data
        s.close()

    th = threading.Thread(target=slow)
    th.start()
    time.sleep(0.5)
    # meanwhile, well-behaved clients are served at once
    for _ in range(3):
        t0 = time.time()
        r = curl(url(port, "/hello.txt"))
        assert r.stdout == "hello, world\n"
        assert time.time() - t0 < 1.0 * SLOW
        time.sleep(0.3)
    th.join(30 * SLOW)
    assert not th.is_alive()
    assert result["elapsed"] < 6 * SLOW, result
    data = result["data"]
    assert data == b"" or data.startswith(b"HTTP/1.1 408 "), data
    assert b"hello, world" not in data


def test_idle_keepalive_connection_closed_after_timeout(camada, site):
    _srv, port = serve(camada, site, "--keepalive-timeout", "1s")
    s = connect(port)
    s.sendall(b"GET /ten.txt HTTP/1.1\r\nHost: t\r\n\r\n")
    assert read_responses(s, 1)[0].body == b"0123456789"
    # still usable well inside the timeout
    time.sleep(0.4)
    s.sendall(b"GET /ten.txt HTTP/1.1\r\nHost: t\r\n\r\n")
    assert read_responses(s, 1)[0].body == b"0123456789"
    t0 = time.time()
    data, closed = read_until_close(s, timeout=5)
    elapsed = time.time() - t0
    s.close()
    assert closed and data == b""
    assert 0.7 < elapsed < 2.5 * SLOW, elapsed


def test_connection_that_never_speaks_is_closed(camada, site):
    _srv, port = serve(camada, site, "--keepalive-timeout", "1s",
                       "--header-timeout", "1s")
    s = connect(port)
    t0 = time.time()
    data, closed = read_until_close(s, timeout=5)
    s.close()
    assert closed and data in (b"",) or data.startswith(b"HTTP/1.1 408")
    assert time.time() - t0 < 3 * SLOW


def test_slow_body_cut_at_body_timeout(camada, site):
    _srv, port = serve(camada, site, "--body-timeout", "1s")
    s = connect(port)
    s.sendall(b"POST /post HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nab")
    t0 = time.time()
    data, closed = read_until_close(s, timeout=5)
    s.close()
    assert closed
    assert data == b"" or data.startswith(b"HTTP/1.1 408 "), data
    assert time.time() - t0 < 3 * SLOW


def test_max_requests_per_connection(camada, site):
    _srv, port = serve(camada, site, "--max-requests", "3")
    s = connect(port)
    s.sendall(b"GET /ten.txt HTTP/1.1\r\nHost: t\r\n\r\n" * 5)
    data, closed = read_until_close(s)
    s.close()
    rs = parse_all(data)
    assert closed and len(rs) == 3
    assert rs[2].header("Connection") == "close"


def test_reader_that_stops_reading_is_cut_at_send_timeout(camada, site):
    (site / "big.bin").write_bytes(os.urandom(20 * 1024 * 1024))
    srv, port = serve(camada, site, "--send-timeout", "1s")
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect(("127.0.0.1", port))
    s.sendall(b"GET /big.bin HTTP/1.1\r\nHost: t\r\n\r\n")
    time.sleep(3 * SLOW)   # takes nothing
    got = 0
    s.settimeout(5)
    try:
        while True:
            b = s.recv(1 << 20)
            if not b:
                break
            got += len(b)
    except (ConnectionResetError, socket.timeout):
        pass
    s.close()
    assert got < 20 * 1024 * 1024
    assert_alive(port)


def test_max_connections_per_worker(camada, site):
    _srv, port = serve(camada, site, "--max-connections", "3")
    held = [connect(port) for _ in range(3)]
    for s in held:
        s.sendall(b"GET /ten.txt HTTP/1.1\r\nHost: t\r\n\r\n")
        assert read_responses(s, 1)[0].body == b"0123456789"
    extra = connect(port)
    try:
        extra.sendall(b"GET /ten.txt HTTP/1.1\r\nHost: t\r\n\r\n")
    except OSError:
        pass
    data, closed = read_until_close(extra, timeout=3)
    extra.close()
    assert closed and b"0123456789" not in data
    held[0].close()
    time.sleep(0.2)
    assert_alive(port)
    for s in held[1:]:
        s.close()


def test_idle_keepalive_outlives_header_timeout(camada, site):
    """Between requests the keep-alive timeout applies, not the (shorter)
    time allowed to send a head."""
    _srv, port = serve(camada, site, "--keepalive-timeout", "4s",
                       "--header-timeout", "1s")
    s = connect(port)
    for _ in range(2):
        s.sendall(b"GET /ten.txt HTTP/1.1\r\nHost: t\r\n\r\n")
        assert read_responses(s, 1)[0].body == b"0123456789"
        time.sleep(2)
    s.sendall(b"GET /ten.txt HTTP/1.1\r\nHost: t\r\n\r\n")
    assert read_responses(s, 1)[0].body == b"0123456789"
    s.close()
