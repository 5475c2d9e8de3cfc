# -*- coding: utf-8 -*-
# Copyright (c) skupper.tls contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Argument specs shared by the modules, and ``open_store()`` which turns those options into a Store.

The auth options are kubernetes.core's, with no ``fallback``: ``K8S_AUTH_*`` variables are read in ``kube.py``
(parameter first, then environment), so the same spec serves as ``options`` of a nested dict for a second
cluster, where the environment must not apply.
"""

from __future__ import annotations

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.skupper.tls.plugins.module_utils.store import DirectoryStore, StoreError

TARGETS = ("kubernetes", "directory")


def auth_argument_spec():
    """kubernetes.core's AUTH_ARG_SPEC option set (a fresh dict on each call)."""
    return dict(
        kubeconfig=dict(type="raw"),
        context=dict(type="str"),
        host=dict(type="str"),
        api_key=dict(type="str", no_log=True),
        username=dict(type="str"),
        password=dict(type="str", no_log=True),
        validate_certs=dict(type="bool", aliases=["verify_ssl"]),
        ca_cert=dict(type="path", aliases=["ssl_ca_cert"]),
        client_cert=dict(type="path", aliases=["cert_file"]),
        client_key=dict(type="path", aliases=["key_file"], no_log=False),
        proxy=dict(type="str"),
        no_proxy=dict(type="str"),
        proxy_headers=dict(
            type="dict",
            options=dict(
                proxy_basic_auth=dict(type="str", no_log=True),
                basic_auth=dict(type="str", no_log=True),
                user_agent=dict(type="str"),
            ),
        ),
        persist_config=dict(type="bool"),
        impersonate_user=dict(type="str"),
        impersonate_groups=dict(type="list", elements="str"),
    )


def target_argument_spec():
    """``target`` (kubernetes or directory) and ``directory`` (a fresh dict on each call)."""
    return dict(
        target=dict(type="str", choices=list(TARGETS), default="kubernetes"),
        directory=dict(type="path"),
    )


def open_store(params, module=None, prefix="", use_env=True, **store_options):
    """The Store that ``params`` (target, directory and the auth options) select.

    ``prefix`` is put before option names in messages (``"remote."`` for a nested ``remote`` dict); ``use_env=False``
    ignores K8S_AUTH_* (they describe the main cluster only). With ``module``, the credentials of a dict kubeconfig
    are added to ``module.no_log_values`` and a missing ``kubernetes`` library fails the module the standard way.
    ``store_options`` go to KubeStore (timeout, retries, backoff). Raises StoreError.
    """
    target = params.get("target") or "kubernetes"
    if target not in TARGETS:
        raise StoreError("%starget must be one of %s, got %r" % (prefix, ", ".join(TARGETS), target))
    if target == "directory":
        if not params.get("directory"):
            raise StoreError("%sdirectory is required when %starget=directory" % (prefix, prefix))
        return DirectoryStore(params["directory"])
    # Imported here so that directory mode never pays for loading the kubernetes client.
    from ansible_collections.skupper.tls.plugins.module_utils import kube

    if module is not None:
        module.no_log_values.update(kube.sensitive_values(params))
    if not kube.HAS_KUBERNETES:
        if module is not None:
            module.fail_json(msg=missing_required_lib("kubernetes"), exception=kube.KUBERNETES_IMPORT_ERROR)
        raise StoreError(missing_required_lib("kubernetes"))
    return kube.KubeStore.from_params(params, use_env=use_env, **store_options)
