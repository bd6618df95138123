"""The SMTP server's limits: greet-pause and the early talker, max-errors,
idle-timeout, max-sessions-per-address, AUTH failures (slowed after 3,
421 after 10), relay-allow, max-recipients. One server for the module;
every session there waits out the greet-pause."""
import base64
import smtplib
import socket

import pytest

from conftest import SLOW
from smtp_testlib import USERS, Raw, finish, start_smtp


@pytest.fixture(scope="module")
def smtp(tmp_path_factory):
    s = start_smtp(tmp_path_factory.mktemp("smtplim"), extra=(
        "greet-pause = 300ms\nmax-errors = 3\nidle-timeout = 2s\n"
        "max-sessions-per-address = 3\nmax-recipients = 2\n"
        "auth-without-tls-on-loopback = on\nrelay-allow = 127.0.0.0/8\n"))
    yield s
    finish(s.srv)


def test_early_talker_554(smtp):
    c = Raw(smtp.mx, greet=False)
    c.send("EHLO hasty.example\r\n")
    code, text = c.reply()
    assert code == 554 and text[0].startswith("5.7.1"), text
    assert c.closed()


def test_patient_client_greeted(smtp):
    s = smtplib.SMTP("127.0.0.1", smtp.mx, timeout=10 * SLOW)
    assert s.noop()[0] == 250
    s.quit()


def test_max_errors_421(smtp):
    c = Raw(smtp.mx)
    assert c.cmd("BOGUS1")[0] == 500
    assert c.cmd("BOGUS2")[0] == 500
    c.send("BOGUS3\r\n")
    assert c.reply()[0] == 500
    code, text = c.reply()
    assert code == 421 and text[0].startswith("4.7.0")
    assert c.closed()


def test_idle_timeout_421(smtp):
    c = Raw(smtp.mx)
    c.s.settimeout(20 * SLOW)
    code, text = c.reply()       # nothing sent: the server gives up
    assert code == 421 and text[0].startswith("4.4.2"), text
    assert c.closed()


def test_max_sessions_per_address(smtp):
    held = [Raw(smtp.mx) for _ in range(3)]
    extra = Raw(smtp.mx, greet=False)
    code, text = extra.reply()
    assert code == 421 and text[0].startswith("4.7.0"), text
    assert extra.closed()
    for c in held:
        c.cmd("QUIT")
        c.close()


def test_relay_allow_and_max_recipients(smtp):
    c = Raw(smtp.mx)
    c.cmd("EHLO trusted.example")
    c.cmd("MAIL FROM:<x@crepes.fr>")
    assert c.cmd("RCPT TO:<bob@hamburger.edu>")[0] == 250
    assert c.cmd("RCPT TO:<bob@crepes.fr>")[0] == 250
    code, text = c.cmd("RCPT TO:<alice@crepes.fr>")
    assert code == 452 and text[0].startswith("4.5.3")
    # routed forms stay refused even for a trusted client
    c.cmd("RSET")
    c.cmd("MAIL FROM:<x@crepes.fr>")
    assert c.cmd("RCPT TO:<bob%hamburger.edu@crepes.fr>")[0] == 554
    c.cmd("QUIT")


def test_auth_failures_slowed_then_421(smtp):
    s = Raw(smtp.sub)
    s.cmd("EHLO brute.example")
    bad = base64.b64encode(b"\0alice@crepes.fr\0guess").decode()
    for i in range(9):
        code, text = s.cmd("AUTH PLAIN " + bad)
        assert code == 535 and text[0].startswith("5.7.8"), (i, text)
    code, text = s.cmd("AUTH PLAIN " + bad)
    assert code == 421 and text[0].startswith("4.7.0"), text
    assert s.closed()
    # a new session with the right password still works
    ok = smtplib.SMTP("127.0.0.1", smtp.sub, timeout=10 * SLOW)
    ok.login("alice@crepes.fr", USERS["alice@crepes.fr"])
    ok.quit()
