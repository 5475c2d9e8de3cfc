# -*- coding: utf-8 -*-
# Copyright (c) skupper.tls contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run real ansible-playbook processes against the test API server or a directory, and read back what they did."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
PLAYBOOKS = os.path.join(ROOT, "playbooks")
COLLECTIONS = os.path.join(ROOT, "tests", "output", "collections")


def collection_path():
    """tests/output/collections/ansible_collections/skupper/tls -> the repo root (created if missing)."""
    link = os.path.join(COLLECTIONS, "ansible_collections", "skupper", "tls")
    if not os.path.exists(link):
        os.makedirs(os.path.dirname(link), exist_ok=True)
        try:
            os.symlink(os.path.relpath(ROOT, os.path.dirname(link)), link)
        except FileExistsError:
            pass
    return COLLECTIONS


sys.path.insert(0, collection_path())
# test modules share helpers by plain import (pytest's importlib mode gives them no package)
sys.path.insert(0, HERE)


class Run(object):
    """One ansible-playbook run: rc, stdout/stderr text and the recorded task results."""

    def __init__(self, proc, records):
        self.rc = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr
        self.records = records

    def results(self, task=None):
        return [r["result"] for r in self.records if task is None or r["task"] == task]

    def result(self, task):
        found = self.results(task)
        assert len(found) == 1, "expected one result for task %r, got %d; tasks: %s" % (task, len(found), [r["task"] for r in self.records])
        return found[0]

    def changed(self):
        return sum(1 for r in self.records if r["result"].get("changed") and r["status"] in ("ok", "item_ok"))

    def __repr__(self):
        return "<Run rc=%s>\nSTDOUT:\n%s\nSTDERR:\n%s" % (self.rc, self.stdout[-6000:], self.stderr[-3000:])


@pytest.fixture
def playbook(tmp_path):
    """playbook(tasks, extravars=None, check=False, diff=False, verbosity=0, env=None, expect_rc=0, inventory=None) -> Run.

    ``tasks`` is a list of task dicts run on localhost, a whole play list if it holds plays, or the path of a playbook file.
    """
    counter = {"n": 0}

    def run(tasks, extravars=None, check=False, diff=False, verbosity=0, env=None, expect_rc=0, inventory=None, gather=False):
        counter["n"] += 1
        name = "run%d" % counter["n"]
        if isinstance(tasks, str):
            book = tasks        # a playbook file, e.g. playbooks/site.yml
        else:
            if tasks and isinstance(tasks[0], dict) and "hosts" in tasks[0]:
                plays = tasks
            else:
                plays = [{"name": name, "hosts": "localhost", "gather_facts": gather, "tasks": tasks}]
            book = tmp_path / ("%s.yml" % name)
            book.write_text(yaml.safe_dump(plays, sort_keys=False))
        record = tmp_path / ("%s.jsonl" % name)
        cmd = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), str(book)]
        if inventory:
            cmd += ["-i", str(inventory)]
        else:
            cmd += ["-i", "localhost,", "-c", "local", "-e", "ansible_python_interpreter=%s" % sys.executable]
        if extravars:
            extra = tmp_path / ("%s-vars.json" % name)
            extra.write_text(json.dumps(extravars))
            cmd += ["-e", "@%s" % extra]
        if check:
            cmd.append("--check")
        if diff:
            cmd.append("--diff")
        if verbosity:
            cmd.append("-" + "v" * verbosity)
        full_env = dict(os.environ)
        for key in list(full_env):
            if key.startswith("K8S_AUTH_"):
                del full_env[key]
        full_env.update({
            "ANSIBLE_COLLECTIONS_PATH": collection_path(),
            "ANSIBLE_CALLBACK_PLUGINS": os.path.join(HERE, "callback_plugins"),
            "ANSIBLE_CALLBACKS_ENABLED": "record",
            "RECORD_FILE": str(record),
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_FORCE_COLOR": "0",
            "ANSIBLE_RETRY_FILES_ENABLED": "0",
            "ANSIBLE_HOST_KEY_CHECKING": "0",
            "ANSIBLE_LOCALHOST_WARNING": "0",
            "ANSIBLE_INVENTORY_UNPARSED_WARNING": "0",
            "ANSIBLE_DEPRECATION_WARNINGS": "0",
            "ANSIBLE_LOCAL_TEMP": str(tmp_path / "ansible-tmp"),
            "ANSIBLE_REMOTE_TEMP": str(tmp_path / "ansible-tmp"),
            "HOME": os.environ.get("HOME", str(tmp_path)),
        })
        full_env.update(env or {})
        proc = subprocess.run(cmd, env=full_env, capture_output=True, text=True, timeout=600, check=False)
        records = []
        if record.exists():
            records = [json.loads(line) for line in record.read_text().splitlines() if line.strip()]
        result = Run(proc, records)
        if expect_rc is not None:
            assert proc.returncode == expect_rc, repr(result)
        return result

    return run


@pytest.fixture
def pair(kube_cluster_factory):
    """Two test clusters, west and east, each with its namespace of the same name."""
    west, east = kube_cluster_factory("west"), kube_cluster_factory("east")
    west.create_namespace("west")
    east.create_namespace("east")
    return west, east
