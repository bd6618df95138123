"""Reload and checking as operators expect (issue 8): SIGHUP re-reads the
config and applies it without dropping what is in flight, a broken config
keeps the running one and names FILE:LINE, what needs a restart says so;
`camada check`; `camada serve --workers 1`; a port in use names the config
line that asked for it."""
import os
import re
import shutil
import signal
import socket
import time

import pytest

from conftest import ROOT, SLOW, free_port, run

BIG = 16 * 1024 * 1024


def site(tmp_path):
    root = tmp_path / "www"
    root.mkdir()
    (root / "index.html").write_text("<p>home</p>\n")
    (root / "new.html").write_text("<p>new</p>\n")
    (root / "big.bin").write_bytes(os.urandom(1024) * (BIG // 1024))
    return root


def http_conf(root, port, extra="", workers=2):
    # the listen key is on line 5: tests below name it
    return ("# reload test\n"
            "workers = %d\n"
            "\n"
            "[http]\n"
            "listen = 127.0.0.1:%d\n"
            "root = %s\n"
            "%s" % (workers, port, root, extra))


def head_of(port, path):
    """Status and headers of one GET on a new connection."""
    s = socket.create_connection(("127.0.0.1", port), timeout=5 * SLOW)
    s.sendall(b"GET " + path.encode() + b" HTTP/1.1\r\nHost: t\r\n"
              b"Connection: close\r\n\r\n")
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    s.close()
    head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1")
    status = int(head.split(" ", 2)[1])
    return status, head


def wait_status(port, path, want, timeout=5):
    """The workers apply a reload after the parent logs it: poll a little."""
    deadline = time.time() + timeout * SLOW
    while True:
        st, head = head_of(port, path)
        if st == want or time.time() > deadline:
            return st, head
        time.sleep(0.05)


def start_download(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=10 * SLOW)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
    s.sendall(b"GET /big.bin HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
    first = s.recv(65536)
    assert first.startswith(b"HTTP/1.1 200"), first[:100]
    return s, first


def finish_download(s, first):
    data = first
    while True:
        chunk = s.recv(1 << 20)
        if not chunk:
            break
        data += chunk
    s.close()
    head, body = data.split(b"\r\n\r\n", 1)
    return head, body


def test_sighup_applies_a_redirect_while_a_download_completes(camada, tmp_path,
                                                              tmpconf):
    root = site(tmp_path)
    conf = tmpconf(http_conf(root, 0))
    srv = camada("serve", "-c", conf)
    port = srv.port("http")
    assert head_of(port, "/old.html")[0] == 404
    dl, first = start_download(port)
    time.sleep(0.2)  # the download is in flight, held by our slow reading
    with open(conf, "a") as f:
        f.write("redirect = /old.html /new.html 301\n")
    srv.signal(signal.SIGHUP)
    srv.wait_line(r"reloaded " + re.escape(conf))
    st, head = wait_status(port, "/old.html", 301)
    assert st == 301, head
    assert re.search(r"(?im)^Location: /new\.html\r?$", head), head
    # every request after that follows it, whichever worker takes it
    for _ in range(10):
        assert head_of(port, "/old.html")[0] == 301
    head, body = finish_download(dl, first)
    assert len(body) == BIG
    assert body == (root / "big.bin").read_bytes()
    # the listener was kept: no second "listening on" line
    assert len([l for l in srv.lines if "listening on" in l]) == 1
    assert srv.stop() == 0


def test_broken_config_on_reload_keeps_serving_and_names_the_line(
        camada, tmp_path, tmpconf):
    root = site(tmp_path)
    conf = tmpconf(http_conf(root, 0, "redirect = /a /new.html 302\n"))
    srv = camada("serve", "-c", conf)
    port = srv.port("http")
    assert wait_status(port, "/a", 302)[0] == 302
    text = open(conf).read()
    # line 8: an unknown key; the redirect to change is on line 7
    with open(conf, "w") as f:
        f.write(text.replace("/a /new.html 302", "/a /index.html 301") +
                "no-such-key = 1\n")
    srv.signal(signal.SIGHUP)
    line = srv.wait_line(r"keeping the running configuration")
    assert "%s:8: unknown key 'no-such-key' in [http]" % conf in line, line
    time.sleep(0.3 * SLOW)
    st, head = head_of(port, "/a")
    assert st == 302 and "/new.html" in head, head
    assert head_of(port, "/index.html")[0] == 200
    # a root that does not exist is refused too (the parent checks it)
    with open(conf, "w") as f:
        f.write(text.replace(str(root), str(tmp_path / "missing")))
    srv.signal(signal.SIGHUP)
    srv.wait_line(r"%s:4: http: root .*missing.*; keeping" % re.escape(conf))
    assert head_of(port, "/index.html")[0] == 200
    # fixed: applied
    with open(conf, "w") as f:
        f.write(text.replace("/a /new.html 302", "/a /index.html 307"))
    srv.signal(signal.SIGHUP)
    st, head = wait_status(port, "/a", 307)
    assert st == 307, head
    assert srv.stop() == 0


def test_what_needs_a_restart_is_logged_and_kept(camada, tmp_path, tmpconf):
    root = site(tmp_path)
    # the /post demo reads bodies (demo is a restart key: on in both)
    conf = tmpconf(http_conf(root, 0, "demo = on\n", workers=1))
    srv = camada("serve", "-c", conf)
    port = srv.port("http")
    other = free_port()
    with open(conf, "w") as f:
        f.write(http_conf(root, other, "max-body = 1k\ndemo = on\n",
                          workers=2))
    srv.signal(signal.SIGHUP)
    srv.wait_line(r"reloaded ")
    out = srv.output()
    assert "%s:5: restart needed to apply [http] listen" % conf in out, out
    assert "%s:2: restart needed to apply workers" % conf in out, out
    # the old listener still serves, the new address is not bound
    assert head_of(port, "/index.html")[0] == 200
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", other), timeout=1).close()
    # max-body did apply: a 2k body is now too large
    deadline = time.time() + 5 * SLOW
    while True:
        s = socket.create_connection(("127.0.0.1", port), timeout=5 * SLOW)
        s.sendall(b"POST /post HTTP/1.1\r\nHost: t\r\nContent-Length: 2048"
                  b"\r\n\r\n")
        got = s.recv(100)
        s.close()
        if got.startswith(b"HTTP/1.1 413") or time.time() > deadline:
            break
        time.sleep(0.05)
    assert got.startswith(b"HTTP/1.1 413"), got
    assert srv.stop() == 0


def restart_worker(srv):
    """SIGKILL the one worker; back when the parent has forked another."""
    kids = srv.children()
    assert len(kids) == 1
    os.kill(kids[0], signal.SIGKILL)
    srv.wait_line(r"restarting")
    deadline = time.time() + 5 * SLOW
    while time.time() < deadline:
        now = srv.children()
        if now and now != kids:
            return
        time.sleep(0.05)


def test_a_restarted_worker_starts_with_the_reloaded_config(camada, tmp_path,
                                                            tmpconf):
    root = site(tmp_path)
    conf = tmpconf(http_conf(root, 0, workers=1))
    srv = camada("serve", "-c", conf)
    port = srv.port("http")
    with open(conf, "a") as f:
        f.write("redirect = /old.html /new.html 308\n")
    srv.signal(signal.SIGHUP)
    assert wait_status(port, "/old.html", 308)[0] == 308
    restart_worker(srv)
    st, head = wait_status(port, "/old.html", 308)
    assert st == 308, head
    assert srv.stop() == 0


def test_a_restarted_worker_survives_a_root_the_reload_removed(
        camada, tmp_path, tmpconf):
    """The worker forked after a crash starts from the accepted config, not
    the first file, whose root is gone (review of the reload)."""
    first = tmp_path / "first"
    first.mkdir()
    (first / "index.html").write_text("first\n")
    root = site(tmp_path)
    conf = tmpconf(http_conf(first, 0, workers=1))
    srv = camada("serve", "-c", conf)
    port = srv.port("http")
    with open(conf, "w") as f:
        f.write(http_conf(root, 0, workers=1))
    srv.signal(signal.SIGHUP)
    assert wait_status(port, "/new.html", 200)[0] == 200
    shutil.rmtree(str(first))
    restart_worker(srv)
    st, head = wait_status(port, "/new.html", 200)
    assert st == 200, head
    assert srv.stop() == 0


def test_workers_never_apply_a_file_the_parent_refused(camada, tmp_path,
                                                       tmpconf):
    """A file the parent's check refuses (a 999 redirect) reaches no worker,
    not even one restarted after it was written."""
    root = site(tmp_path)
    conf = tmpconf(http_conf(root, 0, workers=1))
    srv = camada("serve", "-c", conf)
    port = srv.port("http")
    with open(conf, "w") as f:
        f.write(http_conf(root, 0, "redirect = /old.html /new.html 308\n",
                          workers=1))
    srv.signal(signal.SIGHUP)
    assert wait_status(port, "/old.html", 308)[0] == 308
    with open(conf, "w") as f:
        f.write(http_conf(root, 0, "redirect = /old.html /new.html 999\n",
                          workers=1))
    srv.signal(signal.SIGHUP)
    srv.wait_line(r"keeping the running configuration")
    restart_worker(srv)
    st, head = wait_status(port, "/old.html", 308)
    assert st == 308, head
    assert srv.stop() == 0


def test_echo_and_dns_reload_their_limits(camada, tmp_path, tmpconf):
    zone = tmp_path / "ex.zone"
    zone.write_text("$ORIGIN ex.\n$TTL 60\n@ SOA ns hm 1 60 60 60 60\n"
                    "@ NS ns\nns A 127.0.0.1\n")
    body = ("workers = 1\n[echo]\nlisten = 127.0.0.1:0\nmax-connections = 1\n"
            "[dns]\nlisten = 127.0.0.1:0\nzone = %s\n"
            "allow-transfer = none\n" % zone)
    conf = tmpconf(body)
    srv = camada("serve", "-c", conf, listeners=3)
    port = srv.port("echo")
    a = socket.create_connection(("127.0.0.1", port), timeout=5 * SLOW)
    a.sendall(b"x\n")
    assert a.recv(10) == b"X\n"
    b = socket.create_connection(("127.0.0.1", port), timeout=5 * SLOW)
    assert b"too many" in b.recv(100)
    b.close()
    with open(conf, "w") as f:
        f.write(body.replace("max-connections = 1", "max-connections = 2")
                .replace("allow-transfer = none", "allow-transfer = 127.0.0.1"))
    srv.signal(signal.SIGHUP)
    srv.wait_line(r"reloaded ")
    deadline = time.time() + 5 * SLOW
    while True:
        b = socket.create_connection(("127.0.0.1", port), timeout=5 * SLOW)
        b.sendall(b"y\n")
        got = b.recv(100)
        b.close()
        if got == b"Y\n" or time.time() > deadline:
            break
        time.sleep(0.05)
    assert got == b"Y\n"
    a.close()
    assert srv.stop() == 0


# --- camada check ---

def test_check_prints_what_would_run(tmp_path, tmpconf):
    root = site(tmp_path)
    conf = tmpconf(http_conf(root, 8080) +
                   "[http]\nlisten = 127.0.0.1:0\nlisten = [::1]:0\n"
                   "root = %s\n" % root)
    r = run(["check", "-c", conf])
    assert r.returncode == 0, r.stderr
    out = r.stdout.decode()
    assert "%s:4: http 127.0.0.1:8080" % conf in out, out
    assert "%s:7: http 127.0.0.1:0 [::1]:0" % conf in out, out
    assert "ok, 2 instances, 2 workers" in out, out


def test_check_the_default_config_of_the_repo():
    r = run(["check"], cwd=ROOT)
    assert r.returncode == 0, r.stderr
    out = r.stdout.decode()
    for sys in ("echo", "http", "dns", "resolver"):
        assert re.search(r"^\S+:\d+: %s " % sys, out, re.M), out


def test_check_errors_name_the_file_and_line(tmp_path, tmpconf):
    root = site(tmp_path)
    conf = tmpconf(http_conf(root, 0, "max-body = lots\n"))
    r = run(["check", "-c", conf])
    assert r.returncode == 2
    assert ("%s:7: bad value for 'max-body'" % conf).encode() in r.stderr, r.stderr
    assert r.stdout == b""
    # a file the config names: the zone's own line, after the section's
    zone = tmp_path / "bad.zone"
    zone.write_text("$ORIGIN ex.\n$TTL 60\n@ SOA ns hm 1 60 60 60 60\n"
                    "@ NS ns\nns A 300.1.2.3\n")
    conf = tmpconf("[dns]\nlisten = 127.0.0.1:0\nzone = %s\n" % zone,
                   name="dns.conf")
    r = run(["check", "-c", conf])
    assert r.returncode == 2
    assert re.search((r"%s:1: %s:5: " % (re.escape(conf), re.escape(str(zone))))
                     .encode(), r.stderr), r.stderr
    # root hints of a resolver
    hints = tmp_path / "bad.hints"
    hints.write_text("this is not a hints file\n")
    conf = tmpconf("[resolver]\nlisten = 127.0.0.1:0\nroot-hints = %s\n" % hints,
                   name="res.conf")
    r = run(["check", "-c", conf])
    assert r.returncode == 2, r.stdout
    assert ("%s:1: " % conf).encode() in r.stderr, r.stderr
    r = run(["check", "-c", str(tmp_path / "nope.conf")])
    assert r.returncode == 2 and b"nope.conf" in r.stderr


# --- serve flags ---

def test_serve_takes_every_global_key_as_a_flag(camada, tmp_path, tmpconf):
    root = site(tmp_path)
    conf = tmpconf(http_conf(root, 0, workers=3))
    srv = camada("serve", "-c", conf, "--workers", "1", "--log-format=json")
    srv.wait_line(r'"started 1 worker"')
    assert len(srv.children()) == 1
    # the flags stay on top of the file across a reload
    srv.signal(signal.SIGHUP)
    srv.wait_line(r"reloaded ")
    time.sleep(0.2 * SLOW)
    assert "restart needed" not in srv.output()
    assert srv.stop() == 0
    r = run(["serve", "-c", conf, "--workers", "lots"])
    assert r.returncode == 2 and b"--workers" in r.stderr, r.stderr
    r = run(["serve", "-c", conf, "--no-such-flag"])
    assert r.returncode == 2 and b"unknown flag" in r.stderr, r.stderr
    r = run(["serve", "--help"])
    assert r.returncode == 0 and b"--workers" in r.stdout


# --- a port in use ---

def test_a_port_in_use_names_the_config_line(tmp_path, tmpconf):
    root = site(tmp_path)
    hold = socket.socket()
    hold.bind(("127.0.0.1", 0))
    hold.listen(1)
    port = hold.getsockname()[1]
    try:
        conf = tmpconf(http_conf(root, port, workers=1))
        r = run(["serve", "-c", conf])
        assert r.returncode == 1, r.stderr
        want = "%s:5: tcp bind 127.0.0.1:%d: Address already in use" % (conf, port)
        assert want.encode() in r.stderr, r.stderr
    finally:
        hold.close()


def test_log_settings_apply_on_reload(camada, tmp_path, tmpconf):
    root = site(tmp_path)
    conf = tmpconf(http_conf(root, 0, workers=1))
    srv = camada("serve", "-c", conf)
    with open(conf, "w") as f:
        f.write(http_conf(root, 0, workers=1).replace(
            "workers = 1\n", "workers = 1\nlog-format = json\n"))
    srv.signal(signal.SIGHUP)
    line = srv.wait_line(r"reloaded ")
    assert line.startswith("{") and '"reloaded %s"' % conf in line, line
    assert srv.stop() == 0


def test_resolver_allow_applies_on_reload(camada, tmp_path, tmpconf):
    import dns.message
    import dns.query
    import dns.rcode
    from resolver_testlib import free_udp_tcp_port
    zone = tmp_path / "ex.zone"
    zone.write_text("$ORIGIN ex.\n$TTL 60\n@ SOA ns hm 1 60 60 60 60\n"
                    "@ NS ns\nns A 127.0.0.7\n")
    p = free_udp_tcp_port(["127.0.0.1"])
    body = ("workers = 1\n[dns]\nlisten = 127.0.0.1:%d\nzone = %s\n"
            "[resolver]\nlisten = 127.0.0.1:0\nforward = 127.0.0.1:%d\n"
            "allow = 10.0.0.0/8\n" % (p, zone, p))
    conf = tmpconf(body)
    srv = camada("serve", "-c", conf, listeners=4)
    port = srv.port("resolver", "udp")

    def ask():
        q = dns.message.make_query("ns.ex.", "A")
        return dns.query.udp(q, "127.0.0.1", port=port, timeout=5 * SLOW)

    assert ask().rcode() == dns.rcode.REFUSED
    with open(conf, "w") as f:
        f.write(body.replace("10.0.0.0/8", "127.0.0.0/8"))
    srv.signal(signal.SIGHUP)
    srv.wait_line(r"reloaded ")
    deadline = time.time() + 5 * SLOW
    while True:
        r = ask()
        if r.rcode() != dns.rcode.REFUSED or time.time() > deadline:
            break
        time.sleep(0.05)
    assert r.rcode() == dns.rcode.NOERROR, r
    assert "127.0.0.7" in r.to_text()
    assert srv.stop() == 0


def test_sections_added_or_removed_need_a_restart(camada, tmp_path, tmpconf):
    root = site(tmp_path)
    body = http_conf(root, 0, workers=1)
    conf = tmpconf(body + "[echo]\nlisten = 127.0.0.1:0\n")
    srv = camada("serve", "-c", conf, listeners=2)
    with open(conf, "w") as f:
        f.write(body + "[dns]\nlisten = 127.0.0.1:0\nzone = %s\n" %
                os.path.join(ROOT, "etc", "zones", "root.zone"))
    srv.signal(signal.SIGHUP)
    srv.wait_line(r"reloaded ")
    out = srv.output()
    assert "%s:7: restart needed to apply a new [dns]" % conf in out, out
    assert "%s:7: restart needed to remove [echo]" % conf in out, out
    e = socket.create_connection(("127.0.0.1", srv.port("echo")),
                                 timeout=5 * SLOW)
    e.sendall(b"still\n")
    assert e.recv(100) == b"STILL\n"  # the running section goes on
    e.close()
    assert srv.stop() == 0
