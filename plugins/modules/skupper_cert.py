#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) skupper.tls contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: skupper_cert
short_description: Ensure a Skupper certificate Secret signed by a CA
version_added: 1.0.0
description:
  - Ensures a leaf certificate Secret (C(skupper-site-server), C(skupper-local-server), C(skupper-local-client),
    C(skupper-service-client), C(skupper-tls-<service>), or any name) signed by a CA taken from a CA Secret, in the same
    namespace, another namespace or another cluster, or from PEM you give.
  - Certificates follow Skupper's profile; every IP host is also written as a DNS SAN, since the Skupper router ignores IP SANs.
  - C(ca.crt) is a copy of the CA Secret's trust bundle; when only the bundle changed (a CA rotation), only C(ca.crt) is rewritten.
  - Idempotent. The certificate is reissued only when a named check fails, and the module returns those RV(reasons).
author:
  - skupper.tls contributors (@skupper-tls)
extends_documentation_fragment:
  - skupper.tls.certificate
  - skupper.tls.certificate.attributes
  - skupper.tls.target
  - skupper.tls.auth
  - skupper.tls.side.copy_from
  - skupper.tls.side.ca_cluster
options:
  common_name:
    description:
      - Subject common name. Defaults to O(name).
    type: str
  hosts:
    description:
      - DNS names and IP addresses the certificate is valid for (its SANs). No SAN extension when empty.
    type: list
    elements: str
    default: []
  usage:
    description:
      - Extended key usage. Skupper puts both on every certificate.
    type: str
    choices: [both, server, client]
    default: both
  secret_type:
    description:
      - Secret type. Defaults to C(kubernetes.io/tls), and to C(Opaque) with O(ca_only) (a C(kubernetes.io/tls) Secret must hold a key).
    type: str
    choices: [kubernetes.io/tls, Opaque]
  ca_only:
    description:
      - Store only C(ca.crt), the CA's trust bundle, and no certificate or key (Skupper v1 C(skupper-service-client)).
    type: bool
    default: false
  extra_data:
    description:
      - More data keys to store, as text (Skupper v1 C(skupper-local-client) carries C(connect.json)).
      - The keys C(tls.crt), C(tls.key), C(ca.crt), C(next.crt), C(next.key) and C(prev.crt) are reserved.
    type: dict
    default: {}
  ca_secret:
    description:
      - Name of the CA Secret to sign with (for example C(skupper-site-ca)). Its C(tls.crt) and C(tls.key) sign,
        its C(ca.crt) (or C(tls.crt)) becomes this Secret's C(ca.crt).
      - One of O(ca_secret) and O(ca_certificate_content) is required.
    type: str
  ca_namespace:
    description:
      - Namespace of O(ca_secret). Defaults to O(namespace).
    type: str
  ca_certificate_content:
    description:
      - PEM of the CA certificate to sign with, instead of O(ca_secret).
    type: str
  ca_private_key_content:
    description:
      - PEM private key of O(ca_certificate_content).
    type: str
  ca_chain_content:
    description:
      - PEM of the chain from the issuer of O(ca_certificate_content) up to the root, added to C(ca.crt).
    type: str
seealso:
  - module: skupper.tls.skupper_ca
  - module: skupper.tls.skupper_link
requirements:
  - cryptography >= 42.0
  - kubernetes >= 24.2.0 (for O(target=kubernetes))
"""

EXAMPLES = r"""
- name: Ensure skupper-site-server for site west, valid for its router service and external host
  skupper.tls.skupper_cert:
    name: skupper-site-server
    namespace: west
    ca_secret: skupper-site-ca
    common_name: skupper-router
    hosts: [skupper-router, skupper-router.west, west.example.com, 203.0.113.7]
    usage: server

- name: Skupper v1 skupper-service-client holds only the service CA
  skupper.tls.skupper_cert:
    name: skupper-service-client
    namespace: west
    ca_secret: skupper-service-ca
    ca_only: true
    skupper_version: 1

- name: Sign with a CA held on another cluster
  skupper.tls.skupper_cert:
    name: skupper-tls-backend
    namespace: east
    context: east-cluster
    ca_secret: skupper-service-ca
    ca_namespace: shared-pki
    ca_cluster:
      context: pki-cluster
    hosts: [backend]
"""

RETURN = r"""
action:
  description: What happened to the Secret.
  returned: always
  type: str
  choices: [created, reissued, updated_trust, updated, adopted, foreign, unchanged, deleted]
  sample: reissued
reasons:
  description: "Why, one entry per failed check, as C(<check>: <why>)."
  returned: always
  type: list
  elements: str
  sample: ["sans: certificate has [DNS:a], wanted [DNS:a, DNS:b]"]
secret:
  description: Where the Secret is.
  returned: always
  type: dict
  sample: {namespace: west, name: skupper-site-server, type: kubernetes.io/tls, store: "directory /srv/manifests"}
certificate:
  description: Facts of the certificate (planned facts in check mode). Empty with O(ca_only). Never key material.
  returned: when state is present
  type: dict
  sample:
    common_name: skupper-router
    sans: ["DNS:skupper-router", "DNS:skupper-router.west", "DNS:203.0.113.7", "IP:203.0.113.7"]
    serial: 7f3a0c2e9b1d4e5f60718293a4b5c6d7
    not_after: "2031-11-21T15:00:00Z"
    fingerprint_sha256: "01:23:..."
    issuer: CN=west site CA
    usage: server
    key: RSA-2048
ca:
  description: Facts of the signing CA certificate.
  returned: when state is present
  type: dict
trust_bundle:
  description: The certificates in C(ca.crt) (common name, fingerprint, expiry).
  returned: when state is present
  type: list
  elements: dict
previous:
  description: Serial, fingerprint, expiry and issuer of the certificate that was replaced.
  returned: when action is reissued
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.skupper.tls.plugins.module_utils import args, ops, runtime


def main():
    module = AnsibleModule(argument_spec=args.cert_argument_spec(), supports_check_mode=True, **args.CERT_RULES)
    runtime.run(module, ops.ensure_cert)


if __name__ == "__main__":
    main()
