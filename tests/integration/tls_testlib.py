"""A test CA and its certificates, made with the `openssl` command in a
folder the test owns (tmp_path): ECDSA P-256 or RSA-2048 leaves for any
host names and IP addresses, valid, or expired for the tests of a client's
errors. Nothing here talks to camada; the HTTPS server tests and the
`camada get https://` tests share it.

    ca = make_ca(tmp_path / "ca")            # ca.pem, ca.cert, ca.key
    cert, key = make_cert(ca, tmp_path / "leaf",
                          ["localhost", "127.0.0.1", "::1"])

The functions keep their signatures: other test files rely on them.
"""
import base64
import datetime
import hashlib
import ipaddress
import os
import re
import shutil
import subprocess
import tempfile

class CA:
    """A self-signed root: pem (= cert) is what a client trusts, key signs
    leaves. dir is the folder that holds both."""

    def __init__(self, dir, name, cert, key):
        self.dir = str(dir)
        self.name = name
        self.cert = cert
        self.pem = cert
        self.key = key

    def __fspath__(self):
        return self.pem

    def __repr__(self):
        return "<CA %r %s>" % (self.name, self.pem)


def _openssl(*args, input=None):
    r = subprocess.run(["openssl"] + [str(a) for a in args], input=input,
                       capture_output=True, timeout=60)
    if r.returncode != 0:
        raise RuntimeError("openssl %s failed:\n%s" % (
            " ".join(str(a) for a in args),
            r.stderr.decode("utf-8", "replace")))
    return r.stdout


def _genkey(path, key):
    if key == "ec":
        _openssl("genpkey", "-algorithm", "EC", "-pkeyopt",
                 "ec_paramgen_curve:P-256", "-out", path)
    elif key == "rsa":
        _openssl("genpkey", "-algorithm", "RSA", "-pkeyopt",
                 "rsa_keygen_bits:2048", "-out", path)
    else:
        raise ValueError("key must be 'ec' or 'rsa', not %r" % (key,))
    os.chmod(path, 0o600)


def _asn1_time(t):
    # openssl ca -startdate/-enddate: YYYYMMDDHHMMSSZ (GeneralizedTime)
    return t.strftime("%Y%m%d%H%M%SZ")


def _san(names):
    out = []
    for n in names:
        try:
            out.append("IP:" + str(ipaddress.ip_address(n.strip("[]"))))
        except ValueError:
            out.append("DNS:" + n)
    return ",".join(out)


def make_ca(dir, name="camada test CA", key="ec"):
    """Makes dir (if needed) and a root CA in it: dir/ca.pem and dir/ca.key.
    key is "ec" (P-256) or "rsa" (2048 bits). Returns a CA."""
    dir = str(dir)
    os.makedirs(dir, exist_ok=True)
    cert = os.path.join(dir, "ca.pem")
    # (ca.cnf stays: it says how the CA was made)
    keyp = os.path.join(dir, "ca.key")
    _genkey(keyp, key)
    cnf = os.path.join(dir, "ca.cnf")
    with open(cnf, "w") as f:
        f.write("[req]\ndistinguished_name = dn\nprompt = no\n"
                "x509_extensions = v3_ca\n"
                "[dn]\nCN = %s\nO = camada tests\n"
                "[v3_ca]\nbasicConstraints = critical,CA:TRUE\n"
                "keyUsage = critical,keyCertSign,cRLSign\n"
                "subjectKeyIdentifier = hash\n" % name)
    _openssl("req", "-new", "-x509", "-config", cnf, "-key", keyp,
             "-days", "3650", "-sha256", "-out", cert)
    return CA(dir, name, cert, keyp)


