"""The SMTP server on its MX port: the textbook dialogue over a raw socket,
EHLO, pipelining, several messages per session, Maildir delivery, aliases,
unknown users, open-relay attempts, SIZE, long lines, the SMTP smuggling
shapes, BDAT, 8BITMIME and SMTPUTF8, with Python's smtplib and swaks. One
server for the module."""
import smtplib
import subprocess
import uuid

import pytest

from conftest import SLOW, wait_until
from smtp_testlib import Raw, count, finish, messages, start_smtp


@pytest.fixture(scope="module")
def smtp(tmp_path_factory):
    s = start_smtp(tmp_path_factory.mktemp("smtp"),
                   extra="max-message-size = 64k\n")
    yield s
    finish(s.srv)


def find(smtp, addr, marker):
    """The one message in addr's Maildir holding marker."""
    got = [(n, b) for n, b in messages(smtp.mail, addr) if marker in b]
    assert len(got) == 1, (addr, marker, len(got))
    return got[0]


def mark():
    return uuid.uuid4().hex.encode()


def test_textbook_dialogue(smtp):
    # Kurose and Ross, 2.3.1: typed by hand, HELO and all
    m = mark()
    c = Raw(smtp.mx)
    assert c.cmd("HELO crepes.fr")[0] == 250
    assert c.cmd("MAIL FROM: <alice@crepes.fr>")[0] == 250
    assert c.cmd("RCPT TO: <bob@crepes.fr>")[0] == 250
    code, text = c.cmd("DATA")
    assert code == 354
    c.send(b"Do you like ketchup?\r\nHow about pickles?\r\n" + m + b"\r\n.\r\n")
    code, text = c.reply()
    assert code == 250 and text[0].startswith("2.0.0")
    assert c.cmd("QUIT")[0] == 221
    assert c.closed()
    name, body = find(smtp, "bob@crepes.fr", m)
    assert body.startswith(b"Return-Path: <alice@crepes.fr>\nDelivered-To: "
                           b"bob@crepes.fr\nReceived: from crepes.fr ")
    assert b"Do you like ketchup?\nHow about pickles?\n" in body
    assert ",S=%d" % len(body) in name


def test_ehlo_lists_the_extensions(smtp):
    s = smtplib.SMTP("127.0.0.1", smtp.mx, timeout=10 * SLOW)
    code, _ = s.ehlo("client.example")
    assert code == 250
    for ext in ("size", "8bitmime", "pipelining", "enhancedstatuscodes",
                "smtputf8", "chunking", "dsn"):
        assert s.has_extn(ext), ext
    assert s.esmtp_features["size"] == str(64 * 1024)
    # no certificate configured, not the submission port
    assert not s.has_extn("starttls") and not s.has_extn("auth")
    s.quit()


def test_replies_carry_enhanced_codes(smtp):
    c = Raw(smtp.mx)
    for cmd, code, status in (("NOOP", 250, "2.0.0"), ("MAIL FROM:<a@b.c>", 503, "5.5.1"),
                              ("BOGUS", 500, "5.5.1"), ("EHLO x", 250, None),
                              ("RCPT TO:<bob@crepes.fr>", 503, "5.5.1"),
                              ("VRFY bob", 252, "2.5.2"), ("HELP", 214, "2.0.0"),
                              ("RSET", 250, "2.0.0"), ("DATA", 503, "5.5.1")):
        got, text = c.cmd(cmd)
        assert got == code, (cmd, text)
        if status:
            assert text[-1].startswith(status + " "), (cmd, text)
    c.cmd("QUIT")


def test_several_messages_per_session(smtp):
    marks = [mark() for _ in range(5)]
    s = smtplib.SMTP("127.0.0.1", smtp.mx, timeout=10 * SLOW)
    for i, m in enumerate(marks):
        s.sendmail("x@other.org", ["alice@crepes.fr"],
                   b"Subject: %d\r\n\r\n" % i + m + b"\r\n")
    s.quit()
    for m in marks:
        find(smtp, "alice@crepes.fr", m)


