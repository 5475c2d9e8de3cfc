# -*- coding: utf-8 -*-
# Copyright (c) skupper.tls contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Hostile filesystem input against the directory store and the skupper_link ``dest`` file (in-process).

Each case asserts: the operation fails with a message naming the path (and ``dest:`` for the bundle) or, for a
name that cannot name a file, reads nothing / writes nothing; nothing outside the store's directory changes (a
snapshot of the whole tree, modes and link targets included, before and after); no key bytes in any message.
"""

from __future__ import annotations

import base64
import errno
import os
import signal
import stat
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from hostile_support import snapshot  # noqa: E402  pylint: disable=wrong-import-position

from ansible_collections.skupper.tls.plugins.module_utils import bundle, store  # noqa: E402
from ansible_collections.skupper.tls.plugins.module_utils.store import DirectoryStore, Invalid, ObjRef, StoreError  # noqa: E402

# A recognisable fake key, built at run time: its base64 body must never appear in a message.
KEY_BODY = base64.b64encode(b"hostile-key-material-" * 8).decode("ascii")
FAKE_KEY = "-----BEGIN %s-----\n%s\n-----END %s-----\n" % ("RSA " + "PRIVATE KEY", KEY_BODY, "RSA " + "PRIVATE KEY")
KEY_B64 = base64.b64encode(FAKE_KEY.encode("ascii")).decode("ascii")
SECRETS_IN_MESSAGES = (KEY_BODY[:24], KEY_B64[:24], "PRIVATE KEY")

NS = "west"
SECRET_REF = ObjRef("v1", "Secret", NS, "skupper-site-ca")
LINK_REF = ObjRef("skupper.io/v2alpha1", "Link", NS, "link-east")


def secret(name="skupper-site-ca", namespace=NS, version=None):
    meta = {"name": name, "namespace": namespace}
    if version:
        meta["resourceVersion"] = version
    return {"apiVersion": "v1", "kind": "Secret", "metadata": meta, "type": "kubernetes.io/tls",
            "data": {"tls.crt": "Q0VSVA==", "tls.key": KEY_B64}}


def link(name="link-east", namespace=NS):
    return {"apiVersion": "skupper.io/v2alpha1", "kind": "Link", "metadata": {"name": name, "namespace": namespace},
            "spec": {"cost": 1, "tlsCredentials": name, "endpoints": [{"name": "inter-router", "host": "east.example", "port": "55671"}]}}


def assert_no_key(text):
    for marker in SECRETS_IN_MESSAGES:
        assert marker not in text, "key material in message: %s" % text


def mode(path):
    return stat.S_IMODE(os.lstat(str(path)).st_mode)


@pytest.fixture(name="world")
def fixture_world(tmp_path):
    """``out`` (the store root) and ``outside`` holding victims a trap points at."""
    outside = tmp_path / "outside"
    (outside / "links").mkdir(parents=True)
    for path in (outside / "skupper-site-ca.yaml", outside / "links" / "link-east.yaml", outside / "victim.yaml"):
        path.write_text("apiVersion: v1\nkind: Secret\nmetadata: {name: skupper-site-ca, namespace: west}\n")
        path.chmod(0o644)
    (tmp_path / "out").mkdir(mode=0o700)
    return tmp_path


# --------------------------------------------------------------------------- traps planted below the root


def trap_namespace_symlink(root, outside):
    (root / NS).symlink_to(outside, target_is_directory=True)


def trap_file_symlink(root, outside):
    (root / NS).mkdir()
    (root / NS / "skupper-site-ca.yaml").symlink_to(outside / "victim.yaml")
    (root / NS / "links").mkdir()
    (root / NS / "links" / "link-east.yaml").symlink_to(outside / "victim.yaml")


def trap_dangling_symlink(root, outside):
    (root / NS).mkdir()
    (root / NS / "skupper-site-ca.yaml").symlink_to(outside / "created-through-link.yaml")
    (root / NS / "links").mkdir()
    (root / NS / "links" / "link-east.yaml").symlink_to(outside / "created-through-link.yaml")


def trap_links_dir_symlink(root, outside):
    (root / NS).mkdir()
    (root / NS / "skupper-site-ca.yaml").symlink_to(outside / "victim.yaml")
    (root / NS / "links").symlink_to(outside / "links", target_is_directory=True)


def trap_hard_link(root, outside):
    (root / NS / "links").mkdir(parents=True)
    os.link(str(outside / "skupper-site-ca.yaml"), str(root / NS / "skupper-site-ca.yaml"))
    os.link(str(outside / "links" / "link-east.yaml"), str(root / NS / "links" / "link-east.yaml"))


def trap_fifo(root, outside):
    (root / NS / "links").mkdir(parents=True)
    os.mkfifo(str(root / NS / "skupper-site-ca.yaml"))
    os.mkfifo(str(root / NS / "links" / "link-east.yaml"))


def trap_namespace_is_file(root, outside):
    (root / NS).write_text("not a directory\n")


def trap_root_parent_symlink_swap(root, outside):
    """The namespace directory is a symlink to a directory that itself links back outside."""
    (root / "hop").symlink_to(outside, target_is_directory=True)
    (root / NS).symlink_to("hop", target_is_directory=True)


TRAPS = [trap_namespace_symlink, trap_file_symlink, trap_dangling_symlink, trap_links_dir_symlink, trap_hard_link, trap_fifo,
         trap_namespace_is_file, trap_root_parent_symlink_swap]
OPS = {
    "get-secret": lambda s: s.get(SECRET_REF),
    "get-link": lambda s: s.get(LINK_REF),
    "create-secret": lambda s: s.create(secret()),
    "create-link": lambda s: s.create(link()),
    "replace-secret": lambda s: s.replace(secret()),
    "delete-secret": lambda s: s.delete(SECRET_REF),
    "delete-link": lambda s: s.delete(LINK_REF),
}


@pytest.mark.parametrize("op", sorted(OPS))
@pytest.mark.parametrize("trap", TRAPS, ids=[t.__name__[5:] for t in TRAPS])
def test_traps_are_refused_and_nothing_outside_changes(world, trap, op):
    root, outside = world / "out", world / "outside"
    trap(root, outside)
    before = snapshot(outside)
    store_ = DirectoryStore(str(root))
    with pytest.raises(StoreError) as err:
        OPS[op](store_)
    message = str(err.value)
    assert str(root) in message and ("refusing" in message or "not a directory" in message), message
    assert_no_key(message)
    assert snapshot(outside) == before
    assert not (outside / "created-through-link.yaml").exists()


def test_delete_through_symlinked_namespace_is_refused(world):
    """The reported bug: with a symlinked namespace directory, state: absent deleted a file outside the output directory."""
    root, outside = world / "out", world / "outside"
    trap_namespace_symlink(root, outside)
    with pytest.raises(StoreError, match="is a symbolic link, not a directory; refusing"):
        DirectoryStore(str(root)).delete(SECRET_REF)
    assert (outside / "skupper-site-ca.yaml").exists()


def test_hard_link_keeps_outside_mode(world):
    root, outside = world / "out", world / "outside"
    trap_hard_link(root, outside)
    with pytest.raises(StoreError, match="2 hard links"):
        DirectoryStore(str(root)).get(SECRET_REF)
    assert mode(outside / "skupper-site-ca.yaml") == 0o644  # tightening would have changed the shared inode


def test_root_given_through_a_symlink_is_resolved_once(world):
    real = world / "real"
    real.mkdir()
    (world / "alias").symlink_to(real, target_is_directory=True)
    store_ = DirectoryStore(str(world / "alias"))
    assert store_.root == str(real)
    store_.create(secret())
    assert (real / NS / "skupper-site-ca.yaml").is_file()


# --------------------------------------------------------------------------- names that cannot name a file

BAD_NAMES = ["../victim", "..", ".", "x/../../victim", "ca\n", "ca\n.yaml", ".hidden", "a" * 300, "UPPER", "x\0y", "", "a b", "ca\r"]
BAD_NAMESPACES = ["../outside", "..", "a/b", "ns\n", "NS", "x\0", "a.b", "", "-ns"]


@pytest.mark.parametrize("name", BAD_NAMES, ids=[repr(n)[:20] for n in BAD_NAMES])
@pytest.mark.parametrize("op", ["get", "create", "replace", "delete"])
def test_bad_names_touch_nothing(world, op, name):
    before = snapshot(world)
    store_ = DirectoryStore(str(world / "out"))
    ref = SECRET_REF._replace(name=name)
    if op == "get":
        assert store_.get(ref) is None
    elif op == "delete":
        assert store_.delete(ref) is False
    else:
        with pytest.raises(Invalid) as err:
            getattr(store_, op)(secret(name=name))
        assert "metadata.name" in str(err.value)
        assert_no_key(str(err.value))
    assert snapshot(world) == before


@pytest.mark.parametrize("namespace", BAD_NAMESPACES, ids=[repr(n)[:20] for n in BAD_NAMESPACES])
@pytest.mark.parametrize("op", ["get", "create", "delete"])
def test_bad_namespaces_touch_nothing(world, op, namespace):
    before = snapshot(world)
    store_ = DirectoryStore(str(world / "out"))
    ref = SECRET_REF._replace(namespace=namespace)
    if op == "get":
        assert store_.get(ref) is None
    elif op == "delete":
        assert store_.delete(ref) is False
    else:
        with pytest.raises(Invalid) as err:
            store_.create(secret(namespace=namespace))
        assert "metadata.namespace" in str(err.value)
    assert snapshot(world) == before


@pytest.mark.parametrize("dest", [None, 7, "link\0.yaml", "/tmp/\nlink.yaml"])
def test_dest_bad_paths(dest):
    with pytest.raises(StoreError) as err:
        bundle.BundleFileStore(dest, NS)
    assert str(err.value).startswith("dest: ")


@pytest.mark.parametrize("root", ["", "bad\0root", None, 7])
def test_bad_root(root):
    with pytest.raises(StoreError, match="directory: .* is not a directory path"):
        DirectoryStore(root)


# --------------------------------------------------------------------------- modes, umask


@pytest.mark.parametrize("umask", [0o000, 0o002, 0o022, 0o077, 0o277, 0o777])
def test_modes_whatever_the_umask(tmp_path, umask):
    old = os.umask(umask)
    try:
        root = tmp_path / "a" / "b" / "out"
        store_ = DirectoryStore(str(root))
        store_.create(secret())
        store_.create(link())
        dest = tmp_path / "link.yaml"
        bundle.BundleFileStore(str(dest), NS).create(secret(name="link-east"))
    finally:
        os.umask(old)
    for directory in (tmp_path / "a", tmp_path / "a" / "b", root, root / NS, root / NS / "links"):
        assert mode(directory) == 0o700, directory
    for path in (root / NS / "skupper-site-ca.yaml", root / NS / "links" / "link-east.yaml", dest):
        assert mode(path) == 0o600, path


@pytest.mark.parametrize("loose", [0o644, 0o604, 0o640, 0o666, 0o400, 0o700])
def test_loose_file_mode_tightened_on_read_and_reported(tmp_path, loose):
    store_ = DirectoryStore(str(tmp_path / "out"))
    created = store_.create(secret())
    path = tmp_path / "out" / NS / "skupper-site-ca.yaml"
    content = path.read_bytes()
    path.chmod(loose)
    reopened = DirectoryStore(str(tmp_path / "out"))
    assert reopened.get(SECRET_REF)["metadata"]["resourceVersion"] == created["metadata"]["resourceVersion"]
    assert mode(path) == 0o600 and path.read_bytes() == content
    assert reopened.repairs == ["mode of %s changed from %04o to 0600" % (path, loose)]
    again = DirectoryStore(str(tmp_path / "out"))
    again.get(SECRET_REF)
    assert again.repairs == []


def test_check_mode_reports_but_does_not_tighten(tmp_path):
    DirectoryStore(str(tmp_path / "out")).create(secret())
    path = tmp_path / "out" / NS / "skupper-site-ca.yaml"
    path.chmod(0o644)
    (tmp_path / "out" / NS).chmod(0o755)
    checking = DirectoryStore(str(tmp_path / "out"), check_mode=True)
    assert checking.get(SECRET_REF) is not None
    assert mode(path) == 0o644 and mode(tmp_path / "out" / NS) == 0o755
    assert any("would be changed from 0644" in r for r in checking.repairs)
    assert any("would be changed from 0755" in r for r in checking.repairs)


def test_loose_directory_tightened(tmp_path):
    DirectoryStore(str(tmp_path / "out")).create(link())
    (tmp_path / "out" / NS / "links").chmod(0o777)
    store_ = DirectoryStore(str(tmp_path / "out"))
    store_.get(LINK_REF)
    assert mode(tmp_path / "out" / NS / "links") == 0o700
    assert any("links changed from 0777 to 0700" in r for r in store_.repairs)


# --------------------------------------------------------------------------- write failures: clean message, no temp left, old content kept


def _fail_on(monkeypatch, func_name, err_no):
    real = getattr(os, func_name)

    def failing(*args, **kwargs):
        if func_name == "open" and store.TMP_INFIX not in str(args[0]):
            return real(*args, **kwargs)
        raise OSError(err_no, os.strerror(err_no))
    monkeypatch.setattr(os, func_name, failing)


def _temps(top):
    return [p for p in top.rglob("*") if store.TMP_INFIX in p.name or p.name.endswith(".tmp")]


@pytest.mark.parametrize("err_no", [errno.ENOSPC, errno.EROFS, errno.EACCES])
@pytest.mark.parametrize("func_name", ["open", "write", "fsync", "rename"])
def test_directory_write_failures(tmp_path, monkeypatch, func_name, err_no):
    store_ = DirectoryStore(str(tmp_path / "out"))
    store_.create(secret())
    path = tmp_path / "out" / NS / "skupper-site-ca.yaml"
    before = path.read_bytes()
    _fail_on(monkeypatch, func_name, err_no)
    try:
        with pytest.raises(StoreError) as err:
            store_.replace(secret())
    finally:
        monkeypatch.undo()
    assert str(err.value) == "cannot write %s: %s" % (path, os.strerror(err_no))
    assert path.read_bytes() == before and not _temps(tmp_path)


@pytest.mark.parametrize("err_no", [errno.ENOSPC, errno.EROFS, errno.EACCES])
@pytest.mark.parametrize("func_name", ["open", "write", "fsync", "rename"])
def test_dest_write_failures(tmp_path, monkeypatch, func_name, err_no):
    dest = tmp_path / "link.yaml"
    bundle_ = bundle.BundleFileStore(str(dest), NS)
    _fail_on(monkeypatch, func_name, err_no)
    try:
        with pytest.raises(StoreError) as err:
            bundle_.create(secret(name="link-east"))
    finally:
        monkeypatch.undo()
    assert str(err.value) == "dest: cannot write %s: %s" % (dest, os.strerror(err_no))
    assert not dest.exists() and not _temps(tmp_path)


@pytest.mark.parametrize("exc", [KeyboardInterrupt, SystemExit, MemoryError])
def test_interrupted_write_leaves_no_temp(tmp_path, monkeypatch, exc):
    store_ = DirectoryStore(str(tmp_path / "out"))

    def interrupted(*_args, **_kwargs):
        raise exc()
    monkeypatch.setattr(os, "fsync", interrupted)
    try:
        with pytest.raises(exc):
            store_.create(secret())
    finally:
        monkeypatch.undo()
    assert not _temps(tmp_path) and not (tmp_path / "out" / NS / "skupper-site-ca.yaml").exists()


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores directory permissions")
def test_read_only_directory(tmp_path):
    store_ = DirectoryStore(str(tmp_path / "out"))
    store_.create(secret())
    (tmp_path / "out" / NS).chmod(0o500)
    try:
        with pytest.raises(StoreError, match="cannot write .*skupper-site-ca.yaml: Permission denied"):
            store_.replace(secret())
    finally:
        (tmp_path / "out" / NS).chmod(0o700)


# --------------------------------------------------------------------------- killed between write and rename


def _killed_during(tmp_path, action):
    """Run ``action`` in a child process that is SIGKILLed at the rename: what a killed run leaves behind."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child never returns
        os.rename = lambda *_a, **_k: os.kill(os.getpid(), signal.SIGKILL)
        try:
            action()
        finally:
            os._exit(3)
    _pid, status = os.waitpid(pid, 0)
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
    return _temps(tmp_path)


