"""Inventory of N Skupper sites for the benchmark (issue 6), in the shape skupper.tls.site reads.

Each inventory host is one site: site-1 .. site-N, in group ``skupper_sites``, each in its
own namespace (named after the site) on a test API server. Links form a ring: site-k links
to site-(k+1), the last one to site-1, cost 1.

Host vars (the names the site playbook reads, docs/INVENTORY.md):
  skupper_site_name       site-k
  skupper_namespace       site-k
  skupper_cluster         {kubeconfig: <written by the test API server hosting the site>,
                           context: <its context>}  (docs/INVENTORY.md: connection options)
  skupper_external_hosts  [site-k.skupper.test, 127.0.10.k]: a DNS name (the Link endpoint)
                          and an IP (exercises the DNS+IP SAN mirroring). Neither is ever
                          connected to: they are only written into certificates and Links.
  skupper_links           [{to: site-(k+1), cost: 1}]  (none when N == 1)
"""

import yaml

GROUP = "skupper_sites"


def site_names(n):
    return [f"site-{k}" for k in range(1, n + 1)]


def build(sites):
    """sites: list of dicts {name, namespace, kubeconfig, context}; returns the inventory as a dict."""
    names = [s["name"] for s in sites]
    hosts = {}
    for k, site in enumerate(sites):
        nxt = names[(k + 1) % len(names)]
        hosts[site["name"]] = {
            "skupper_site_name": site["name"],
            "skupper_namespace": site["namespace"],
            "skupper_cluster": {"kubeconfig": site["kubeconfig"], "context": site["context"]},
            "skupper_external_hosts": [f"{site['name']}.skupper.test", f"127.0.10.{k + 1}"],
            "skupper_links": [{"to": nxt, "cost": 1}] if nxt != site["name"] else [],
        }
    return {
        "all": {
            "children": {
                GROUP: {
                    "vars": {
                        "ansible_connection": "local",
                        "ansible_python_interpreter": "{{ ansible_playbook_python }}",
                    },
                    "hosts": hosts,
                }
            }
        }
    }


def assign(n, clusters, sites_per_server):
    """Place sites on clusters: sites_per_server consecutive sites share one cluster (one namespace each)."""
    sites = []
    for k, name in enumerate(site_names(n)):
        cluster = clusters[k // sites_per_server]
        sites.append({"name": name, "namespace": name, "kubeconfig": cluster.kubeconfig,
                      "context": cluster.context, "cluster": cluster})
    return sites


def write(path, sites):
    with open(path, "w") as f:
        yaml.safe_dump(build(sites), f, sort_keys=False, default_flow_style=False)
    return path
