"""Per-cluster PKI: a CA, a serving certificate and an admin client certificate, plus the kubeconfig."""

import datetime
import ipaddress
import os

import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


def _name(common_name, organization=None):
    attrs = [x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    if organization:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization))
    return x509.Name(attrs)


def _issue(subject, key, issuer_name, issuer_key, is_ca=False, sans=None, usage=None):
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer_name)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=2))
               .add_extension(x509.BasicConstraints(ca=is_ca, path_length=None), critical=True))
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    if usage:
        builder = builder.add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def _write(path, data):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    return path


def _write_pair(directory, stem, cert, key):
    crt = _write(os.path.join(directory, stem + ".crt"), cert.public_bytes(serialization.Encoding.PEM))
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return crt, _write(os.path.join(directory, stem + ".key"), pem)


def make_pki(directory, name):
    """Write ca.crt, server.crt/key and admin.crt/key into directory; return their paths."""
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name(f"kubeapi-{name}-ca")
    ca_cert = _issue(ca_name, ca_key, ca_name, ca_key, is_ca=True)
    server_key = ec.generate_private_key(ec.SECP256R1())
    sans = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    server_cert = _issue(_name("kube-apiserver"), server_key, ca_name, ca_key, sans=sans, usage=ExtendedKeyUsageOID.SERVER_AUTH)
    admin_key = ec.generate_private_key(ec.SECP256R1())
    admin_cert = _issue(_name("admin", "system:masters"), admin_key, ca_name, ca_key, usage=ExtendedKeyUsageOID.CLIENT_AUTH)
    paths = {"ca_file": _write(os.path.join(directory, "ca.crt"), ca_cert.public_bytes(serialization.Encoding.PEM))}
    paths["server_cert_file"], paths["server_key_file"] = _write_pair(directory, "server", server_cert, server_key)
    paths["client_cert_file"], paths["client_key_file"] = _write_pair(directory, "admin", admin_cert, admin_key)
    return paths


def write_kubeconfig(path, name, url, ca_file, token, limited_token, client_cert_file, client_key_file):
    """Contexts: <name> (admin token, current), <name>-cert (admin client certificate), <name>-limited."""
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": name, "cluster": {"server": url, "certificate-authority": ca_file}}],
        "users": [
            {"name": f"{name}-admin", "user": {"token": token}},
            {"name": f"{name}-admin-cert", "user": {"client-certificate": client_cert_file, "client-key": client_key_file}},
            {"name": f"{name}-limited", "user": {"token": limited_token}},
        ],
        "contexts": [
            {"name": name, "context": {"cluster": name, "user": f"{name}-admin", "namespace": "default"}},
            {"name": f"{name}-cert", "context": {"cluster": name, "user": f"{name}-admin-cert", "namespace": "default"}},
            {"name": f"{name}-limited", "context": {"cluster": name, "user": f"{name}-limited", "namespace": "rbac-test"}},
        ],
        "current-context": name,
        "preferences": {},
    }
    _write(path, yaml.safe_dump(config, sort_keys=False).encode())
    return path
