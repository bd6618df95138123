"""Installed, camada works anywhere (issue 8): `make install` into a
temporary PREFIX puts the binary, the man pages, the config and every file
the config names (the demo zones, root hints and site under
PREFIX/share/camada); the installed `camada serve` finds
PREFIX/etc/camada/camada.conf from any directory and brings up the whole
demo; relative paths in a config file are taken from the file's folder;
`camada resolver` with no flags starts from the real Internet's root on port
53 (checked by what it logs at startup: nothing here asks the Internet); and
`camada http [DIR]` serves a folder as `python3 -m http.server` does."""
import json
import os
import re
import socket
import subprocess
import time
import urllib.error
import urllib.request

import pytest

import conftest
import resolver_testlib as rt
from conftest import ROOT, SLOW, run

ZONE = """$ORIGIN t.test.
$TTL 3600
@    IN SOA ns hostmaster 1 3600 900 604800 300
@    IN NS  ns
ns   IN A   127.0.0.1
www  IN A   192.0.2.7
"""

# listeners each listen line makes, by section (tcp and udp count apart;
# the shipped config turns echo's udp on)
PER_LISTEN = {"echo": 2, "http": 1, "dns": 2, "resolver": 2}


def ipv6_loopback():
    try:
        s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        s.bind(("::1", 0))
        s.close()
        return True
    except OSError:
        return False


def sections(path):
    """[(section, {key: [values]})] of a config file, comments dropped."""
    out = [("", {})]
    for line in open(path):
        line = re.split(r"(^|\s)#", line, maxsplit=1)[0].strip()
        if line.startswith("["):
            out.append((line.strip("[]"), {}))
        elif "=" in line:
            k, v = [x.strip() for x in line.split("=", 1)]
            out[-1][1].setdefault(k, []).append(v)
    return out


def fetch(port, path, host=None):
    """(status, body) of a GET."""
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path))
    if host:
        req.add_header("Host", host)
    try:
        with urllib.request.urlopen(req, timeout=10 * SLOW) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def wait_for(cond, what, timeout=10):
    deadline = time.time() + timeout * SLOW
    while time.time() < deadline:
        if cond():
            return
        time.sleep(0.05)
    raise AssertionError("timed out waiting for " + what)


