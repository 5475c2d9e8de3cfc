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
  - cryptography >= 41.0
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

from ansible_collections.skupper.tls.plugins.module_utils import args, common, engine, layout, pki

RESERVED_KEYS = (layout.TLS_CRT, layout.TLS_KEY, layout.CA_CRT, layout.NEXT_CRT, layout.NEXT_KEY, layout.PREV_CRT)


def argument_spec():
    spec = common.secret_argument_spec()
    spec.update(
        common_name=dict(type="str"),
        hosts=dict(type="list", elements="str", default=[]),
        usage=dict(type="str", default="both", choices=["both", "server", "client"]),
        secret_type=dict(type="str", choices=[layout.TYPE_TLS, layout.TYPE_OPAQUE]),
        ca_only=dict(type="bool", default=False),
        extra_data=dict(type="dict", default={}),
        ca_secret=dict(type="str", no_log=False),
        ca_namespace=dict(type="str"),
        ca_cluster=dict(type="dict", options=common.side_argument_spec()),
        ca_certificate_content=dict(type="str"),
        ca_private_key_content=dict(type="str", no_log=True),
        ca_chain_content=dict(type="str"),
        copy_from=dict(type="dict", options=common.side_argument_spec(name=dict(type="str", required=True), namespace=dict(type="str"))),
    )
    return spec


def issuer_and_bundle(module, params, store):
    if params.get("ca_certificate_content"):
        issuer = common.load_issuer(params, "ca_certificate_content", "ca_private_key_content", "ca_chain_content")
        return issuer, issuer.bundle_pem()
    ca_namespace = params.get("ca_namespace") or params["namespace"]
    layout.validate_namespace(ca_namespace, "ca_namespace")
    ca_store = common.side_store(module, params, params["ca_cluster"], "ca_cluster.") if params.get("ca_cluster") else store
    return common.issuer_from_secret(ca_store, ca_namespace, params["ca_secret"])


def main():
    module = AnsibleModule(
        argument_spec=argument_spec(),
        supports_check_mode=True,
        required_together=[("ca_certificate_content", "ca_private_key_content")],
        mutually_exclusive=[("ca_secret", "ca_certificate_content", "copy_from")],
        required_if=[("target", "directory", ["directory"]), ("state", "present", ("ca_secret", "ca_certificate_content", "copy_from"), True)],
    )
    common.check_libraries(module)
    params = module.params

    def execute():
        extra = {}
        for key, value in params["extra_data"].items():
            if key in RESERVED_KEYS:
                raise pki.PkiError("extra_data", "key %r is reserved for the certificate material" % key)
            extra[key] = value.encode("utf-8") if isinstance(value, str) else module.jsonify(value).encode("utf-8")
        secret_type = params.get("secret_type") or (layout.TYPE_OPAQUE if params["ca_only"] else layout.TYPE_TLS)
        if params["ca_only"] and secret_type == layout.TYPE_TLS:
            raise pki.PkiError("secret_type", "kubernetes.io/tls Secrets must hold tls.crt and tls.key; with ca_only use Opaque")
        req = common.request(params, secret_type=secret_type, extra_data=extra)
        store = args.open_store(params, module)
        if params["state"] == "absent":
            return engine.ensure_absent(store, req.namespace, req.name, module.check_mode)
        if params.get("copy_from"):
            try:
                label, data = common.copy_source(module, params)
            except common.CaMissing as exc:
                if not module.check_mode:
                    raise
                return common.predict_without_ca(store, req, None, exc.label)
            if params["ca_only"]:
                bundle = data.get(layout.CA_CRT) or data.get(layout.TLS_CRT)
                return engine.ensure(store, req, engine.Material(desired=None, issue=None, bundle=lambda cert_pem, d: bundle), module.check_mode)
            return engine.ensure(store, req, common.copy_material(data, label, "copy_from"), module.check_mode)
        spec = common.cert_spec(params, params.get("common_name") or params["name"], hosts=params["hosts"], usage=params["usage"])
        try:
            issuer, bundle = issuer_and_bundle(module, params, store)
        except common.CaMissing as exc:
            if not module.check_mode:
                raise
            return common.predict_without_ca(store, req, None if params["ca_only"] else spec, exc.label)
        if params["ca_only"]:
            mat = engine.Material(desired=None, issue=None, bundle=lambda cert_pem, data: bundle, issuer=issuer.cert)
        else:
            mat = common.leaf_material(spec, issuer, bundle)
        return engine.ensure(store, req, mat, module.check_mode)

    common.run(module, execute)


if __name__ == "__main__":
    main()
