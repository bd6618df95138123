"""`camada get` against camada's own HTTP server: the page with ten images
over one connection and over eleven, the cookie demo through a jar that curl
reads too, a conditional fetch from the cache, a configured redirect, and a
chunked dynamic page. Connections are counted on the server's side, from the
"conn" field of its JSON access log."""
import json
import os
import subprocess

from conftest import ROOT, run

WWW = os.path.join(ROOT, "www")


def serve(camada, tmp_path, *extra):
    log = tmp_path / "access.log"
    srv = camada("http", "-l", "127.0.0.1:0", "-r", WWW, "--workers", "1",
                 "--demo",
                 "--access-log", str(log), "--access-log-format", "json",
                 *extra)
    return srv, "http://127.0.0.1:%d" % srv.port("http"), log


def entries(log):
    return [json.loads(l) for l in log.read_text().splitlines()]


def test_page_one_connection_and_eleven(camada, tmp_path):
    srv, base, log = serve(camada, tmp_path)
    r = run(["get", "--page", base + "/page.html"])
    assert r.returncode == 0, r.stderr
    assert b"objects: 11" in r.stdout and b"connections opened: 1" in r.stdout
    first = entries(log)
    assert len(first) == 11
    assert len({e["conn"] for e in first}) == 1
    assert all(e["status"] == 200 for e in first)
    r = run(["get", "--page", "--no-keepalive", base + "/page.html"])
    assert r.returncode == 0, r.stderr
    assert b"connections opened: 11" in r.stdout
    second = entries(log)[11:]
    assert len(second) == 11 and len({e["conn"] for e in second}) == 11
    r = run(["get", "--page", "--pipeline", base + "/page.html"])
    assert r.returncode == 0 and b"connections opened: 1" in r.stdout


def test_cookie_jar_with_the_visits_demo(camada, tmp_path):
    _srv, base, _log = serve(camada, tmp_path)
    jar = tmp_path / "jar.txt"
    for n in (1, 2, 3):
        r = run(["get", "--cookie-jar", str(jar), base + "/visits"])
        assert r.returncode == 0, r.stderr
        assert b"visit number %d for session ID" % n in r.stdout
    # curl reads the jar we wrote and goes on counting
    out = subprocess.run(["curl", "-s", "-b", str(jar), base + "/visits"],
                         capture_output=True, text=True).stdout
    assert "visit number 4 for session ID" in out
    text = jar.read_text()
    assert "Netscape HTTP Cookie File" in text and "\tsid\t" in text


def test_conditional_fetch_from_cache(camada, tmp_path):
    _srv, base, log = serve(camada, tmp_path)
    cache = tmp_path / "cache"
    r1 = run(["get", "--cache", str(cache), base + "/images/3.png"])
    r2 = run(["get", "--cache", str(cache), base + "/images/3.png"])
    assert r1.returncode == 0 and r2.returncode == 0
    assert r1.stdout == r2.stdout == open(os.path.join(WWW, "images/3.png"), "rb").read()
    assert b"304, from cache" in r2.stderr
    assert [e["status"] for e in entries(log)] == [200, 304]


def test_redirect_and_chunked(camada, tmp_path):
    _srv, base, _log = serve(camada, tmp_path, "--redirect", "/old /page.html 301")
    r = run(["get", base + "/old"])
    assert r.returncode == 0 and b"301" in r.stdout
    r = run(["get", "-L", base + "/old"])
    assert r.returncode == 0 and b"A page with ten images" in r.stdout
    r = run(["get", "-v", "-d", "name=Ada+Lovelace&message=hi", base + "/post"])
    assert r.returncode == 0, r.stderr
    assert b"Transfer-Encoding: chunked" in r.stderr
    assert b"<th>name</th><td>Ada Lovelace</td>" in r.stdout


def test_range_resume_of_big_file(camada, tmp_path):
    _srv, base, _log = serve(camada, tmp_path)
    out = subprocess.run(["curl", "-s", "-r", "1000-1999", base + "/big.bin"],
                         capture_output=True).stdout
    with open(os.path.join(WWW, "big.bin"), "rb") as f:
        f.seek(1000)
        assert out == f.read(1000)