def make_cert(ca, dir, names, key="ec", days=30, expired=False):
    """A leaf signed by ca for names (host names and IP literals; the first
    is the subject's CN, all go into subjectAltName), in dir (made if
    needed) as NAME.pem and NAME.key, NAME from the first name and the key type
    ("localhost-ec"; "-expired" added): a second call with the same first
    name, key and dir replaces the first one's files. Valid from an hour ago for days days; with expired=True it ended
    a day ago (and began days+1 days ago). Returns (cert, key) paths."""
    dir = str(dir)
    os.makedirs(dir, exist_ok=True)
    if isinstance(names, str):
        names = [names]
    names = list(names)
    base = re.sub(r"[^A-Za-z0-9.-]", "_", names[0]) + "-" + key
    if expired:
        base += "-expired"
    cert = os.path.join(dir, base + ".pem")
    keyp = os.path.join(dir, base + ".key")
    # openssl ca's database, serial, request and copies: a private scratch
    # folder per leaf (several tests may sign with one CA), removed after
    work = tempfile.mkdtemp(prefix=".ca-", dir=dir)
    csr = os.path.join(work, "leaf.csr")
    cnf = os.path.join(work, "leaf.cnf")
    _genkey(keyp, key)

    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    if expired:
        start = now - datetime.timedelta(days=days + 1)
        end = now - datetime.timedelta(days=1)
    else:
        start = now - datetime.timedelta(hours=1)
        end = now + datetime.timedelta(days=days)
    usage = "digitalSignature" + (",keyEncipherment" if key == "rsa" else "")
    db = os.path.join(work, "index.txt")
    open(db, "w").close()
    srl = os.path.join(work, "serial")
    with open(srl, "w") as f:
        f.write("%016X\n" % (int.from_bytes(os.urandom(8), "big") >> 1))
    with open(cnf, "w") as f:
        f.write("[req]\ndistinguished_name = dn\nprompt = no\n"
                "[dn]\nCN = %s\n"
                "[ca]\ndefault_ca = test\n"
                "[test]\ndatabase = %s\nserial = %s\nnew_certs_dir = %s\n"
                "default_md = sha256\npolicy = any\nunique_subject = no\n"
                "copy_extensions = none\nemail_in_dn = no\n"
                "[any]\ncommonName = supplied\n"
                "[leaf]\nbasicConstraints = critical,CA:FALSE\n"
                "keyUsage = critical,%s\n"
                "extendedKeyUsage = serverAuth,clientAuth\n"
                "subjectKeyIdentifier = hash\n"
                "authorityKeyIdentifier = keyid,issuer\n"
                "subjectAltName = %s\n"
                % (names[0][:64], db, srl, work, usage, _san(names)))
    _openssl("req", "-new", "-config", cnf, "-key", keyp, "-out", csr)
    _openssl("ca", "-batch", "-notext", "-config", cnf, "-extensions", "leaf",
             "-cert", ca.cert, "-keyfile", ca.key, "-in", csr, "-out", cert,
             "-startdate", _asn1_time(start),
             "-enddate", _asn1_time(end))
    shutil.rmtree(work)
    return cert, keyp


def spki_hash(cert):
    """base64(sha256(SubjectPublicKeyInfo)) of a PEM certificate, the value
    Chromium's --ignore-certificate-errors-spki-list takes."""
    pub = _openssl("x509", "-in", cert, "-noout", "-pubkey")
    der = _openssl("pkey", "-pubin", "-outform", "DER", input=pub)
    return base64.b64encode(hashlib.sha256(der).digest()).decode()


def fingerprint(cert):
    """The SHA-256 fingerprint of a PEM certificate, as upper-case hex
    without colons (compare with what a client saw)."""
    out = _openssl("x509", "-in", cert, "-noout", "-fingerprint", "-sha256")
    return out.decode().strip().split("=", 1)[1].replace(":", "")


def subject_cn(cert):
    """The CN of a PEM certificate's subject."""
    out = _openssl("x509", "-in", cert, "-noout", "-subject",
                   "-nameopt", "multiline").decode()
    m = re.search(r"commonName\s*=\s*(.+)", out)
    return m.group(1).strip() if m else None