def test_killed_run_leftover_removed_at_next_open(tmp_path):
    leftovers = _killed_during(tmp_path, lambda: DirectoryStore(str(tmp_path / "out")).create(secret()))
    assert len(leftovers) == 1
    leftover = leftovers[0]
    assert leftover.name.startswith(".skupper-site-ca.yaml.skupper-tls-tmp-") and leftover.name.endswith(".yaml")  # SOPS *.yaml rules match
    assert mode(leftover) == 0o600 and KEY_B64[:24] in leftover.read_text()
    checking = DirectoryStore(str(tmp_path / "out"), check_mode=True)
    assert leftover.exists() and checking.repairs == ["stale temporary file %s would be removed" % leftover]
    reopened = DirectoryStore(str(tmp_path / "out"))
    assert not leftover.exists() and reopened.repairs == ["stale temporary file %s removed" % leftover]
    assert reopened.get(SECRET_REF) is None


def test_killed_dest_write_leftover_removed_at_next_load(tmp_path):
    dest = tmp_path / "link.yaml"
    leftovers = _killed_during(tmp_path, lambda: bundle.BundleFileStore(str(dest), NS).create(secret(name="link-east")))
    assert len(leftovers) == 1 and leftovers[0].name.endswith(".yaml")
    reopened = bundle.BundleFileStore(str(dest), NS)
    assert reopened.get(SECRET_REF._replace(name="link-east")) is None
    assert not leftovers[0].exists() and reopened.repairs == ["stale temporary file %s removed" % leftovers[0]]


