# -*- coding: utf-8 -*-
# Copyright (c) skupper.tls contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import os

import pytest
import yaml
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.skupper.tls.plugins.doc_fragments import auth as auth_doc
from ansible_collections.skupper.tls.plugins.doc_fragments import target as target_doc
from ansible_collections.skupper.tls.plugins.module_utils import args
from ansible_collections.skupper.tls.plugins.module_utils.kube import AUTH_ENV, PROXY_HEADERS

KUBERNETES_CORE_OPTIONS = {"kubeconfig", "context", "host", "api_key", "username", "password", "validate_certs", "ca_cert", "client_cert",
                           "client_key", "proxy", "no_proxy", "proxy_headers", "persist_config", "impersonate_user", "impersonate_groups"}


def test_auth_spec_is_kubernetes_cores():
    spec = args.auth_argument_spec()
    assert set(spec) == KUBERNETES_CORE_OPTIONS
    assert {name for name, option in spec.items() if option.get("no_log")} == {"api_key", "password"}
    assert spec["client_key"]["no_log"] is False
    assert {name: option["aliases"] for name, option in spec.items() if "aliases" in option} == {
        "validate_certs": ["verify_ssl"], "ca_cert": ["ssl_ca_cert"], "client_cert": ["cert_file"], "client_key": ["key_file"]}
    assert spec["kubeconfig"]["type"] == "raw"
    assert spec["impersonate_groups"] == {"type": "list", "elements": "str"}
    headers = spec["proxy_headers"]["options"]
    assert set(headers) == set(PROXY_HEADERS) and headers["proxy_basic_auth"]["no_log"] and headers["basic_auth"]["no_log"]
    assert not any("fallback" in option for option in spec.values()), "K8S_AUTH_* is resolved in kube.py, never by the argspec"
    assert set(AUTH_ENV) | {"proxy_headers"} == set(spec)


def test_specs_are_fresh_dicts():
    first = args.auth_argument_spec()
    first["proxy_headers"]["options"]["user_agent"]["default"] = "x"
    first["target"] = {}
    assert "default" not in args.auth_argument_spec()["proxy_headers"]["options"]["user_agent"]
    second = args.target_argument_spec()
    second["target"]["default"] = "directory"
    assert args.target_argument_spec()["target"] == {"type": "str", "choices": ["kubernetes", "directory"], "default": "kubernetes"}


def test_specs_validate_with_aliases_and_a_nested_remote(tmp_path):
    spec = args.auth_argument_spec()
    spec.update(args.target_argument_spec())
    spec["remote"] = dict(type="dict", options=args.auth_argument_spec())
    result = ArgumentSpecValidator(spec).validate({
        "verify_ssl": "no", "ssl_ca_cert": "~/ca.crt", "api_key": "s3cret", "impersonate_groups": "a,b",
        "remote": {"kubeconfig": {"users": []}, "context": "east", "key_file": "k.pem"},
    })
    assert not result.error_messages, result.error_messages
    params = result.validated_parameters
    assert params["validate_certs"] is False and params["ca_cert"] == os.path.expanduser("~/ca.crt")
    assert params["impersonate_groups"] == ["a", "b"] and params["target"] == "kubernetes" and params["directory"] is None
    assert params["remote"]["context"] == "east" and params["remote"]["client_key"].endswith("k.pem")
    assert "s3cret" in result._no_log_values  # pylint: disable=protected-access


@pytest.mark.parametrize("fragment, spec", [(auth_doc, args.auth_argument_spec()), (target_doc, args.target_argument_spec())])
def test_doc_fragments_match_the_specs(fragment, spec):
    options = yaml.safe_load(fragment.ModuleDocFragment.DOCUMENTATION)["options"]

    def compare(documented, specified):
        assert set(documented) == set(specified)
        for name, option in specified.items():
            doc = documented[name]
            assert doc["type"] == option.get("type", "str"), name
            for key in ("aliases", "choices", "default", "elements"):
                assert doc.get(key) == option.get(key), (name, key)
            if "options" in option:
                compare(doc["suboptions"], option["options"])

    compare(options, spec)


def test_auth_fragment_names_each_environment_variable():
    text = auth_doc.ModuleDocFragment.DOCUMENTATION
    options = yaml.safe_load(text)["options"]
    for option, variables in AUTH_ENV.items():
        for variable in variables:
            assert "E(%s)" % variable in " ".join(options[option]["description"]), (option, variable)
    for header in PROXY_HEADERS:
        assert "E(K8S_AUTH_PROXY_HEADERS_%s)" % header.upper() in " ".join(options["proxy_headers"]["suboptions"][header]["description"])
