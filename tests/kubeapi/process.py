"""Run a cluster as a separate process (`python -m kubeapi`) and drive it through its control API."""

import json
import os
import signal
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

from .cluster import Cluster
from .errors import ApiError

PACKAGE_PARENT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class RemoteControl:
    """The control API (/_kubeapi/) of a server in another process, with the same methods as `KubeAPIServer`."""

    def __init__(self, info, process=None):
        self.url = info["url"]
        self.token = info["token"]
        self.pid = info["pid"]
        self.process = process
        self._context = ssl.create_default_context(cafile=info["ca_file"])

    def _call(self, verb, path, body=None, query=None):
        query = {k: v for k, v in (query or {}).items() if v is not None}
        url = f"{self.url}/_kubeapi/{path}" + ("?" + urllib.parse.urlencode(query) if query else "")
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(url, data=data, method=verb,
                                         headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, context=self._context, timeout=30) as response:
                return json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as err:
            status = json.loads(err.read() or b"{}")
            raise ApiError(err.code, status.get("reason", ""), status.get("message", str(err)), status.get("details"))

    def put(self, obj):
        return self._call("POST", "objects", obj)

    def get(self, kind, namespace, name):
        try:
            return self._call("GET", "objects", query={"kind": kind, "namespace": namespace, "name": name})
        except ApiError as err:
            if err.code == 404:
                return None
            raise

    def requests(self, method=None, path_contains=None):
        return self._call("GET", "log", query={"method": method, "path_contains": path_contains})["items"]

    def clear_log(self):
        self._call("DELETE", "log")

    def inject(self, method, path_regex, fault, count=1, **kw):
        self._call("POST", "faults", dict(kw, method=method, path_regex=path_regex, fault=fault, count=count))

    def clear_faults(self):
        self._call("DELETE", "faults")

    def stop(self, timeout=10):
        if self.process is None:
            os.kill(self.pid, signal.SIGTERM)
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def attach(directory, process=None):
    """A `Cluster` for the server whose server.json is in directory."""
    with open(os.path.join(directory, "server.json")) as f:
        info = json.load(f)
    return Cluster(info, RemoteControl(info, process))


def start(name, directory, timeout=30):
    """Launch `python -m kubeapi --name NAME --dir DIRECTORY`; return its `Cluster` once it listens."""
    os.makedirs(directory, exist_ok=True)
    marker = os.path.join(directory, "server.json")
    if os.path.exists(marker):
        os.unlink(marker)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [PACKAGE_PARENT, os.environ.get("PYTHONPATH")])))
    with open(os.path.join(directory, "server.log"), "ab") as log:
        process = subprocess.Popen([sys.executable, "-m", "kubeapi", "--name", name, "--dir", directory],
                                   env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + timeout
    while not os.path.exists(marker):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            process.wait()
            with open(os.path.join(directory, "server.log")) as f:
                raise RuntimeError(f"kubeapi {name} did not start (exit {process.returncode}):\n{f.read()}")
        time.sleep(0.05)
    return attach(directory, process)