@pytest.mark.parametrize("entry, removed", [
    (".skupper-site-ca.yaml.skupper-tls-tmp-0123456789abcdef.yaml", True),
    (".link-east.yaml.skupper-tls-tmp-fedcba9876543210.yaml", True),
    (".skupper-site-ca.yaml.abcd_123.tmp", True),  # an earlier release's mkstemp name
    (".skupper-link-abcd_123", True),
    (".sops.yaml", False),
    (".gitkeep", False),
    (".skupper-site-ca.yaml.skupper-tls-tmp-short.yaml", False),
    ("skupper-site-ca.yaml.skupper-tls-tmp-0123456789abcdef.yaml", False),
    (".notes.tmp", False),
])
def test_stale_temp_patterns(tmp_path, entry, removed):
    directory = tmp_path / "out" / NS
    directory.mkdir(parents=True)
    directory.chmod(0o700)
    (directory / entry).write_text(FAKE_KEY)
    store_ = DirectoryStore(str(tmp_path / "out"))
    assert (directory / entry).exists() is not removed
    assert store_.repairs == (["stale temporary file %s removed" % (directory / entry)] if removed else [])


def test_stale_temp_cleanup_never_follows_a_symlinked_namespace(world):
    root, outside = world / "out", world / "outside"
    (outside / ".victim.yaml.skupper-tls-tmp-0123456789abcdef.yaml").write_text("keep me\n")
    trap_namespace_symlink(root, outside)
    before = snapshot(outside)
    store_ = DirectoryStore(str(root))
    assert snapshot(outside) == before
    assert any("symbolic link" in w for w in store_.warnings)