def test_pipelined_transactions_answered_in_order(smtp):
    m1, m2 = mark(), mark()
    c = Raw(smtp.mx)
    c.cmd("EHLO pipe.example")
    c.send(b"MAIL FROM:<x@other.org>\r\nRCPT TO:<alice@crepes.fr>\r\n"
           b"RCPT TO:<nobody@crepes.fr>\r\nRCPT TO:<bob@crepes.fr>\r\nDATA\r\n")
    assert [c.reply()[0] for _ in range(5)] == [250, 250, 550, 250, 354]
    # the body, the next whole transaction and QUIT in one write
    c.send(m1 + b"\r\n.\r\nMAIL FROM:<y@other.org>\r\nRCPT TO:<bob@crepes.fr>\r\n"
           b"DATA\r\n" + m2 + b"\r\n.\r\nQUIT\r\n")
    assert [c.reply()[0] for _ in range(6)] == [250, 250, 250, 354, 250, 221]
    assert c.closed()
    find(smtp, "alice@crepes.fr", m1)
    find(smtp, "bob@crepes.fr", m1)
    find(smtp, "bob@crepes.fr", m2)


def test_aliases_expand_at_rcpt(smtp):
    m = mark()
    s = smtplib.SMTP("127.0.0.1", smtp.mx, timeout=10 * SLOW)
    # team reaches both; root -> postmaster -> alice; alice+tag is alice;
    # alice twice is delivered once
    s.sendmail("x@other.org", ["team@crepes.fr", "Root@Crepes.FR",
                               "alice+news@crepes.fr"], b"\r\n" + m + b"\r\n")
    s.quit()
    _n, body = find(smtp, "alice@crepes.fr", m)
    assert b"Delivered-To: alice@crepes.fr\n" in body
    find(smtp, "bob@crepes.fr", m)


def test_unknown_user_550_at_rcpt(smtp):
    c = Raw(smtp.mx)
    c.cmd("EHLO x")
    c.cmd("MAIL FROM:<x@other.org>")
    code, text = c.cmd("RCPT TO:<nobody@crepes.fr>")
    assert code == 550 and text[0].startswith("5.1.1")
    assert c.cmd("DATA")[0] == 503
    c.cmd("QUIT")


@pytest.mark.parametrize("rcpt", [
    "<bob@hamburger.edu>",                 # a foreign domain
    "<bob%hamburger.edu@crepes.fr>",       # the percent hack
    '<"bob@hamburger.edu"@crepes.fr>',     # a quoted @
    "<@crepes.fr:bob@hamburger.edu>",      # a source route
    "<@crepes.fr:bob@crepes.fr>",          # a source route to here
    "<hamburger.edu!bob@crepes.fr>",       # a bang path
    "<bob@[127.0.0.1]>",                   # a literal not listed as local
])
def test_open_relay_refused(smtp, rcpt):
    c = Raw(smtp.mx)
    c.cmd("EHLO relay.example")
    assert c.cmd("MAIL FROM:<spammer@other.org>")[0] == 250
    code, text = c.cmd("RCPT TO:" + rcpt)
    assert code in (550, 553, 554, 501), (rcpt, code, text)
    assert code == 501 or "5.7.1" in text[0] or "5.1." in text[0], text
    assert c.cmd("DATA")[0] == 503
    c.cmd("QUIT")


def test_size_refused(smtp):
    s = smtplib.SMTP("127.0.0.1", smtp.mx, timeout=10 * SLOW)
    s.ehlo("x")
    # announced: refused at MAIL
    code, text = s.mail("x@other.org", ["SIZE=%d" % (65 * 1024)])
    assert code == 552 and text.startswith(b"5.3.4")
    s.quit()
    # not announced (smtplib always announces): refused after the end of
    # data, the session in step
    c = Raw(smtp.mx)
    c.cmd("EHLO x")
    c.cmd("MAIL FROM:<x@other.org>")
    c.cmd("RCPT TO:<bob@crepes.fr>")
    assert c.cmd("DATA")[0] == 354
    c.send(b"\r\n" + (b"x" * 70 + b"\r\n") * 1000 + b".\r\n")
    code, text = c.reply()
    assert code == 552 and text[0].startswith("5.3.4")
    assert c.cmd("NOOP")[0] == 250
    c.cmd("QUIT")


