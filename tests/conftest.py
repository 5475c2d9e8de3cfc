"""Shared pytest configuration: the test Kubernetes API server fixtures (tests/kubeapi) and real API servers (tests/realkube)."""

import os
import sys

TESTS_DIR = os.path.dirname(os.path.abspath(__file__))
if TESTS_DIR not in sys.path:
    sys.path.insert(0, TESTS_DIR)

pytest_plugins = ["kubeapi.fixtures", "realkube.fixtures"]