# --------------------------------------------------------------------------- the skupper_link dest file


@pytest.mark.parametrize("dest_name, fragment", [
    ("..", "relative directory reference"),
    (".", "relative directory reference"),
    ("", "is empty"),
    ("link\n.yaml", "control character"),
    (".hidden.yaml", "starts with '.'"),
    ("x" * 256, "255 bytes"),
])
def test_dest_bad_names(tmp_path, dest_name, fragment):
    before = snapshot(tmp_path)
    path = str(tmp_path / dest_name) if dest_name else ""
    if dest_name in ("..", "."):
        path = str(tmp_path) + "/" + dest_name
    with pytest.raises(StoreError) as err:
        bundle.BundleFileStore(path, NS)
    assert str(err.value).startswith("dest: ") and fragment in str(err.value)
    assert snapshot(tmp_path) == before


def _dest_trap(kind, directory, outside):
    dest = directory / "link.yaml"
    if kind == "symlink":
        dest.symlink_to(outside / "victim.yaml")
    elif kind == "dangling":
        dest.symlink_to(outside / "created-through-link.yaml")
    elif kind == "hardlink":
        os.link(str(outside / "victim.yaml"), str(dest))
    elif kind == "fifo":
        os.mkfifo(str(dest))
    elif kind == "directory":
        dest.mkdir()
    return dest