def test_command_line_over_512_octets(smtp):
    c = Raw(smtp.mx)
    c.cmd("EHLO x")
    code, text = c.cmd("MAIL FROM:<" + "a" * 600 + "@other.org>")
    assert code == 500 and text[0].startswith("5.5.2")
    # the session is in step
    assert c.cmd("NOOP")[0] == 250
    c.cmd("QUIT")


def test_bare_lf_command_refused(smtp):
    c = Raw(smtp.mx)
    c.send(b"EHLO x\n")
    code, text = c.reply()
    assert code == 500 and text[0].startswith("5.5.2")
    assert c.cmd("NOOP")[0] == 250
    c.cmd("QUIT")


def test_text_line_over_1000_octets_refused(smtp):
    m = mark()
    c = Raw(smtp.mx)
    c.cmd("EHLO x")
    c.cmd("MAIL FROM:<x@other.org>")
    c.cmd("RCPT TO:<bob@crepes.fr>")
    assert c.cmd("DATA")[0] == 354
    c.send(m + b"\r\n" + b"y" * 1001 + b"\r\n.\r\n")
    code, _ = c.reply()
    assert code == 550
    assert c.cmd("NOOP")[0] == 250
    c.cmd("QUIT")
    assert not [b for _n, b in messages(smtp.mail, "bob@crepes.fr") if m in b]


@pytest.mark.parametrize("shape", [b"\n.\n", b"\n.\r\n", b"\r\n.\n", b"\r.\r\n"])
def test_smuggling_shapes_never_end_data(smtp, shape):
    m = mark()
    c = Raw(smtp.mx)
    c.cmd("EHLO x")
    c.cmd("MAIL FROM:<x@other.org>")
    c.cmd("RCPT TO:<bob@crepes.fr>")
    assert c.cmd("DATA")[0] == 354
    # a smuggled second message after the fake end
    c.send(b"Subject: one\r\n\r\n" + m + shape +
           b"MAIL FROM:<evil@other.org>\r\nRCPT TO:<alice@crepes.fr>\r\n"
           b"DATA\r\nSubject: smuggled\r\n\r\n" + m + b"\r\n.\r\n")
    code, text = c.reply()
    # the whole thing is one message, refused for its bare CR or LF
    assert code == 550 and text[0].startswith("5.6.11"), text
    assert c.cmd("NOOP")[0] == 250
    c.cmd("QUIT")
    assert c.closed()
    for who in ("bob@crepes.fr", "alice@crepes.fr"):
        assert not [b for _n, b in messages(smtp.mail, who) if m in b]


def test_bdat(smtp):
    m = mark()
    c = Raw(smtp.mx)
    c.cmd("EHLO x")
    c.cmd("MAIL FROM:<x@other.org> BODY=8BITMIME")
    c.cmd("RCPT TO:<bob@crepes.fr>")
    part1 = b"Subject: chunks\r\n\r\n.a line with a dot\r\n"
    part2 = m + b"\r\n.\r\nNOOP\r\n"   # a dot line is data in BDAT
    c.send(b"BDAT %d\r\n" % len(part1) + part1)
    code, text = c.reply()
    assert code == 250 and text[0].startswith("2.0.0")
    c.send(b"BDAT %d LAST\r\n" % len(part2) + part2 + b"NOOP\r\n")
    assert c.reply()[0] == 250
    assert c.reply()[0] == 250   # the NOOP after the chunk
    c.cmd("QUIT")
    _n, body = find(smtp, "bob@crepes.fr", m)
    assert b"\n.a line with a dot\n" + m + b"\n.\nNOOP\n" in body


