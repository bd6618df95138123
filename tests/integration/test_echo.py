"""The uppercase echo pair over TCP and UDP, driven by camada's own client,
the textbook Python clients, and crowds of concurrent clients."""
import asyncio
import json
import os
import resource
import signal
import socket
import subprocess
import time

import pytest

from conftest import ASAN, SLOW, run

soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 8192)), hard))


def echo_server(camada, *extra, udp=True, workers=2):
    args = ["echo-server", "-l", "127.0.0.1:0", "--workers", str(workers)]
    if udp:
        args.append("--udp")
    return camada(*args, *extra, listeners=2 if udp else 1)


def test_camada_client_tcp_and_udp(camada):
    srv = echo_server(camada)
    port = srv.port("echo", "tcp")
    assert srv.port("echo", "udp") == port
    r = run(["echo", "127.0.0.1", str(port)], input=b"hello world\n")
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"HELLO WORLD\n"
    r = run(["echo", "--udp", "127.0.0.1", str(port)], input=b"hello world\n")
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"HELLO WORLD\n"


def test_textbook_python_clients(camada):
    port = echo_server(camada).port("echo", "tcp")
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(5)
    s.sendto(b"abc", ("127.0.0.1", port))
    data, addr = s.recvfrom(2048)
    assert data == b"ABC" and addr == ("127.0.0.1", port)
    s.close()
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(("127.0.0.1", port))
    s.send(b"abc\n")
    assert s.recv(1024) == b"ABC\n"
    s.close()


def test_client_without_newline_gets_reply(camada):
    """The original textbook TCP client sends the sentence with no newline."""
    port = echo_server(camada, udp=False).port("echo")
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.send(b"no newline here")
    assert s.recv(1024) == b"NO NEWLINE HERE"
    s.close()


def test_many_lines_in_order_and_bye(camada):
    port = echo_server(camada, udp=False).port("echo")
    lines = b"".join(b"line %d of many\r\n" % i for i in range(500))
    r = run(["echo", "127.0.0.1", str(port)], input=lines + b"bye\nnot sent\n")
    assert r.returncode == 0, r.stderr
    assert r.stdout == lines.upper() + b"BYE\n"


def test_ipv6_loopback(camada):
    srv = camada("echo-server", "-l", "[::1]:0", "--udp", listeners=2)
    port = srv.port("echo", "tcp")
    assert ("echo", "::1", port, "tcp") in srv.listeners
    r = run(["echo", "::1", str(port)], input=b"six\n")
    assert r.stdout == b"SIX\n", r.stderr
    r = run(["echo", "--udp", "::1", str(port)], input=b"six\n")
    assert r.stdout == b"SIX\n", r.stderr


async def _tcp_client(port, n_lines, idx):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    got = []
    for i in range(n_lines):
        writer.write(b"client %d line %d\n" % (idx, i))
        if i % 10 == 9:
            await writer.drain()
    await writer.drain()
    for i in range(n_lines):
        got.append(await reader.readline())
    writer.close()
    expect = [b"CLIENT %d LINE %d\n" % (idx, i) for i in range(n_lines)]
    return got == expect


def test_thousand_concurrent_tcp_clients(camada):
    port = echo_server(camada, udp=False).port("echo")
    n = 1000 if not ASAN else 300

    async def main():
        return await asyncio.wait_for(
            asyncio.gather(*[_tcp_client(port, 100, i) for i in range(n)]),
            60 * SLOW)
    results = asyncio.run(main())
    assert sum(results) == n


def test_ten_thousand_udp_datagrams(camada):
    srv = echo_server(camada)
    port = srv.port("echo", "udp")
    socks = []
    for _ in range(100):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setblocking(False)
        socks.append(s)
    answered = 0
    # 100 rounds: each socket sends one datagram per round, then all are read
    # back; a window of 100 in flight never overflows a socket buffer.
    for r in range(100):
        for i, s in enumerate(socks):
            s.sendto(b"sock %d datagram %d" % (i, r), ("127.0.0.1", port))
        deadline = time.time() + 5 * SLOW
        pending = set(range(100))
        while pending and time.time() < deadline:
            for i in list(pending):
                try:
                    data = socks[i].recv(2048)
                except BlockingIOError:
                    continue
                assert data == b"SOCK %d DATAGRAM %d" % (i, r)
                pending.discard(i)
                answered += 1
            if pending:
                time.sleep(0.001)
        assert not pending, "round %d: %d unanswered" % (r, len(pending))
    assert answered == 10000
    for s in socks:
        s.close()


