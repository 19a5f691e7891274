"""A throwaway CA and server certificate for 127.0.0.1, made with the ``openssl`` command.

Why TLS at all: kubectl (client-go) sends a kubeconfig's bearer token only
over https, so a sim that requires a token (401 without one, as a real
cluster) must serve https for kubectl to work. The certificates are made once
per process (about 0.1 s) and reused by every sim it starts; they pass
``openssl verify -x509_strict`` (CA with basicConstraints and keyUsage, leaf
with SAN IP:127.0.0.1 and DNS:localhost, AKID and SKID), which urllib3 and
websocket-client need.
"""

from __future__ import annotations

import atexit
import shutil
import ssl
import subprocess
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

_EXTENSIONS = """\
subjectAltName=IP:127.0.0.1,DNS:localhost
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid,issuer
"""


@dataclass(frozen=True)
class Certs:
    """Paths of the CA certificate and the server's certificate and key (PEM)."""

    ca_cert: Path
    cert: Path
    key: Path

    def ca_pem(self) -> bytes:
        """The CA certificate, for ``certificate-authority-data``."""
        return self.ca_cert.read_bytes()

    def server_context(self) -> ssl.SSLContext:
        """An SSL context for the server side."""
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(str(self.cert), str(self.key))
        return ctx


_lock = threading.Lock()
_cached: Certs | None = None


def openssl_available() -> bool:
    """Whether certificates can be made here."""
    return shutil.which("openssl") is not None


def _run(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=30)


def make_certs(directory: Path) -> Certs:
    """Create a CA and a server certificate in ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    ec = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes")
    _run("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.crt", "-days", "3650", "-subj",
         "/CN=kpodtui-sim-ca", "-addext", "basicConstraints=critical,CA:TRUE",
         "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=directory)
    _run("req", "-new", *ec, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=kpodtui-sim",
         cwd=directory)
    (directory / "ext.cnf").write_text(_EXTENSIONS)
    _run("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
         "-out", "server.crt", "-days", "3650", "-extfile", "ext.cnf", cwd=directory)
    return Certs(directory / "ca.crt", directory / "server.crt", directory / "server.key")


def process_certs() -> Certs:
    """The certificates of this process, made on first use and removed at exit."""
    global _cached
    with _lock:
        if _cached is None:
            directory = Path(tempfile.mkdtemp(prefix="kpodtui-sim-tls-"))
            atexit.register(shutil.rmtree, directory, True)
            _cached = make_certs(directory)
        return _cached
