# -*- coding: utf-8 -*-
# Copyright (c) skupper.tls contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Hostile input against every module that writes, run in-process through its real ``main()`` (directory target).

Each case asserts (hostile_support.assert_refused): the task failed; its message names the option; the output
directory is byte-for-byte unchanged (nothing written, not even a CA before a bad service host); no key material
or token appears in the result or in the invocation log AnsibleModule writes to syslog.
"""

from __future__ import annotations

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from hostile_support import assert_refused, material, run_module, snapshot  # noqa: E402  pylint: disable=wrong-import-position

from ansible_collections.skupper.tls.plugins.modules import skupper_ca, skupper_cert, skupper_link, skupper_links, skupper_site  # noqa: E402

M = material()
FULLWIDTH_PORT = "\uff15\uff15\uff16\uff17\uff11"   # '55671' in fullwidth digits: str.isdigit() says True
ARABIC_PORT = "\u0665\u0665\u0666\u0667\u0661"


def ca_args(**kw):
    return dict(dict(name="skupper-site-ca", namespace="west", site_name="west"), **kw)


def imported(cert, key, **kw):
    return ca_args(name="custom-ca", certificate_content=cert, private_key_content=key, **kw)


CA_CASES = [
    # names, namespaces, paths
    ("name-newline", ca_args(name="ca\n"), "name"),
    ("name-traversal", ca_args(name="../ca"), "name"),
    ("name-slash", ca_args(name="a/b"), "name"),
    ("name-upper", ca_args(name="CA"), "name"),
    ("name-empty", ca_args(name=""), "name"),
    ("name-too-long", ca_args(name="a" * 254), "name"),
    ("name-unicode", ca_args(name="c\u0430"), "name"),
    ("name-nul", ca_args(name="ca\x00"), "name"),
    ("ns-newline", ca_args(namespace="west\n"), "namespace"),
    ("ns-traversal", ca_args(namespace=".."), "namespace"),
    ("ns-dot", ca_args(namespace="a.b"), "namespace"),
    ("ns-slash", ca_args(namespace="../../etc"), "namespace"),
    ("ns-too-long", ca_args(namespace="n" * 64), "namespace"),
    ("site-name-newline", ca_args(site_name="west\n"), "site_name"),
    ("site-name-traversal", ca_args(site_name="../west"), "site_name"),
    ("site-name-too-long", ca_args(site_name="w" * 60), "site_name"),
    # metadata
    ("label-key-newline", ca_args(labels={"a\n": "x"}), "labels"),
    ("label-value-newline", ca_args(labels={"a": "x\n"}), "labels[a]"),
    ("label-value-long", ca_args(labels={"a": "x" * 64}), "labels[a]"),
    ("label-forged-owner", ca_args(labels={"app.kubernetes.io/managed-by": "helm"}), "labels[app.kubernetes.io/managed-by]"),
    ("annotation-controlled", ca_args(annotations={"internal.skupper.io/controlled": "true"}), "annotations"),
    ("annotation-key-bad", ca_args(annotations={"bad key": "x"}), "annotations"),
    # lifetimes
    ("validity-zero", ca_args(validity_days=0), "validity_days"),
    ("validity-negative", ca_args(validity_days=-5), "validity_days"),
    ("validity-overflow", ca_args(validity_days=10 ** 9), "validity_days"),
    ("validity-past-9999", ca_args(validity_days=3000000), "validity_days"),
    ("validity-huge", ca_args(validity_days=2 ** 70), "validity_days"),
    ("renew-negative", ca_args(renew_before_days=-1), "renew_before_days"),
    ("renew-overflow", ca_args(renew_before_days=10 ** 12), "renew_before_days"),
    ("renew-not-less", ca_args(validity_days=30, renew_before_days=30), "renew_before_days"),
    ("imported-renew-overflow", imported(M.ca_pem, M.ca_key_pem, renew_before_days=10 ** 12), "renew_before_days"),
    # subject
    ("subject-newline", ca_args(subject="west\nCA"), "subject"),
    ("subject-long", ca_args(subject="s" * 65), "subject"),
    ("subject-spaces", ca_args(subject=" west CA"), "subject"),
    ("key-size", ca_args(key_size=1024), "key_size"),
    ("key-type", ca_args(key_type="dsa"), "key_type"),
    # PEM options: keys where certificates belong, ambiguity, bad CAs
    ("cert-content-is-key", imported(M.ca_key_pem, M.ca_key_pem), "certificate_content"),
    ("cert-content-with-key", imported(M.ca_pem + M.ca_key_pem, M.ca_key_pem), "certificate_content"),
    ("chain-content-with-key", imported(M.ca_pem, M.ca_key_pem, chain_content=M.other_key_pem), "chain_content"),
    ("two-keys", imported(M.ca_pem, M.ca_key_pem + M.other_key_pem), "private_key_content"),
    ("key-content-is-cert", imported(M.ca_pem, M.ca_pem), "private_key_content"),
    ("key-content-with-cert", imported(M.ca_pem, M.ca_key_pem + M.ca_pem), "private_key_content"),
    ("key-mismatch", imported(M.ca_pem, M.other_key_pem), "certificate_content"),
    ("expired-ca", imported(M.expired_pem, M.expired_key_pem), "certificate_content"),
    ("future-ca", imported(M.future_pem, M.future_key_pem), "certificate_content"),
    ("weak-rsa-ca", imported(M.weak_pem, M.weak_key_pem), "certificate_content"),
    ("not-a-ca", imported(M.leaf_pem, M.leaf_key_pem), "certificate_content"),
    ("garbage-cert", imported("-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n", M.ca_key_pem), "certificate_content"),
    ("cut-off-cert", imported(M.ca_pem[:200], M.ca_key_pem), "certificate_content"),
    ("cut-off-key", imported(M.ca_pem, M.ca_key_pem[:100]), "private_key_content"),
    ("non-ascii-cert", imported(M.ca_pem.replace("A", "\u0391", 1), M.ca_key_pem), "certificate_content"),
    ("copy-from-bad-name", ca_args(name="custom-ca", copy_from={"name": "../x"}), "copy_from.name"),
    ("copy-from-bad-ns", ca_args(name="custom-ca", copy_from={"name": "x", "namespace": "X\n"}), "copy_from.namespace"),
]


def cert_args(**kw):
    return dict(dict(name="skupper-site-server", namespace="west", ca_secret="skupper-site-ca", hosts=["west.example.com"]), **kw)


CERT_CASES = [
    ("host-newline-label", cert_args(hosts=["foo\n.example.com"]), "hosts[0]"),
    ("host-trailing-newline", cert_args(hosts=["ok.example.com", "west.example.com\n"]), "hosts[1]"),
    ("host-spaces", cert_args(hosts=[" west.example.com"]), "hosts[0]"),
    ("host-inner-space", cert_args(hosts=["a b.example"]), "hosts[0]"),
    ("host-underscore", cert_args(hosts=["a_b.example"]), "hosts[0]"),
    ("host-ip-noncanonical", cert_args(hosts=["::0001"]), "hosts[0]"),
    ("host-ip-zone", cert_args(hosts=["fe80::1%eth0"]), "hosts[0]"),
    ("host-cidr", cert_args(hosts=["10.0.0.0/8"]), "hosts[0]"),
    ("host-unicode", cert_args(hosts=["b\u00fccher.de"]), "hosts[0]"),
    ("host-star", cert_args(hosts=["*"]), "hosts[0]"),
    ("host-inner-star", cert_args(hosts=["a.*.com"]), "hosts[0]"),
    ("host-empty-label", cert_args(hosts=["a..b"]), "hosts[0]"),
    ("host-trailing-dot", cert_args(hosts=["example.com."]), "hosts[0]"),
    ("host-port", cert_args(hosts=["x.com:443"]), "hosts[0]"),
    ("host-url", cert_args(hosts=["http://x"]), "hosts[0]"),
    ("host-numeric-tld", cert_args(hosts=["1.2.3.4.5"]), "hosts[0]"),
    ("host-label-64", cert_args(hosts=["a" * 64 + ".com"]), "hosts[0]"),
    ("host-bad-punycode", cert_args(hosts=["xn--a.example"]), "hosts[0]"),
    ("host-reserved-dashes", cert_args(hosts=["ab--c.example"]), "hosts[0]"),
    ("host-nul", cert_args(hosts=["a\x00.example"]), "hosts[0]"),
    ("cn-newline", cert_args(common_name="x\n"), "common_name"),
    ("cn-long", cert_args(common_name="c" * 65), "common_name"),
    ("cn-empty-name-derived", cert_args(common_name=None, name="n" * 70), "name"),
    ("extra-data-reserved", cert_args(extra_data={"tls.key": "x"}), "extra_data"),
    ("extra-data-bad-key", cert_args(extra_data={"a/b": "x"}), "extra_data"),
    ("extra-data-dotdot", cert_args(extra_data={"..x": "x"}), "extra_data"),
    ("ca-secret-traversal", cert_args(ca_secret="../ca"), "ca_secret"),
    ("ca-secret-newline", cert_args(ca_secret="ca\n"), "ca_secret"),
    ("ca-namespace-bad", cert_args(ca_namespace="East"), "ca_namespace"),
    ("ca-pem-is-key", cert_args(ca_secret=None, ca_certificate_content=M.ca_key_pem, ca_private_key_content=M.ca_key_pem), "ca_certificate_content"),
    ("ca-chain-with-key", cert_args(ca_secret=None, ca_certificate_content=M.ca_pem, ca_private_key_content=M.ca_key_pem,
                                    ca_chain_content=M.ca_pem + M.other_key_pem), "ca_chain_content"),
    ("ca-two-keys", cert_args(ca_secret=None, ca_certificate_content=M.ca_pem, ca_private_key_content=M.ca_key_pem + M.other_key_pem),
     "ca_private_key_content"),
    ("ca-expired", cert_args(ca_secret=None, ca_certificate_content=M.expired_pem, ca_private_key_content=M.expired_key_pem), "ca_certificate_content"),
    ("ca-future", cert_args(ca_secret=None, ca_certificate_content=M.future_pem, ca_private_key_content=M.future_key_pem), "ca_certificate_content"),
    ("ca-weak", cert_args(ca_secret=None, ca_certificate_content=M.weak_pem, ca_private_key_content=M.weak_key_pem), "ca_certificate_content"),
    ("ca-not-ca", cert_args(ca_secret=None, ca_certificate_content=M.leaf_pem, ca_private_key_content=M.leaf_key_pem), "ca_certificate_content"),
    ("cert-validity-overflow", cert_args(validity_days=10 ** 10), "validity_days"),
    ("cert-renew-overflow", cert_args(renew_before_days=2 ** 63), "renew_before_days"),
    ("secret-type-ca-only", cert_args(ca_only=True, secret_type="kubernetes.io/tls"), "secret_type"),
    ("cert-labels-newline", cert_args(labels={"x": "y\n"}), "labels[x]"),
]


def ep(**kw):
    return dict(dict(name="inter-router", host="east.example.com", port="55671"), **kw)


def link_args(**kw):
    base = dict(namespace="west", site_name="west", remote={"namespace": "east", "site_name": "east"}, endpoints=[ep()])
    return dict(base, **kw)


LINK_CASES = [
    ("port-fullwidth", link_args(endpoints=[ep(port=FULLWIDTH_PORT)]), "endpoints[0].port"),
    ("port-arabic", link_args(endpoints=[ep(port=ARABIC_PORT)]), "endpoints[0].port"),
    ("port-zero", link_args(endpoints=[ep(port="0")]), "endpoints[0].port"),
    ("port-high", link_args(endpoints=[ep(port="65536")]), "endpoints[0].port"),
    ("port-leading-zero", link_args(endpoints=[ep(port="055671")]), "endpoints[0].port"),
    ("port-int", link_args(endpoints=[ep(port=55671)]), "endpoints[0].port"),
    ("port-space", link_args(endpoints=[ep(port=" 55671")]), "endpoints[0].port"),
    ("port-newline", link_args(endpoints=[ep(port="55671\n")]), "endpoints[0].port"),
    ("port-exp", link_args(endpoints=[ep(port="1e3")]), "endpoints[0].port"),
    ("port-negative", link_args(endpoints=[ep(), ep(name="edge", port="-1")]), "endpoints[1].port"),
    ("ep-host-newline", link_args(endpoints=[ep(host="east\n.example.com")]), "endpoints[0].host"),
    ("ep-host-trailing-newline", link_args(endpoints=[ep(host="east.example.com\n")]), "endpoints[0].host"),
    ("ep-host-spaces", link_args(endpoints=[ep(host=" east.example.com ")]), "endpoints[0].host"),
    ("ep-host-wildcard", link_args(endpoints=[ep(host="*.example.com")]), "endpoints[0].host"),
    ("ep-host-ip-noncanonical", link_args(endpoints=[ep(host="10.0.0.01")]), "endpoints[0].host"),
    ("ep-name", link_args(endpoints=[ep(name="claims")]), "endpoints[0].name"),
    ("ep-group", link_args(endpoints=[ep(group="Group\n")]), "endpoints[0].group"),
    ("cost-zero", link_args(cost=0), "cost"),
    ("cost-negative", link_args(cost=-3), "cost"),
    ("cost-huge", link_args(cost=2 ** 40), "cost"),
    ("ns-bad", link_args(namespace="West"), "namespace"),
    ("remote-ns-bad", link_args(remote={"namespace": "east\n", "site_name": "east"}), "remote.namespace"),
    ("remote-site-traversal", link_args(remote={"namespace": "east", "site_name": "../east"}), "remote.site_name"),
    ("remote-site-upper", link_args(remote={"namespace": "east", "site_name": "East"}), "remote.site_name"),
    ("site-name-newline", link_args(site_name="west\n"), "site_name"),
    ("link-name-bad", link_args(name="link\n"), "name"),
    ("tls-credentials-bad", link_args(tls_credentials="../creds"), "tls_credentials"),
    ("common-name-newline", link_args(common_name="west\n"), "common_name"),
    ("self-link", link_args(remote={"namespace": "west", "site_name": "west"}), "remote"),
    ("self-link-by-site-name", link_args(remote={"namespace": "east", "site_name": "west"}), "remote"),
    ("dest-newline", link_args(dest="/tmp/\nlink.yaml"), "dest"),
    ("dest-dir", link_args(dest="/tmp/"), "dest"),
    ("link-validity-overflow", link_args(validity_days=10 ** 9), "validity_days"),
    ("link-labels-bad", link_args(labels={"k": "v v"}), "labels[k]"),
]

AUTH_CASES = [
    # connection options are checked before any library sees them (target kubernetes, nothing reachable needed)
    ("api-key-newline", link_args(target="kubernetes", host="https://127.0.0.1:9", api_key=M.token + "\n"), "api_key"),
    ("api-key-space", link_args(target="kubernetes", host="https://127.0.0.1:9", api_key="Bearer " + M.token), "api_key"),
    ("proxy-malformed", link_args(target="kubernetes", host="https://127.0.0.1:9", api_key=M.token, proxy="http://[::1"), "proxy"),
    ("proxy-scheme", link_args(target="kubernetes", host="https://127.0.0.1:9", api_key=M.token, proxy="ftp://proxy"), "proxy"),
    ("proxy-port", link_args(target="kubernetes", host="https://127.0.0.1:9", api_key=M.token, proxy="http://proxy:99999"), "proxy"),
    ("proxy-credentials-hidden", link_args(target="kubernetes", host="https://127.0.0.1:9", api_key=M.token,
                                           proxy="http://user:%s@proxy:99999" % M.token), "proxy"),
    ("host-not-url", link_args(target="kubernetes", host="127.0.0.1:6443\n", api_key=M.token), "host"),
    ("remote-api-key-newline", link_args(remote={"namespace": "east", "site_name": "east", "target": "kubernetes",
                                                 "host": "https://127.0.0.1:9", "api_key": M.token + "\n"}), "remote.api_key"),
    ("kubeconfig-int", link_args(target="kubernetes", kubeconfig=7), "kubeconfig"),
    ("kubeconfig-dict-bad-option", link_args(target="kubernetes", kubeconfig={
        "apiVersion": "v1", "kind": "Config", "current-context": "c",
        "users": [{"name": "u", "user": {"client-key-data": M.client_key_data, "token": M.token}}]}, cost="many"), "cost"),
]


def site_args(**kw):
    base = dict(name="west", namespace="west", server_hosts=["west.example.com"], local_server_hosts=["skupper-router-local"],
                services=[{"name": "db"}])
    return dict(base, **kw)


SITE_CASES = [
    # the bad value is in the last Secret of the site: the site CA (first) must not have been written either
    ("service-host-newline", site_args(services=[{"name": "db", "hosts": ["db\n.example"]}]), "services[0].hosts[0]"),
    ("service-host-bad-second", site_args(services=[{"name": "db"}, {"name": "web", "hosts": ["web", "we b"]}]), "services[1].hosts[1]"),
    ("service-name-traversal", site_args(services=[{"name": "../db"}]), "services[0].name"),
    ("service-name-upper", site_args(services=[{"name": "DB"}]), "services[0].name"),
    ("service-secret-bad", site_args(services=[{"name": "db", "secret": "db\n"}]), "services[0].secret"),
    ("server-host-newline", site_args(server_hosts=["west.example.com\n"]), "server_hosts[0]"),
    ("server-host-noncanonical-ip", site_args(server_hosts=["10.0.0.001"]), "server_hosts[0]"),
    ("local-host-bad", site_args(local_server_hosts=["a..b"]), "local_server_hosts[0]"),
    ("site-name-traversal", site_args(name="../west"), "name"),
    ("site-name-newline", site_args(name="west\n"), "name"),
    ("site-ns-bad", site_args(namespace="West"), "namespace"),
    ("site-validity-zero", site_args(validity_days=0), "validity_days"),
    ("site-validity-overflow", site_args(validity_days=10 ** 9), "validity_days"),
    ("site-renew-overflow", site_args(renew_before_days=10 ** 9), "renew_before_days"),
    ("site-key-size", site_args(key_size=1000), "key_size"),
    ("site-connect-json-missing-v1", site_args(skupper_version=1), "connect_json"),
    ("service-source-host-bad", site_args(service_source={"namespace": "east", "site_name": "east",
                                                          "services": [{"name": "db", "hosts": ["db\n"]}]}), "service_source.services[0].hosts[0]"),
    ("service-source-site-bad", site_args(service_source={"namespace": "east", "site_name": "../east", "services": []}), "service_source.site_name"),
]


def links_args(*links, **kw):
    return dict(dict(namespace="west", site_name="west", links=list(links)), **kw)


def one_link(site="east", **kw):
    return dict(dict(remote={"namespace": site, "site_name": site}, endpoints=[ep(host="%s.example.com" % site)]), **kw)


LINKS_CASES = [
    # the first link is fine: the bad second one must stop the whole task before the first is written
    ("second-port-bad", links_args(one_link(), one_link("north", endpoints=[ep(host="north.example.com", port=FULLWIDTH_PORT)])),
     "links[1].endpoints[0].port"),
    ("second-host-bad", links_args(one_link(), one_link("north", endpoints=[ep(host="north.example.com\n")])), "links[1].endpoints[0].host"),
    ("second-cost-bad", links_args(one_link(), one_link("north", cost=0)), "links[1].cost"),
    ("second-remote-bad", links_args(one_link(), {"remote": {"namespace": "north", "site_name": "../north"}, "endpoints": [ep()]}),
     "links[1].remote.site_name"),
    ("second-self", links_args(one_link(), {"remote": {"namespace": "west", "site_name": "west"}, "endpoints": [ep()]}), "links[1].remote"),
    ("peer-ca-site-bad", links_args(one_link(peer_ca={"site_name": "east\n"})), "links[0].peer_ca.site_name"),
    ("peer-ca-validity-bad", links_args(one_link(peer_ca={"site_name": "east", "validity_days": 0})), "links[0].peer_ca.validity_days"),
    ("links-site-name-bad", links_args(one_link(), site_name="../west"), "site_name"),
    ("links-labels-bad", links_args(one_link(), labels={"app.kubernetes.io/managed-by": "me"}), "labels[app.kubernetes.io/managed-by]"),
]


def _directory_case(tmp_path, args):
    out = tmp_path / "out"
    out.mkdir()
    args = dict((k, v) for k, v in args.items() if v is not None)
    args.setdefault("target", "directory")
    if args["target"] == "directory":
        args["directory"] = str(out)
    for side in ("remote",):
        if isinstance(args.get(side), dict) and args[side].get("target") != "kubernetes":
            args[side] = dict(args[side], target="directory", directory=str(out))
    for link in args.get("links") or []:
        link["remote"] = dict(link["remote"], target="directory", directory=str(out))
    if isinstance(args.get("service_source"), dict):
        args["service_source"] = dict(args["service_source"], target="directory", directory=str(out))
    return out, args


def _seed(out, monkeypatch, capsys):
    """A site CA for east and west in ``out`` (so that leaf and link cases get past the signer), snapshotted after."""
    for namespace in ("west", "east", "north"):
        run = run_module(skupper_ca, ca_args(namespace=namespace, site_name=namespace, target="directory", directory=str(out), key_type="ecdsa"),
                         monkeypatch, capsys)
        assert not run.result.get("failed"), run.result


CASES = ([("skupper_ca",) + c for c in CA_CASES] + [("skupper_cert",) + c for c in CERT_CASES] + [("skupper_link",) + c for c in LINK_CASES]
         + [("skupper_link",) + c for c in AUTH_CASES] + [("skupper_site",) + c for c in SITE_CASES]
         + [("skupper_links",) + c for c in LINKS_CASES])
MODULES = {"skupper_ca": skupper_ca, "skupper_cert": skupper_cert, "skupper_link": skupper_link, "skupper_site": skupper_site,
           "skupper_links": skupper_links}


@pytest.mark.parametrize("module, case, args, field", CASES, ids=["%s-%s" % (c[0], c[1]) for c in CASES])
def test_hostile_module_input(tmp_path, monkeypatch, capsys, module, case, args, field):
    out, args = _directory_case(tmp_path, args)
    if module in ("skupper_cert", "skupper_link", "skupper_links"):
        _seed(out, monkeypatch, capsys)
    before = snapshot(tmp_path)
    run = run_module(MODULES[module], args, monkeypatch, capsys)
    assert_refused(run, field, before, snapshot(tmp_path))
    assert "mutually exclusive" not in run.result["msg"], "the case does not test what it says"
    # the message says it was bad input (or the argument spec's own wording), never a crash
    assert run.result["msg"].startswith(("Invalid input: ", "argument ", "Unsupported parameters", "value of ", "parameters are")) or \
        "links[" in run.result["msg"] or "required" in run.result["msg"], run.result["msg"]


def test_case_count():
    """The issue asks for at least 150 hostile cases across the modules, the inventory and the stores."""
    assert len(CASES) >= 150
