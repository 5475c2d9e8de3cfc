# -*- coding: utf-8 -*-
# Copyright (c) skupper.tls contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""skupper_verify against two test clusters and against manifest directories: real handshakes between what the other modules wrote."""

from __future__ import annotations

import os
import shutil

import yaml

from support import v1_site

HAS_OPENSSL = shutil.which("openssl") is not None
METHODS = ["python", "openssl"] if HAS_OPENSSL else ["python"]
ENDPOINTS = [{"name": "inter-router", "host": "east.example.com", "port": "55671", "group": "skupper-router"},
             {"name": "edge", "host": "192.0.2.7", "port": "45671", "group": "skupper-router"}]
SERVER_HOSTS = ["skupper-router", "skupper-router.east", "east.example.com", "192.0.2.7"]


def auth(cluster):
    return {"kubeconfig": cluster.kubeconfig, "context": cluster.context}


def site_ca(conn, site, name="skupper-site-ca", task=None, **kw):
    args = dict(name=name, namespace=site, site_name=site, **conn)
    args.update(kw)
    return {"name": task or "ca-%s" % site, "skupper.tls.skupper_ca": args}


def site_server(conn, site, hosts=None, **kw):
    args = dict(name="skupper-site-server", namespace=site, ca_secret="skupper-site-ca", common_name="skupper-router",
                hosts=hosts or ["skupper-router", "skupper-router.%s" % site], usage="server", **conn)
    args.update(kw)
    return {"name": "server-%s" % site, "skupper.tls.skupper_cert": args}


def link(local, remote, local_ns="west", remote_ns="east", task="link", **kw):
    args = dict(namespace=local_ns, site_name=local_ns, remote=dict(namespace=remote_ns, site_name=remote_ns, **remote), **local)
    args.update(kw)
    return {"name": task, "skupper.tls.skupper_link": args}


def verify(task="verify", **kw):
    kw.setdefault("methods", METHODS)
    return {"name": task, "skupper.tls.skupper_verify": kw, "ignore_errors": True}


def side(conn, namespace, secret):
    return dict(secret=secret, namespace=namespace, **conn)


def setup(playbook, west, east, **link_kw):
    playbook([site_ca(east, "east"), site_server(east, "east", hosts=SERVER_HOSTS),
              link(west, east, endpoints=ENDPOINTS, **link_kw)])


def assert_all_ok(res, hosts, client_subject="CN=west", server_subject="CN=skupper-router"):
    assert res["ok"] is True and not res.get("failed"), res
    assert res["changed"] is False
    assert res["hosts"] == hosts
    assert [(r["host"], r["method"]) for r in res["results"]] == [(h, m) for h in hosts for m in METHODS]
    for r in res["results"]:
        assert r["ok"] and r["error"] is None, r
        assert r["server_subject"] == server_subject
        assert r["client_subject"] == client_subject
        assert r["tls_version"].startswith("TLSv1.")
    assert [row["host"] for row in res["rows"]] == hosts
    assert all(row["ok"] and all(row[m] == "ok" for m in METHODS) for row in res["rows"])


def assert_no_key_material(res):
    text = repr(res)
    assert "PRIVATE KEY" not in text and "BEGIN CERTIFICATE" not in text


def test_link_endpoints_verified_and_bogus_host_fails(playbook, pair):
    west, east = pair
    wa, ea = auth(west), auth(east)
    setup(playbook, wa, ea)
    west.clear_log()
    east.clear_log()
    server, client = side(ea, "east", "skupper-site-server"), side(wa, "west", "link-east")
    run = playbook([
        verify(server=server, client=client, link="link-east"),
        verify("bogus", server=server, client=client, hosts=["bogus.example.com", "east.example.com"]),
        verify("internal names", server=server, client=client, hosts=["skupper-router", "skupper-router.east"], methods=["python"]),
    ])
    res = run.result("verify")
    assert_all_ok(res, ["east.example.com", "192.0.2.7"])
    assert res["rows"][0]["check"] == "west/link-east -> east/skupper-site-server"
    assert res["server"]["secret"] == "east/skupper-site-server" and res["server"]["certificate"]["common_name"] == "skupper-router"
    assert res["client"]["secret"] == "west/link-east" and res["client"]["trust_only"] is False
    assert_no_key_material(res)

    bogus = run.result("bogus")
    assert bogus["failed"] and bogus["ok"] is False
    assert "bogus.example.com" in bogus["msg"] and "mismatch" in bogus["msg"]
    assert "%d of %d handshakes failed" % (len(METHODS), 2 * len(METHODS)) in bogus["msg"]
    rows = dict((row["host"], row) for row in bogus["rows"])
    assert not rows["bogus.example.com"]["ok"] and all(rows["bogus.example.com"][m] == "FAIL" for m in METHODS)
    assert rows["east.example.com"]["ok"]
    assert run.result("internal names")["ok"] is True
    assert run.result("internal names")["rows"][0]["openssl"] == "-"
    # read-only: no write request reached either cluster
    assert west.writes() == 0 and east.writes() == 0


