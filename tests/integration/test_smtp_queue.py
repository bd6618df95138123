"""Mail for other domains: the 250 comes once the message is in the queue,
and the relay runner of the SMTP instance (worker 0) delivers it. The
textbook's walk: alice@crepes.fr submits to crepes.fr, which relays to
hamburger.edu (a second camada, reached as smarthost), where it lands in
bob's Maildir; `camada mailq` reads the same queue."""
import os
import smtplib

import pytest

from conftest import SLOW, run, wait_until
from smtp_testlib import finish, messages, start_smtp


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    hd = tmp_path_factory.mktemp("hamburger")
    ham = start_smtp(hd, domains="hamburger.edu", aliases="",
                     users={"bob@hamburger.edu": "bob-secret"})
    cd = tmp_path_factory.mktemp("crepes")
    try:
        cre = start_smtp(cd, extra=(
            "auth-without-tls-on-loopback = on\n"
            "smarthost = 127.0.0.1:%d\nqueue-scan = 100ms\n"
            "retry-min = 1s\n" % ham.mx))
    except Exception:
        finish(ham.srv)
        raise
    yield cre, ham
    finish(cre.srv)
    finish(ham.srv)


def test_submitted_mail_is_queued_then_relayed(world):
    cre, ham = world
    s = smtplib.SMTP("127.0.0.1", cre.sub, timeout=10 * SLOW)
    s.login("alice@crepes.fr", "alice-secret")
    s.mail("alice@crepes.fr")
    assert s.rcpt("bob@hamburger.edu")[0] == 250
    assert s.rcpt("bob@crepes.fr")[0] == 250      # and one local copy
    code, text = s.data(b"Subject: ketchup\r\n\r\nDo you like ketchup?\r\n")
    s.quit()
    assert code == 250 and b"queued as" in text, text
    qid = text.decode().split()[-1]
    wait_until(lambda: any("queued as %s" % qid in ln
                           for ln in cre.srv.lines), "the queue's log line")
    # local: there before the 250
    assert [b for _n, b in messages(cre.mail, "bob@crepes.fr")
            if b"ketchup" in b]
    got = wait_until(lambda: messages(ham.mail, "bob@hamburger.edu"),
                     "the relayed message in bob's Maildir")
    body = got[0][1]
    assert b"Return-Path: <alice@crepes.fr>" in body
    # two Received: lines, one per hop
    assert body.count(b"\nReceived: ") == 2
    assert b"Do you like ketchup?" in body
    # delivered: the queue empties
    conf = os.path.join(cre.dir, "camada.conf")
    wait_until(lambda: b"empty" in run(["mailq", "-c", conf]).stdout,
               "the queue to empty")


def test_relay_refused_without_auth(world):
    cre, _ham = world
    s = smtplib.SMTP("127.0.0.1", cre.mx, timeout=10 * SLOW)
    s.ehlo("x")
    s.mail("alice@crepes.fr")
    assert s.rcpt("bob@hamburger.edu")[0] == 554
    s.quit()
