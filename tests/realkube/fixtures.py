"""pytest fixtures for real API servers: a session-scoped pool (per xdist worker), unique namespaces per test.

    def test_x(real_clusters, real_namespace):
        west, east = real_clusters(2)              # started once per worker session, shared by tests
        ns = real_namespace(west, "west")          # "west-<unique>", created now; never deleted (no controllers)
        mark = west.mark()
        ...
        assert west.writes(mark, namespace=ns) == 0

Binaries absent: every test using these fixtures skips with the reason, unless SKUPPER_TLS_REQUIRE_REAL_KUBE=1
(set by .ci/run when ../shared/kube exists), which turns the skip into a failure.
"""

import atexit
import itertools
import os
import shutil
import tempfile
import uuid

import pytest

from .cluster import RealCluster, Unavailable, find_binaries, start_many, write_kubeconfig
from .proxy import FaultProxy

REQUIRE_ENV = "SKUPPER_TLS_REQUIRE_REAL_KUBE"


def required():
    return os.environ.get(REQUIRE_ENV, "").strip().lower() in ("1", "true", "yes")


def unavailable(reason):
    if required():
        pytest.fail("%s=1 but %s" % (REQUIRE_ENV, reason), pytrace=False)
    pytest.skip(reason)


class Pool:
    """Real clusters started on demand, in parallel, reused by every test of the session; stopped at its end."""

    def __init__(self):
        self.clusters = []
        self.base_dir = None
        self.failure = None
        self._names = ("c%d" % i for i in itertools.count(1))
        atexit.register(self.stop)  # also when the session is interrupted before fixture teardown

    def get(self, count):
        if self.failure:
            pytest.fail(self.failure, pytrace=False)
        if len(self.clusters) < count:
            try:
                binaries = find_binaries()
            except Unavailable as err:
                unavailable(str(err))
            if self.base_dir is None:
                self.base_dir = tempfile.mkdtemp(prefix="realkube-")
            names = [next(self._names) for _index in range(count - len(self.clusters))]
            try:
                self.clusters += start_many(names, base_dir=self.base_dir, binaries=binaries)
            except Exception as err:  # pylint: disable=broad-except  # a broken server is an error, never a skip
                self.failure = "real kube-apiserver failed to start (logs kept in %s): %s" % (self.base_dir, err)
                self.base_dir = None  # keep the logs
                pytest.fail(self.failure, pytrace=False)
        return self.clusters[:count]

    def stop(self):
        for cluster in self.clusters:
            cluster.stop()
        self.clusters = []
        if self.base_dir:
            shutil.rmtree(self.base_dir, ignore_errors=True)
            self.base_dir = None


@pytest.fixture(scope="session")
def real_kube_pool():
    pool = Pool()
    yield pool
    pool.stop()


@pytest.fixture
def real_clusters(real_kube_pool):
    """real_clusters(n=1) -> [RealCluster] (shared with other tests: use your own namespaces)."""
    return real_kube_pool.get


@pytest.fixture
def real_namespace(request):
    """real_namespace(cluster, prefix) -> a namespace name unique to this test, created on cluster."""
    token = uuid.uuid4().hex[:6]

    def make(cluster, prefix="t"):
        name = ("%s-%s" % (prefix, token))[:63]
        cluster.create_namespace(name)
        return name
    return make


class Site:
    """One site of a test fleet: its cluster, namespace, and admin kubeconfig context."""

    def __init__(self, name, cluster, namespace):
        self.name = name
        self.cluster = cluster
        self.namespace = namespace
        self.context = cluster.name

    def get(self, kind, name):
        return self.cluster.get(kind, self.namespace, name)

    def __repr__(self):
        return "<Site %s %s/%s>" % (self.name, self.cluster.name, self.namespace)


class Fleet(dict):
    """name -> Site, plus `kubeconfig` (one context per cluster), `mark()` / `writes(marks)` over all clusters."""

    def __init__(self, sites, kubeconfig):
        super().__init__((s.name, s) for s in sites)
        self.kubeconfig = kubeconfig

    @property
    def clusters(self):
        seen = []
        for site in self.values():
            if site.cluster not in seen:
                seen.append(site.cluster)
        return seen

    def mark(self):
        return {c.name: c.mark() for c in self.clusters}

    def writes(self, marks, **filters):
        """Write requests to this fleet's namespaces since marks (the admin's seeding included)."""
        namespaces = {s.namespace for s in self.values()}
        return sum(1 for c in self.clusters for e in c.events(marks[c.name], verb=("create", "update", "patch", "delete"), dry_run=False, **filters)
                   if (e.get("objectRef") or {}).get("namespace") in namespaces)

    def requests(self, marks, **filters):
        namespaces = {s.namespace for s in self.values()}
        return [(c.name,) + r for c in self.clusters for r in c.requests(marks[c.name], **filters) if r[2] in namespaces]


@pytest.fixture
def real_fleet(real_clusters, tmp_path):
    """real_fleet(names, clusters=None) -> Fleet: one site per name, each on its own real cluster (or, with
    clusters=1, all in namespaces of one cluster), namespaces "<name>-<unique>" created."""
    token = uuid.uuid4().hex[:6]

    def make(names, clusters=None):
        pool = real_clusters(clusters or len(names))
        sites = []
        for index, name in enumerate(names):
            cluster = pool[index % len(pool)]
            namespace = "%s-%s" % (name, token)
            cluster.create_namespace(namespace)
            sites.append(Site(name, cluster, namespace))
        kubeconfig = write_kubeconfig(str(tmp_path / ("kubeconfig-%s" % token)), pool)
        return Fleet(sites, kubeconfig)
    return make


@pytest.fixture
def real_fault_proxy(tmp_path):
    """real_fault_proxy(cluster) -> FaultProxy: HTTPS on loopback in front of the real cluster, faults on demand
    (`inject(method, path_regex, fault, count)`), its own kubeconfig/context; stopped at teardown."""
    proxies = []

    def make(cluster):
        proxy = FaultProxy(cluster, str(tmp_path / ("proxy-%s-%d" % (cluster.name, len(proxies)))))
        proxies.append(proxy)
        return proxy
    yield make
    for proxy in proxies:
        proxy.stop()


__all__ = ["RealCluster", "Pool", "Fleet", "Site", "real_kube_pool", "real_clusters", "real_namespace", "real_fleet",
           "real_fault_proxy", "required"]
