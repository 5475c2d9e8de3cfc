#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) skupper.tls contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: skupper_link
short_description: Link one Skupper site to another, with a client credential per link
version_added: 1.0.0
description:
  - Links site A (the local side, where this module writes) to site B (the O(remote) side, which accepts the link).
  - Issues a client certificate signed by B's site CA (read from B's cluster only to sign; its key never leaves
    memory), and writes into A's namespace a Secret holding it with B's trust bundle as C(ca.crt), plus a Skupper v2
    C(Link) with B's endpoints; or, for Skupper v1, a C(connection-token) Secret carrying the endpoints as annotations.
  - Endpoints come from O(endpoints), or from B's C(Site) C(status.endpoints).
  - Idempotent like the other modules. The credential is kept while it is ours, valid, signed by B's current CA and
    outside its renew window; a changed trust bundle on B rewrites only C(ca.crt); changed endpoints or cost update the Link in place.
  - With O(dest) the same objects are written to a YAML file (what C(skupper link generate) prints) instead of being applied.
author:
  - skupper.tls contributors (@skupper-tls)
extends_documentation_fragment:
  - skupper.tls.certificate.attributes
  - skupper.tls.target
  - skupper.tls.auth
  - skupper.tls.side.remote
options:
  name:
    description:
      - Name of the C(Link) (Skupper v2) or of the token Secret (Skupper v1). Defaults to C(link-<remote site_name>).
    type: str
  namespace:
    description:
      - Namespace of the local site A, where the link is written.
    type: str
    required: true
  site_name:
    description:
      - Name of the local site A. Used as the client certificate's common name (default O(namespace)) and to refuse a link to itself.
    type: str
  endpoints:
    description:
      - B's link endpoints. When omitted, read from B's C(Site) C(status.endpoints).
    type: list
    elements: dict
    suboptions:
      name:
        description: Router role, V(inter-router) or V(edge).
        type: str
        required: true
      host:
        description: Host name or IP address of B's endpoint.
        type: str
        required: true
      port:
        description: Port, as a string (the Link CRD types it as string), for example C("55671").
        type: raw
        required: true
      group:
        description: Router group, for example C(skupper-router).
        type: str
  cost:
    description: Link cost.
    type: int
    default: 1
  tls_credentials:
    description: Name of the credential Secret in A's namespace. Defaults to C(link-<remote site_name>).
    type: str
  common_name:
    description: Common name of the client certificate. Defaults to O(site_name), else O(namespace).
    type: str
  key_type:
    description: Client key algorithm.
    type: str
    choices: [rsa, ecdsa]
    default: rsa
  key_size:
    description: RSA size or ECDSA curve size (2048 for RSA, 256 for ECDSA by default).
    type: int
  validity_days:
    description: Lifetime of the client certificate in days.
    type: int
    default: 1825
  renew_before_days:
    description: Reissue the client certificate when it expires within this many days.
    type: int
    default: 30
  skupper_version:
    description: V(2) writes a C(Link) and a C(kubernetes.io/tls) Secret; V(1) writes a C(connection-token) Secret.
    type: int
    choices: [1, 2]
    default: 2
  labels:
    description: Labels to set on what is written. Labels others set are kept.
    type: dict
    default: {}
  adopt:
    description: Take over a Link or Secret of that name that skupper.tls does not own.
    type: bool
    default: false
  force:
    description: Reissue the client certificate even if it satisfies the spec.
    type: bool
    default: false
  state:
    description: V(absent) removes the Link and its Secret, if skupper.tls owns them.
    type: str
    choices: [present, absent]
    default: present
  dest:
    description:
      - Write the Link(s) and the Secret to this YAML file (mode 0600) instead of applying them to A.
        Nothing is written to A's cluster; B is still read.
    type: path
notes:
  - B's CA private key is read only to sign, and is never returned, logged or written anywhere but the credential's certificate signature.
seealso:
  - module: skupper.tls.skupper_ca
  - module: skupper.tls.skupper_cert
requirements:
  - cryptography >= 42.0
  - kubernetes >= 24.2.0
"""

EXAMPLES = r"""
- name: Link west to east (east's endpoints from its Site status)
  skupper.tls.skupper_link:
    namespace: west
    site_name: west
    context: west-cluster
    remote:
      namespace: east
      site_name: east
      context: east-cluster

- name: Link with explicit endpoints, written to a file for GitOps
  skupper.tls.skupper_link:
    namespace: west
    site_name: west
    remote:
      namespace: east
      site_name: east
      kubeconfig: /secure/east.kubeconfig
    endpoints:
      - {name: inter-router, host: east.example.com, port: "55671", group: skupper-router}
      - {name: edge, host: east.example.com, port: "45671", group: skupper-router}
    cost: 2
    dest: ./west/link-east.yaml
"""

RETURN = r"""
action:
  description: What happened overall (the credential's action, else the Link's).
  returned: always
  type: str
  choices: [created, reissued, updated_trust, updated, adopted, foreign, unchanged, deleted]
reasons:
  description: Why, prefixed with what it is about (C(secret) or C(link)).
  returned: always
  type: list
  elements: str
  sample: ["link: spec.cost: is 1, wanted 2"]
secret:
  description: The credential Secret's result (action, reasons, certificate facts, trust bundle). Never key material.
  returned: always
  type: dict
link:
  description: The Link's result (action, reasons, endpoints). Absent for Skupper v1.
  returned: when skupper_version is 2
  type: dict
endpoints:
  description: The endpoints used.
  returned: when state is present
  type: list
  elements: dict
  sample: [{name: inter-router, host: east.example.com, port: "55671", group: skupper-router}]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.skupper.tls.plugins.module_utils import args, ops, runtime


def main():
    module = AnsibleModule(argument_spec=args.link_argument_spec(), supports_check_mode=True, **args.LINK_RULES)
    runtime.run(module, ops.ensure_link)


if __name__ == "__main__":
    main()
