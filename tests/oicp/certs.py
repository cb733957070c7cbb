"""A test CA made at test time, as Hubject's PKI is in production: a root ("Hubject test root")
that signs the fake Hubject's server certificate and every partner's client certificate.

Certificates are written to files (PEM) because `ocpi-hub hubject connect` takes file paths.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path

import trustme

HOSTS = ("127.0.0.1", "localhost")


@dataclass(frozen=True)
class Certificate:
    """One certificate and its key, as files, with the CA file that verifies the other side."""

    common_name: str
    cert: Path
    key: Path
    ca: Path

    def client_context(self) -> ssl.SSLContext:
        """A client context presenting this certificate and trusting only the CA."""
        context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=str(self.ca))
        context.load_cert_chain(str(self.cert), str(self.key))
        return context

    def server_context(self) -> ssl.SSLContext:
        """A server context presenting this certificate and requiring a client certificate the
        CA signed: an unknown (or absent) client certificate fails the TLS handshake."""
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=str(self.ca))
        context.load_cert_chain(str(self.cert), str(self.key))
        context.verify_mode = ssl.CERT_REQUIRED
        return context


CLIENT_HOST = "client.invalid"  # names no host: a client certificate is never a server's


class TestCA:
    """A CA whose certificates are written under `directory`, one set per common name."""

    __test__ = False  # not a test class, despite its name

    def __init__(self, directory: Path, name: str = "Hubject test root") -> None:
        self.directory = directory
        self._ca = trustme.CA(organization_name=name, organization_unit_name=name)
        self.ca_file = directory / "ca.pem"
        self._ca.cert_pem.write_to_path(str(self.ca_file))
        self._issued: dict[str, Certificate] = {}

    def server(self, common_name: str = "service.hubject.test") -> Certificate:
        """A server certificate for 127.0.0.1 and localhost."""
        return self._issue(common_name, HOSTS)

    def client(self, common_name: str) -> Certificate:
        """A partner's client certificate: Hubject identifies the partner by its common name.
        Its one alternative name is a reserved one (RFC 6761): cryptography 51 refuses a
        certificate with an empty SubjectAlternativeName, which trustme writes for none."""
        return self._issue(common_name, (CLIENT_HOST,))

    def _issue(self, common_name: str, hosts: tuple[str, ...]) -> Certificate:
        if common_name not in self._issued:
            leaf = self._ca.issue_cert(*hosts, common_name=common_name)
            stem = common_name.replace("/", "_").replace(" ", "_")
            cert = self.directory / f"{stem}.cert.pem"
            key = self.directory / f"{stem}.key.pem"
            for blob in leaf.cert_chain_pems:
                blob.write_to_path(str(cert), append=cert.exists())
            leaf.private_key_pem.write_to_path(str(key))
            self._issued[common_name] = Certificate(common_name, cert, key, self.ca_file)
        return self._issued[common_name]
