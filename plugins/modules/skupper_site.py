#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) skupper.tls contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: skupper_site
short_description: Ensure every TLS Secret one Skupper site owns, in one task
version_added: 1.1.0
description:
  - Ensures, in order, the site CA (C(skupper-site-ca)) and server certificate (C(skupper-site-server)), the local CA
    (C(skupper-local-ca)) and server certificate (C(skupper-local-server), and with Skupper v1 C(skupper-local-client)
    with C(connect.json)), the service CA (C(skupper-service-ca)), one certificate per service (C(skupper-tls-<service>))
    and C(skupper-service-client) - exactly what M(skupper.tls.skupper_ca) and M(skupper.tls.skupper_cert) ensure one by one,
    with the same checks, reasons and ownership rules, in one task and with one API client per cluster.
  - Runs inside the controller as an action plugin (the module process is used only when the task cannot run there -
    another connection, C(become), C(async)).
  - With O(service_source) (shared service TLS), the service CA and certificates are copies of another site's, Secret to
    Secret; that site's material is created first when it does not exist yet, so concurrent or sliced runs converge.
author:
  - skupper.tls contributors (@skupper-tls)
extends_documentation_fragment:
  - skupper.tls.certificate.site_attributes
  - skupper.tls.target
  - skupper.tls.auth
options:
  inventory_host:
    description:
      - Take every option not given here from this inventory host's C(skupper_*) variables (the inventory model,
        docs/INVENTORY.md), evaluated once by the action plugin - what the C(site_tls) role does.
      - Read by the action plugin only (Ansible always runs this module through it).
    type: str
  service_source_host:
    description:
      - With O(inventory_host) in shared service TLS mode, the inventory host whose service CA and certificates are copied.
        Defaults to the host's C(skupper_service_tls_source), else the inventory's first host (never the play's).
    type: str
  name:
    description:
      - Site name; the CA subjects are C(<name> site CA) and so on.
    type: str
    required: true
  namespace:
    description:
      - The site's namespace.
    type: str
    required: true
  parts:
    description:
      - Which groups of Secrets to ensure.
    type: list
    elements: str
    choices: [site, local, service]
    default: [site, local, service]
  server_hosts:
    description:
      - SANs of C(skupper-site-server) (the router names and every host peers dial).
      - When omitted, they are Skupper's own set (reference 2.1, 5.1) - C(skupper-router), C(skupper-router.<namespace>)
        (and the C(-2) names with O(ha)) plus the endpoint hosts the site reports in the status of its RouterAccess
        C(skupper-router), else of its C(Site). When no endpoint host is known yet, no server certificate is written
        (RV(results[].action=pending), with a warning), since one naming only the in-cluster Service fails every link.
    type: list
    elements: str
  ha:
    description:
      - The site runs two router groups (Skupper v2 C(spec.ha)); the server certificate also names C(skupper-router-2).
    type: bool
    default: false
  local_server_hosts:
    description:
      - SANs of C(skupper-local-server). Required with V(local) in O(parts).
    type: list
    elements: str
  connect_json:
    description:
      - Content of C(connect.json) in the Skupper v1 C(skupper-local-client). Required for v1 with V(local) in O(parts).
    type: str
  services:
    description:
      - Services whose certificates this site issues with its own service CA.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Service name; the certificate's common name.
        type: str
        required: true
      secret:
        description: Secret name. Defaults to C(skupper-tls-<name>).
        type: str
      hosts:
        description: SANs of the service certificate. Defaults to O(services[].name).
        type: list
        elements: str
  service_source:
    description:
      - Shared service TLS - the site whose service CA and certificates this site copies, and where it is.
    type: dict
    suboptions:
      namespace:
        description: Namespace of the source site.
        type: str
        required: true
      site_name:
        description: Name of the source site.
        type: str
        required: true
      services:
        description: The source site's services (their Secrets are copied).
        type: list
        elements: dict
        default: []
        suboptions:
          name:
            description: Service name; the certificate's common name.
            type: str
            required: true
          secret:
            description: Secret name. Defaults to C(skupper-tls-<name>).
            type: str
          hosts:
            description: SANs of the service certificate. Defaults to O(services[].name).
            type: list
            elements: str

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
  adopt:
    description:
      - Take over Secrets of the same names that skupper.tls did not create (their material is kept when it satisfies the spec).
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
  - module: skupper.tls.skupper_ca
  - module: skupper.tls.skupper_cert
  - module: skupper.tls.skupper_links
requirements:
  - cryptography >= 42.0
  - kubernetes >= 24.2.0 (for O(target=kubernetes))
"""

EXAMPLES = r"""
- name: Everything site west owns
  skupper.tls.skupper_site:
    name: west
    namespace: west
    context: west
    server_hosts: [skupper-router, skupper-router.west, west.example.com]
    local_server_hosts: [skupper-router-local, skupper-router-local.west, skupper-router-local.west.svc.cluster.local]
    services:
      - name: backend
        hosts: [backend, backend.example.com]
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
    module = runtime.SkupperModule(argument_spec=args.site_argument_spec(), supports_check_mode=True, **args.SITE_RULES)
    runtime.run(module, ops.ensure_site)


if __name__ == "__main__":
    main()
