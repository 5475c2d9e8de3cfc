#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) skupper.tls contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: skupper_ca
short_description: Ensure a Skupper CA Secret (site, local, service or any CA)
version_added: 1.0.0
description:
  - Ensures a certificate authority Secret such as C(skupper-site-ca), C(skupper-local-ca) or C(skupper-service-ca)
    in a namespace of a Kubernetes cluster, or as a manifest in a directory.
  - Generates a self-signed CA with Skupper's certificate profile, or stores a CA you give (for example from
    Ansible Vault; it may be an intermediate, then C(ca.crt) carries the chain to the root).
  - C(ca.crt) is a trust bundle (one or more PEM CA certificates) that leaf Secrets copy. During a rotation it
    holds the pending (C(next.crt)) or retired (C(prev.crt)) CA next to the signer.
  - Idempotent. The CA is reissued only when a named check fails, and the module returns those RV(reasons).
author:
  - skupper.tls contributors (@skupper-tls)
extends_documentation_fragment:
  - skupper.tls.certificate
  - skupper.tls.certificate.attributes
  - skupper.tls.target
  - skupper.tls.auth
  - skupper.tls.side.copy_from
options:
  subject:
    description:
      - Common name of a generated CA.
      - Defaults to what Skupper would use. Skupper v2 C(skupper-site-ca) and C(skupper-local-ca) get
        C(<site_name> site CA) and C(<site_name> local CA); every other CA, and all CAs in Skupper v1, get the Secret name.
    type: str
  site_name:
    description:
      - Name of the Skupper site, used to derive O(subject) in Skupper v2.
    type: str
  certificate_content:
    description:
      - PEM of a CA certificate to store instead of generating one. Needs O(private_key_content).
    type: str
  private_key_content:
    description:
      - PEM private key of O(certificate_content). Stored as PKCS#1 for RSA keys (Skupper reads nothing else).
    type: str
  chain_content:
    description:
      - PEM of the certificates from the issuer of O(certificate_content) up to the root, when
        O(certificate_content) is an intermediate CA. They are added to C(ca.crt).
    type: str
  rotation:
    description:
      - Run one phase of a CA rotation on this (existing, skupper.tls-owned, generated) CA Secret instead of the normal ensure.
      - V(prepare) adds a new pending CA (C(next.crt)/C(next.key)) and makes C(ca.crt) trust both; leaves and link credentials then get the
        new bundle in C(ca.crt) on their next run, without being reissued.
      - V(activate) makes the pending CA the signer and keeps the old one trusted as C(prev.crt); leaves and link credentials are then reissued by
        the new CA on their next run (their C(issuer) check fails).
      - V(finalize) removes the old CA from C(ca.crt); leaves then drop it from their bundles on their next run.
      - Each phase is idempotent. The C(rotate) playbook runs them across sites and refuses a phase until the previous one has reached every holder.
    type: str
    choices: [prepare, activate, finalize]
notes:
  - A CA is never replaced because it nears expiry, since a new CA key breaks every link until all holders trust it. Inside O(renew_before_days)
    the module warns and leaves it; rotate it with O(rotation) (or the C(skupper.tls.rotate) playbook). O(force=true) replaces it at once.
  - A Secret with C(internal.skupper.io/controlled) is Skupper's own; it is never overwritten unless O(adopt=true).
  - Skupper signs with C(skupper-site-ca), C(skupper-local-ca) and C(skupper-service-ca) itself and reads their key
    as RSA PKCS#1 only; an ECDSA key there gives a warning.
seealso:
  - module: skupper.tls.skupper_cert
  - module: skupper.tls.skupper_link
requirements:
  - cryptography >= 42.0
  - kubernetes >= 24.2.0 (for O(target=kubernetes))
"""

EXAMPLES = r"""
- name: Ensure the site CA of site west (Skupper v2 subject "west site CA")
  skupper.tls.skupper_ca:
    name: skupper-site-ca
    namespace: west
    site_name: west
    context: west-cluster

- name: Store a CA from the vault instead of generating one
  skupper.tls.skupper_ca:
    name: skupper-site-ca
    namespace: west
    certificate_content: "{{ vault_site_ca_crt }}"
    private_key_content: "{{ vault_site_ca_key }}"
    chain_content: "{{ vault_root_ca_crt }}"

- name: Write the CA as a manifest for GitOps instead of applying it
  skupper.tls.skupper_ca:
    name: skupper-service-ca
    namespace: west
    target: directory
    directory: ./manifests
"""

RETURN = r"""
action:
  description: What happened to the Secret.
  returned: always
  type: str
  choices: [created, reissued, updated_trust, updated, adopted, foreign, unchanged, deleted, rotation_prepared, rotation_activated, rotation_finalized]
  sample: created
reasons:
  description: "Why, one entry per failed check, as C(<check>: <why>)."
  returned: always
  type: list
  elements: str
  sample: ["expiry: expires 2026-12-01T00:00:00Z (in 8 days), inside renew_before of 30 days"]
secret:
  description: Where the Secret is.
  returned: always
  type: dict
  sample: {namespace: west, name: skupper-site-ca, type: kubernetes.io/tls, store: "cluster https://127.0.0.1:6443"}
certificate:
  description: Facts of the CA certificate (planned facts, without serial and fingerprint, in check mode). Never key material.
  returned: when state is present
  type: dict
  sample:
    common_name: west site CA
    subject: CN=west site CA
    issuer: CN=west site CA
    sans: []
    serial: 5c0e4a1f0d9b6b2a8e3c1d7f00a1b2c3
    not_before: "2026-11-22T15:00:00Z"
    not_after: "2031-11-21T15:00:00Z"
    fingerprint_sha256: "AB:CD:..."
    is_ca: true
    usage: both
    key: RSA-2048
trust_bundle:
  description: The certificates in C(ca.crt) (common name, fingerprint, expiry).
  returned: when state is present
  type: list
  elements: dict
previous:
  description: Serial, fingerprint and expiry of the certificate that was replaced.
  returned: when action is reissued
  type: dict
deferred:
  description: Failed checks that were not acted on (a CA inside its renewal window is not replaced; rotate it).
  returned: when a check was deferred
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.skupper.tls.plugins.module_utils import args, ops, runtime


def main():
    module = AnsibleModule(argument_spec=args.ca_argument_spec(), supports_check_mode=True, **args.CA_RULES)
    runtime.run(module, ops.ensure_ca)


if __name__ == "__main__":
    main()