@pytest.fixture(scope="module")
def prefix(tmp_path_factory):
    """A `make install PREFIX=...` of this tree (the release build)."""
    p = tmp_path_factory.mktemp("prefix")
    r = subprocess.run(["make", "-s", "-C", ROOT, "install", "PREFIX=%s" % p],
                       capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stdout + r.stderr
    return p


def test_install_puts_every_file_in_its_place(prefix):
    for rel in ("bin/camada", "share/man/man1/camada.1",
                "share/man/man5/camada.conf.5", "etc/camada/camada.conf",
                "etc/camada/camada.conf.default",
                "share/camada/www/index.html", "share/camada/www/big.bin",
                "share/camada/zones/root.hints"):
        assert (prefix / rel).is_file(), rel
    assert os.access(prefix / "bin" / "camada", os.X_OK)
    for name in os.listdir(os.path.join(ROOT, "etc", "zones")):
        assert (prefix / "share" / "camada" / "zones" / name).is_file(), name
    for dirpath, _dirs, files in os.walk(os.path.join(ROOT, "www")):
        for f in files:
            rel = os.path.relpath(os.path.join(dirpath, f), ROOT)
            assert (prefix / "share" / "camada" / rel).is_file(), rel
    # every path the installed config names is in full, under share/camada,
    # and there
    share = str(prefix / "share" / "camada") + "/"
    named = [(k, v) for _s, kv in sections(prefix / "etc/camada/camada.conf")
             for k in ("zone", "root", "root-hints") for v in kv.get(k, [])]
    assert len(named) >= 10, named
    for k, v in named:
        assert v.startswith(share) and os.path.exists(v), (k, v)
    assert ((prefix / "etc/camada/camada.conf").read_text() ==
            (prefix / "etc/camada/camada.conf.default").read_text())


def test_install_keeps_an_edited_config(tmp_path):
    p = tmp_path / "p"
    (p / "etc" / "camada").mkdir(parents=True)
    (p / "etc" / "camada" / "camada.conf").write_text("# mine\n")
    r = subprocess.run(["make", "-s", "-C", ROOT, "install", "PREFIX=%s" % p],
                       capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stdout + r.stderr
    assert (p / "etc" / "camada" / "camada.conf").read_text() == "# mine\n"
    assert "[resolver]" in (p / "etc/camada/camada.conf.default").read_text()


def movable(text):
    """A config's text with its fixed listeners moved to free ports (the DNS
    servers to one port free on all their addresses, which the resolver
    asks) and one worker; returns (text, listeners it makes, DNS port)."""
    dns_addrs, sec = [], ""
    for line in text.splitlines():
        m = re.match(r"\[(\w+)\]", line)
        if m:
            sec = m.group(1)
        elif sec == "dns" and line.startswith("listen"):
            dns_addrs.append(line.split("=", 1)[1].split()[0].rsplit(":", 1)[0])
    port = rt.free_udp_tcp_port(dns_addrs)
    v6 = ipv6_loopback()
    out, n, sec = [], 0, ""
    for line in text.splitlines():
        m = re.match(r"\[(\w+)\]", line)
        if m:
            sec = m.group(1)
        if line.startswith("workers"):
            line = "workers = 1"
        if line.startswith("listen") or line.startswith("tls-listen"):
            if "[::]" in line and not v6:
                continue
            line = line.replace("0.0.0.0:8443", "127.0.0.1:0")
            line = line.replace("[::]:8443", "[::1]:0")
            line = line.replace("0.0.0.0:12000", "127.0.0.1:0")
            line = line.replace("[::]:12000", "[::1]:0")
            line = line.replace("0.0.0.0:8080", "127.0.0.1:0")
            line = line.replace("[::]:8080", "[::1]:0")
            line = line.replace("127.0.0.1:5301", "127.0.0.1:0")
            line = line.replace(":5300", ":%d" % port)
            n += PER_LISTEN[sec]
        line = re.sub(r"^upstream-port\s*=\s*\d+", "upstream-port = %d" % port,
                      line)
        out.append(line)
    listens = [l for l in out if re.match(r"(tls-)?listen", l)]
    assert not [l for l in listens
                if re.search(r":(12000|8080|8443|530\d)\b", l)]
    return "\n".join(out) + "\n", n, port


def check_demo(srv, hints, port):
    """The whole demo answers: the resolver from hints (asking port), the
    demo site and its /visits, the DNS hierarchy, echo."""
    srv.wait_line(r"root hints %s .*port %d" % (re.escape(hints), port))
    hport = srv.port("http")
    status, body = fetch(hport, "/")
    assert status == 200
    assert body == open(os.path.join(ROOT, "www", "index.html")).read()
    assert fetch(hport, "/visits")[0] == 200
    r = rt.query(srv.port("resolver", "udp"), "che.cs.arizona.edu.",
                 timeout=5 * SLOW)
    assert rt.addrs(r) == ["192.12.69.60"]
    with socket.create_connection(("127.0.0.1", srv.port("echo")),
                                  timeout=5 * SLOW) as s:
        s.sendall(b"installed\n")
        assert s.recv(100) == b"INSTALLED\n"


def test_installed_serve_finds_its_config_from_anywhere(prefix, camada,
                                                        monkeypatch, tmp_path):
    installed = str(prefix / "bin" / "camada")
    conf = prefix / "etc" / "camada" / "camada.conf"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    # the untouched installed config passes `camada check`, where the
    # command exists (another part of issue 8)
    r = subprocess.run([installed, "check"], cwd=str(elsewhere),
                       capture_output=True, text=True, timeout=30 * SLOW)
    if "unknown command" not in r.stderr:
        assert r.returncode == 0, r.stdout + r.stderr
    # its fixed ports would collide with anything: move the listeners of
    # this PREFIX's own copy (put back after the start)
    original = conf.read_text()
    text, n, port = movable(original)
    conf.write_text(text)
    try:
        monkeypatch.setattr(conftest, "BIN", installed)
        srv = camada("serve", listeners=n, cwd=str(elsewhere))
    finally:
        conf.write_text(original)
    assert srv.args[0] == installed
    check_demo(srv, str(prefix / "share/camada/zones/root.hints"), port)


def test_clone_config_works_from_anywhere(camada, tmp_path):
    """etc/camada.conf's relative paths (zones/, ../www) from its own folder:
    a copy of the clone's layout, served from an unrelated directory."""
    clone = tmp_path / "clone"
    (clone / "etc").mkdir(parents=True)
    os.symlink(os.path.join(ROOT, "etc", "zones"), str(clone / "etc/zones"))
    os.symlink(os.path.join(ROOT, "www"), str(clone / "www"))
    os.symlink(os.path.join(ROOT, "var"), str(clone / "var"))  # tls-cert
    text, n, port = movable(open(os.path.join(ROOT, "etc/camada.conf")).read())
    (clone / "etc" / "camada.conf").write_text(text)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    srv = camada("serve", "-c", str(clone / "etc/camada.conf"), listeners=n,
                 cwd=str(elsewhere))
    check_demo(srv, str(clone / "etc/zones/root.hints"), port)


def test_installed_serve_help_names_the_installed_config(prefix):
    r = subprocess.run([str(prefix / "bin" / "camada"), "serve", "--help"],
                       capture_output=True, text=True, timeout=10 * SLOW)
    assert r.returncode == 0
    assert str(prefix / "etc" / "camada" / "camada.conf") in r.stdout
    # the build in the clone keeps the repository's
    r = run(["serve", "--help"])
    assert b"etc/camada.conf" in r.stdout
    assert str(prefix).encode() not in r.stdout


def test_relative_paths_are_taken_from_the_config_folder(camada, tmp_path):
    confdir = tmp_path / "conf"
    for d in ("site", "vsite", "zones", "logs"):
        (confdir / d).mkdir(parents=True)
    (confdir / "site" / "hello.txt").write_text("from site\n")
    (confdir / "vsite" / "hello.txt").write_text("from vsite\n")
    (confdir / "zones" / "t.zone").write_text(ZONE)
    (confdir / "hints.txt").write_text(
        ". 3600000 NS a.root.\na.root. 3600000 A 127.0.0.1\n")
    (confdir / "camada.conf").write_text("""workers = 1
[http]
listen = 127.0.0.1:0
root = site
vhost = v.test vsite
access-log = logs/access.log
[dns]
listen = 127.0.0.1:0
zone = zones/t.zone
[resolver]
listen = 127.0.0.1:0
root-hints = hints.txt
""")
    # started from tmp_path with -c conf/camada.conf, and from a folder the
    # config's paths mean nothing in with the file named in full
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    for cwd, path in ((tmp_path, "conf/camada.conf"),
                      (elsewhere, str(confdir / "camada.conf"))):
        srv = camada("serve", "-c", path, listeners=5, cwd=str(cwd))
        port = srv.port("http")
        assert fetch(port, "/hello.txt") == (200, "from site\n")
        assert fetch(port, "/hello.txt", host="v.test") == (200, "from vsite\n")
        log = confdir / "logs" / "access.log"
        wait_for(lambda: log.exists() and "GET /hello.txt" in log.read_text(),
                 "the access log in conf/logs")
        r = rt.query(srv.port("dns", "udp"), "www.t.test.", timeout=5 * SLOW)
        assert rt.addrs(r) == ["192.0.2.7"]
        srv.wait_line(r"root hints %s " %
                      re.escape(os.path.join(os.path.dirname(path),
                                             "hints.txt")))
        srv.stop()
        log.unlink()
    assert not (tmp_path / "logs").exists() and not (elsewhere / "logs").exists()


def test_flags_paths_are_the_current_directorys(camada, tmp_path):
    """A path given on the command line is taken from where camada runs,
    even beside a config file whose own paths are its folder's."""
    confdir = tmp_path / "conf"
    (confdir / "site").mkdir(parents=True)
    (confdir / "site" / "hello.txt").write_text("from conf/site\n")
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "hello.txt").write_text("from ./site\n")
    (confdir / "camada.conf").write_text("[http]\nroot = site\n")
    srv = camada("http", "-c", str(confdir / "camada.conf"), "-l",
                 "127.0.0.1:0", "--workers", "1", cwd=str(tmp_path))
    assert fetch(srv.port("http"), "/hello.txt") == (200, "from conf/site\n")
    srv = camada("http", "-c", str(confdir / "camada.conf"), "-l",
                 "127.0.0.1:0", "--workers", "1", "-r", "site",
                 cwd=str(tmp_path))
    assert fetch(srv.port("http"), "/hello.txt") == (200, "from ./site\n")


# --- `camada resolver` with no flags: the real Internet's way ---

def test_resolver_defaults_to_the_internet_root_on_port_53(camada, tmp_path):
    # from an empty folder, no config: no demo file can be found by accident
    srv = camada("resolver", "-l", "127.0.0.1:0", "--workers", "1",
                 listeners=2, cwd=str(tmp_path))
    line = srv.wait_line(r"resolver: root hints ")
    if os.path.exists("/usr/share/dns/root.hints"):
        assert "root hints /usr/share/dns/root.hints " in line, line
    else:
        assert "root hints built-in (13 servers)" in line, line
    assert line.endswith("asked on port 53"), line
    # no query is sent: a test never asks the Internet
    r = run(["resolver", "--help"])
    assert re.search(rb"--upstream-port N .*\(default: 53\)", r.stdout)
    assert b"/usr/share/dns/root.hints" in r.stdout


def test_demo_config_names_its_own_root_and_port(camada):
    conf = os.path.join(ROOT, "etc", "camada.conf")
    res = [kv for s, kv in sections(conf) if s == "resolver"]
    assert len(res) == 1
    assert res[0]["root-hints"] == ["zones/root.hints"]
    assert res[0]["upstream-port"] == ["5300"]
    srv = camada("resolver", "-c", conf, "-l", "127.0.0.1:0", "--workers",
                 "1", listeners=2)
    srv.wait_line(r"root hints %s \(1 server\), .*port 5300$" %
                  re.escape(os.path.join(ROOT, "etc", "zones", "root.hints")))


# --- `camada http [DIR]`, as python3 -m http.server ---

def test_http_serves_the_current_directory(camada, tmp_path):
    (tmp_path / "hello.txt").write_text("hello\n")
    srv = camada("http", "-l", "127.0.0.1:0", "--workers", "1",
                 cwd=str(tmp_path))
    port = srv.port("http")
    line = srv.wait_line(r"serving HTTP on ")
    assert line == ("camada: serving HTTP on 127.0.0.1 port %d "
                    "(http://127.0.0.1:%d/) from %s"
                    % (port, port, os.path.realpath(str(tmp_path)))), line
    assert fetch(port, "/hello.txt") == (200, "hello\n")
    # each request is logged on stderr (Combined Log Format)
    srv.wait_line(r'"GET /hello\.txt HTTP/1\.1" 200 6 ')
    # the demos only where the config turns them on
    assert fetch(port, "/visits")[0] == 404
    r = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
                        "-d", "a=1", "http://127.0.0.1:%d/post" % port],
                       capture_output=True, text=True, timeout=10 * SLOW)
    assert r.stdout != "200", r.stdout