def test_idle_client_closed_others_served(camada):
    port = echo_server(camada, "--idle-timeout", "1s", udp=False).port("echo")
    idle = socket.create_connection(("127.0.0.1", port))
    idle.settimeout(10 * SLOW)
    t0 = time.time()
    busy = socket.create_connection(("127.0.0.1", port), timeout=5)
    for i in range(5):
        busy.send(b"still here\n")
        assert busy.recv(100) == b"STILL HERE\n"
        time.sleep(0.3)
    assert idle.recv(100) == b""  # closed by the server
    waited = time.time() - t0
    assert 0.9 <= waited < 5 * SLOW
    busy.close()
    idle.close()


def test_ten_mib_without_newline(camada):
    srv = echo_server(camada, udp=False)
    port = srv.port("echo")
    flood = socket.create_connection(("127.0.0.1", port), timeout=10 * SLOW)
    other = socket.create_connection(("127.0.0.1", port), timeout=5 * SLOW)
    chunk = b"x" * 65536
    sent = 0
    try:
        while sent < 10 * 1024 * 1024:
            flood.sendall(chunk)
            sent += len(chunk)
    except (BrokenPipeError, ConnectionResetError):
        pass
    # meanwhile the others are served
    other.send(b"ping\n")
    assert other.recv(100) == b"PING\n"
    data = b""
    try:
        while True:
            d = flood.recv(4096)
            if not d:
                break
            data += d
    except ConnectionResetError:
        pass
    assert data.startswith(b"ERROR line too long"), data[:100]
    assert sent < 10 * 1024 * 1024 or data
    srv.wait_line(r"line over \d+ bytes")
    other.close()
    flood.close()


def test_long_udp_datagram_refused(camada):
    port = echo_server(camada, "--max-line", "100").port("echo", "udp")
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(5)
    s.sendto(b"a" * 101, ("127.0.0.1", port))
    assert s.recv(2048).startswith(b"ERROR datagram too long")
    s.sendto(b"a" * 100, ("127.0.0.1", port))
    assert s.recv(2048) == b"A" * 100


@pytest.mark.parametrize("text,line,what", [
    ("[echo]\nlisten = 127.0.0.1:0\nbogus = 1\n", 3, "unknown key 'bogus'"),
    ("[echo]\nlisten = 127.0.0.1:99999\n", 2, "bad port"),
    ("workers = 1\n[echo]\nlisten 127.0.0.1:0\n", 3, "expected 'key = value'"),
    ("[echo]\nmax-line = lots\n", 2, "bad value for 'max-line'"),
    ("[nosuch]\n", 1, "unknown section [nosuch]"),
    ("workers = many\n", 1, "bad value for 'workers'"),
])
def test_config_errors(tmpconf, text, line, what):
    path = tmpconf(text)
    r = run(["serve", "-c", path])
    assert r.returncode == 2
    err = r.stderr.decode().strip().splitlines()
    assert len(err) == 1, err
    assert err[0].startswith("camada: %s:%d: " % (path, line)), err[0]
    assert what in err[0], err[0]


def test_unknown_flag_and_command():
    r = run(["echo-server", "--frobnicate"])
    assert r.returncode == 2
    assert b"unknown flag '--frobnicate'" in r.stderr and b"usage:" in r.stderr
    r = run(["nosuchcommand"])
    assert r.returncode == 2 and b"usage:" in r.stderr
    r = run([])
    assert r.returncode == 2
    r = run(["echo", "--bogus"])
    assert r.returncode == 2


def test_help_and_version():
    for args in (["help"], ["echo-server", "--help"], ["echo", "--help"],
                 ["serve", "--help"]):
        r = run(args)
        assert r.returncode == 0 and b"usage:" in r.stdout, args
    r = run(["version"])
    assert r.returncode == 0 and r.stdout.startswith(b"camada ")
    # every echo key is a flag and is documented
    r = run(["echo-server", "--help"])
    for key in (b"--listen", b"--udp", b"--max-line", b"--idle-timeout",
                b"--workers", b"--log-format"):
        assert key in r.stdout


def test_serve_config_file(camada, tmpconf):
    path = tmpconf("workers = 2\n[echo]\nlisten = 127.0.0.1:0\nudp = on\n"
                   "[echo]\nlisten = 127.0.0.1:0\n")
    srv = camada("serve", "-c", path, listeners=3)
    ports = [p for s, h, p, pr in srv.listeners if pr == "tcp"]
    assert len(ports) == 2
    for p in ports:
        r = run(["echo", "127.0.0.1", str(p)], input=b"two instances\n")
        assert r.stdout == b"TWO INSTANCES\n"


