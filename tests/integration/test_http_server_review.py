"""Regressions for what the code review of the HTTP server found: an open
redirect through the directory 301, a 301 head cut short by a long query,
bodies nobody reads held in memory, error pages with a long server name."""
import socket
import time

from conftest import SLOW
from http_testlib import connect, get, make_site, read_responses, serve


def test_directory_redirect_is_never_protocol_relative(camada, tmp_path):
    site = make_site(tmp_path / "www")
    _srv, port = serve(camada, site)
    for raw in (b"//evil.example/../dir", b"/./dir", b"//dir", b"/%64ir"):
        r = get(port, raw)
        assert r.status == 301, raw
        assert r.header("location") == "/dir/", (raw, r.headers)


def test_long_query_keeps_the_redirect_head_whole(camada, tmp_path):
    site = make_site(tmp_path / "www")
    _srv, port = serve(camada, site)
    s = connect(port)
    q = b"x" * 6000
    s.sendall(b"GET /dir?" + q + b" HTTP/1.1\r\nHost: t\r\n\r\n"
              b"GET /hello.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
    rs = read_responses(s, 2)
    s.close()
    assert [r.status for r in rs] == [301, 200]
    assert rs[0].header("location") == "/dir/?" + q.decode()
    assert rs[1].body == b"hello, world\n"


def test_body_nobody_reads_is_answered_at_once(camada, tmp_path):
    """A POST to a static file gets its 405 before the body is sent; the
    body is dropped as it comes, and the connection goes on."""
    site = make_site(tmp_path / "www")
    _srv, port = serve(camada, site, "--max-body", "10m")
    s = connect(port)
    s.sendall(b"POST /hello.txt HTTP/1.1\r\nHost: t\r\n"
              b"Content-Length: 5000000\r\n\r\n")
    rs = read_responses(s, 1)
    assert rs[0].status == 405
    s.sendall(b"y" * 5000000)
    s.sendall(b"GET /hello.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
    rs = read_responses(s, 1)
    s.close()
    assert rs[-1].status == 200 and rs[-1].body == b"hello, world\n"


def test_trickled_body_is_cut_at_the_body_timeout(camada, tmp_path):
    site = make_site(tmp_path / "www")
    _srv, port = serve(camada, site, "--body-timeout", "1s")
    s = connect(port)
    s.sendall(b"POST /post HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n\r\n")
    t0 = time.time()
    closed = False
    s.settimeout(0.2)
    while time.time() - t0 < 5 * SLOW:
        try:
            s.sendall(b"a")
        except OSError:
            closed = True
            break
        try:
            if s.recv(4096) == b"":
                closed = True
                break
        except socket.timeout:
            pass
        except OSError:
            closed = True
            break
    s.close()
    assert closed and time.time() - t0 < 4 * SLOW


def test_long_server_name_error_page(camada, tmp_path):
    site = make_site(tmp_path / "www")
    _srv, port = serve(camada, site, "--server-name", "n" * 600)
    r = get(port, b"/nope")
    assert r.status == 404
    assert int(r.header("content-length")) == len(r.body) <= 511
    assert b"\x00" not in r.body
