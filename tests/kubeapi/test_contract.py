"""Replay contract/exchanges.json (recorded against a real kube-apiserver v1.25) against a fresh test server."""

import json
import os
import re

import pytest
import urllib3

from kubeapi.server import KubeAPIServer

EXCHANGES_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "contract", "exchanges.json")
with open(EXCHANGES_FILE) as exchanges_file:
    EXCHANGES = json.load(exchanges_file)
PLACEHOLDER = re.compile(r"<[A-Za-z]+>")
# The recording left one volatile value concrete: the namespace's deletionTimestamp (exchange 29).
TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
LIMITED_EXCHANGES = {i for i, e in enumerate(EXCHANGES) if e["request"]["path"].startswith("/api/v1/namespaces/rbac-test/")}


def matches(expected, actual, where="$"):
    """Mismatches of actual against the recorded expected: same keys recursively, placeholders just have to exist."""
    if isinstance(expected, str) and PLACEHOLDER.fullmatch(expected):
        return [] if actual not in (None, "", [], {}) else [f"{where}: missing value for {expected}"]
    if isinstance(expected, str) and PLACEHOLDER.search(expected):
        pattern = ".+".join(re.escape(part) for part in PLACEHOLDER.split(expected))
        return [] if isinstance(actual, str) and re.fullmatch(pattern, actual) else [f"{where}: {actual!r} !~ {expected!r}"]
    if isinstance(expected, str) and TIMESTAMP.fullmatch(expected):
        return [] if isinstance(actual, str) and TIMESTAMP.fullmatch(actual) else [f"{where}: {actual!r} is not a timestamp"]
    if isinstance(expected, dict) and isinstance(actual, dict):
        if set(expected) != set(actual):
            return [f"{where}: keys differ: expected {sorted(expected)}, got {sorted(actual)}"]
        return [m for key in expected for m in matches(expected[key], actual[key], f"{where}.{key}")]
    if isinstance(expected, list) and isinstance(actual, list) and len(expected) == len(actual):
        return [m for i, (e, a) in enumerate(zip(expected, actual)) for m in matches(e, a, f"{where}[{i}]")]
    return [] if expected == actual else [f"{where}: expected {expected!r}, got {actual!r}"]


def substitute_resource_version(index, body, read_versions):
    """A recorded body carrying a concrete resourceVersion ("275" in the real server) gets the one this run read
    with the latest earlier GET of the same object (exchange 6's note: the one read before the previous replace)."""
    recorded = (body or {}).get("metadata", {}).get("resourceVersion")
    if recorded is None:
        return body
    path = EXCHANGES[index]["request"]["path"]
    assert path in read_versions, f"exchange {index}: no earlier GET of {path} to take a resourceVersion from"
    return dict(body, metadata=dict(body["metadata"], resourceVersion=read_versions[path]))


@pytest.fixture(scope="module")
def replayed(tmp_path_factory):
    """Run every exchange in order on one fresh server; answers[i] = (status, body)."""
    server = KubeAPIServer("contract", str(tmp_path_factory.mktemp("contract"))).start()
    server.put({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "rbac-test"}})
    http = urllib3.PoolManager(cert_reqs="CERT_REQUIRED", ca_certs=server.pki["ca_file"], retries=False)
    answers, read_versions = [], {}
    try:
        for index, exchange in enumerate(EXCHANGES):
            request = exchange["request"]
            token = server.limited_token if index in LIMITED_EXCHANGES else server.token
            headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
            body = substitute_resource_version(index, request["body"], read_versions)
            if request["content_type"]:
                headers["Content-Type"] = request["content_type"]
            response = http.request(request["method"], server.url + request["path"], headers=headers,
                                    body=json.dumps(body).encode() if body is not None else None)
            text = response.data.decode()
            answer = json.loads(text) if response.headers.get("Content-Type") == "application/json" else text
            if request["method"] == "GET" and response.status == 200:
                read_versions[request["path"]] = answer["metadata"]["resourceVersion"]
            answers.append((response.status, answer))
    finally:
        http.clear()
        server.stop()
    return answers


def test_exchanges_cover_the_contract():
    assert len(EXCHANGES) == 31
    assert LIMITED_EXCHANGES == {30}


@pytest.mark.parametrize("index", range(len(EXCHANGES)), ids=[f"{i:02d}-{e['title'].replace(' ', '-')}" for i, e in enumerate(EXCHANGES)])
def test_exchange(replayed, index):
    expected = EXCHANGES[index]["response"]
    status, body = replayed[index]
    assert status == expected["status"], body
    if isinstance(expected["body"], str):
        assert body == expected["body"]
        return
    assert isinstance(body, dict), body
    assert body.get("reason") == expected["body"].get("reason")
    assert matches(expected["body"], body) == []  # message (modulo placeholders), details, object shape
