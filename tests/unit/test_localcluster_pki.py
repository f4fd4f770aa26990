"""The generated PKI is what kube-apiserver and its clients need."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import yaml
from cryptography import x509
from cryptography.x509.oid import NameOID
from kubernetes import client, config

from scheduledjob_dev import certificates, kubeconfig


def _load(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def test_serving_certificate_covers_loopback_and_the_service_ip(tmp_path: Path) -> None:
    """The API server's certificate names localhost, 127.0.0.1 and the kubernetes Service IP."""
    pki = certificates.generate_pki(tmp_path)
    names = (
        _load(pki.serving_cert)
        .extensions.get_extension_for_class(x509.SubjectAlternativeName)
        .value
    )
    assert {"localhost", "kubernetes.default.svc"} <= set(names.get_values_for_type(x509.DNSName))
    assert {
        ipaddress.ip_address("127.0.0.1"),
        ipaddress.ip_address(certificates.KUBERNETES_SERVICE_IP),
    } == set(names.get_values_for_type(x509.IPAddress))


def test_certificates_are_signed_by_the_generated_ca(tmp_path: Path) -> None:
    """Serving and admin certificates verify against the CA."""
    pki = certificates.generate_pki(tmp_path)
    ca = _load(pki.ca_cert)
    for path in (pki.serving_cert, pki.admin_cert):
        _load(path).verify_directly_issued_by(ca)


def test_admin_is_in_system_masters(tmp_path: Path) -> None:
    """The admin client certificate carries the system:masters group (O=)."""
    pki = certificates.generate_pki(tmp_path)
    subject = _load(pki.admin_cert).subject
    assert ["system:masters"] == [
        attribute.value for attribute in subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
    ]


def test_private_keys_are_readable_by_the_owner_only(tmp_path: Path) -> None:
    """Key files are written with mode 0600."""
    pki = certificates.generate_pki(tmp_path)
    for path in (pki.ca_key, pki.serving_key, pki.admin_key, pki.service_account_key):
        assert 0o600 == path.stat().st_mode & 0o777


def test_kubeconfig_embeds_credentials_and_loads_in_the_client(tmp_path: Path) -> None:
    """The admin kubeconfig is self-contained and the Kubernetes client accepts it."""
    pki = certificates.generate_pki(tmp_path)
    path = kubeconfig.write_admin_kubeconfig(
        tmp_path / "admin.kubeconfig", server="https://127.0.0.1:6443", pki=pki
    )
    document = yaml.safe_load(path.read_text())
    assert {"client-certificate-data", "client-key-data"} == set(document["users"][0]["user"])
    configuration = client.Configuration()
    config.load_kube_config(config_file=str(path), client_configuration=configuration)
    assert "https://127.0.0.1:6443" == configuration.host