def test_sigterm_with_clients_connected(camada):
    srv = echo_server(camada, udp=False)
    port = srv.port("echo")
    clients = [socket.create_connection(("127.0.0.1", port)) for _ in range(100)]
    for c in clients[:10]:
        c.send(b"hi\n")
        c.settimeout(5)
        assert c.recv(10) == b"HI\n"
    t0 = time.time()
    srv.signal(signal.SIGTERM)
    code = srv.proc.wait(5 * SLOW)
    assert code == 0
    assert time.time() - t0 < 2 * SLOW
    for c in clients:
        c.close()


def test_killed_worker_is_restarted(camada):
    srv = echo_server(camada, udp=True, workers=2)
    port = srv.port("echo")
    kids = srv.children()
    assert len(kids) == 2
    os.kill(kids[0], signal.SIGKILL)
    srv.wait_line(r"worker \d \(pid %d\) was killed by signal 9; restarting" % kids[0])
    deadline = time.time() + 5 * SLOW
    while time.time() < deadline:
        now = srv.children()
        if len(now) == 2 and kids[0] not in now:
            break
        time.sleep(0.05)
    assert len(srv.children()) == 2 and kids[0] not in srv.children()
    for i in range(50):
        r = run(["echo", "127.0.0.1", str(port)], input=b"again\n")
        assert r.stdout == b"AGAIN\n"
        r = run(["echo", "--udp", "127.0.0.1", str(port)], input=b"again\n")
        assert r.stdout == b"AGAIN\n"


def test_metrics_summary_on_sigusr1_and_json_log(camada, tmp_path):
    log = tmp_path / "camada.log"
    srv = echo_server(camada, "--log", str(log), "--log-format", "json",
                      udp=False, workers=1)
    port = srv.port("echo")
    r = run(["echo", "127.0.0.1", str(port)], input=b"a\nb\nc\n")
    assert r.stdout == b"A\nB\nC\n"
    srv.signal(signal.SIGUSR1)
    deadline = time.time() + 5 * SLOW
    # in JSON the summary is one object, the metrics a member of it
    while time.time() < deadline and b'"echo_lines_total":3' not in log.read_bytes():
        time.sleep(0.05)
    entries = [json.loads(l) for l in log.read_text().splitlines()]
    assert any(e["msg"] == "metrics (SIGUSR1)" and
               e["metrics"].get("echo_lines_total") == 3 for e in entries), entries
    assert all({"ts", "level", "msg", "pid"} <= set(e) for e in entries)
    assert srv.stop() == 0


def test_client_by_name_and_failures(camada):
    """The client on the loop: a name goes through dns_stub (the hosts
    file; TCP tries each address), a refused connect, a server that never replies (TCP: --timeout,
    UDP: three tries of a second) and a name with no address each end with
    their message and exit code 1."""
    srv = echo_server(camada)
    port = srv.port("echo", "tcp")
    r = run(["echo", "localhost", str(port)], input=b"by name\n")
    assert r.returncode == 0 and r.stdout == b"BY NAME\n", r.stderr
    # (UDP takes the first address only, as it always did; localhost may
    # be ::1 first, where this server does not listen: not asked here)
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    cport = closed.getsockname()[1]
    closed.close()
    r = run(["echo", "127.0.0.1", str(cport)], input=b"x\n")
    assert r.returncode == 1
    assert b"camada echo: connect 127.0.0.1 port %d: Connection refused" \
        % cport in r.stderr
    mute = socket.socket()
    mute.bind(("127.0.0.1", 0))
    mute.listen()
    t0 = time.time()
    r = run(["echo", "--timeout", "1", "127.0.0.1",
             str(mute.getsockname()[1])], input=b"x\n")
    assert r.returncode == 1 and b"no reply from" in r.stderr
    assert 0.9 <= time.time() - t0 < 5 * SLOW
    mute.close()
    mute = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    mute.bind(("127.0.0.1", 0))
    t0 = time.time()
    r = run(["echo", "--udp", "127.0.0.1", str(mute.getsockname()[1])],
            input=b"x\n")
    assert r.returncode == 1 and b"no reply from" in r.stderr
    assert 2.9 <= time.time() - t0 < 6 * SLOW
    assert len(mute.recv(100)) == 1  # the tries came
    mute.close()
    r = run(["echo", "nosuch.invalid", "1"], input=b"x\n")
    assert r.returncode == 1
    assert b"cannot resolve nosuch.invalid port 1" in r.stderr