def test_bdat_out_of_place_is_read_and_dropped(smtp):
    c = Raw(smtp.mx)
    c.cmd("EHLO x")
    # no transaction: the chunk's bytes are never read as commands
    chunk = b"MAIL FROM:<evil@other.org>\r\n"
    c.send(b"BDAT %d\r\n" % len(chunk) + chunk + b"NOOP\r\n")
    code, text = c.reply()
    assert code == 503 and text[0].startswith("5.5.1")
    assert c.reply() == (250, ["2.0.0 Ok"])
    c.cmd("MAIL FROM:<x@other.org>")
    c.send(b"BDAT 4 LAST\r\nRSET")            # MAIL state: dropped too
    assert c.reply()[0] == 503
    assert c.cmd("RCPT TO:<bob@crepes.fr>")[0] == 250
    c.cmd("QUIT")


def test_bdat_then_data_refused(smtp):
    c = Raw(smtp.mx)
    c.cmd("EHLO x")
    c.cmd("MAIL FROM:<x@other.org>")
    c.cmd("RCPT TO:<bob@crepes.fr>")
    c.send(b"BDAT 3\r\nabc")
    assert c.reply()[0] == 250
    assert c.cmd("DATA")[0] == 503     # no DATA once BDAT began
    c.send(b"BDAT 0 LAST\r\n")
    assert c.reply()[0] == 250
    c.cmd("QUIT")


def test_8bitmime_and_smtputf8(smtp):
    m = mark()
    s = smtplib.SMTP("127.0.0.1", smtp.mx, timeout=10 * SLOW)
    s.ehlo("x")
    body = "Subject: crêpes\r\n\r\nÇa va?\r\n".encode() + m + b"\r\n"
    s.sendmail("jérôme@exemple.fr", ["bob@crepes.fr"], body,
               mail_options=["BODY=8BITMIME", "SMTPUTF8"])
    # UTF-8 in a path without SMTPUTF8 is refused
    code, text = s.mail("jérôme@exemple.fr".encode().decode("latin-1"))
    assert code == 553 and text.startswith(b"5.6.7"), (code, text)
    s.quit()
    _n, got = find(smtp, "bob@crepes.fr", m)
    assert "Return-Path: <jérôme@exemple.fr>".encode() in got
    assert "Ça va?".encode() in got
    assert b"with UTF8SMTP id" in got


def test_swaks(smtp):
    m = mark().decode()
    r = subprocess.run(["swaks", "--server", "127.0.0.1", "--port",
                        str(smtp.mx), "--from", "carol@other.org", "--to",
                        "alice@crepes.fr", "--helo", "swaks.example",
                        "--header", "Subject: " + m, "--pipeline"],
                       capture_output=True, timeout=30 * SLOW)
    assert r.returncode == 0, r.stdout.decode() + r.stderr.decode()
    _n, body = find(smtp, "alice@crepes.fr", m.encode())
    assert b"Received: from swaks.example ([127.0.0.1])" in body


def test_swaks_unknown_user(smtp):
    r = subprocess.run(["swaks", "--server", "127.0.0.1", "--port",
                        str(smtp.mx), "--from", "carol@other.org", "--to",
                        "nobody@crepes.fr"], capture_output=True,
                       timeout=30 * SLOW)
    assert r.returncode != 0
    assert b"550 5.1.1" in r.stdout


def test_one_log_line_per_message(smtp):
    m = mark()
    s = smtplib.SMTP("127.0.0.1", smtp.mx, timeout=10 * SLOW)
    s.ehlo("x")
    s.mail("logged@other.org")
    s.rcpt("bob@crepes.fr")
    code, text = s.data(b"\r\n" + m + b"\r\n")
    s.quit()
    assert code == 250
    qid = text.decode().split()[-1]
    wait_until(lambda: any("id=%s" % qid in ln and "accepted" in ln
                           for ln in smtp.srv.lines), "the log line")
    wait_until(lambda: any("id=%s to=<bob@crepes.fr> delivered" % qid in ln
                           for ln in smtp.srv.lines), "the delivery's line")
