# -*- coding: utf-8 -*-
# Copyright (c) skupper.tls contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every argument spec of the collection, in one place: the modules, their action plugins and the site-level
operations that call the single-Secret ones with parameters they build (``validated()``).

Secrets: every option that can carry one is ``no_log`` (``api_key``, ``password``, the proxy credentials, ``client_key``
and every PEM option: a certificate option is public, but a key pasted into it by mistake must never be logged; the
certificate options refuse key blocks). ``kubeconfig`` is not ``no_log``, so that a path stays readable in messages;
a dict kubeconfig's credentials are added to the values removed from all output before validation or logging
(``validate.argument_secrets``: ``runtime.SkupperModule`` in a module process, ``ControllerModule`` in the controller).

The auth options are kubernetes.core's, with no ``fallback``: ``K8S_AUTH_*`` variables are read in ``kube.py``
(parameter first, then environment), so the same spec serves as ``options`` of a nested dict for a second
cluster, where the environment must not apply.
"""

from __future__ import annotations

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.skupper.tls.plugins.module_utils import rotation
from ansible_collections.skupper.tls.plugins.module_utils.layout import LayoutError

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
        client_key=dict(type="path", aliases=["key_file"], no_log=True),
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


AUTH_KEYS = frozenset(auth_argument_spec()) | {"target", "directory"}


def own_connection(side):
    """Whether a nested dict (another site, a Secret elsewhere) sets connection options of its own."""
    return bool(side) and (any(side.get(k) is not None for k in AUTH_KEYS - {"target"}) or side.get("target") == "directory")


def target_argument_spec():
    """``target`` (kubernetes or directory) and ``directory`` (a fresh dict on each call)."""
    return dict(
        target=dict(type="str", choices=list(TARGETS), default="kubernetes"),
        directory=dict(type="path"),
    )


def side_argument_spec(**extra):
    """Options of a nested dict that points at another Secret, maybe on another cluster or directory."""
    spec = dict(extra)
    spec.update(auth_argument_spec())
    spec.update(target_argument_spec())
    return spec


def secret_argument_spec():
    """Options of every certificate Secret (documented in doc fragment skupper.tls.certificate)."""
    spec = dict(
        name=dict(type="str", required=True),
        namespace=dict(type="str", required=True),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        skupper_version=dict(type="int", default=2, choices=[1, 2]),
        key_type=dict(type="str", default="rsa", choices=["rsa", "ecdsa"]),
        key_size=dict(type="int"),
        validity_days=dict(type="int", default=1825),
        renew_before_days=dict(type="int", default=30),
        labels=dict(type="dict", default={}),
        annotations=dict(type="dict", default={}),
        adopt=dict(type="bool", default=False),
        force=dict(type="bool", default=False),
    )
    spec.update(target_argument_spec())
    spec.update(auth_argument_spec())
    return spec


def _copy_from():
    return dict(type="dict", options=side_argument_spec(name=dict(type="str", required=True), namespace=dict(type="str")))


def ca_argument_spec():
    spec = secret_argument_spec()
    spec.update(
        subject=dict(type="str"),
        site_name=dict(type="str"),
        certificate_content=dict(type="str", no_log=True),
        private_key_content=dict(type="str", no_log=True),
        chain_content=dict(type="str", no_log=True),
        copy_from=_copy_from(),
        rotation=dict(type="str", choices=list(rotation.PHASES)),
    )
    return spec


CA_RULES = dict(
    required_together=[("certificate_content", "private_key_content")],
    mutually_exclusive=[("certificate_content", "subject", "copy_from"), ("copy_from", "private_key_content")],
    required_if=[("target", "directory", ["directory"])],
)


def cert_argument_spec():
    spec = secret_argument_spec()
    spec.update(
        common_name=dict(type="str"),
        hosts=dict(type="list", elements="str", default=[]),
        usage=dict(type="str", default="both", choices=["both", "server", "client"]),
        secret_type=dict(type="str", choices=["kubernetes.io/tls", "Opaque"]),
        ca_only=dict(type="bool", default=False),
        extra_data=dict(type="dict", default={}),
        ca_secret=dict(type="str", no_log=False),
        ca_namespace=dict(type="str"),
        ca_cluster=dict(type="dict", options=side_argument_spec()),
        ca_certificate_content=dict(type="str", no_log=True),
        ca_private_key_content=dict(type="str", no_log=True),
        ca_chain_content=dict(type="str", no_log=True),
        copy_from=_copy_from(),
    )
    return spec


CERT_RULES = dict(
    required_together=[("ca_certificate_content", "ca_private_key_content")],
    mutually_exclusive=[("ca_secret", "ca_certificate_content", "copy_from")],
    required_if=[("target", "directory", ["directory"]), ("state", "present", ("ca_secret", "ca_certificate_content", "copy_from"), True)],
)


def _certificate_options():
    return dict(
        key_type=dict(type="str", default="rsa", choices=["rsa", "ecdsa"]),
        key_size=dict(type="int"),
        validity_days=dict(type="int", default=1825),
        renew_before_days=dict(type="int", default=30),
        skupper_version=dict(type="int", default=2, choices=[1, 2]),
    )


def _endpoints():
    return dict(type="list", elements="dict", options=dict(
        name=dict(type="str", required=True), host=dict(type="str", required=True), port=dict(type="raw", required=True), group=dict(type="str")))


def link_argument_spec():
    remote = side_argument_spec(
        namespace=dict(type="str", required=True),
        site_name=dict(type="str", required=True),
        ca_secret=dict(type="str", default="skupper-site-ca", no_log=False),
    )
    spec = dict(
        name=dict(type="str"),
        namespace=dict(type="str", required=True),
        site_name=dict(type="str"),
        remote=dict(type="dict", required=True, options=remote),
        endpoints=_endpoints(),
        cost=dict(type="int", default=1),
        tls_credentials=dict(type="str"),
        common_name=dict(type="str"),
        labels=dict(type="dict", default={}),
        adopt=dict(type="bool", default=False),
        force=dict(type="bool", default=False),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        dest=dict(type="path"),
    )
    spec.update(_certificate_options())
    spec.update(target_argument_spec())
    spec.update(auth_argument_spec())
    return spec


LINK_RULES = dict(required_if=[("target", "directory", ["directory"])])

SITE_PARTS = ("site", "local", "service")


def site_argument_spec():
    """skupper_site: everything one site owns (site, local and service TLS), in one task."""
    service = dict(name=dict(type="str", required=True), secret=dict(type="str", no_log=False), hosts=dict(type="list", elements="str"))
    source = side_argument_spec(namespace=dict(type="str", required=True), site_name=dict(type="str", required=True),
                                services=dict(type="list", elements="dict", default=[], options=service), **_certificate_options())
    spec = dict(
        name=dict(type="str", required=True),
        namespace=dict(type="str", required=True),
        parts=dict(type="list", elements="str", default=list(SITE_PARTS), choices=list(SITE_PARTS)),
        ha=dict(type="bool", default=False),
        inventory_host=dict(type="str"),
        service_source_host=dict(type="str"),
        server_hosts=dict(type="list", elements="str"),
        local_server_hosts=dict(type="list", elements="str"),
        connect_json=dict(type="str"),
        services=dict(type="list", elements="dict", default=[], options=service),
        service_source=dict(type="dict", options=source),
        adopt=dict(type="bool", default=False),
    )
    spec.update(_certificate_options())
    spec.update(target_argument_spec())
    spec.update(auth_argument_spec())
    return spec


SITE_RULES = dict(required_if=[("target", "directory", ["directory"])])


def links_argument_spec():
    """skupper_links: every link of one site, in one task."""
    peer_ca = dict(site_name=dict(type="str", required=True))
    peer_ca.update(_certificate_options())
    one = dict(
        remote=dict(type="dict", required=True, options=side_argument_spec(
            namespace=dict(type="str", required=True),
            site_name=dict(type="str", required=True),
            ca_secret=dict(type="str", default="skupper-site-ca", no_log=False))),
        endpoints=_endpoints(),
        cost=dict(type="int", default=1),
        name=dict(type="str"),
        peer_ca=dict(type="dict", options=peer_ca),
    )
    spec = dict(
        inventory_host=dict(type="str"),
        namespace=dict(type="str", required=True),
        site_name=dict(type="str", required=True),
        links=dict(type="list", elements="dict", default=[], options=one),
        labels=dict(type="dict", default={}),
        adopt=dict(type="bool", default=False),
    )
    spec.update(_certificate_options())
    spec.update(target_argument_spec())
    spec.update(auth_argument_spec())
    return spec


LINKS_RULES = dict(required_if=[("target", "directory", ["directory"])])


def validated(spec, rules, params, field):
    """``params`` checked against ``spec`` with defaults filled in, for an operation that calls another with parameters
    it builds itself (skupper_site -> the CA and certificate operations). Errors name ``field``; raises LayoutError."""
    result = ArgumentSpecValidator(spec, **rules).validate(params)
    if result.error_messages:
        raise LayoutError("%s: %s" % (field, "; ".join(result.error_messages)))
    return result.validated_parameters
