"""[smtp] and its mail store keys: `camada check` reads the users and
aliases files, names a bad line, and two [smtp] sections serve two domains
side by side (the demo's crepes.fr and hamburger.edu)."""
import os
import smtplib

from conftest import SLOW, Camada, run
from smtp_testlib import finish, make_users, messages


def write(d, name, text):
    p = os.path.join(str(d), name)
    with open(p, "w") as f:
        f.write(text)
    return p


def conf(d, body):
    return write(d, "camada.conf", "workers = 1\n" + body)


def test_check_lists_both_ports(tmp_path):
    make_users(tmp_path)
    c = conf(tmp_path, "[smtp]\nlisten = 127.0.0.1:2600\n"
             "submission = 127.0.0.1:2601\ndomains = crepes.fr\n"
             "users = users\n")
    r = run(["check", "-c", c])
    assert r.returncode == 0, r.stderr
    assert b"smtp 127.0.0.1:2600 submission:127.0.0.1:2601" in r.stdout


def test_check_bad_users_file(tmp_path):
    write(tmp_path, "users", "alice@crepes.fr:{PLAIN}secret\n")
    c = conf(tmp_path, "[smtp]\ndomains = crepes.fr\nusers = users\n")
    r = run(["check", "-c", c])
    assert r.returncode == 2
    assert b"users:1:" in r.stderr, r.stderr


def test_check_bad_alias(tmp_path):
    make_users(tmp_path)
    write(tmp_path, "aliases", "postmaster: alice\nteam: alice, nobody\n")
    c = conf(tmp_path, "[smtp]\ndomains = crepes.fr\nusers = users\n"
             "aliases = aliases\n")
    r = run(["check", "-c", c])
    assert r.returncode == 2
    assert b"aliases:2:" in r.stderr, r.stderr


def test_check_no_users(tmp_path):
    c = conf(tmp_path, "[smtp]\ndomains = crepes.fr\n")
    r = run(["check", "-c", c])
    assert r.returncode == 2 and b"users" in r.stderr


def test_two_instances_two_domains(tmp_path):
    for dom in ("crepes", "hamburger"):
        os.mkdir(tmp_path / dom)
    make_users(tmp_path / "crepes", {"alice@crepes.fr": "a"})
    make_users(tmp_path / "hamburger", {"bob@hamburger.edu": "b"})
    c = conf(tmp_path,
             "[smtp]\nlisten = 127.0.0.1:0\nsubmission = 127.0.0.1:0\n"
             "hostname = mx.crepes.fr\ndomains = crepes.fr\n"
             "users = crepes/users\nmaildir = crepes/mail/%d/%n\n"
             "queue = crepes/spool\n"
             "[smtp]\nlisten = 127.0.0.1:0\nsubmission = 127.0.0.1:0\n"
             "hostname = mx.hamburger.edu\ndomains = hamburger.edu\n"
             "users = hamburger/users\nmaildir = hamburger/mail/%n\n"
             "queue = hamburger/spool\n")
    srv = Camada(["serve", "-c", c])
    try:
        srv.wait_listening(4)
        ports = [p for _s, _h, p, _pr in srv.listeners]
        crepes, hamburger = ports[0], ports[2]
        s = smtplib.SMTP("127.0.0.1", hamburger, timeout=10 * SLOW)
        assert s.ehlo()[1].startswith(b"mx.hamburger.edu")
        s.sendmail("alice@crepes.fr", ["bob@hamburger.edu"], b"\r\nhi bob\r\n")
        # crepes.fr is not local here, and the client may not relay
        code, _ = s.mail("alice@crepes.fr")
        assert s.rcpt("alice@crepes.fr")[0] == 554
        s.quit()
        s = smtplib.SMTP("127.0.0.1", crepes, timeout=10 * SLOW)
        s.sendmail("bob@hamburger.edu", ["alice@crepes.fr"], b"\r\nhi alice\r\n")
        s.quit()
        bob = os.listdir(tmp_path / "hamburger" / "mail" / "bob" / "new")
        assert len(bob) == 1
        got = messages(str(tmp_path / "crepes" / "mail"), "alice@crepes.fr")
        assert len(got) == 1 and b"hi alice" in got[0][1]
    finally:
        finish(srv)