def test_check_mode_runs_the_same(playbook, pair):
    west, east = pair
    setup(playbook, auth(west), auth(east))
    res = playbook([verify(server=side(auth(east), "east", "skupper-site-server"), client=side(auth(west), "west", "link-east"),
                           link="link-east")], check=True).result("verify")
    assert_all_ok(res, ["east.example.com", "192.0.2.7"])


def test_client_certificate_from_another_ca_fails(playbook, kube_cluster_factory, pair):
    """west's link to north presents a certificate signed by north's CA: east's server must refuse it, in both methods."""
    west, east = pair
    north = kube_cluster_factory("north")
    north.create_namespace("north")
    setup(playbook, auth(west), auth(east))
    playbook([site_ca(auth(north), "north"),
              link(auth(west), auth(north), remote_ns="north", task="link-north", endpoints=[dict(e, host="north.example.com") for e in ENDPOINTS])])
    run = playbook([verify(server=side(auth(east), "east", "skupper-site-server"), client=side(auth(west), "west", "link-north"),
                           hosts=["east.example.com"])])
    res = run.result("verify")
    assert res["failed"] and not res["ok"]
    assert len(res["results"]) == len(METHODS)
    for r in res["results"]:
        assert not r["ok"] and "server:" in r["error"], r


def test_trust_only_and_top_level_connection(playbook, pair):
    """No client: trust the server's ca.crt, present nothing. Connection options at the top level serve both sides."""
    west, east = pair
    setup(playbook, auth(west), auth(east))
    run = playbook([
        verify(server={"secret": "skupper-site-server", "namespace": "east"}, hosts=["skupper-router.east", "192.0.2.7"], **auth(east)),
        verify("wrong cluster", server=dict(auth(west), secret="skupper-site-server", namespace="east"),
               hosts=["skupper-router.east"], **auth(east)),
    ])
    res = run.result("verify")
    assert_all_ok(res, ["skupper-router.east", "192.0.2.7"], client_subject=None)
    assert res["client"]["trust_only"] is True
    wrong = run.result("wrong cluster")
    assert wrong["failed"] and "not found" in wrong["msg"] and "east/skupper-site-server" in wrong["msg"]
    assert [(row["host"], row["python"]) for row in wrong["rows"]] == [("skupper-router.east", "FAIL")]


def test_v1_token_hosts_from_annotations(playbook, pair):
    west, east = pair
    wa, ea = auth(west), auth(east)
    v1_site(east, "east")
    playbook([site_ca(ea, "east", skupper_version=1, site_name=None), site_server(ea, "east", hosts=SERVER_HOSTS, skupper_version=1),
              link(wa, ea, endpoints=ENDPOINTS, skupper_version=1)])
    res = playbook([verify(server=side(ea, "east", "skupper-site-server"), client=side(wa, "west", "link-east"),
                           link="link-east")]).result("verify")
    assert_all_ok(res, ["east.example.com", "192.0.2.7"])


def test_missing_material_reported_per_host(playbook, pair):
    west, east = pair
    setup(playbook, auth(west), auth(east))
    run = playbook([
        verify("no server", server=side(auth(east), "east", "skupper-nope"), client=side(auth(west), "west", "link-east"), link="link-east"),
        verify("no link", server=side(auth(east), "east", "skupper-site-server"), client=side(auth(west), "west", "link-east"), link="link-nope"),
        verify("link without client", server=side(auth(east), "east", "skupper-site-server"), link="link-east"),
        verify("no hosts", server=side(auth(east), "east", "skupper-site-server")),
    ])
    res = run.result("no server")
    assert res["failed"] and "east/skupper-nope not found" in res["msg"]
    assert [row["host"] for row in res["rows"]] == ["east.example.com", "192.0.2.7"]
    nolink = run.result("no link")
    assert nolink["failed"] and "link-nope" in nolink["msg"] and nolink["rows"][0]["host"] == "-"
    assert run.result("link without client")["failed"] and "requires client" in run.result("link without client")["msg"]
    assert run.result("no hosts")["failed"] and "hosts" in run.result("no hosts")["msg"]


