#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) skupper.tls contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: skupper_links
short_description: Ensure every link of one Skupper site in one task
version_added: 1.1.0
description:
  - For each link A->B of site A, ensures what M(skupper.tls.skupper_link) ensures - a client credential Secret signed by
    B's site CA, and a C(Link) (Skupper v2) or a C(connection-token) Secret (Skupper v1) in A's namespace - in one task,
    with one API client per cluster.
  - Runs inside the controller as an action plugin (the module process is used only when the task cannot run there -
    another connection, C(become), C(async)).
  - Run it after every peer's site CA exists (a play barrier), or give O(links[].peer_ca) so that a missing peer CA is created.
author:
  - skupper.tls contributors (@skupper-tls)
extends_documentation_fragment:
  - skupper.tls.certificate.site_attributes
  - skupper.tls.target
  - skupper.tls.auth
options:
  inventory_host:
    description:
      - Take every option not given here from this inventory host's C(skupper_*) variables and each peer's (the
        inventory model, docs/INVENTORY.md), evaluated once by the action plugin - what the C(links) role does.
      - Read by the action plugin only (Ansible always runs this module through it).
    type: str
  namespace:
    description:
      - Namespace of site A, where the links are written.
    type: str
    required: true
  site_name:
    description:
      - Name of site A; the common name of its link credentials.
    type: str
    required: true
  links:
    description:
      - The links of site A.
    type: list
    elements: dict
    default: []
    suboptions:
      remote:
        description:
        - Site B (the peer) and where its site CA Secret is (its connection options, the same as this module's, without the
          C(K8S_AUTH_*) environment variables; without any, B is read through this module's own connection).
        type: dict
        required: true
        suboptions:
          namespace:
            description:
            - Namespace of site B.
            type: str
            required: true
          site_name:
            description:
            - Name of site B (its C(Site) resource); default names are C(link-<site_name>).
            type: str
            required: true
          ca_secret:
            description:
            - B's CA Secret that signs link credentials.
            type: str
            default: skupper-site-ca
          kubeconfig:
            description:
            - The kubeconfig to load, as in C(kubernetes.core) - a path, several paths separated by V(:) (merged like
              E(KUBECONFIG)), or the kubeconfig content as a dictionary.
            - Credentials inside a dictionary are hidden from the task's output and logs.
            - When neither this option, O(context) nor O(host) with credentials are given, the in-cluster service account
              is tried first, then E(KUBECONFIG) or C(~/.kube/config).
            type: raw
          context:
            description:
            - The kubeconfig context to use instead of its C(current-context).
            type: str
          host:
            description:
            - URL of the Kubernetes API server, for example V(https://api.example.com:6443).
            - With O(api_key), O(username) and O(password), or O(client_cert) and O(client_key), no kubeconfig is loaded.
            type: str
          api_key:
            description:
            - Bearer token for the API server.
            type: str
          username:
            description:
            - User name for HTTP basic authentication, which current Kubernetes releases no longer accept; prefer O(api_key)
              or a client certificate.
            type: str
          password:
            description:
            - Password for HTTP basic authentication, see O(username).
            type: str
          validate_certs:
            description:
            - Whether to verify the API server's TLS certificate. Leave it on except for throw-away test clusters.
            type: bool
            aliases:
            - verify_ssl
          ca_cert:
            description:
            - Path to the CA certificate(s) that signed the API server's certificate.
            type: path
            aliases:
            - ssl_ca_cert
          client_cert:
            description:
            - Path to a client certificate to authenticate with.
            type: path
            aliases:
            - cert_file
          client_key:
            description:
            - Path to the private key of O(client_cert).
            type: path
            aliases:
            - key_file
          proxy:
            description:
            - URL of an HTTP(S) or SOCKS proxy to reach the API server through.
            type: str
          no_proxy:
            description:
            - Comma-separated hosts, domains, IP addresses or networks reached without O(proxy).
            type: str
          proxy_headers:
            description:
            - Headers sent to the proxy.
            type: dict
            suboptions:
              proxy_basic_auth:
                description:
                - V(user:password) for the proxy's basic authentication.
                - Read from E(K8S_AUTH_PROXY_HEADERS_PROXY_BASIC_AUTH) when O(proxy_headers) is not set.
                type: str
              basic_auth:
                description:
                - V(user:password) for basic authentication.
                - Read from E(K8S_AUTH_PROXY_HEADERS_BASIC_AUTH) when O(proxy_headers) is not set.
                type: str
              user_agent:
                description:
                - User-Agent header for the proxy.
                - Read from E(K8S_AUTH_PROXY_HEADERS_USER_AGENT) when O(proxy_headers) is not set.
                type: str
          persist_config:
            description:
            - Whether to write refreshed credentials (for example a renewed OIDC token) back to the kubeconfig file.
            type: bool
          impersonate_user:
            description:
            - User to act as (C(Impersonate-User) header); the authenticated identity needs the RBAC right to impersonate
              it.
            type: str
          impersonate_groups:
            description:
            - Groups to act as (one C(Impersonate-Group) header each).
            type: list
            elements: str
          target:
            description:
            - Where objects are read and written.
            - V(kubernetes) talks to the API server chosen by the connection options.
            - V(directory) keeps the manifests as YAML files below O(directory), for GitOps or offline use, and ignores
              the connection options. Secrets are C(<directory>/<namespace>/<name>.yaml), other kinds C(<directory>/<namespace>/<plural>/<name>.yaml)
              (for example C(links/)). Files are written atomically with mode C(0600), in directories with mode C(0700),
              and are checked as the API server would check them (names, C(kubernetes.io/tls) keys, base64 data, Secret
              type).
            type: str
            choices:
            - kubernetes
            - directory
            default: kubernetes
          directory:
            description:
            - Root directory of the manifests when O(target=directory); created (mode C(0700)) when missing.
            - Required when O(target=directory).
            type: path
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
            description: Port, as a string, for example C("55671").
            type: raw
            required: true
          group:
            description: Router group, for example C(skupper-router).
            type: str
      cost:
        description: Link cost.
        type: int
        default: 1
      name:
        description: Name of the C(Link) (v2) or token Secret (v1). Defaults to C(link-<B site_name>).
        type: str
      peer_ca:
        description:
        - Site B's own site CA parameters. When B's site CA does not exist yet (B's part of a sliced job has not run),
          it is created with these, exactly as B's own run would create it, so the run converges in one pass.
        type: dict
        suboptions:
          site_name:
            description: B's site name (the CA subject is C(<site_name> site CA)).
            type: str
            required: true
          key_type:
            description:
              - Private key algorithm of the certificates this task issues.
            type: str
            choices: [rsa, ecdsa]
            default: rsa
          key_size:
            description:
              - RSA modulus size (V(2048), V(3072), V(4096)) or ECDSA curve size (V(256), V(384)). Defaults to V(2048) for RSA and V(256) for ECDSA.
            type: int
          validity_days:
            description:
              - Lifetime of a newly issued certificate, in days. Skupper uses 5 years.
            type: int
            default: 1825
          renew_before_days:
            description:
              - Reissue a leaf when it expires within this many days. A CA inside this window is reported (RV(deferred)) and never replaced.
            type: int
            default: 30
          skupper_version:
            description:
              - Skupper major version whose Secret layout to write.
            type: int
            choices: [1, 2]
            default: 2
  labels:
    description:
      - Labels added to every Secret and Link this task writes.
    type: dict
    default: {}
  adopt:
    description:
      - Take over Secrets and Links of the same names that skupper.tls did not create.
    type: bool
    default: false
  key_type:
    description:
      - Private key algorithm of the certificates this task issues.
    type: str
    choices: [rsa, ecdsa]
    default: rsa
  key_size:
    description:
      - RSA modulus size (V(2048), V(3072), V(4096)) or ECDSA curve size (V(256), V(384)). Defaults to V(2048) for RSA and V(256) for ECDSA.
    type: int
  validity_days:
    description:
      - Lifetime of a newly issued certificate, in days. Skupper uses 5 years.
    type: int
    default: 1825
  renew_before_days:
    description:
      - Reissue a leaf when it expires within this many days. A CA inside this window is reported (RV(deferred)) and never replaced.
    type: int
    default: 30
  skupper_version:
    description:
      - Skupper major version whose Secret layout to write.
    type: int
    choices: [1, 2]
    default: 2
seealso:
  - module: skupper.tls.skupper_link
  - module: skupper.tls.skupper_site
requirements:
  - cryptography >= 42.0
  - kubernetes >= 24.2.0 (for O(target=kubernetes))
"""

EXAMPLES = r"""
- name: Links west -> east and west -> north
  skupper.tls.skupper_links:
    namespace: west
    site_name: west
    context: west
    links:
      - remote: {namespace: east, site_name: east, context: east}
        endpoints: [{name: inter-router, host: east.example.com, port: "55671"}]
      - remote: {namespace: north, site_name: north, context: north}
        cost: 2
"""

RETURN = r"""
results:
  description:
    - One entry per object this task ensured, in order, each the result the single-object module returns
      (RV(results[].action), RV(results[].reasons), certificate facts) plus RV(results[].kind) and RV(results[].object). Never key material.
  returned: always
  type: list
  elements: dict
  contains:
    kind:
      description: C(Secret) or C(Link).
      type: str
      returned: always
    object:
      description: C(<namespace>/<name>) of the Secret, or C(<site> -> <peer>) of a link.
      type: str
      returned: always
    action:
      description: What happened to it.
      type: str
      returned: always
      sample: created
    reasons:
      description: "Why, one entry per failed check, as C(<check>: <why>)."
      type: list
      elements: str
      returned: always
actions:
  description: How many objects ended in each action.
  returned: always
  type: dict
  sample: {created: 7, unchanged: 0}
deferred:
  description: Changes a CA needs that are never made silently (expiry window, new subject or key type); rotate the CA.
  returned: always
  type: list
  elements: str
"""


from ansible_collections.skupper.tls.plugins.module_utils import args, ops, runtime


def main():
    module = runtime.SkupperModule(argument_spec=args.links_argument_spec(), supports_check_mode=True, **args.LINKS_RULES)
    runtime.run(module, ops.ensure_links)


if __name__ == "__main__":
    main()
