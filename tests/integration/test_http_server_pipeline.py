"""Pipelining (responses in order, large sendfile bodies among small ones)
and request bodies: Content-Length and chunked POSTs to the /post demo,
Expect: 100-continue, and the body size limit."""
import hashlib
import os
import re
import socket
import time

import pytest

from http_testlib import (connect, curl, exchange, make_site, one,
                          parse_all, read_responses, read_until_close, serve, url)


@pytest.fixture
def site(tmp_path):
    return make_site(tmp_path / "root")


def test_three_pipelined_requests_in_one_send(camada, site):
    _srv, port = serve(camada, site)
    s = connect(port)
    s.sendall(b"GET /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n"
              b"GET /ten.txt HTTP/1.1\r\nHost: t\r\n\r\n"
              b"GET /page.html HTTP/1.1\r\nHost: t\r\n\r\n")
    rs = read_responses(s, 3)
    assert [r.status for r in rs] == [200, 200, 200]
    assert [r.body for r in rs] == [b"hello, world\n", b"0123456789",
                                    b"<p>a page</p>\n"]
    # still open: a fourth request on the same connection
    s.sendall(b"GET /ten.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
    data, closed = read_until_close(s)
    s.close()
    assert closed and data.endswith(b"0123456789")


def test_pipeline_mixed_status_and_methods(camada, site):
    """404s, HEADs, a POST with a body and a redirect in one pipeline keep
    their order and their framing."""
    _srv, port = serve(camada, site)
    s = connect(port)
    s.sendall(b"GET /missing HTTP/1.1\r\nHost: t\r\n\r\n"
              b"HEAD /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n"
              b"POST /post HTTP/1.1\r\nHost: t\r\nContent-Length: 7\r\n"
              b"Content-Type: application/x-www-form-urlencoded\r\n\r\nk=v&x=y"
              b"GET /dir HTTP/1.1\r\nHost: t\r\n\r\n"
              b"GET /ten.txt HTTP/1.1\r\nHost: t\r\nRange: bytes=3-4\r\n\r\n"
              b"GET /hello.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
              b"GET /never.txt HTTP/1.1\r\nHost: t\r\n\r\n")
    data, closed = read_until_close(s)
    s.close()
    assert closed
    rs = parse_all(data, methods=["GET", "HEAD", "GET", "GET", "GET", "GET"])
    assert [r.status for r in rs] == [404, 200, 200, 301, 206, 200]
    assert rs[1].body == b"" and rs[1].header("Content-Length") == "13"
    assert b"<th>k</th><td>v</td>" in rs[2].body
    assert rs[4].body == b"34"
    assert rs[5].body == b"hello, world\n"


def test_pipeline_with_large_sendfile_bodies_stays_in_order(camada, site):
    big1 = os.urandom(5 * 1024 * 1024 + 17)
    big2 = os.urandom(3 * 1024 * 1024 + 1)
    (site / "big1.bin").write_bytes(big1)
    (site / "big2.bin").write_bytes(big2)
    (site / "mid.bin").write_bytes(os.urandom(40000))
    _srv, port = serve(camada, site)
    paths = ["/hello.txt", "/big1.bin", "/ten.txt", "/big2.bin", "/mid.bin",
             "/big1.bin", "/page.html", "/big2.bin", "/hello.txt"]
    want = {p: (site / p[1:]).read_bytes() for p in set(paths)}
    req = b"".join(b"GET %s HTTP/1.1\r\nHost: t\r\n\r\n" % p.encode()
                   for p in paths)
    s = connect(port)
    s.sendall(req)
    # a slow reader first: the server must hold back, not buffer it all
    time.sleep(0.3)
    rs = read_responses(s, len(paths), timeout=30)
    s.close()
    assert [r.status for r in rs] == [200] * len(paths)
    for p, r in zip(paths, rs):
        assert int(r.header("Content-Length")) == len(want[p]), p
        assert hashlib.sha256(r.body).digest() == \
            hashlib.sha256(want[p]).digest(), p


def test_pipeline_many_small_requests(camada, site):
    _srv, port = serve(camada, site)
    n = 300
    req = b"".join(b"GET /ten.txt?i=%d HTTP/1.1\r\nHost: t\r\nRange: bytes=%d-%d\r\n\r\n"
                   % (i, i % 10, i % 10) for i in range(n))
    s = connect(port)
    s.sendall(req)
    rs = read_responses(s, n, timeout=30)
    s.close()
    assert [r.body for r in rs] == [str(i % 10).encode() for i in range(n)]


def test_pipeline_stops_at_a_bad_request(camada, site):
    _srv, port = serve(camada, site)
    rs, raw, closed = exchange(
        port, b"GET /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n"
              b"GET /hello.txt HTTP/1.1\r\nHost: t\r\nBad Header: x\r\n\r\n"
              b"GET /ten.txt HTTP/1.1\r\nHost: t\r\n\r\n")
    assert closed
    assert [r.status for r in rs] == [200, 400]
    assert b"0123456789" not in raw


# --- POST bodies ---

def test_post_content_length_shows_fields(camada, site):
    _srv, port = serve(camada, site)
    r = curl("-v", "-d", "name=Ada+Lovelace&lang=C%2B%2B&note=%3Cb%3Ehi%3C%2Fb%3E",
             url(port, "/post"))
    assert r.returncode == 0, r.stderr
    assert "< HTTP/1.1 200 OK" in r.stderr
    assert "<th>name</th><td>Ada Lovelace</td>" in r.stdout
    assert "<th>lang</th><td>C++</td>" in r.stdout
    # what the user typed is shown, not interpreted
    assert "<th>note</th><td>&lt;b&gt;hi&lt;/b&gt;</td>" in r.stdout
    assert "application/x-www-form-urlencoded" in r.stdout


def test_post_chunked_shows_fields(camada, site):
    _srv, port = serve(camada, site)
    r = curl("-v", "-H", "Transfer-Encoding: chunked", "-d", "a=1&b=chunky",
             url(port, "/post"))
    assert r.returncode == 0, r.stderr
    assert "> Transfer-Encoding: chunked" in r.stderr
    assert "<th>a</th><td>1</td>" in r.stdout
    assert "<th>b</th><td>chunky</td>" in r.stdout
    assert "sent chunked" in r.stdout
    # by hand, in pieces, with an extension and a trailer, then a pipelined GET
    s = connect(port)
    for piece in (b"POST /post HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n",
                  b"4;ext=1\r\nx=12\r\n", b"6\r\n&y=345\r\n", b"0\r\nTrailer: v\r\n\r\n"
                  b"GET /ten.txt HTTP/1.1\r\nHost: t\r\n\r\n"):
        s.sendall(piece)
        time.sleep(0.05)
    rs = read_responses(s, 2)
    s.close()
    assert rs[0].status == 200
    assert b"<th>x</th><td>12</td>" in rs[0].body
    assert b"<th>y</th><td>345</td>" in rs[0].body
    assert rs[1].body == b"0123456789"


def test_post_http10_gets_content_length(camada, site):
    _srv, port = serve(camada, site)
    r = one(port, b"POST /post HTTP/1.0\r\nContent-Length: 3\r\n\r\nq=1")
    assert r.status == 200 and r.header("Content-Length")
    assert b"<th>q</th><td>1</td>" in r.body


def test_expect_100_continue(camada, site, tmp_path):
    _srv, port = serve(camada, site)
    f = tmp_path / "body"
    f.write_bytes(b"big=" + b"x" * 2044)
    # curl 7.88 asks by itself only above 1 MiB; older ones above 1 KiB
    r = curl("-v", "-H", "Expect: 100-continue", "--data-binary", "@%s" % f,
             url(port, "/post"))
    assert r.returncode == 0, r.stderr
    assert "> Expect: 100-continue" in r.stderr
    assert "< HTTP/1.1 100 Continue" in r.stderr
    assert "< HTTP/1.1 200 OK" in r.stderr
    assert "2048 bytes of body" in r.stdout
    # by hand: the 100 comes before we send the body
    s = connect(port)
    s.sendall(b"POST /post HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n"
              b"Expect: 100-continue\r\n\r\n")
    s.settimeout(5)
    assert s.recv(100) == b"HTTP/1.1 100 Continue\r\n\r\n"
    s.sendall(b"k=abc")
    rs = read_responses(s, 1)
    s.close()
    assert rs[0].status == 200 and b"<td>abc</td>" in rs[0].body


def test_curl_asks_100_continue_by_itself_for_a_big_body(camada, site, tmp_path):
    _srv, port = serve(camada, site, "--max-body", "4m")
    f = tmp_path / "body"
    f.write_bytes(b"big=" + b"x" * (1536 * 1024))
    r = curl("-v", "--data-binary", "@%s" % f, url(port, "/post"))
    assert r.returncode == 0, r.stderr
    assert "> Expect: 100-continue" in r.stderr
    assert "< HTTP/1.1 100 Continue" in r.stderr
    assert "%d bytes of body" % (4 + 1536 * 1024) in r.stdout


def test_expect_other_is_417(camada, site):
    _srv, port = serve(camada, site)
    r = one(port, b"POST /post HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\n"
                  b"Expect: teapot\r\n\r\nx")
    assert r.status == 417


def test_body_over_max_body_is_413(camada, site, tmp_path):
    _srv, port = serve(camada, site, "--max-body", "1k")
    f = tmp_path / "body"
    f.write_bytes(b"a=" + b"x" * 4000)
    r = curl("-v", "--data-binary", "@%s" % f, url(port, "/post"))
    assert "< HTTP/1.1 413 " in r.stderr
    # no 100 Continue for a body that is refused anyway
    assert "100 Continue" not in r.stderr
    # just under the limit is fine
    r = curl("-d", "a=" + "y" * 1000, url(port, "/post"))
    assert "1002 bytes of body" in r.stdout
    # chunked bodies are counted as they arrive
    r = one(port, b"POST /post HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                  b"400\r\n" + b"z" * 1024 + b"\r\n10\r\n" + b"z" * 16 + b"\r\n0\r\n\r\n")
    assert r.status == 413
    # a Content-Length over the limit is refused before the body comes
    r = one(port, b"POST /post HTTP/1.1\r\nHost: t\r\nContent-Length: 99999999\r\n\r\n")
    assert r.status == 413


def test_get_with_body_is_framed(camada, site):
    """A body on a GET is read and skipped, never taken for a request."""
    _srv, port = serve(camada, site)
    s = connect(port)
    smuggled = b"GET /ten.txt HTTP/1.1\r\nHost: t\r\n\r\n"
    s.sendall(b"GET /hello.txt HTTP/1.1\r\nHost: t\r\nContent-Length: %d\r\n\r\n"
              % len(smuggled) + smuggled +
              b"GET /page.html HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
    data, closed = read_until_close(s)
    s.close()
    rs = parse_all(data)
    assert [r.body for r in rs] == [b"hello, world\n", b"<p>a page</p>\n"]


def test_post_to_static_file_is_405(camada, site):
    _srv, port = serve(camada, site)
    r = curl("-v", "-d", "x=1", url(port, "/hello.txt"))
    assert "< HTTP/1.1 405 " in r.stderr
    assert re.search(r"< Allow: .*GET", r.stderr)


def half_closed_pipeline(port, big):
    s = connect(port)
    s.sendall(b"GET /big.bin HTTP/1.1\r\nHost: t\r\n\r\n"
              b"GET /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n"
              b"GET /big.bin HTTP/1.1\r\nHost: t\r\n\r\n")
    s.shutdown(socket.SHUT_WR)
    data, closed = read_until_close(s, timeout=20)
    s.close()
    assert closed
    return parse_all(data)


def test_half_close_after_pipeline_first_answer_intact(camada, site):
    """Like `printf ... | nc -N`: the requests, then EOF. Whatever comes
    back is whole and in order."""
    big = os.urandom(3 * 1024 * 1024)
    (site / "big.bin").write_bytes(big)
    _srv, port = serve(camada, site)
    rs = half_closed_pipeline(port, big)
    assert 1 <= len(rs) <= 3
    for r, want in zip(rs, [big, b"hello, world\n", big]):
        assert r.status == 200 and r.body == want


def test_half_close_after_pipeline_all_answered(camada, site):
    big = os.urandom(3 * 1024 * 1024)
    (site / "big.bin").write_bytes(big)
    _srv, port = serve(camada, site)
    rs = half_closed_pipeline(port, big)
    assert [r.body for r in rs] == [big, b"hello, world\n", big]