def test_directory_targets(playbook, tmp_path):
    """Both sites as manifest directories (<output>/<site>/<namespace>/...), as the inventory's directory target lays them out."""
    west_dir, east_dir = tmp_path / "manifests" / "west", tmp_path / "manifests" / "east"
    wd = {"target": "directory", "directory": str(west_dir)}
    ed = {"target": "directory", "directory": str(east_dir)}
    playbook([site_ca(ed, "east"), site_server(ed, "east", hosts=SERVER_HOSTS), link(wd, ed, endpoints=ENDPOINTS),
              site_ca(wd, "west", name="skupper-local-ca", task="local-ca"),
              {"name": "local-server", "skupper.tls.skupper_cert": dict(
                  name="skupper-local-server", namespace="west", ca_secret="skupper-local-ca", common_name="skupper-router-local",
                  hosts=["skupper-router-local", "skupper-router-local.west", "skupper-router-local.west.svc.cluster.local"], **wd)}])
    before = sorted((p, p.stat().st_mtime_ns) for p in tmp_path.rglob("*.yaml"))
    run = playbook([
        verify(server=side(ed, "east", "skupper-site-server"), client=side(wd, "west", "link-east"), link="link-east"),
        verify("local", server=side(wd, "west", "skupper-local-server"),
               hosts=["skupper-router-local", "skupper-router-local.west", "skupper-router-local.west.svc.cluster.local"]),
        verify("swapped", server=side(wd, "east", "skupper-site-server"), client=side(wd, "west", "link-east"), link="link-east"),
        verify("bogus", server=side(ed, "east", "skupper-site-server"), client=side(wd, "west", "link-east"), hosts=["west.example.com"]),
    ])
    assert_all_ok(run.result("verify"), ["east.example.com", "192.0.2.7"])
    assert run.result("verify")["server"]["store"] == "directory %s" % east_dir
    assert_all_ok(run.result("local"), ["skupper-router-local", "skupper-router-local.west", "skupper-router-local.west.svc.cluster.local"],
                  client_subject=None, server_subject="CN=skupper-router-local")
    assert run.result("swapped")["failed"] and "not found" in run.result("swapped")["msg"]
    assert run.result("bogus")["failed"] and "mismatch" in run.result("bogus")["msg"]
    assert sorted((p, p.stat().st_mtime_ns) for p in tmp_path.rglob("*.yaml")) == before


# --------------------------------------------------------------------------- playbooks/verify.yml

PLAYBOOKS = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "playbooks")
SITE_NAMES = ("west", "east", "north")


def inventory(tmp_path, hosts, common=None):
    data = {"all": {"vars": dict({"ansible_connection": "local", "ansible_python_interpreter": "{{ ansible_playbook_python }}",
                                  "skupper_services": [{"name": "backend", "hosts": ["backend", "backend.example.com"]}],
                                  "skupper_verify_methods": METHODS}, **(common or {})),
                    "hosts": hosts}}
    path = tmp_path / "inventory.yml"
    path.write_text(yaml.safe_dump(data))
    return path


def mesh(names=SITE_NAMES, extra=lambda name: {}):
    """Each site links to the ones after it (west -> east, west -> north, east -> north); one external host name each, and an IP on east."""
    hosts = {}
    for index, name in enumerate(names):
        external = ["%s.example.com" % name] + (["203.0.113.20"] if name == "east" else [])
        hosts[name] = dict({"skupper_namespace": name, "skupper_external_hosts": external,
                            "skupper_links": [{"to": other} for other in names[index + 1:]]}, **extra(name))
    return hosts


def matrix_lines(run):
    found = [r["msg"] for r in run.results("Print the matrix of all sites") if isinstance(r.get("msg"), list)]
    assert len(found) == 1, run
    return found[0]


def cells(line):
    return [cell.strip() for cell in line.split("|")]


