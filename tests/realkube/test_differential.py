"""The test API server (tests/kubeapi) against a real kube-apiserver: one request sequence, the same client, both
answers compared (status code, reason, message, details, body shape) after normalising names, uids, timestamps and
resourceVersions. Every difference must be fixed in tests/kubeapi or listed in ALLOWED with why it does not matter;
an ALLOWED entry that no longer differs fails the test too, so the list stays true.
"""

import base64
import json
import re
import ssl
import urllib.error
import urllib.request

CERT = base64.b64encode(b"-----BEGIN CERTIFICATE-----\nnot checked by the API server\n-----END CERTIFICATE-----\n").decode()

# (step, field) -> why the difference does not matter to the collection.
ALLOWED = {
    ("bad-json", "message"): "the JSON parser's own words (Go encoding/json vs Python json) after the same prefix; "
                             "the collection only sends JSON it serialised itself, and reads reason/code, not this text",
}
# Normalised before comparing, because the collection never reads them: managedFields[].fieldsV1 (the field set of
# server-side apply bookkeeping; the test server keeps the entries but not their field sets), uids, timestamps,
# resourceVersion values, generated names.


class Client:
    """The one HTTP client both servers get: bearer token, JSON unless told otherwise, no retries."""

    def __init__(self, url, ca_file, token):
        self.url, self.token = url, token
        self.context = ssl.create_default_context(cafile=ca_file)

    def send(self, method, path, body=None, content_type="application/json", token=None):
        data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
        headers = {"Authorization": "Bearer " + (token or self.token), "Accept": "application/json"}
        if data is not None:
            headers["Content-Type"] = content_type
        request = urllib.request.Request(self.url + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, context=self.context, timeout=30) as response:
                status, raw, ctype = response.status, response.read(), response.headers.get("Content-Type", "")
        except urllib.error.HTTPError as err:
            status, raw, ctype = err.code, err.read(), err.headers.get("Content-Type", "")
        try:
            payload = json.loads(raw)
        except ValueError:
            payload = raw.decode(errors="replace")
        return status, ctype.split(";")[0], payload


def sequence(ns, limited_token):
    """(step, method, path, body, kw) for everything the collection sends (plugins/module_utils/kube.py: GET, POST,
    PUT, DELETE with preconditions, ?dryRun=All on Secrets and skupper.io Links/Sites) and the errors it must read."""
    secrets = "/api/v1/namespaces/%s/secrets" % ns
    links = "/apis/skupper.io/v2alpha1/namespaces/%s/links" % ns
    sites = "/apis/skupper.io/v2alpha1/namespaces/%s/sites" % ns
    secret = {"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/tls",
              "metadata": {"name": "s1", "namespace": ns, "labels": {"app": "skupper-tls"}},
              "data": {"tls.crt": CERT, "tls.key": CERT, "ca.crt": CERT}}
    link = {"apiVersion": "skupper.io/v2alpha1", "kind": "Link", "metadata": {"name": "link-east", "namespace": ns},
            "spec": {"tlsCredentials": "link-east", "cost": 1,
                     "endpoints": [{"name": "inter-router", "host": "east.example.com", "port": "55671", "group": "skupper-router"}]}}
    yield "discovery-version", "GET", "/version", None, {}
    yield "discovery-core", "GET", "/api/v1", None, {}
    yield "discovery-groups", "GET", "/apis", None, {}
    yield "discovery-skupper", "GET", "/apis/skupper.io/v2alpha1", None, {}
    yield "get-missing", "GET", secrets + "/s1", None, {}
    yield "create-dry-run", "POST", secrets + "?dryRun=All", secret, {}
    yield "get-after-dry-run", "GET", secrets + "/s1", None, {}
    yield "create", "POST", secrets, secret, {}
    yield "create-again", "POST", secrets, secret, {}
    yield "get", "GET", secrets + "/s1", None, {}
    yield "list", "GET", secrets + "?labelSelector=app%3Dskupper-tls", None, {}
    yield "replace-stale", "PUT", secrets + "/s1", dict(secret, metadata=dict(secret["metadata"], resourceVersion="1")), {}
    yield "replace-no-rv", "PUT", secrets + "/s1", dict(secret, data={"tls.crt": CERT, "tls.key": CERT}), {}
    yield "replace-name-mismatch", "PUT", secrets + "/other", secret, {}
    yield "merge-patch", "PATCH", secrets + "/s1", {"metadata": {"annotations": {"a": "b"}}}, {"content_type": "application/merge-patch+json"}
    yield "patch-json-type", "PATCH", secrets + "/s1", {"metadata": {"annotations": {"a": "c"}}}, {}
    yield "bad-data-key", "POST", secrets, dict(secret, metadata={"name": "s2", "namespace": ns}, data={"bad key!": CERT}), {}
    yield "bad-name", "POST", secrets, dict(secret, metadata={"name": "Bad_Name", "namespace": ns}), {}
    yield "bad-json", "POST", secrets, b"{not json", {}
    yield "missing-namespace", "POST", "/api/v1/namespaces/no-such-ns-x/secrets", dict(secret, metadata={"name": "s1", "namespace": "no-such-ns-x"}), {}
    yield "unknown-resource", "GET", "/api/v1/namespaces/%s/widgets/x" % ns, None, {}
    yield "unknown-group", "GET", "/apis/example.com/v1/namespaces/%s/widgets" % ns, None, {}
    yield "forbidden", "GET", secrets + "/s1", None, {"token": limited_token}
    yield "unauthorized", "GET", secrets + "/s1", None, {"token": "not-a-token"}
    yield "link-create", "POST", links, link, {}
    yield "link-invalid", "POST", links, dict(link, metadata={"name": "link-bad", "namespace": ns}, spec=dict(link["spec"], cost="high")), {}
    yield "link-dry-run-update", "PUT", links + "/link-east?dryRun=All", dict(link, spec=dict(link["spec"], cost=2)), {}
    yield "link-get", "GET", links + "/link-east", None, {}
    yield "site-missing", "GET", sites + "/west", None, {}
    site = {"apiVersion": "skupper.io/v2alpha1", "kind": "Site", "metadata": {"name": "west", "namespace": ns}, "spec": {}}
    yield "site-create", "POST", sites, site, {}
    yield "site-status-no-rv", "PUT", sites + "/west/status", dict(site, status={"endpoints": [{"name": "inter-router", "host": "h"}]}), {}
    yield "site-list", "GET", sites, None, {}
    yield "namespace-get", "GET", "/api/v1/namespaces/" + ns, None, {}
    yield "delete-stale", "DELETE", secrets + "/s1", {"apiVersion": "v1", "kind": "DeleteOptions", "preconditions": {"resourceVersion": "1"}}, {}
    yield "delete", "DELETE", secrets + "/s1", None, {}
    yield "delete-again", "DELETE", secrets + "/s1", None, {}


