"""The demo hierarchy of etc/zones, as `make run` serves it but on a free
port: the resolver answers che.cs.arizona.edu through the CNAME, `camada dig
+trace` shows root -> edu -> arizona.edu -> cs.arizona.edu, and Unbound with
a stub zone pointing at camada's authoritative server resolves through it."""
import os
import re
import shutil
import socket
import subprocess
import time

import pytest

from conftest import ROOT, SLOW, run

CONF = os.path.join(ROOT, "etc", "camada.conf")


def demo_sections():
    """(listen address, zone file) of each [dns] section of etc/camada.conf."""
    out, cur = [], None
    for line in open(CONF):
        line = line.split("#")[0].strip()
        if line.startswith("["):
            cur = {} if line == "[dns]" else None
            if cur is not None:
                out.append(cur)
        elif cur is not None and "=" in line:
            k, v = [x.strip() for x in line.split("=", 1)]
            cur[k] = v
    # zone paths are relative to etc/ (the file's folder): name them from ROOT
    return [(s["listen"].rsplit(":", 1)[0],
             os.path.relpath(os.path.join(ROOT, "etc", s["zone"]), ROOT))
            for s in out]


def port_free_everywhere(addrs):
    for _ in range(100):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        ok = True
        for a in addrs:
            for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
                t = socket.socket(socket.AF_INET, kind)
                try:
                    t.bind((a, port))
                except OSError:
                    ok = False
                finally:
                    t.close()
        if ok:
            return port
    raise RuntimeError("no common free port")


@pytest.fixture
def demo(camada):
    sections = demo_sections()
    assert len(sections) >= 8
    port = port_free_everywhere([a for a, _ in sections])
    for addr, zone in sections:
        camada("dns", "-l", "%s:%d" % (addr, port), "-z", os.path.join(ROOT, zone),
               "--workers", "1", listeners=2)
    res = camada("resolver", "-l", "127.0.0.1:0", "--workers", "1",
                 "--root-hints", os.path.join(ROOT, "etc/zones/root.hints"),
                 "--upstream-port", str(port), listeners=2)
    return port, res.port("resolver", "udp"), dict((z, a) for a, z in sections)


def test_resolver_answers_through_the_cname(demo):
    port, rport, _ = demo
    r = run(["dig", "@127.0.0.1", "-p", str(rport), "che.cs.arizona.edu"])
    out = r.stdout.decode()
    assert r.returncode == 0, r.stderr
    assert "status: NOERROR" in out
    assert re.search(r"che\.cs\.arizona\.edu\.\s+\d+\s+IN\s+CNAME\s+lectura\.cs\.arizona\.edu\.", out)
    assert re.search(r"lectura\.cs\.arizona\.edu\.\s+\d+\s+IN\s+A\s+192\.12\.69\.60", out)
    r = run(["dig", "@127.0.0.1", "-p", str(rport), "+short", "www.netutopia.com.br"])
    assert r.stdout.decode().split() == ["212.212.71.4"]
    r = run(["dig", "@127.0.0.1", "-p", str(rport), "+short", "cs.arizona.edu", "MX"])
    assert sorted(r.stdout.decode().splitlines()) == [
        "10 mail.cs.arizona.edu.", "20 mail2.cs.arizona.edu."]


def test_trace_walks_the_hierarchy(demo):
    port, _, _ = demo
    r = run(["dig", "+trace", "-p", str(port), "--root-hints",
             os.path.join(ROOT, "etc/zones/root.hints"), "che.cs.arizona.edu"])
    out = r.stdout.decode()
    assert r.returncode == 0, r.stderr
    steps = re.findall(r"Received \d+ bytes from (127\.0\.0\.\d+)#%d" % port, out)
    # root (127.0.0.2) -> edu (127.0.0.3) -> arizona.edu (.6) -> cs (.7)
    assert steps[:4] == ["127.0.0.2", "127.0.0.3", "127.0.0.6", "127.0.0.7"], out
    assert re.search(r"edu\.\s+\d+\s+IN\s+NS", out)
    assert re.search(r"arizona\.edu\.\s+\d+\s+IN\s+NS", out)
    assert re.search(r"cs\.arizona\.edu\.\s+\d+\s+IN\s+NS", out)
    assert "192.12.69.60" in out


@pytest.mark.skipif(shutil.which("unbound") is None, reason="unbound not installed")
def test_unbound_stub_zone_resolves_through_camada(demo, tmp_path):
    port, _, addr_of = demo
    cs = addr_of["etc/zones/cs.arizona.edu.zone"]
    uport = port_free_everywhere(["127.0.0.1"])
    conf = tmp_path / "unbound.conf"
    conf.write_text("""server:
    interface: 127.0.0.1@%d
    port: %d
    do-daemonize: no
    username: ""
    chroot: ""
    directory: "%s"
    pidfile: "%s/unbound.pid"
    use-syslog: no
    logfile: ""
    do-not-query-localhost: no
    access-control: 127.0.0.0/8 allow
    module-config: "iterator"
    harden-glue: yes
    qname-minimisation: no
stub-zone:
    name: "cs.arizona.edu"
    stub-addr: %s@%d
remote-control:
    control-enable: no
""" % (uport, uport, tmp_path, tmp_path, cs, port))
    p = subprocess.Popen(["unbound", "-d", "-c", str(conf)],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.time() + 10 * SLOW
        out = ""
        while time.time() < deadline:
            r = subprocess.run(["dig", "@127.0.0.1", "-p", str(uport), "+time=1",
                                "+tries=1", "+short", "che.cs.arizona.edu"],
                               capture_output=True, text=True)
            out = r.stdout
            if "192.12.69.60" in out:
                break
            time.sleep(0.2)
        assert out.split() == ["lectura.cs.arizona.edu.", "192.12.69.60"], out
        r = subprocess.run(["dig", "@127.0.0.1", "-p", str(uport), "+short",
                            "cs.arizona.edu", "TXT"], capture_output=True, text=True)
        assert r.stdout.strip() == '"Department of Computer Science"'
    finally:
        p.terminate()
        p.wait(5)
