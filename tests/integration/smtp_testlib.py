"""What the SMTP test files share: a users file made by `camada passwd`, a
camada serving [smtp] on ephemeral ports (one per module), a raw SMTP
client that reads whole replies, and the Maildir's messages."""
import os
import socket
import subprocess
from types import SimpleNamespace

from conftest import ASAN, BIN, SLOW, Camada

USERS = {"alice@crepes.fr": "alice-secret", "bob@crepes.fr": "bob-secret"}


def make_users(d, users=USERS):
    lines = []
    for addr, pw in users.items():
        r = subprocess.run([BIN, "passwd", addr], input=(pw + "\n").encode(),
                           capture_output=True, check=True, timeout=60)
        lines.append(r.stdout.decode().strip())
    p = os.path.join(str(d), "users")
    with open(p, "w") as f:
        f.write("\n".join(lines) + "\n")
    return p


def start_smtp(d, extra="", domains="crepes.fr", aliases=None, users=USERS,
               workers=1):
    """camada serve with one [smtp] (listen and submission on port 0) whose
    mail store lives in d. Returns srv, mx and sub ports, the maildir root."""
    d = str(d)
    make_users(d, users)
    with open(os.path.join(d, "aliases"), "w") as f:
        f.write(aliases if aliases is not None else
                "postmaster: alice\nteam: alice, bob\nroot: postmaster\n")
    conf = os.path.join(d, "camada.conf")
    with open(conf, "w") as f:
        f.write("workers = %d\n[smtp]\nlisten = 127.0.0.1:0\n"
                "submission = 127.0.0.1:0\nhostname = mx.crepes.fr\n"
                "domains = %s\nusers = users\naliases = aliases\n"
                "maildir = mail/%%d/%%n\nqueue = spool\n%s"
                % (workers, domains, extra))
    srv = Camada(["serve", "-c", conf])
    try:
        srv.wait_listening(2)
    except Exception:
        srv.kill()
        raise
    ports = [p for _s, _h, p, _pr in srv.listeners]
    return SimpleNamespace(srv=srv, mx=ports[0], sub=ports[1], dir=d,
                           mail=os.path.join(d, "mail"))


def finish(srv):
    """SIGTERM (so the sanitizers' leak check runs), then their verdict."""
    rc = srv.stop()
    assert rc == 0, srv.output()[-2000:]
    if ASAN:
        out = srv.output()
        assert "ERROR: AddressSanitizer" not in out, out
        assert "ERROR: LeakSanitizer" not in out, out
        assert "runtime error:" not in out, out


class Raw:
    """A bare socket speaking SMTP: send bytes, read whole replies."""

    def __init__(self, port, greet=True, sock=None):
        self.s = sock or socket.create_connection(("127.0.0.1", port),
                                                  timeout=10 * SLOW)
        self.buf = b""
        if greet:
            code, _ = self.reply()
            assert code == 220

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.s.sendall(data)

    def line(self):
        while b"\r\n" not in self.buf:
            chunk = self.s.recv(65536)
            if not chunk:
                raise EOFError("closed; unread: %r" % self.buf)
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line.decode("utf-8", "replace")

    def reply(self):
        """(code, [text of each line])"""
        texts = []
        while True:
            ln = self.line()
            texts.append(ln[4:])
            if ln[3:4] != "-":
                return int(ln[:3]), texts

    def cmd(self, text):
        self.send(text + "\r\n")
        return self.reply()

    def closed(self):
        """True when the server closed its side (after what it sent)."""
        try:
            while True:
                chunk = self.s.recv(65536)
                if not chunk:
                    return True
                self.buf += chunk
        except (ConnectionResetError, socket.timeout):
            return False

    def close(self):
        self.s.close()


def messages(root, addr):
    """The files in addr's new/ folder: [(name, bytes)] sorted by name."""
    local, domain = addr.split("@")
    new = os.path.join(root, domain, local, "new")
    if not os.path.isdir(new):
        return []
    out = []
    for n in sorted(os.listdir(new)):
        with open(os.path.join(new, n), "rb") as f:
            out.append((n, f.read()))
    return out


def count(root, addr):
    return len(messages(root, addr))
