"""STARTTLS (RFC 3207) and AUTH PLAIN/LOGIN on the submission port (RFC
6409, 4954): smtplib and swaks with the test CA, the plaintext injection
test, AUTH refused without TLS, Message-ID and Date added on submission.
One server for the module."""
import smtplib
import socket
import ssl
import subprocess
import uuid

import pytest

from conftest import SLOW
from smtp_testlib import USERS, Raw, finish, messages, start_smtp
from tls_testlib import make_ca, make_cert


@pytest.fixture(scope="module")
def smtp(tmp_path_factory):
    d = tmp_path_factory.mktemp("smtptls")
    ca = make_ca(d / "ca")
    cert, key = make_cert(ca, d / "leaf", ["localhost", "127.0.0.1"])
    s = start_smtp(d, extra="tls-cert = %s\ntls-key = %s\n" % (cert, key))
    s.ca = ca.pem
    yield s
    finish(s.srv)


def ctx(smtp):
    return ssl.create_default_context(cafile=smtp.ca)


def mark():
    return uuid.uuid4().hex.encode()


def find(smtp, addr, m):
    got = [b for _n, b in messages(smtp.mail, addr) if m in b]
    assert len(got) == 1
    return got[0]


def test_starttls_with_smtplib(smtp):
    m = mark()
    s = smtplib.SMTP("127.0.0.1", smtp.mx, timeout=10 * SLOW)
    s.ehlo("tls.example")
    assert s.has_extn("starttls")
    code, _ = s.starttls(context=ctx(smtp))
    assert code == 220
    s.ehlo("tls.example")
    assert not s.has_extn("starttls")     # once is enough
    assert s.sock.version() in ("TLSv1.2", "TLSv1.3")
    s.sendmail("x@other.org", ["bob@crepes.fr"], b"\r\n" + m + b"\r\n")
    s.quit()
    assert b" with ESMTPS id " in find(smtp, "bob@crepes.fr", m)


def test_starttls_injection_not_answered(smtp):
    # CVE-2011-0411: what follows STARTTLS in the same packet is dropped
    c = Raw(smtp.mx)
    c.cmd("EHLO inject.example")
    c.send(b"STARTTLS\r\nNOOP\r\nMAIL FROM:<evil@other.org>\r\n")
    code, _ = c.reply()
    assert code == 220
    assert c.buf == b""
    tls = ctx(smtp).wrap_socket(c.s, server_hostname="localhost")
    t = Raw(None, greet=False, sock=tls)
    # a fresh session: no greeting again, HELO state forgotten, and the
    # first answer is the EHLO's, not the injected NOOP's or MAIL's
    code, text = t.cmd("MAIL FROM:<a@other.org>")
    assert code == 503, text
    code, text = t.cmd("EHLO inject.example")
    assert code == 250 and text[0].startswith("mx.crepes.fr"), text
    assert t.cmd("STARTTLS")[0] == 503
    t.cmd("QUIT")


def test_submission_needs_tls_for_auth(smtp):
    s = smtplib.SMTP("127.0.0.1", smtp.sub, timeout=10 * SLOW)
    s.ehlo("me")
    assert not s.has_extn("auth")
    code, text = s.docmd("AUTH", "PLAIN AGFsaWNlQGNyZXBlcy5mcgB4")
    assert code == 538 and text.startswith(b"5.7.11")
    code, text = s.mail("alice@crepes.fr")
    assert code == 530
    s.quit()


def test_mx_port_has_no_auth(smtp):
    s = smtplib.SMTP("127.0.0.1", smtp.mx, timeout=10 * SLOW)
    s.ehlo("me")
    s.starttls(context=ctx(smtp))
    s.ehlo("me")
    assert not s.has_extn("auth")
    s.quit()


@pytest.mark.parametrize("mech", ["PLAIN", "LOGIN"])
def test_auth_and_submit(smtp, mech):
    m = mark()
    s = smtplib.SMTP("127.0.0.1", smtp.sub, timeout=10 * SLOW)
    s.ehlo("laptop")
    s.starttls(context=ctx(smtp))
    s.ehlo("laptop")
    assert s.esmtp_features["auth"].split() == ["PLAIN", "LOGIN"]
    s.user, s.password = "alice@crepes.fr", USERS["alice@crepes.fr"]
    auth = s.auth_plain if mech == "PLAIN" else s.auth_login
    code, text = s.auth(mech, auth, initial_response_ok=(mech == "PLAIN"))
    assert code == 235 and text.startswith(b"2.7.0")
    # a foreign recipient is fine once authenticated (the queue takes it)
    assert s.rcpt("nobody@hamburger.edu")[0] == 503   # no MAIL yet
    s.mail("alice@crepes.fr")
    assert s.rcpt("bob@hamburger.edu")[0] == 250
    s.rset()
    s.sendmail("alice@crepes.fr", ["bob@crepes.fr"],
               b"Subject: submitted\r\n\r\n" + m + b"\r\n")
    s.quit()
    body = find(smtp, "bob@crepes.fr", m)
    assert b" with ESMTPSA id " in body
    head = body.split(b"\n\n", 1)[0]
    assert b"\nDate: " in head and b"\nMessage-ID: <" in head


def test_submission_keeps_its_own_headers(smtp):
    m = mark()
    s = smtplib.SMTP("127.0.0.1", smtp.sub, timeout=10 * SLOW)
    s.starttls(context=ctx(smtp))
    s.login("bob@crepes.fr", USERS["bob@crepes.fr"])
    s.sendmail("bob@crepes.fr", ["alice@crepes.fr"],
               b"Message-ID: <mine@laptop>\r\nDate: Mon, 1 Jan 2024 "
               b"00:00:00 +0000\r\n\r\n" + m + b"\r\n")
    s.quit()
    head = find(smtp, "alice@crepes.fr", m).split(b"\n\n", 1)[0]
    assert head.count(b"Message-ID:") == 1 and b"<mine@laptop>" in head
    assert head.count(b"\nDate:") == 1


def test_wrong_password(smtp):
    s = smtplib.SMTP("127.0.0.1", smtp.sub, timeout=10 * SLOW)
    s.starttls(context=ctx(smtp))
    with pytest.raises(smtplib.SMTPAuthenticationError) as e:
        s.login("alice@crepes.fr", "not her password")
    assert e.value.smtp_code == 535
    with pytest.raises(smtplib.SMTPAuthenticationError):
        s.login("mallory@crepes.fr", "whatever")
    # still usable, and the right one works
    s.login("alice@crepes.fr", USERS["alice@crepes.fr"])
    s.quit()


def test_swaks_tls_auth(smtp):
    m = mark().decode()
    r = subprocess.run(["swaks", "--server", "127.0.0.1", "--port",
                        str(smtp.sub), "--tls", "--tls-ca-path", smtp.ca,
                        "--tls-verify", "--tls-sni", "localhost",
                        "--auth", "LOGIN", "--auth-user", "alice@crepes.fr",
                        "--auth-password", USERS["alice@crepes.fr"],
                        "--from", "alice@crepes.fr", "--to", "bob@crepes.fr",
                        "--header", "Subject: " + m],
                       capture_output=True, timeout=30 * SLOW)
    out = r.stdout.decode() + r.stderr.decode()
    if "not supported" in out or "Net::SSLeay" in out:
        pytest.skip("swaks without TLS support: " + out[-200:])
    assert r.returncode == 0, out
    find(smtp, "bob@crepes.fr", m.encode())