def test_camada_smtp_command(tmp_path):
    users = make_users(tmp_path, {"alice@crepes.fr": "a"})
    srv = Camada(["smtp", "-l", "127.0.0.1:0", "--submission",
                  "127.0.0.1:0", "--domains", "crepes.fr", "--users", users,
                  "--maildir", str(tmp_path / "mail" / "%n"),
                  "--queue", str(tmp_path / "spool"),
                  "--hostname", "cli.example", "--workers", "1"])
    try:
        srv.wait_listening(2)
        s = smtplib.SMTP("127.0.0.1", srv.port("smtp"), timeout=10 * SLOW)
        assert s.ehlo()[1].startswith(b"cli.example")
        s.sendmail("x@other.org", ["alice@crepes.fr"], b"\r\nhi\r\n")
        s.quit()
        assert len(os.listdir(tmp_path / "mail" / "alice" / "new")) == 1
    finally:
        finish(srv)


def test_sighup_reads_the_users_again(tmp_path):
    import signal
    from conftest import wait_until
    make_users(tmp_path, {"alice@crepes.fr": "a"})
    c = conf(tmp_path, "[smtp]\nlisten = 127.0.0.1:0\n"
             "submission = 127.0.0.1:0\ndomains = crepes.fr\n"
             "users = users\nmaildir = mail/%n\nqueue = spool\n")
    srv = Camada(["serve", "-c", c])
    try:
        srv.wait_listening(2)
        port = srv.port("smtp")
        # a transaction open across the reload keeps its recipients
        held = smtplib.SMTP("127.0.0.1", port, timeout=10 * SLOW)
        held.ehlo("held")
        held.mail("x@other.org")
        assert held.rcpt("alice@crepes.fr")[0] == 250

        def carol():
            s = smtplib.SMTP("127.0.0.1", port, timeout=10 * SLOW)
            s.ehlo("carol")
            s.mail("x@other.org")
            code = s.rcpt("carol@crepes.fr")[0]
            s.quit()
            return code
        assert carol() == 550
        make_users(tmp_path, {"alice@crepes.fr": "a", "carol@crepes.fr": "c"})
        srv.signal(signal.SIGHUP)
        wait_until(lambda: carol() == 250, "carol after the reload")
        code, _ = held.data(b"\r\nacross the reload\r\n")
        assert code == 250
        held.quit()
        assert len(os.listdir(tmp_path / "mail" / "alice" / "new")) == 1
    finally:
        finish(srv)


def test_json_log_line_per_message(tmp_path):
    import json
    from conftest import wait_until
    make_users(tmp_path, {"alice@crepes.fr": "a"})
    c = write(tmp_path, "camada.conf", "workers = 1\nlog-format = json\n"
              "[smtp]\nlisten = 127.0.0.1:0\nsubmission = 127.0.0.1:0\n"
              "domains = crepes.fr\nusers = users\nmaildir = mail/%n\n"
              "queue = spool\n")
    srv = Camada(["serve", "-c", c])
    try:
        srv.wait_listening(2)
        s = smtplib.SMTP("127.0.0.1", srv.port("smtp"), timeout=10 * SLOW)
        s.sendmail('"odd \\"q\\""@other.org', ["alice@crepes.fr"],
                   b"\r\nhi\r\n")
        s.quit()

        def line():
            for ln in srv.lines:
                if ln.startswith("{") and '"qid"' in ln:
                    return json.loads(ln)
        o = wait_until(line, "the message's JSON line")
        assert o["from"] == '"odd \\"q\\""@other.org'
        assert o["rcpts"] == 1 and o["local"] == 1 and o["queued"] == 0
        assert o["id"] and o["qid"] == "" and o["size"] > 0
    finally:
        finish(srv)
