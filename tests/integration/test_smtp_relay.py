"""The relay client against a real Postfix (Debian's, configured here on a
loopback port with its own config, queue and virtual mailboxes; the
system's Postfix is never touched), MX answered by `camada dns`.

The runner is `camada mailq run` and messages are queued with the hidden
`camada mailq put` until the SMTP server queues mail itself. One DNS
server, one Postfix and one runner serve the whole module; the first test
runs while Postfix is still down.
"""
import email
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time

import pytest

from conftest import ASAN, Camada, SLOW, run, wait_until

POSTFIX = shutil.which("postfix") or "/usr/sbin/postfix"

pytestmark = pytest.mark.skipif(
    not os.path.exists(POSTFIX) or os.geteuid() != 0,
    reason="needs Debian's postfix package and root (DEPS_TEST)")

ZONE = """$ORIGIN test.
$TTL 60
@       IN SOA ns.test. hostmaster.test. 1 7200 3600 1209600 60
        IN NS  ns
ns      IN A   127.0.0.1
hamburger     IN MX 20 mx2.hamburger
hamburger     IN MX 10 mx1.hamburger
mx1.hamburger IN A  127.0.0.1
mx2.hamburger IN A  127.0.0.1
crepes        IN MX 10 mx.crepes
mx.crepes     IN A  127.0.0.1
nullmx        IN MX 0 .
"""

MAIN_CF = """compatibility_level = 3.6
queue_directory = {d}/spool
data_directory = {d}/data
maillog_file = {d}/maillog
maillog_file_prefixes = {d}
mail_owner = postfix
setgid_group = postdrop
myhostname = mx1.hamburger.test
mydomain = hamburger.test
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
alias_maps =
alias_database =
smtputf8_enable = no
virtual_mailbox_domains = hamburger.test crepes.test
virtual_mailbox_base = {d}/mail
virtual_mailbox_maps = texthash:{d}/vmailbox
virtual_uid_maps = static:{uid}
virtual_gid_maps = static:{gid}
smtpd_tls_security_level = may
smtpd_tls_cert_file = {d}/cert.pem
smtpd_tls_key_file = {d}/key.pem
smtpd_recipient_restrictions = permit_mynetworks, reject
"""

MASTER_CF = """{port} inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
virtual   unix  -       n       n       -       -       virtual
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
"""


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Postfix:
    def __init__(self, d):
        self.d = d
        self.port = free_port()
        nobody = pwd.getpwnam("nobody")
        for sub in ("spool", "data", "mail"):
            os.makedirs(os.path.join(d, sub), exist_ok=True)
        os.chown(os.path.join(d, "mail"), nobody.pw_uid, nobody.pw_gid)
        pf = pwd.getpwnam("postfix")
        os.chown(os.path.join(d, "data"), pf.pw_uid, pf.pw_gid)
        with open(os.path.join(d, "vmailbox"), "w") as f:
            f.write("bob@hamburger.test hamburger.test/bob/\n"
                    "alice@crepes.test crepes.test/alice/\n")
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
             "-keyout", os.path.join(d, "key.pem"), "-out",
             os.path.join(d, "cert.pem"), "-days", "2", "-subj",
             "/CN=mx1.hamburger.test"], check=True, capture_output=True)
        with open(os.path.join(d, "main.cf"), "w") as f:
            f.write(MAIN_CF.format(d=d, uid=nobody.pw_uid,
                                   gid=nobody.pw_gid))
        with open(os.path.join(d, "master.cf"), "w") as f:
            f.write(MASTER_CF.format(port=self.port))
        self.running = False

    def start(self):
        subprocess.run([POSTFIX, "-c", self.d, "start"], check=True,
                       capture_output=True)
        self.running = True
        wait_until(self._listening, "postfix to listen", timeout=20)

    def _listening(self):
        try:
            socket.create_connection(("127.0.0.1", self.port), 1).close()
            return True
        except OSError:
            return False

    def stop(self):
        if self.running:
            subprocess.run([POSTFIX, "-c", self.d, "stop"],
                           capture_output=True)
            self.running = False

    def mailbox(self, user):
        new = os.path.join(self.d, "mail", user, "new")
        if not os.path.isdir(new):
            return []
        out = []
        for name in sorted(os.listdir(new)):
            with open(os.path.join(new, name), "rb") as f:
                out.append(email.message_from_binary_file(f))
        return out


@pytest.fixture(scope="module")
def world():
    # Not pytest's tmp_path: Postfix's daemons (user postfix) and virtual
    # (nobody) walk down to the queue and the mailboxes, and pytest makes
    # its folders 0700 again whenever any pytest starts.
    d = tempfile.mkdtemp(prefix="camada-relay-")
    os.chmod(d, 0o755)
    zone = os.path.join(d, "test.zone")
    with open(zone, "w") as f:
        f.write(ZONE)
    dns = Camada(["dns", "-l", "127.0.0.1:0", "-z", zone])
    dns.wait_listening(2)
    pf = Postfix(os.path.join(d, "postfix"))
    queue = os.path.join(d, "queue")
    relay = Camada(["mailq", "--queue", queue, "run",
                    "--resolver", "127.0.0.1:%d" % dns.port(proto="udp"),
                    "--smtp-port", str(pf.port), "--hostname", "relay.test",
                    "--scan-ms", "200", "--retry-min", "1",
                    "--retry-max", "2", "--timeout-ms", "10000"])
    relay.wait_line("relay running")
    yield dns, pf, relay, queue
    relay.stop()
    dns.stop()
    pf.stop()
    shutil.rmtree(d, ignore_errors=True)
    if ASAN:
        for c in (relay, dns):
            out = c.output()
            assert "ERROR: AddressSanitizer" not in out, out
            assert "ERROR: LeakSanitizer" not in out, out
            assert "runtime error:" not in out, out


