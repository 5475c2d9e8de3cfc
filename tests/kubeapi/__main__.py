"""`python -m kubeapi --name c1 --dir DIR`: serve one cluster until SIGTERM/SIGINT.

DIR/kubeconfig and DIR/server.json (url, port, ca file, tokens, client certificate, pid) are written once it listens.
"""

import argparse
import json
import os
import signal
import threading

from .server import KubeAPIServer


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m kubeapi", description=__doc__.splitlines()[0])
    parser.add_argument("--name", default="c1", help="cluster and kubeconfig context name")
    parser.add_argument("--dir", required=True, help="directory for kubeconfig, certificates and server.json")
    args = parser.parse_args(argv)
    directory = os.path.abspath(args.dir)
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *unused: stopping.set())
    signal.signal(signal.SIGINT, lambda *unused: stopping.set())
    server = KubeAPIServer(args.name, directory).start()
    marker = os.path.join(directory, "server.json")
    with open(marker + ".tmp", "w") as f:
        json.dump(server.info(), f, indent=2)
    os.replace(marker + ".tmp", marker)  # appears complete, and only once the server listens
    while not stopping.wait(1):
        pass
    server.stop()
    os.unlink(marker)


if __name__ == "__main__":
    main()