DEST_TRAPS = ["symlink", "dangling", "hardlink", "fifo", "directory"]


@pytest.mark.parametrize("op", ["get", "create", "delete"])
@pytest.mark.parametrize("kind", DEST_TRAPS)
def test_dest_traps(world, kind, op):
    directory, outside = world / "out", world / "outside"
    dest = _dest_trap(kind, directory, outside)
    before = snapshot(outside)
    bundle_ = bundle.BundleFileStore(str(dest), NS)
    with pytest.raises(StoreError) as err:
        if op == "get":
            bundle_.get(SECRET_REF)
        elif op == "create":
            bundle_.create(secret(name="link-east"))
        else:
            bundle_.delete(SECRET_REF)
    assert str(err.value).startswith("dest: ") and str(dest) in str(err.value)
    assert_no_key(str(err.value))
    assert snapshot(outside) == before


ODD_CONTENTS = [
    (b"- a\n- b\n", "document 1 is not a Kubernetes object"),
    (b"just a string\n", "document 1 is not a Kubernetes object"),
    (b"kind: Secret\n", "document 1 is not a Kubernetes object"),
    (b"kind: Secret\nmetadata: [1]\n", "document 1 is not a Kubernetes object"),
    (b"kind: Secret\nmetadata: {name: 7}\n", "document 1 is not a Kubernetes object"),
    (b"kind: Secret\nmetadata: {name: a}\n---\n42\n", "document 2 is not a Kubernetes object"),
    (b"kind: Secret\nmetadata: {name: a}\n---\nkind: Secret\nmetadata: {name: a}\n", "holds Secret a twice"),
    (b"\xff\xfe\x00binary", "cannot parse"),
    (("data: {tls.key: %s}\nmetadata: {name: [\n" % KEY_B64).encode(), "cannot parse"),
    (("kind: Secret\nkey: |\n  %s\n bad: [indent\n" % FAKE_KEY.replace("\n", "\n  ")).encode(), "cannot parse"),
    (b"a: *undefined_alias\n", "cannot parse"),
    (b"!!python/object:os.system {}\n", "cannot parse"),
]


