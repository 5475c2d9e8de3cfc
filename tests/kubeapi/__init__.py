"""A small Kubernetes API server for tests: HTTPS, tokens and client certificates, RBAC denial, core Namespaces,
Secrets and ConfigMaps, the Skupper v2 custom resources with schema validation, fault injection and a request log.

In process::

    server = KubeAPIServer("c1", directory).start(); cluster = Cluster(server.info(), server)

As a process: ``python -m kubeapi --name c1 --dir DIR`` or ``kubeapi.process.start("c1", DIR)``.
"""
