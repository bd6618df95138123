"""Operations every server shares, seen through the echo server: running out
of file descriptors (EMFILE) without dying, reopening the log on SIGHUP
(log rotation), and exit codes of the server commands."""
import os
import signal
import socket
import subprocess
import time

from conftest import BIN, LISTEN_RE, SLOW, run


def test_emfile_keeps_serving():
    # start through a shell that lowers the limit first
    args = ["sh", "-c", "ulimit -n 40 && exec %s echo-server -l 127.0.0.1:0 "
            "--workers 1" % BIN]
    p = subprocess.Popen(args, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                         start_new_session=True)
    try:
        port = None
        deadline = time.time() + 10 * SLOW
        lines = []
        while port is None and time.time() < deadline:
            line = p.stderr.readline().decode()
            lines.append(line)
            m = LISTEN_RE.search(line)
            if m:
                port = int(m.group(3))
        assert port, lines
        clients = []
        for _ in range(100):
            s = socket.create_connection(("127.0.0.1", port), timeout=5 * SLOW)
            clients.append(s)
        # the first ones are served; the later ones wait in the backlog
        clients[0].sendall(b"first\n")
        assert clients[0].recv(100) == b"FIRST\n"
        # the server says why it is not accepting, and stays up
        deadline = time.time() + 10 * SLOW
        seen = ""
        os.set_blocking(p.stderr.fileno(), False)
        while "Too many open files" not in seen and time.time() < deadline:
            chunk = p.stderr.read()
            if chunk:
                seen += chunk.decode()
            time.sleep(0.05)
        assert "Too many open files" in seen, seen
        # free descriptors: the waiting clients get served in turn
        for s in clients[:90]:
            s.close()
        last = clients[-1]
        last.settimeout(10 * SLOW)
        last.sendall(b"last\n")
        assert last.recv(100) == b"LAST\n"
        assert p.poll() is None
        for s in clients[90:]:
            s.close()
    finally:
        os.killpg(p.pid, signal.SIGKILL)
        p.wait(5)


def test_sighup_reopens_the_log(camada, tmp_path):
    log = tmp_path / "camada.log"
    srv = camada("echo-server", "-l", "127.0.0.1:0", "--workers", "1",
                 "--log", str(log), "--max-line", "4")
    port = srv.port("echo")
    s = socket.create_connection(("127.0.0.1", port), timeout=5 * SLOW)
    s.sendall(b"too long line\n")
    s.recv(100)
    s.close()
    deadline = time.time() + 5 * SLOW
    while b"line over" not in log.read_bytes() and time.time() < deadline:
        time.sleep(0.05)
    assert b"line over" in log.read_bytes()
    os.rename(log, tmp_path / "camada.log.1")
    srv.signal(signal.SIGHUP)
    time.sleep(0.3 * SLOW)
    s = socket.create_connection(("127.0.0.1", port), timeout=5 * SLOW)
    s.sendall(b"again too long\n")
    s.recv(100)
    s.close()
    deadline = time.time() + 5 * SLOW
    while (not log.exists() or b"line over" not in log.read_bytes()) and \
            time.time() < deadline:
        time.sleep(0.05)
    assert log.exists() and b"line over" in log.read_bytes()
    assert (tmp_path / "camada.log.1").read_bytes().count(b"line over") == 1


def test_port_in_use_is_refused(camada):
    """A second server on a port that one already serves must not quietly
    share it (SO_REUSEPORT would let it): it fails at start, exit 1."""
    srv = camada("echo-server", "-l", "127.0.0.1:0", "--udp", "--workers", "2",
                 listeners=2)
    r = run(["echo-server", "-l", "127.0.0.1:%d" % srv.port("echo"),
             "--workers", "1"])
    assert r.returncode == 1, r.stderr
    assert b"Address already in use" in r.stderr
    r = run(["echo-server", "-l", "127.0.0.1:%d" % srv.port("echo"), "--udp",
             "--no-tcp", "--workers", "1"])
    assert r.returncode == 1, r.stderr
    assert b"Address already in use" in r.stderr
