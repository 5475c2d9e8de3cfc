# -*- coding: utf-8 -*-
# Copyright (c) skupper.tls contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Hostile input against the test API server (in-process): nothing reaches the cluster as a write, credentials never
reach the output or the syslog invocation, and "the same cluster" is recognised however it is reached.

Each case asserts: failed; the message names the option; the API server's request log holds no write (and for bad
connection options no request at all); neither the token nor the kubeconfig's key material appears anywhere.
"""

from __future__ import annotations

import base64
import os
import sys

import pytest
import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from hostile_support import material, run_module  # noqa: E402  pylint: disable=wrong-import-position

from ansible_collections.skupper.tls.plugins.modules import skupper_ca, skupper_link, skupper_links, skupper_site  # noqa: E402

M = material()


class Secrets(object):
    """The cluster's credentials as the leak check looks for them."""

    def __init__(self, cluster, config):
        self.values = [cluster.token, cluster.limited_token, M.client_key_data, M.token]
        for user in config.get("users") or []:
            for key in ("client-key-data", "token"):
                if (user.get("user") or {}).get(key):
                    self.values.append(user["user"][key])

    def leaks(self, text):
        return [value[:12] + "..." for value in self.values if value and value in text] + M.leaks(text)


@pytest.fixture(name="cluster")
def fixture_cluster(kube_cluster):
    kube_cluster.create_namespace("west")
    kube_cluster.create_namespace("east")
    return kube_cluster


def dict_kubeconfig(cluster):
    with open(cluster.kubeconfig) as handle:
        config = yaml.safe_load(handle)
    # a client key in the dict as well: it must be hidden like the token
    for user in config.get("users") or []:
        user.setdefault("user", {})["client-key-data"] = M.client_key_data
    return config


def check(run, field, cluster, secrets, no_requests=False):
    result = run.result
    assert result.get("failed"), result
    assert field in result["msg"], result["msg"]
    assert "exception" not in result, result
    writes = [r for r in cluster.requests() if r["method"] in ("POST", "PUT", "PATCH", "DELETE")]
    assert not writes, writes
    if no_requests:
        assert not cluster.requests(), cluster.requests()
    assert not secrets.leaks(run.text), secrets.leaks(run.text)


def site_args(auth, **kw):
    base = dict(name="west", namespace="west", server_hosts=["west.example.com"], local_server_hosts=["skupper-router-local"],
                services=[{"name": "db"}])
    base.update(auth)
    base.update(kw)
    return base


def link_args(auth, **kw):
    base = dict(namespace="west", site_name="west", remote={"namespace": "east", "site_name": "east"},
                endpoints=[{"name": "inter-router", "host": "east.example.com", "port": "55671"}])
    base.update(auth)
    base.update(kw)
    return base


def _auths(cluster):
    return {
        "path": {"kubeconfig": cluster.kubeconfig, "context": cluster.context},
        "dict": {"kubeconfig": dict_kubeconfig(cluster), "context": cluster.context},
        "token": {"host": cluster.url, "api_key": cluster.token, "ca_cert": cluster.ca_file},
    }


BAD_INPUTS = [
    ("skupper_site", "service-host", lambda a: site_args(a, services=[{"name": "db", "hosts": ["db\n.example"]}]), "services[0].hosts[0]"),
    ("skupper_site", "validity", lambda a: site_args(a, validity_days=0), "validity_days"),
    ("skupper_site", "server-host", lambda a: site_args(a, server_hosts=["a b"]), "server_hosts[0]"),
    ("skupper_ca", "renew-overflow", lambda a: dict(a, name="skupper-site-ca", namespace="west", site_name="west", renew_before_days=10 ** 9),
     "renew_before_days"),
    ("skupper_ca", "pem-key-as-cert", lambda a: dict(a, name="custom-ca", namespace="west", certificate_content=M.ca_key_pem,
                                                     private_key_content=M.ca_key_pem), "certificate_content"),
    ("skupper_link", "port", lambda a: link_args(a, endpoints=[{"name": "edge", "host": "e.example", "port": "\uff11"}]), "endpoints[0].port"),
    ("skupper_links", "second-link", lambda a: dict(a, namespace="west", site_name="west", links=[
        {"remote": {"namespace": "east", "site_name": "east"}, "endpoints": [{"name": "edge", "host": "e.example", "port": "45671"}]},
        {"remote": {"namespace": "north", "site_name": "north"}, "endpoints": [{"name": "edge", "host": "n\n", "port": "45671"}]}]),
     "links[1].endpoints[0].host"),
]
MODULES = {"skupper_site": skupper_site, "skupper_ca": skupper_ca, "skupper_link": skupper_link, "skupper_links": skupper_links}