def put(queue, sender, rcpts, body):
    r = run(["mailq", "--queue", queue, "put", sender] + rcpts, input=body)
    assert r.returncode == 0, r.stderr
    return r.stdout.decode().strip()


def mailq(queue, *args):
    r = run(["mailq", "--queue", queue] + list(args))
    return r.returncode, r.stdout.decode(), r.stderr.decode()


def queued(queue):
    return os.listdir(os.path.join(queue, "msg"))


MSG = (b"From: alice@crepes.test\r\nTo: bob@hamburger.test\r\n"
       b"Subject: %s\r\n\r\nBonjour Bob\r\n.leading dot\r\n..two\r\n")


def test_target_down_then_back(world):
    dns, pf, relay, queue = world
    qid = put(queue, "alice@crepes.test", ["bob@hamburger.test"],
              MSG % b"down then back")
    # Postfix is not running: both MX hosts refuse, the message waits.
    relay.wait_line(qid + r".*status=deferred.*Connection refused")
    out = wait_until(lambda: (lambda o: "deferred" in o and o)(
        mailq(queue)[1]), "mailq to show the deferral")
    assert qid in out and "Connection refused" in out, out
    pf.start()
    mailq(queue, "flush", qid)
    relay.wait_line(qid + r".*to=<bob@hamburger.test>.*status=sent",
                    timeout=30)
    wait_until(lambda: qid not in queued(queue), "the message removed")
    msgs = wait_until(lambda: [m for m in pf.mailbox("hamburger.test/bob")
                               if m["Subject"] == "down then back"],
                      "delivery into bob's mailbox", timeout=20)
    body = msgs[0].get_payload()
    # dot-stuffing undone by Postfix: the lines are as queued
    assert ".leading dot\n" in body and "..two\n" in body, body
    # the first MX by preference was used, over STARTTLS
    log = open(os.path.join(pf.d, "maillog")).read()
    assert "ehlo=2 starttls=1 mail=1 rcpt=1 data=1 quit=1" in log, \
        log[-2000:]


def test_550_bounces_a_dsn_to_the_sender(world):
    dns, pf, relay, queue = world
    if not pf.running:
        pf.start()
    qid = put(queue, "alice@crepes.test",
              ["nobody-here@hamburger.test", "bob@hamburger.test"],
              MSG % b"half bounced")
    relay.wait_line(qid + r".*to=<nobody-here@hamburger.test>.*"
                    r"status=bounced.*550", timeout=30)
    relay.wait_line(qid + r".*to=<bob@hamburger.test>.*status=sent")
    # The DSN is queued with the null sender and relayed to crepes.test.
    dsns = wait_until(
        lambda: [m for m in pf.mailbox("crepes.test/alice")
                 if m.get_content_type() == "multipart/report"],
        "a DSN in alice's mailbox", timeout=30)
    dsn = dsns[0]
    assert dsn.get_param("report-type") == "delivery-status"
    assert dsn["Return-Path"] == "<>", dsn["Return-Path"]
    parts = dsn.get_payload()
    assert [p.get_content_type() for p in parts] == [
        "text/plain", "message/delivery-status", "message/rfc822"]
    fields = parts[1].get_payload()
    assert fields[0]["Reporting-MTA"] == "dns; relay.test"
    rcpt = fields[1]
    assert rcpt["Final-Recipient"] == "rfc822; nobody-here@hamburger.test"
    assert rcpt["Action"] == "failed"
    assert rcpt["Status"].startswith("5.1."), rcpt["Status"]
    assert "550" in rcpt["Diagnostic-Code"]
    assert parts[2].get_payload()[0]["Subject"] == "half bounced"
    # bob got his copy once
    got = [m for m in pf.mailbox("hamburger.test/bob")
           if m["Subject"] == "half bounced"]
    assert len(got) == 1
    wait_until(lambda: not queued(queue), "the queue empty")


def test_null_mx_and_bounce_of_a_bounce(world):
    dns, pf, relay, queue = world
    # A null sender that fails: no DSN (a bounce never bounces).
    qid = put(queue, "<>", ["x@nullmx.test"], MSG % b"null mx")
    relay.wait_line(qid + r".*status=bounced.*null MX")
    relay.wait_line(qid + r".*a bounce failed; no DSN")
    wait_until(lambda: qid not in queued(queue), "the bounce removed")


def test_mailq_delete(world):
    dns, pf, relay, queue = world
    pf.stop()
    qid = put(queue, "<>", ["bob@hamburger.test"], MSG % b"deleted")
    relay.wait_line(qid + r".*status=deferred")
    wait_until(lambda: "deferred" in mailq(queue)[1], "the deferral saved")
    rc, _, err = mailq(queue, "delete", qid)
    assert rc == 0, err
    rc, out, _ = mailq(queue)
    assert qid not in out
    rc, _, err = mailq(queue, "delete", qid)
    assert rc == 1 and "no such message" in err
