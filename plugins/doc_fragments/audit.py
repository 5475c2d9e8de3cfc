# -*- coding: utf-8 -*-
# Copyright (c) skupper.tls contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``connections`` option of skupper_audit: one entry of connection options (auth + target) per site.

A plain string literal for ansible-test; the suboptions are copies of the ``auth`` and ``target`` fragments,
checked by tests/unit/plugins/doc_fragments/test_side.py
(option references there read ``O(connections[].<name>)``, since skupper_audit has no top-level connection options).
"""

from __future__ import annotations


class ModuleDocFragment(object):

    CONNECTIONS = r"""
options:
  connections:
    description:
    - Where each site of O(sites) is read from, in the same order - the C(connection) of its C(skupper.tls.site) model
      (the playbook passes C(sites | map(attribute='connection'))).
    - Each entry takes this collection's connection options; C(K8S_AUTH_*) environment variables apply to an entry
      that sets none, as in the site playbook. Credentials are hidden from the task's output and logs.
    type: list
    required: true
    suboptions:
      kubeconfig:
        description:
        - The kubeconfig to load, as in C(kubernetes.core) - a path, several paths separated by V(:) (merged like
          E(KUBECONFIG)), or the kubeconfig content as a dictionary.
        - Credentials inside a dictionary are hidden from the task's output and logs.
        - When neither this option, O(connections[].context) nor O(connections[].host) with credentials are given, the in-cluster service
          account
          is tried first, then E(KUBECONFIG) or C(~/.kube/config).
        type: raw
      context:
        description:
        - The kubeconfig context to use instead of its C(current-context).
        type: str
      host:
        description:
        - URL of the Kubernetes API server, for example V(https://api.example.com:6443).
        - With O(connections[].api_key), O(connections[].username) and O(connections[].password), or O(connections[].client_cert) and
          O(connections[].client_key), no kubeconfig is loaded.
        type: str
      api_key:
        description:
        - Bearer token for the API server.
        type: str
      username:
        description:
        - User name for HTTP basic authentication, which current Kubernetes releases no longer accept; prefer O(connections[].api_key)
          or a client certificate.
        type: str
      password:
        description:
        - Password for HTTP basic authentication, see O(connections[].username).
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
        - Path to the private key of O(connections[].client_cert).
        type: path
        aliases:
        - key_file
      proxy:
        description:
        - URL of an HTTP(S) or SOCKS proxy to reach the API server through.
        type: str
      no_proxy:
        description:
        - Comma-separated hosts, domains, IP addresses or networks reached without O(connections[].proxy).
        type: str
      proxy_headers:
        description:
        - Headers sent to the proxy.
        type: dict
        suboptions:
          proxy_basic_auth:
            description:
            - V(user:password) for the proxy's basic authentication.
            - Read from E(K8S_AUTH_PROXY_HEADERS_PROXY_BASIC_AUTH) when O(connections[].proxy_headers) is not set.
            type: str
          basic_auth:
            description:
            - V(user:password) for basic authentication.
            - Read from E(K8S_AUTH_PROXY_HEADERS_BASIC_AUTH) when O(connections[].proxy_headers) is not set.
            type: str
          user_agent:
            description:
            - User-Agent header for the proxy.
            - Read from E(K8S_AUTH_PROXY_HEADERS_USER_AGENT) when O(connections[].proxy_headers) is not set.
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
        - V(directory) keeps the manifests as YAML files below O(connections[].directory), for GitOps or offline use, and ignores
          the connection options. Secrets are C(<directory>/<namespace>/<name>.yaml), other kinds
          C(<directory>/<namespace>/<plural>/<name>.yaml)
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
        - Root directory of the manifests when O(connections[].target=directory); created (mode C(0700)) when missing.
        - Required when O(connections[].target=directory).
        type: path
    elements: dict
"""
