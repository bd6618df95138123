"""A DNS hierarchy on loopback for the resolver and dig tests: several NSD
instances, each on its own 127.53.0.x address and the same port.

    127.53.0.1  .             root: test. (glue), org. (glue)
    127.53.0.2  test.         example.test. (glue, two servers), down.test.
                              (one server that does not answer), glueless.test.
                              (NS ns.hoster.org.: no glue), tc.test.
    127.53.0.3  example.test. down.test. glueless.test.
    127.53.0.4  org.          web.org (the end of a CNAME chain), ns.hoster.org
    127.53.0.5  2.0.192.in-addr.arpa. (for dig -x)
    127.53.0.9  nothing listens (ns1.down.test.)
    127.53.0.30 victim.test. (glue; a Python server in the poisoning test)
"""
import os
import signal
import socket
import subprocess
import time

import dns.message
import dns.query
import dns.rdatatype

ROOT_ADDR = "127.53.0.1"
UNBOUND_ADDR = "127.53.0.20"
FAKE_ADDR = "127.53.0.30"

ZONES = {
    "127.53.0.1": {
        ".": """$TTL 3600
. IN SOA a.root-servers.net. hostmaster.root. 1 7200 3600 1209600 300
. IN NS a.root-servers.net.
a.root-servers.net. IN A 127.53.0.1
test. 172800 IN NS ns1.test.
ns1.test. 172800 IN A 127.53.0.2
org. 172800 IN NS ns.org.
ns.org. 172800 IN A 127.53.0.4
""",
    },
    "127.53.0.2": {
        "test.": """$TTL 3600
@ IN SOA ns1.test. hostmaster.test. 1 7200 3600 1209600 300
@ IN NS ns1.test.
ns1 IN A 127.53.0.2
example IN NS ns1.example.test.
example IN NS ns2.example.test.
ns1.example IN A 127.53.0.3
ns2.example IN A 127.53.0.3
down IN NS ns1.down.test.
down IN NS ns2.down.test.
ns1.down IN A 127.53.0.9
ns2.down IN A 127.53.0.3
glueless IN NS ns.hoster.org.
victim IN NS ns.victim.test.
ns.victim IN A 127.53.0.30
""",
    },
    "127.53.0.3": {
        "example.test.": """$TTL 3600
@ IN SOA ns1.example.test. hostmaster.example.test. 1 7200 3600 1209600 60
@ IN NS ns1.example.test.
@ IN NS ns2.example.test.
ns1 IN A 127.53.0.3
ns2 IN A 127.53.0.3
www IN A 192.0.2.1
www IN AAAA 2001:db8::1
short 5 IN A 192.0.2.5
alias IN CNAME www.glueless.test.
inzone IN CNAME www
loop1 IN CNAME loop2
loop2 IN CNAME loop1
*.wild IN A 192.0.2.7
""" + "".join('big IN TXT "%s"\n' % (("%02d" % i) * 50) for i in range(30)),
        "down.test.": """$TTL 3600
@ IN SOA ns2.down.test. hostmaster.down.test. 1 7200 3600 1209600 300
@ IN NS ns1.down.test.
@ IN NS ns2.down.test.
www IN A 192.0.2.9
""",
        "glueless.test.": """$TTL 3600
@ IN SOA ns.hoster.org. hostmaster.glueless.test. 1 7200 3600 1209600 300
@ IN NS ns.hoster.org.
www IN CNAME web.org.
direct IN A 192.0.2.33
""",
    },
    "127.53.0.5": {
        "2.0.192.in-addr.arpa.": """$TTL 3600
@ IN SOA ns1.example.test. hostmaster.example.test. 1 7200 3600 1209600 300
@ IN NS ns1.example.test.
1 IN PTR www.example.test.
""",
    },
    "127.53.0.4": {
        "org.": """$TTL 3600
@ IN SOA ns.org. hostmaster.org. 1 7200 3600 1209600 300
@ IN NS ns.org.
ns IN A 127.53.0.4
web IN A 192.0.2.80
ns.hoster IN A 127.53.0.3
""",
    },
}

HINTS = """; test root hints (named.root format)
.                        3600000      NS    A.ROOT-SERVERS.NET.
A.ROOT-SERVERS.NET.      3600000      A     127.53.0.1
"""


def free_udp_tcp_port(addrs):
    """A port free for UDP and TCP on every address."""
    for _ in range(50):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((addrs[0], 0))
        port = s.getsockname()[1]
        s.close()
        ok = True
        for a in addrs:
            for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
                t = socket.socket(socket.AF_INET, kind)
                try:
                    t.bind((a, port))
                except OSError:
                    ok = False
                finally:
                    t.close()
        if ok:
            return port
    raise RuntimeError("no free port")


