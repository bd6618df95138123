"""`camada get --resolver ADDR`: host names looked up through camada's own
resolver, which walks a zone served by camada's authoritative server."""
import os

from conftest import ROOT, run

ROOT_ZONE = """\
$ORIGIN .
$TTL 300
@   IN SOA a.root-servers.test. hostmaster.test. 1 3600 600 86400 300
@   IN NS  a.root-servers.test.
a.root-servers.test. IN A 127.0.0.1
www.example.test.    IN CNAME web.example.test.
web.example.test.    IN A 127.0.0.1
"""

HINTS = """\
.                     3600000 IN NS a.root-servers.test.
a.root-servers.test.  3600000 IN A  127.0.0.1
"""


def test_get_through_camada_resolver(camada, tmp_path):
    (tmp_path / "root.zone").write_text(ROOT_ZONE)
    (tmp_path / "root.hints").write_text(HINTS)
    auth = camada("dns", "-l", "127.0.0.1:0", "-z", str(tmp_path / "root.zone"),
                  listeners=2)
    res = camada("resolver", "-l", "127.0.0.1:0", "--workers", "1",
                 "--root-hints", str(tmp_path / "root.hints"),
                 "--upstream-port", str(auth.port("dns", "udp")), listeners=2)
    web = camada("http", "-l", "127.0.0.1:0", "-r", os.path.join(ROOT, "www"),
                 "--workers", "1")
    url = "http://www.example.test:%d/page.html" % web.port("http")
    resolver = "127.0.0.1:%d" % res.port("resolver", "udp")
    r = run(["get", "--resolver", resolver, url])
    assert r.returncode == 0, r.stderr
    assert b"A page with ten images" in r.stdout
    r = run(["get", "--resolver", resolver, "--page", url])
    assert r.returncode == 0 and b"objects: 11" in r.stdout, r.stderr
    # a name that does not exist: curl's exit code 6
    r = run(["get", "--resolver", resolver,
             "http://nosuch.example.test:%d/" % web.port("http")])
    assert r.returncode == 6, r.stderr
    assert b"could not resolve host" in r.stderr