def shape(value):
    """Keys and types, recursively (lists: the shape of the first item)."""
    if isinstance(value, dict):
        return {k: "opaque" if k == "fieldsV1" else shape(v) for k, v in sorted(value.items())}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    return type(value).__name__


def normalise(text, ns, url):
    text = text.replace(ns, "<ns>").replace(url, "<url>")
    text = re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "<uid>", text)
    return re.sub(r"\b\d{3,}\b", "<n>", text)


def compare(step, real, test, ns_real, ns_test, urls):
    """The differences between two answers: [(step, field, real, test)]."""
    (rs, rct, rb), (ts, tct, tb) = real, test
    out = []
    if rs != ts:
        out.append((step, "status", rs, ts))
    if rct != tct:
        out.append((step, "content-type", rct, tct))
    if isinstance(rb, dict) and isinstance(tb, dict):
        if rb.get("kind") == "Status" or tb.get("kind") == "Status":
            for field in ("reason", "message", "details", "code", "status"):
                a = normalise(json.dumps(rb.get(field), sort_keys=True), ns_real, urls[0])
                b = normalise(json.dumps(tb.get(field), sort_keys=True), ns_test, urls[1])
                if a != b:
                    out.append((step, field, rb.get(field), tb.get(field)))
        elif step.startswith("discovery"):
            if rb.get("kind") != tb.get("kind"):
                out.append((step, "kind", rb.get("kind"), tb.get("kind")))
        else:
            if shape(rb) != shape(tb):
                out.append((step, "shape", shape(rb), shape(tb)))
    elif type(rb) is not type(tb) or (isinstance(rb, str) and rb.strip() != tb.strip()):
        out.append((step, "body", rb, tb))
    return out


def test_test_server_answers_like_a_real_one(real_clusters, real_namespace, kube_cluster):
    real = real_clusters(1)[0]
    ns_real = real_namespace(real, "diff")
    ns_test = ns_real
    kube_cluster.create_namespace(ns_test)
    # the test server's limited identity: ServiceAccount rbac-test:limited, allowed get on Secrets in rbac-test only
    if real.get("Namespace", None, "rbac-test") is None:
        real.create_namespace("rbac-test")
    limited_real = real.service_account_token("rbac-test", "limited")
    clients = (Client(real.url, real.ca_file, real.token), Client(kube_cluster.url, kube_cluster.ca_file, kube_cluster.token))
    diffs, steps = [], 0
    pairs = zip(sequence(ns_real, limited_real), sequence(ns_test, kube_cluster.limited_token))
    for (step, method, path, body, kw), (_step, _method, path_t, body_t, kw_t) in pairs:
        answers = (clients[0].send(method, path, body, **kw), clients[1].send(method, path_t, body_t, **kw_t))
        diffs += compare(step, answers[0], answers[1], ns_real, ns_test, (real.url, kube_cluster.url))
        steps += 1
    assert steps >= 30
    unexplained = [d for d in diffs if (d[0], d[1]) not in ALLOWED]
    stale = set(ALLOWED) - {(d[0], d[1]) for d in diffs}
    assert not unexplained, "\n".join("%s %s:\n  real: %s\n  test: %s" % d for d in unexplained)
    assert not stale, "ALLOWED entries that no longer differ: %s" % sorted(stale)
