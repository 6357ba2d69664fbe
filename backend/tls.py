"""HTTPS for phones: a browser gives the camera, the microphone and the location only to a secure page.

`hall serve --tls-cert F --tls-key F` (or `server.tls_cert` / `server.tls_key`) serves HTTPS with the hall's
own certificate; `hall demo --lan` makes a self-signed one for this machine's addresses (kept under the data
directory and reused) so phones on the same network can try the field page after accepting it once.
"""

from __future__ import annotations

import datetime
import ipaddress
import socket
import ssl
from pathlib import Path


class TlsError(Exception):
    """A certificate or key that cannot be used; the message names the file and the fix."""


def server_context(cert: str, key: str) -> ssl.SSLContext:
    for what, path in (("certificate", cert), ("key", key)):
        if not Path(path).is_file():
            raise TlsError(f"the TLS {what} {path!r} does not exist (--tls-cert / --tls-key, or server.tls_cert / "
                           "server.tls_key)")
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    try:
        ctx.load_cert_chain(cert, key)
    except (ssl.SSLError, OSError) as exc:
        raise TlsError(f"cannot use the TLS certificate {cert!r} with the key {key!r}: {exc}") from None
    return ctx


def lan_addresses() -> list[str]:
    """This machine's IPv4 addresses other hosts may reach (the one routed outward first)."""
    found: list[str] = []
    try:  # the address of the default route (no packet is sent by a UDP connect)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("192.0.2.1", 9))
            found.append(s.getsockname()[0])
    except OSError:
        pass
    try:
        for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET):
            addr = str(info[4][0])
            if addr not in found and not addr.startswith("127."):
                found.append(addr)
    except OSError:
        pass
    return found


def self_signed(directory: Path, hosts: list[str]) -> tuple[str, str]:
    """A self-signed certificate for these hosts (IP addresses and names) under `directory`, made once and
    reused while it still covers them and has a month left; returns (cert path, key path)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    directory.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = directory / "lan-cert.pem", directory / "lan-key.pem"
    names = sorted(set(hosts) | {"localhost", "127.0.0.1"})
    now = datetime.datetime.now(datetime.UTC)
    if cert_path.is_file() and key_path.is_file():
        existing = x509.load_pem_x509_certificate(cert_path.read_bytes())
        san = existing.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        covered = {str(v) for v in san.get_values_for_type(x509.IPAddress)} | set(san.get_values_for_type(x509.DNSName))
        if set(names) <= covered and existing.not_valid_after_utc > now + datetime.timedelta(days=30):
            return str(cert_path), str(key_path)
    key = ec.generate_private_key(ec.SECP256R1())
    alt: list[x509.GeneralName] = []
    for n in names:
        try:
            alt.append(x509.IPAddress(ipaddress.ip_address(n)))
        except ValueError:
            alt.append(x509.DNSName(n))
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Command Hall (self-signed, LAN demo)")])
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=365))
            .add_extension(x509.SubjectAlternativeName(alt), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    key_path.chmod(0o600)
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return str(cert_path), str(key_path)
