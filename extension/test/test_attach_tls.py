"""ATTACH over HTTPS: the server's certificate is verified (a self-signed one is refused until trusted) — in each
client (Python, Node, the DuckDB CLI: see clients.py)."""

import datetime
import ipaddress
import ssl

import duckdb
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from conftest import sql_string
from openduck_server import LoopbackProxy, OpenDuckServer


def self_signed(directory):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "openduck test")])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return str(cert_path), str(key_path)


@pytest.fixture(scope="module")
def https(tmp_path_factory):
    server = OpenDuckServer("secure", "tls-token").start()
    server.execute("CREATE TABLE t AS SELECT 7 AS x")
    cert, key = self_signed(tmp_path_factory.mktemp("tls"))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    # Terminates TLS and forwards to the plain-HTTP server.
    proxy = LoopbackProxy(server.port, wrap=lambda raw: context.wrap_socket(raw, server_side=True))
    yield server, f"https://127.0.0.1:{proxy.port}", cert
    server.cleanup()


def test_an_untrusted_certificate_is_refused(https, open_client, monkeypatch):
    server, endpoint, _ = https
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    con = open_client()
    with pytest.raises(duckdb.Error, match="(?i)certificate"):
        con.execute(f"ATTACH {sql_string(server.attach_path(endpoint=endpoint))} AS cloud")


def test_a_trusted_certificate_carries_queries(https, open_client, monkeypatch):
    server, endpoint, cert = https
    monkeypatch.setenv("CURL_CA_BUNDLE", cert)
    con = open_client()
    con.execute(f"ATTACH {sql_string(server.attach_path(endpoint=endpoint))} AS cloud")
    assert con.execute("SELECT x FROM cloud.t").fetchall() == [(7,)]