@pytest.mark.parametrize("content, fragment", ODD_CONTENTS, ids=[str(i) for i in range(len(ODD_CONTENTS))])
def test_dest_odd_contents(tmp_path, content, fragment):
    dest = tmp_path / "link.yaml"
    dest.write_bytes(content)
    dest.chmod(0o600)
    with pytest.raises(StoreError) as err:
        bundle.BundleFileStore(str(dest), NS).get(SECRET_REF)
    message = str(err.value)
    assert message.startswith("dest: ") and str(dest) in message and fragment in message, message
    assert_no_key(message)
    assert dest.read_bytes() == content


def test_dest_huge_file_refused_without_reading(tmp_path):
    dest = tmp_path / "link.yaml"
    with open(str(dest), "wb") as handle:
        handle.truncate(store.MAX_FILE_BYTES + 1)
    with pytest.raises(StoreError, match="dest: cannot read .* bytes long"):
        bundle.BundleFileStore(str(dest), NS).get(SECRET_REF)


def test_dest_missing_directory(tmp_path):
    dest = tmp_path / "nowhere" / "link.yaml"
    bundle_ = bundle.BundleFileStore(str(dest), NS)
    assert bundle_.get(SECRET_REF) is None
    with pytest.raises(StoreError, match="dest: directory %s does not exist" % (tmp_path / "nowhere")):
        bundle_.create(secret(name="link-east"))
    assert not (tmp_path / "nowhere").exists()


