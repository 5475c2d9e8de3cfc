"""pytest fixtures: `kube_cluster_factory` makes clusters (in process by default), `kube_cluster` is one named c1."""

import pytest

from .cluster import Cluster
from .process import start
from .server import KubeAPIServer


@pytest.fixture
def kube_cluster_factory(tmp_path_factory):
    """make(name="c1", process=False) -> Cluster; every cluster made is stopped at teardown."""
    clusters = []

    def make(name="c1", process=False):
        directory = str(tmp_path_factory.mktemp(f"kubeapi-{name}"))
        if process:
            cluster = start(name, directory)
        else:
            server = KubeAPIServer(name, directory).start()
            cluster = Cluster(server.info(), server)
        clusters.append(cluster)
        return cluster

    yield make
    for cluster in clusters:
        cluster.stop()


@pytest.fixture
def kube_cluster(kube_cluster_factory):
    return kube_cluster_factory("c1")
