# -*- coding: utf-8 -*-
# Copyright (c) skupper.tls contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""skupper_site / skupper_links: one task per site, run in the controller, with what a module guarantees."""

from __future__ import annotations

import concurrent.futures
import json
import os
import subprocess
import sys

import yaml

from ansible_collections.skupper.tls.plugins.module_utils import pki

from test_site_playbook import KEY_LINE, SITE, SITES, clusters, inventory, mesh, secret, verified  # noqa: F401  (clusters: fixture)

SITE_SECRETS = ["skupper-site-ca", "skupper-site-server", "skupper-local-ca", "skupper-local-server", "skupper-service-ca",
                "skupper-tls-backend", "skupper-service-client"]


def site_task(**options):
    base = {"name": "west", "namespace": "west", "server_hosts": ["skupper-router", "skupper-router.west", "west.example.com"],
            "local_server_hosts": ["skupper-router-local", "skupper-router-local.west"], "services": [{"name": "backend"}]}
    base.update(options)
    return base


def outcome(result):
    return [(r["object"], r["action"]) for r in result["results"]]


def test_controller_and_module_process_give_the_same_result(playbook, tmp_path):
    """The action runs the operation in the controller; with async it runs the module process. Same objects, same actions."""
    inproc = {"skupper.tls.skupper_site": site_task(target="directory", directory=str(tmp_path / "a")), "register": "r"}
    module = {"skupper.tls.skupper_site": site_task(target="directory", directory=str(tmp_path / "b")), "async": 120, "poll": 1}
    run = playbook([dict(inproc, name="inproc"), dict(module, name="module")])
    a, b = run.result("inproc"), run.result("module")
    assert "ansible_job_id" not in a and "ansible_job_id" in b     # the second really ran as a module process
    assert outcome(a) == outcome(b) == [("west/%s" % s, "created") for s in SITE_SECRETS]
    assert a["actions"] == b["actions"] == {"created": 7}
    for one in (a, b):
        server = next(r for r in one["results"] if r["object"] == "west/skupper-site-server")
        assert server["certificate"]["sans"][:3] == ["DNS:skupper-router", "DNS:skupper-router.west", "DNS:west.example.com"]
    again = playbook([dict(inproc, name="inproc"), dict(module, name="module")])
    assert again.changed() == 0
    assert set(a for _o, a in outcome(again.result("inproc")) + outcome(again.result("module"))) == {"unchanged"}


def test_check_mode_and_diff_in_the_controller(playbook, tmp_path):
    task = {"name": "site", "skupper.tls.skupper_site": site_task(target="directory", directory=str(tmp_path / "out"))}
    check = playbook([task], check=True, diff=True)
    res = check.result("site")
    assert res["changed"] and [a for _o, a in outcome(res)] == ["created"] * 7
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").rglob("*.yaml"))
    assert "before: Secret west/skupper-site-server" in check.stdout     # one diff per Secret, headed by its name
    assert playbook([task]).result("site")["actions"] == {"created": 7}


def test_secrets_never_in_output_even_when_validation_fails(playbook, kube_cluster_factory, tmp_path):
    """A dict kubeconfig's token and an api_key are hidden from the result, the invocation and -vvvv, in every path."""
    cluster = kube_cluster_factory("west")
    cluster.create_namespace("west")
    with open(cluster.kubeconfig) as handle:
        config = yaml.safe_load(handle)
    ok = {"name": "ok", "skupper.tls.skupper_site": site_task(kubeconfig=config, context=cluster.context)}
    bad = {"name": "bad", "skupper.tls.skupper_site": site_task(kubeconfig=config, context=cluster.context, parts=["bogus"]),
           "ignore_errors": True}
    token = {"name": "token", "skupper.tls.skupper_site": site_task(host=cluster.url, api_key=cluster.token, ca_cert=cluster.ca_file,
                                                                    parts=["bogus"]), "ignore_errors": True}
    run = playbook([ok, bad, token], verbosity=4)
    assert run.result("ok")["actions"] == {"created": 7}
    assert "parts" in run.result("bad")["msg"]
    text = run.stdout + run.stderr + json.dumps(run.records)
    assert cluster.token not in text and cluster.limited_token not in text
    assert not KEY_LINE.search(text)


def test_task_environment_selects_the_cluster(playbook, kube_cluster_factory):
    """K8S_AUTH_* set with the task's environment (as AWX credentials or a play would) reach the controller run."""
    cluster = kube_cluster_factory("west")
    cluster.create_namespace("west")
    env = {"K8S_AUTH_HOST": cluster.url, "K8S_AUTH_API_KEY": cluster.token, "K8S_AUTH_SSL_CA_CERT": cluster.ca_file}
    run = playbook([{"name": "site", "skupper.tls.skupper_site": site_task(parts=["site"]), "environment": env}])
    assert run.result("site")["actions"] == {"created": 2}
    assert cluster.get("Secret", "west", "skupper-site-server") is not None