def test_dest_loose_mode_tightened_even_when_unchanged(tmp_path):
    dest = tmp_path / "link.yaml"
    bundle.BundleFileStore(str(dest), NS).create(secret(name="link-east"))
    content = dest.read_bytes()
    dest.chmod(0o644)  # e.g. from a git checkout
    reread = bundle.BundleFileStore(str(dest), NS)
    assert reread.get(SECRET_REF._replace(name="link-east")) is not None
    assert mode(dest) == 0o600 and dest.read_bytes() == content
    assert reread.repairs == ["mode of %s changed from 0644 to 0600" % dest]


def test_dest_delete_last_document_removes_only_dest(tmp_path):
    dest = tmp_path / "link.yaml"
    (tmp_path / "other.yaml").write_text("keep\n")
    bundle.BundleFileStore(str(dest), NS).create(secret(name="link-east"))
    before = snapshot(tmp_path)
    assert bundle.BundleFileStore(str(dest), NS).delete(SECRET_REF._replace(name="link-east")) is True
    after = snapshot(tmp_path)
    assert set(before) - set(after) == {"link.yaml"} and all(after[k] == before[k] for k in after)


def test_dest_other_temp_files_are_not_ours(tmp_path):
    dest = tmp_path / "link.yaml"
    other = tmp_path / ".other.yaml.skupper-tls-tmp-0123456789abcdef.yaml"
    mine = tmp_path / ".link.yaml.skupper-tls-tmp-0123456789abcdef.yaml"
    other.write_text("another dest's write in progress\n")
    mine.write_text(FAKE_KEY)
    bundle.BundleFileStore(str(dest), NS).get(SECRET_REF)
    assert other.exists() and not mine.exists()


@pytest.mark.parametrize("key, fragment", [
    (".", "must not be '.'"),
    ("..", "must not be '..'"),
    ("..data", "must not start with '..'"),
    ("a b", "a valid config key"),
    ("tls.key\n", "a valid config key"),
    ("k" * 254, "must be no more than 253 characters"),
])
def test_bad_data_keys_write_nothing(world, key, fragment):
    before = snapshot(world)
    obj = secret()
    obj["type"] = "Opaque"
    obj["data"] = {key: KEY_B64}
    with pytest.raises(Invalid) as err:
        DirectoryStore(str(world / "out")).create(obj)
    assert fragment in str(err.value)
    assert_no_key(str(err.value))
    assert snapshot(world) == before
