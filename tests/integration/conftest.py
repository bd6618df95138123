"""Fixtures shared by the integration tests.

`camada` starts build/camada (or $CAMADA_BIN, e.g. the ASan build) with the
arguments given, waits for each "listening on" line, and kills the process
group at teardown. Tests never use fixed ports: they ask for port 0 and read
the port back from the "listening on" line.
"""
import os
import re
import signal
import socket
import subprocess
import tempfile
import threading
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.environ.get("CAMADA_BIN", os.path.join(ROOT, "build", "camada"))
ASAN = bool(os.environ.get("CAMADA_ASAN"))
# Sanitizer builds are several times slower: give them more time.
SLOW = 4 if ASAN else 1

LISTEN_RE = re.compile(
    r"camada: (\S+) listening on (\[[0-9a-fA-F:.]+\]|[0-9.]+):(\d+) \((tcp|udp)\)")


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: long tests skipped under sanitizers")


class Camada:
    """One running camada process and what it printed."""

    def __init__(self, args, env=None, cwd=None):
        self.args = [BIN] + list(args)
        self.listeners = []      # (system, host, port, proto)
        self.lines = []          # every stderr line so far
        self._cond = threading.Condition()
        full_env = dict(os.environ)
        full_env.update(env or {})
        self.proc = subprocess.Popen(
            self.args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, cwd=cwd or ROOT, env=full_env,
            start_new_session=True)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.stdout = b""

    def _read(self):
        for raw in self.proc.stderr:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            m = LISTEN_RE.search(line)
            with self._cond:
                self.lines.append(line)
                if m:
                    host = m.group(2).strip("[]")
                    self.listeners.append((m.group(1), host, int(m.group(3)), m.group(4)))
                self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()

    def wait_listening(self, count=1, timeout=10):
        deadline = time.time() + timeout * SLOW
        with self._cond:
            while len(self.listeners) < count:
                if self.proc.poll() is not None and not self._reader.is_alive():
                    raise RuntimeError("camada exited (%s):\n%s" % (
                        self.proc.returncode, "\n".join(self.lines)))
                left = deadline - time.time()
                if left <= 0:
                    raise RuntimeError("no 'listening on' line in time:\n" +
                                       "\n".join(self.lines))
                self._cond.wait(left)
        return self

    def port(self, system=None, proto="tcp"):
        for s, _h, p, pr in self.listeners:
            if (system is None or s == system) and pr == proto:
                return p
        raise KeyError((system, proto))

    def wait_line(self, pattern, timeout=10):
        """Waits for a stderr line matching the regex; returns it."""
        rx = re.compile(pattern)
        deadline = time.time() + timeout * SLOW
        with self._cond:
            while True:
                for line in self.lines:
                    if rx.search(line):
                        return line
                left = deadline - time.time()
                if left <= 0 or (self.proc.poll() is not None and not self._reader.is_alive()):
                    raise AssertionError("no line matching %r in:\n%s" % (
                        pattern, "\n".join(self.lines)))
                self._cond.wait(min(left, 0.2))

    def output(self):
        with self._cond:
            return "\n".join(self.lines)

    def children(self):
        try:
            out = subprocess.run(["pgrep", "-P", str(self.proc.pid)],
                                 capture_output=True, text=True).stdout
        except FileNotFoundError:
            return []
        return [int(x) for x in out.split()]

    def signal(self, sig):
        self.proc.send_signal(sig)

    def stop(self, timeout=5):
        """SIGTERM, then wait; returns the exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout * SLOW)
            except subprocess.TimeoutExpired:
                pass
        return self.kill()

    def kill(self):
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait(5)
        else:
            # workers of a dead parent die on their own (PDEATHSIG); make sure
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        self._reader.join(2)
        try:
            self.stdout = self.proc.stdout.read() or b""
        except ValueError:
            pass
        self.proc.stdout.close()
        self.proc.stderr.close()
        return self.proc.returncode


@pytest.fixture
def camada():
    """camada(*args, listeners=1) -> a running Camada, killed at teardown."""
    started = []

    def start(*args, listeners=1, env=None, cwd=None, timeout=10):
        c = Camada(args, env=env, cwd=cwd)
        started.append(c)
        if listeners:
            c.wait_listening(listeners, timeout)
        return c

    yield start
    for c in started:
        c.kill()
        if ASAN:
            out = c.output()
            assert "ERROR: AddressSanitizer" not in out, out
            assert "ERROR: LeakSanitizer" not in out, out
            assert "runtime error:" not in out, out


def wait_until(cond, what, timeout=10):
    """cond()'s first true value, asked every 20 ms; fails after timeout
    seconds (longer under the sanitizers) saying what it waited for."""
    deadline = time.time() + timeout * SLOW
    while True:
        v = cond()
        if v:
            return v
        assert time.time() < deadline, "timed out waiting for " + what
        time.sleep(0.02)


@pytest.fixture
def tmpconf(tmp_path):
    """tmpconf(text) -> path of a config file holding text."""
    def write(text, name="camada.conf"):
        p = tmp_path / name
        p.write_text(text)
        return str(p)
    return write


def run(args, input=None, timeout=20, **kw):
    """Runs build/camada with args; returns CompletedProcess (bytes)."""
    return subprocess.run([BIN] + list(args), input=input, capture_output=True,
                          timeout=timeout * SLOW, **kw)


def camada_get(*args, **kw):
    """Runs `camada get ARGS`; checks that the sanitizers stayed quiet."""
    r = run(["get"] + [str(a) for a in args], **kw)
    err = r.stderr.decode("utf-8", "replace")
    assert "ERROR: AddressSanitizer" not in err, err
    assert "ERROR: LeakSanitizer" not in err, err
    assert "runtime error:" not in err, err
    return r


def free_port(proto=socket.SOCK_STREAM):
    s = socket.socket(socket.AF_INET, proto)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port