def expected_rows(names, version=2):
    local = (["skupper-router-local", "skupper-router-local.%s", "skupper-router-local.%s.svc.cluster.local"] if version == 2
             else ["skupper-router-local", "skupper-router-local.%s.svc.cluster.local"])
    rows = set()
    for index, site in enumerate(names):
        rows |= set((site, "local router", host.replace("%s", site)) for host in local)
        rows |= set((site, "service backend", host) for host in ("backend", "backend.example.com"))
        rows |= set((site, "link to %s" % peer, "%s.example.com" % peer) for peer in names[index + 1:])
    return rows


def assert_matrix_ok(run, names, version=2):
    lines = matrix_lines(run)
    assert cells(lines[0]) == ["site", "check", "host", "python", "openssl"]
    rows = [cells(line) for line in lines[1:-1]]
    assert set(tuple(row[:3]) for row in rows) == expected_rows(names, version)
    for row in rows:
        assert row[3] == "ok" and row[4] == ("ok" if HAS_OPENSSL else "-"), row
    assert lines[-1] == "0 of %d checks failed" % len(rows)


def test_playbook_directory_target(playbook, tmp_path):
    out = tmp_path / "manifests"
    inv = inventory(tmp_path, mesh(), {"skupper_target": "directory", "skupper_output_dir": str(out)})
    playbook(os.path.join(PLAYBOOKS, "site.yml"), inventory=inv)
    before = sorted((p, p.stat().st_mtime_ns) for p in out.rglob("*.yaml"))
    run = playbook(os.path.join(PLAYBOOKS, "verify.yml"), inventory=inv)
    assert_matrix_ok(run, SITE_NAMES)
    assert run.changed() == 0
    assert sorted((p, p.stat().st_mtime_ns) for p in out.rglob("*.yaml")) == before

    # north's server certificate loses its external host: both links to north fail, nothing else does
    playbook([site_server({"target": "directory", "directory": str(out / "north")}, "north", hosts=["skupper-router", "skupper-router.north"])])
    broken = playbook(os.path.join(PLAYBOOKS, "verify.yml"), inventory=inv, expect_rc=2)
    rows = [cells(line) for line in matrix_lines(broken)[1:-1]]
    failed = set(tuple(row[:3]) for row in rows if "FAIL" in row[3:])
    assert failed == {("west", "link to north", "north.example.com"), ("east", "link to north", "north.example.com")}
    assert matrix_lines(broken)[-1] == "2 of %d checks failed" % len(rows)
    asserts = [r for r in broken.results("Fail if a handshake of this site failed") if r.get("failed")]
    assert len(asserts) == 2 and all("north.example.com" in repr(r["msg"]) and "mismatch" in repr(r["msg"]) for r in asserts)


def test_playbook_two_clusters_and_v1(playbook, kube_cluster_factory, tmp_path):
    """Sites on their own test clusters (Skupper v1 layouts: connection tokens, trust-only service client, local client)."""
    names = ("west", "north")
    clusters = {}
    for name in names:
        clusters[name] = kube_cluster_factory(name)
        clusters[name].create_namespace(name)
        v1_site(clusters[name], name, uid="uid-of-%s" % name)
    inv = inventory(tmp_path, mesh(names, lambda n: {"skupper_cluster": auth(clusters[n])}), {"skupper_version": 1})
    playbook(os.path.join(PLAYBOOKS, "site.yml"), inventory=inv)
    for cluster in clusters.values():
        cluster.clear_log()
    run = playbook(os.path.join(PLAYBOOKS, "verify.yml"), inventory=inv)
    assert_matrix_ok(run, names, version=1)
    assert sum(c.writes() for c in clusters.values()) == 0
    # west's credential for north trusts the wrong CA (west's own): only that row fails, on the client side
    creds = clusters["west"].get("Secret", "west", "link-north")
    creds["data"]["ca.crt"] = clusters["west"].get("Secret", "west", "skupper-site-ca")["data"]["tls.crt"]
    clusters["west"].put(creds)
    broken = playbook(os.path.join(PLAYBOOKS, "verify.yml"), inventory=inv, expect_rc=2)
    rows = [cells(line) for line in matrix_lines(broken)[1:-1]]
    assert set(tuple(row[:3]) for row in rows if "FAIL" in row[3:]) == {("west", "link to north", "north.example.com")}
    failed = [r for r in broken.results("Fail if a handshake of this site failed") if r.get("failed")]
    assert len(failed) == 1 and "client:" in repr(failed[0]["msg"])
