# -*- coding: utf-8 -*-
# Copyright (c) skupper.tls contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment(object):

    DOCUMENTATION = r"""
options:
  kubeconfig:
    description:
      - The kubeconfig to load, as in C(kubernetes.core) - a path, several paths separated by V(:) (merged like E(KUBECONFIG)),
        or the kubeconfig content as a dictionary.
      - Credentials inside a dictionary are hidden from the task's output and logs.
      - Read from E(K8S_AUTH_KUBECONFIG) when not set.
      - When neither this option, O(context) nor O(host) with credentials are given, the in-cluster service account
        is tried first, then E(KUBECONFIG) or C(~/.kube/config).
    type: raw
  context:
    description:
      - The kubeconfig context to use instead of its C(current-context).
      - Read from E(K8S_AUTH_CONTEXT) when not set.
    type: str
  host:
    description:
      - URL of the Kubernetes API server, for example V(https://api.example.com:6443).
      - With O(api_key), O(username) and O(password), or O(client_cert) and O(client_key), no kubeconfig is loaded.
      - Read from E(K8S_AUTH_HOST) when not set.
    type: str
  api_key:
    description:
      - Bearer token for the API server.
      - Read from E(K8S_AUTH_API_KEY) when not set.
    type: str
  username:
    description:
      - User name for HTTP basic authentication, which current Kubernetes releases no longer accept; prefer O(api_key) or a client certificate.
      - Read from E(K8S_AUTH_USERNAME) when not set.
    type: str
  password:
    description:
      - Password for HTTP basic authentication, see O(username).
      - Read from E(K8S_AUTH_PASSWORD) when not set.
    type: str
  validate_certs:
    description:
      - Whether to verify the API server's TLS certificate. Leave it on except for throw-away test clusters.
      - Read from E(K8S_AUTH_VALIDATE_CERTS) or E(K8S_AUTH_VERIFY_SSL) when not set; any value other than V(0), V(false) or V(no) means true.
    type: bool
    aliases: [verify_ssl]
  ca_cert:
    description:
      - Path to the CA certificate(s) that signed the API server's certificate.
      - Read from E(K8S_AUTH_CA_CERT) or E(K8S_AUTH_SSL_CA_CERT) when not set.
    type: path
    aliases: [ssl_ca_cert]
  client_cert:
    description:
      - Path to a client certificate to authenticate with.
      - Read from E(K8S_AUTH_CLIENT_CERT) or E(K8S_AUTH_CERT_FILE) when not set.
    type: path
    aliases: [cert_file]
  client_key:
    description:
      - Path to the private key of O(client_cert).
      - Read from E(K8S_AUTH_CLIENT_KEY) or E(K8S_AUTH_KEY_FILE) when not set.
    type: path
    aliases: [key_file]
  proxy:
    description:
      - URL of an HTTP(S) or SOCKS proxy to reach the API server through.
      - Read from E(K8S_AUTH_PROXY) when not set.
    type: str
  no_proxy:
    description:
      - Comma-separated hosts, domains, IP addresses or networks reached without O(proxy).
      - Read from E(K8S_AUTH_NO_PROXY) when not set.
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
      - Read from E(K8S_AUTH_PERSIST_CONFIG) when not set; any value other than V(0), V(false) or V(no) means true.
    type: bool
  impersonate_user:
    description:
      - User to act as (C(Impersonate-User) header); the authenticated identity needs the RBAC right to impersonate it.
      - Read from E(K8S_AUTH_IMPERSONATE_USER) when not set.
    type: str
  impersonate_groups:
    description:
      - Groups to act as (one C(Impersonate-Group) header each).
      - Read from E(K8S_AUTH_IMPERSONATE_GROUPS), a comma-separated list, when not set.
    type: list
    elements: str
notes:
  - The connection options and their E(K8S_AUTH_*) environment variables are the ones of C(kubernetes.core), so its
    C(module_defaults) and the AWX/AAP Kubernetes credentials (which set E(K8S_AUTH_HOST), E(K8S_AUTH_API_KEY),
    E(K8S_AUTH_VERIFY_SSL) and E(K8S_AUTH_SSL_CA_CERT)) work unchanged. A module option is used before its environment variable.
  - Requests that meet a busy or failing API server (HTTP 429, 500, 502, 503, 504), a timeout or a dropped connection
    are retried a few times with a growing pause, a few seconds in all.
requirements:
  - kubernetes >= 24.2.0 (Python library)
"""
