"""Inventories (docs/INVENTORY.md) for sites on real clusters: what the playbook tests share."""

import base64
import os

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PLAYBOOKS = os.path.join(ROOT, "playbooks")
SITE, VERIFY, ROTATE = (os.path.join(PLAYBOOKS, n) for n in ("site.yml", "verify.yml", "rotate.yml"))
SITES = ("west", "east", "north")
SITE_SECRETS = ("skupper-site-ca", "skupper-site-server", "skupper-local-ca", "skupper-local-server", "skupper-service-ca",
                "skupper-service-client", "skupper-tls-backend")


def write_inventory(tmp_path, hosts, common=None, name="inventory.yml"):
    """An inventory file: the given hosts, local connection, one shared service `backend`."""
    data = {"all": {"vars": dict({"ansible_connection": "local", "ansible_python_interpreter": "{{ ansible_playbook_python }}",
                                  "skupper_services": [{"name": "backend", "hosts": ["backend", "backend.example.com"]}],
                                  "skupper_service_tls_mode": "shared"}, **(common or {})),
                    "hosts": hosts}}
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data))
    return path


def mesh_hosts(fleet, connection=None, external=True, full=False):
    """One inventory host per site of the fleet; links A->B for A before B (both ways with full=True).
    `connection(site)` gives skupper_cluster (default: the fleet kubeconfig, the site's admin context)."""
    hosts = {}
    names = list(fleet)
    for index, name in enumerate(names):
        site = fleet[name]
        peers = [other for other in names if other != name] if full else names[index + 1:]
        hosts[name] = {"skupper_namespace": site.namespace, "skupper_links": [{"to": other} for other in peers],
                       "skupper_cluster": connection(site) if connection else {"kubeconfig": fleet.kubeconfig, "context": site.context}}
        if external:
            hosts[name]["skupper_external_hosts"] = ["%s.example.com" % name]
    return hosts


def secret_data(site, name):
    """A Secret's decoded data in the site's namespace, or None."""
    obj = site.get("Secret", name)
    return {k: base64.b64decode(v) for k, v in (obj.get("data") or {}).items()} if obj else None


def handshakes(run):
    """The handshake results of a verify playbook run."""
    return [h for r in run.results() for h in r.get("results", []) if isinstance(h, dict) and "ok" in h and "method" in h]


def verified(playbook, inv, env=None):
    """Run the verify playbook; every handshake must pass with both methods; return them."""
    run = playbook(VERIFY, inventory=inv, env=env)
    found = handshakes(run)
    assert found and all(h["ok"] for h in found), [h for h in found if not h["ok"]]
    assert {h["method"] for h in found} == {"python", "openssl"}
    return found


def handshake_matrix(fleet, links, methods=("python",)):
    """Handshake every link A->B: B's skupper-site-server against A's Secret link-B, for each host of A's Link
    link-B; return the failures (empty when every link works)."""
    from ansible_collections.skupper.tls.plugins.module_utils import handshake  # pylint: disable=import-outside-toplevel
    failures, count = [], 0
    for a, b in links:
        server, client = secret_data(fleet[b], "skupper-site-server"), secret_data(fleet[a], "link-%s" % b)
        hosts = sorted({ep["host"] for ep in fleet[a].get("Link", "link-%s" % b)["spec"]["endpoints"]})
        for host in hosts:
            for method in methods:
                res = handshake.handshake({"cert": server["tls.crt"], "key": server["tls.key"], "ca": server["ca.crt"]},
                                          {"cert": client["tls.crt"], "key": client["tls.key"], "ca": client["ca.crt"]}, host, method=method)
                count += 1
                if not res["ok"]:
                    failures.append("%s->%s %s %s: %s" % (a, b, host, method, res["error"]))
    assert count >= len(links)
    return failures