def test_server_hosts_from_site_status_or_pending(playbook, kube_cluster_factory):
    """Without server_hosts, the SANs are Skupper's: router names plus the hosts in the Site's status; none known -> pending."""
    cluster = kube_cluster_factory("north")
    cluster.create_namespace("north")
    conn = {"kubeconfig": cluster.kubeconfig, "context": cluster.context}
    task = {"name": "site", "skupper.tls.skupper_site": dict(site_task(name="north", namespace="north", parts=["site"], server_hosts=None), **conn)}
    pending = playbook([task]).result("site")
    assert outcome(pending) == [("north/skupper-site-ca", "created"), ("north/skupper-site-server", "pending")]
    assert "no endpoint host is known" in pending["results"][1]["reasons"][0]
    warned = playbook([task])
    assert "no endpoint host is known" in warned.stdout + warned.stderr
    assert cluster.get("Secret", "north", "skupper-site-server") is None
    cluster.put({"apiVersion": "skupper.io/v2alpha1", "kind": "Site", "metadata": {"name": "north", "namespace": "north"}, "spec": {},
                 "status": {"endpoints": [{"name": "inter-router", "host": "north.lb.example.net", "port": "55671", "group": "skupper-router"},
                                          {"name": "edge", "host": "north.lb.example.net", "port": "45671", "group": "skupper-router"}]}})
    issued = playbook([task]).result("site")
    assert outcome(issued)[1] == ("north/skupper-site-server", "created")
    server = pki.load_certificates(secret(cluster, "north", "skupper-site-server")["tls.crt"])[0]
    assert pki.host_set(server) == {"skupper-router", "skupper-router.north", "north.lb.example.net"}


def test_link_refused_when_the_peer_certificate_does_not_cover_the_host(playbook, pair):
    west, east = pair
    east_conn = {"kubeconfig": east.kubeconfig, "context": east.context}
    playbook([{"skupper.tls.skupper_site": dict(site_task(name="east", namespace="east", parts=["site"],
                                                          server_hosts=["skupper-router", "skupper-router.east", "east.example.com"]), **east_conn)}])
    links = {"name": "links", "ignore_errors": True, "skupper.tls.skupper_links": {
        "namespace": "west", "site_name": "west", "kubeconfig": west.kubeconfig, "context": west.context,
        "links": [{"remote": dict(east_conn, namespace="east", site_name="east"),
                   "endpoints": [{"name": "inter-router", "host": "other.example.com", "port": "55671"}]}]}}
    west.clear_log()
    res = playbook([links]).result("links")
    assert res["failed"] and "other.example.com" in res["msg"] and "DNS:east.example.com" in res["msg"]
    assert west.writes() == 0


HERE = os.path.dirname(os.path.abspath(__file__))
COLLECTIONS = os.path.join(os.path.dirname(os.path.dirname(HERE)), "tests", "output", "collections")


def _launch(book, inventory_path, limit, record, tmp_path):
    env = dict((k, v) for k, v in os.environ.items() if not k.startswith("K8S_AUTH_"))
    env.update({"ANSIBLE_COLLECTIONS_PATH": COLLECTIONS, "ANSIBLE_CALLBACK_PLUGINS": os.path.join(HERE, "callback_plugins"),
                "ANSIBLE_CALLBACKS_ENABLED": "record", "RECORD_FILE": str(record), "ANSIBLE_NOCOLOR": "1",
                "ANSIBLE_LOCAL_TEMP": str(tmp_path / ("tmp-" + limit)), "ANSIBLE_RETRY_FILES_ENABLED": "0"})
    cmd = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", str(inventory_path), book, "--limit", limit]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600, check=False)


def test_three_concurrent_slices_converge_in_one_pass(playbook, clusters, tmp_path):
    """AWX job slicing: three --limit runs of the site playbook at the same time; peers' CAs and the shared service
    material may not exist yet when a slice needs them. One pass converges: no failure, one CA each, no lost write."""
    inv = inventory(tmp_path, mesh(lambda n: {"skupper_cluster": {"kubeconfig": clusters[n].kubeconfig, "context": clusters[n].context}}))
    order = ["north", "east", "west"]
    with concurrent.futures.ThreadPoolExecutor(len(order)) as pool:
        runs = list(pool.map(lambda name: _launch(SITE, inv, name, tmp_path / ("%s.jsonl" % name), tmp_path), order))
    for name, proc in zip(order, runs):
        assert proc.returncode == 0, (name, proc.stdout[-4000:], proc.stderr[-2000:])
    for name in SITES:
        for secret_name in SITE_SECRETS:
            assert secret(clusters[name], name, secret_name) is not None, (name, secret_name)
    assert len(set(secret(clusters[n], n, "skupper-service-ca")["tls.crt"] for n in SITES)) == 1
    for cluster in clusters.values():
        cluster.clear_log()
    again = playbook(SITE, inventory=inv)
    assert again.changed() == 0 and sum(c.writes() for c in clusters.values()) == 0
    assert verified(playbook, inv) > 0