def test_http_serves_the_dir_it_is_given(camada, tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text("<p>the site</p>\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    srv = camada("http", str(site), "-l", "127.0.0.1:0", "--workers", "1",
                 "--demo", cwd=str(elsewhere))
    port = srv.port("http")
    assert srv.wait_line(r"serving HTTP on ").endswith(
        "from %s" % os.path.realpath(str(site)))
    assert fetch(port, "/") == (200, "<p>the site</p>\n")
    assert fetch(port, "/visits")[0] == 200       # --demo turns them on
    # a relative DIR is the current directory's
    srv = camada("http", "site", "-l", "127.0.0.1:0", "--workers", "1",
                 cwd=str(tmp_path))
    assert fetch(srv.port("http"), "/") == (200, "<p>the site</p>\n")


def test_http_url_line_follows_the_log_format(camada, tmp_path):
    srv = camada("http", str(tmp_path), "-l", "127.0.0.1:0", "--workers", "1",
                 "--log-format", "json")
    line = srv.wait_line(r"serving HTTP on ")
    msg = json.loads(line)["msg"]
    port = srv.port("http")
    assert msg == ("http: serving HTTP on 127.0.0.1 port %d "
                   "(http://127.0.0.1:%d/) from %s"
                   % (port, port, os.path.realpath(str(tmp_path))))


def test_http_access_log_as_configured(camada, tmp_path):
    (tmp_path / "hello.txt").write_text("hello\n")
    (tmp_path / "camada.conf").write_text(
        "[http]\nroot = .\naccess-log = access.log\n")
    srv = camada("http", "-c", str(tmp_path / "camada.conf"), "-l",
                 "127.0.0.1:0", "--workers", "1", cwd="/")
    assert fetch(srv.port("http"), "/hello.txt") == (200, "hello\n")
    log = tmp_path / "access.log"
    wait_for(lambda: log.exists() and "GET /hello.txt" in log.read_text(),
             "the configured access log")
    assert "GET /hello.txt" not in srv.output()
    srv = camada("http", str(tmp_path), "-l", "127.0.0.1:0", "--workers", "1",
                 "--access-log", "off")
    assert fetch(srv.port("http"), "/hello.txt") == (200, "hello\n")
    srv.stop()
    assert "GET /hello.txt" not in srv.output()