class Hierarchy:
    def __init__(self, tmp_path, zones=ZONES):
        self.dir = str(tmp_path / "nsd")
        os.makedirs(self.dir, exist_ok=True)
        # the same port on the extra addresses: Unbound, the fake server
        self.port = free_udp_tcp_port(list(zones) + [UNBOUND_ADDR, FAKE_ADDR])
        self.procs = []
        self.hints = os.path.join(self.dir, "root.hints")
        with open(self.hints, "w") as f:
            f.write(HINTS)
        for i, (addr, zs) in enumerate(sorted(zones.items())):
            conf = os.path.join(self.dir, "nsd%d.conf" % i)
            lines = ["server:",
                     "  ip-address: %s" % addr,
                     "  port: %d" % self.port,
                     "  zonesdir: \"%s\"" % self.dir,
                     "  pidfile: \"%s/nsd%d.pid\"" % (self.dir, i),
                     "  xfrdfile: \"%s/xfrd%d.state\"" % (self.dir, i),
                     "  zonelistfile: \"%s/zonelist%d\"" % (self.dir, i),
                     "  database: \"\"",
                     "  username: \"\"",
                     "  chroot: \"\"",
                     "  rrl-ratelimit: 0",
                     "  server-count: 1",
                     "  do-ip6: no",
                     "  verbosity: 1",
                     "  logfile: \"%s/nsd%d.log\"" % (self.dir, i),
                     "remote-control:",
                     "  control-enable: no"]
            for name, text in zs.items():
                fn = "%s-%s.zone" % (addr, name.strip(".") or "root")
                with open(os.path.join(self.dir, fn), "w") as f:
                    f.write(text)
                lines += ["zone:", "  name: \"%s\"" % name,
                          "  zonefile: \"%s\"" % fn]
            with open(conf, "w") as f:
                f.write("\n".join(lines) + "\n")
            p = subprocess.Popen(["nsd", "-d", "-c", conf],
                                 stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL,
                                 start_new_session=True)
            self.procs.append(p)
        try:
            for addr in zones:
                self.wait_ready(addr)
        except Exception:
            self.stop()
            raise

    def wait_ready(self, addr, timeout=10):
        deadline = time.time() + timeout
        q = dns.message.make_query("ready.invalid.", "A")
        while time.time() < deadline:
            try:
                dns.query.udp(q, addr, port=self.port, timeout=0.3)
                return
            except Exception:
                time.sleep(0.1)
        raise RuntimeError("nsd on %s did not start" % addr)

    def stop(self):
        for p in self.procs:
            if p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                p.wait(5)


def query(port, name, rtype="A", tcp=False, addr="127.0.0.1", payload=1232,
          timeout=5, want_dnssec=False, use_edns=0):
    q = dns.message.make_query(name, rtype, use_edns=use_edns, payload=payload)
    if tcp:
        return dns.query.tcp(q, addr, port=port, timeout=timeout)
    return dns.query.udp(q, addr, port=port, timeout=timeout)


def addrs(msg):
    """Every A/AAAA address in the answer section."""
    out = []
    for rrset in msg.answer:
        if rrset.rdtype in (dns.rdatatype.A, dns.rdatatype.AAAA):
            out += [r.address for r in rrset]
    return out


def start_unbound(tmp_path, port, root_port):
    """Unbound on UNBOUND_ADDR:port, iterating from the NSD root."""
    d = tmp_path / "unbound"
    d.mkdir(exist_ok=True)
    # Unbound asks the servers a referral names on port 53: a stub zone
    # per zone of the hierarchy, with its address and our port, instead
    stubs = ""
    for addr, zs in sorted(ZONES.items()):
        for name in zs:
            stubs += 'stub-zone:\n  name: "%s"\n  stub-addr: %s@%d\n' % (
                name, addr, root_port)
    conf = d / "unbound.conf"
    conf.write_text("""server:
  interface: %s
  port: %d
  do-ip6: no
  do-daemonize: no
  username: ""
  chroot: ""
  directory: "%s"
  pidfile: "%s/unbound.pid"
  use-syslog: no
  logfile: ""
  verbosity: 0
  do-not-query-localhost: no
  local-zone: "test." nodefault
  module-config: "iterator"
  qname-minimisation: no
  access-control: 127.0.0.0/8 allow
  num-threads: 1
%s
remote-control:
  control-enable: no
""" % (UNBOUND_ADDR, port, d, d, stubs))
    p = subprocess.Popen(["unbound", "-d", "-c", str(conf)],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                         start_new_session=True)
    deadline = time.time() + 10
    q = dns.message.make_query("www.example.test.", "A")
    while time.time() < deadline:
        try:
            dns.query.udp(q, UNBOUND_ADDR, port=port, timeout=0.5)
            return p
        except Exception:
            if p.poll() is not None:
                raise RuntimeError("unbound exited: %s" % p.stderr.read())
            time.sleep(0.1)
    stop_proc(p)
    raise RuntimeError("unbound did not start")


def stop_proc(p):
    if p.poll() is None:
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        p.wait(5)