@pytest.mark.parametrize("auth", ["path", "dict", "token"])
@pytest.mark.parametrize("module, case, build, field", BAD_INPUTS, ids=["%s-%s" % (b[0], b[1]) for b in BAD_INPUTS])
def test_bad_input_writes_nothing_and_hides_credentials(cluster, monkeypatch, capsys, auth, module, case, build, field):
    auths = _auths(cluster)
    secrets = Secrets(cluster, auths["dict"]["kubeconfig"])
    cluster.clear_log()
    run = run_module(MODULES[module], build(auths[auth]), monkeypatch, capsys)
    check(run, field, cluster, secrets)


@pytest.mark.parametrize("case, auth, field", [
    ("api-key-newline", lambda c: {"host": c.url, "api_key": c.token + "\n", "ca_cert": c.ca_file}, "api_key"),
    ("api-key-bearer", lambda c: {"host": c.url, "api_key": "Bearer " + c.token, "ca_cert": c.ca_file}, "api_key"),
    ("proxy-malformed", lambda c: {"host": c.url, "api_key": c.token, "proxy": "http://[::1"}, "proxy"),
    ("proxy-with-password", lambda c: {"host": c.url, "api_key": c.token, "proxy": "ftp://u:%s@p" % c.token}, "proxy"),
    ("host-not-a-url", lambda c: {"host": c.url.replace("https://", "") + "\n", "api_key": c.token}, "host"),
    ("dict-kubeconfig-bad-context", lambda c: {"kubeconfig": dict_kubeconfig(c), "context": "ctx\n"}, "context"),
])
def test_bad_connection_options_make_no_request(cluster, monkeypatch, capsys, case, auth, field):
    secrets = Secrets(cluster, dict_kubeconfig(cluster))
    cluster.clear_log()
    run = run_module(skupper_ca, dict(auth(cluster), name="skupper-site-ca", namespace="west", site_name="west"), monkeypatch, capsys)
    check(run, field, cluster, secrets, no_requests=True)


@pytest.mark.parametrize("remote", [
    lambda c: {"kubeconfig": c.kubeconfig, "context": c.context + "-cert"},          # another context of the same cluster
    lambda c: {"host": c.url + "/", "api_key": c.token, "ca_cert": c.ca_file},         # the URL spelled differently
    lambda c: {"host": c.url.replace("127.0.0.1", "127.0.0.1").upper().replace("HTTPS://", "https://"), "api_key": c.limited_token,
               "ca_cert": c.ca_file},                                                  # other credentials, same server
], ids=["other-context", "trailing-slash", "other-token"])
def test_link_to_itself_through_another_way_to_the_same_cluster(cluster, monkeypatch, capsys, remote):
    secrets = Secrets(cluster, dict_kubeconfig(cluster))
    cluster.clear_log()
    args = dict(namespace="west", site_name="west-a", kubeconfig=cluster.kubeconfig, context=cluster.context,
                remote=dict(remote(cluster), namespace="west", site_name="west-b"),
                endpoints=[{"name": "inter-router", "host": "west.example.com", "port": "55671"}])
    run = run_module(skupper_link, args, monkeypatch, capsys)
    check(run, "remote", cluster, secrets)
    assert "cannot link to itself" in run.result["msg"]


def test_dict_kubeconfig_credentials_never_logged_even_on_success(cluster, monkeypatch, capsys):
    """The syslog invocation and the result of a successful run hold no credential of a dict kubeconfig either."""
    config = dict_kubeconfig(cluster)
    secrets = Secrets(cluster, config)
    run = run_module(skupper_ca, dict(kubeconfig=config, context=cluster.context, name="skupper-site-ca", namespace="west", site_name="west",
                                      key_type="ecdsa"), monkeypatch, capsys)
    assert not run.result.get("failed"), run.result
    assert run.logs and not secrets.leaks(run.text), secrets.leaks(run.text)
    assert base64.b64decode(cluster.get("Secret", "west", "skupper-site-ca")["data"]["tls.key"])  # it did write the CA
