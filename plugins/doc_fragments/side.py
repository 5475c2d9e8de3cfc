# -*- coding: utf-8 -*-
# Copyright (c) skupper.tls contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Nested options that point at a Secret or site elsewhere (``remote``, ``ca_cluster``, ``copy_from``, ``ca``, ``holders``).

Each takes the module's connection options (auth + target) as suboptions. ansible-test needs doc fragments as plain
string literals, so the connection suboptions below are copies of the ``auth`` and ``target`` fragments (without the
``K8S_AUTH_*`` lines, which describe the module's own cluster only). tests/unit/plugins/doc_fragments/test_side.py
fails when they drift apart.
"""

from __future__ import annotations


class ModuleDocFragment(object):

    COPY_FROM = r"""
options:
  copy_from:
    description:
    - Make this Secret hold exactly what another Secret holds (same certificate, key and C(ca.crt)) instead of issuing
      one, for example one service CA or server certificate shared by every site. Keys go from Secret to Secret
      inside the module, never through Ansible variables.
    - Connection options (the same as this module's, without the C(K8S_AUTH_*) environment variables) select where
      it is; without any, it is read through this module's own connection.
    type: dict
    suboptions:
      name:
        description:
        - Name of the source Secret.
        type: str
        required: true
      namespace:
        description:
        - Namespace of the source Secret. Defaults to the module's O(namespace).
        type: str
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
"""

    CA_CLUSTER = r"""
options:
  ca_cluster:
    description:
    - Where O(ca_secret) is, when it is not on the same cluster or directory as this Secret.
    - Connection options (the same as this module's, without the C(K8S_AUTH_*) environment variables) select where
      it is; without any, it is read through this module's own connection.
    type: dict
    suboptions:
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
"""

    REMOTE = r"""
options:
  remote:
    description:
    - The remote site B that accepts the link. Its CA Secret is read only to sign; its endpoints may come from its
      C(Site).
    - Connection options (the same as this module's, without the C(K8S_AUTH_*) environment variables) select where
      it is; without any, it is read through this module's own connection.
    type: dict
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
    required: true
"""

    CA = r"""
options:
  ca:
    description:
    - The CA Secret.
    - Connection options (the same as this module's, without the C(K8S_AUTH_*) environment variables) select where
      it is; without any, it is read through this module's own connection.
    type: dict
    suboptions:
      name:
        description:
        - Name of the CA Secret.
        type: str
        required: true
      namespace:
        description:
        - Namespace of the CA Secret.
        type: str
        required: true
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
    required: true
"""

    HOLDERS = r"""
options:
  holders:
    description:
    - Secrets that trust or are signed by the CA (leaves, link credentials on other clusters, copies).
    - Connection options (the same as this module's, without the C(K8S_AUTH_*) environment variables) select where
      it is; without any, it is read through this module's own connection.
    type: list
    suboptions:
      name:
        description:
        - Name of the Secret.
        type: str
        required: true
      namespace:
        description:
        - Namespace of the Secret.
        type: str
        required: true
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
    elements: dict
    default: []
"""
