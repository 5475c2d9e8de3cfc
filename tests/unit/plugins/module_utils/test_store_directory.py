# -*- coding: utf-8 -*-
# Copyright (c) skupper.tls contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import os
import stat

import pytest
import yaml

from ansible_collections.skupper.tls.plugins.module_utils.store import (
    Conflict,
    DirectoryStore,
    Invalid,
    NotFound,
    ObjRef,
    StoreError,
)

SECRET_REF = ObjRef("v1", "Secret", "contract", "skupper-site-ca")
LINK_REF = ObjRef("skupper.io/v2alpha1", "Link", "contract", "link-east")


def secret(name="skupper-site-ca", namespace="contract", data=None, type_="kubernetes.io/tls", **meta):
    metadata = dict(name=name, namespace=namespace, **meta)
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": metadata,
        "type": type_,
        "data": data if data is not None else {"ca.crt": "Q0E=", "tls.crt": "Q0VSVA==", "tls.key": "S0VZ"},
    }


def link(name="link-east"):
    return {
        "apiVersion": "skupper.io/v2alpha1",
        "kind": "Link",
        "metadata": {"name": name, "namespace": "contract"},
        "spec": {"cost": 1, "tlsCredentials": "link-east", "endpoints": [{"host": "east.example.com", "name": "inter-router", "port": "55671"}]},
    }


@pytest.fixture(name="store")
def fixture_store(tmp_path):
    return DirectoryStore(str(tmp_path / "out"))


def mode(path):
    return stat.S_IMODE(os.lstat(str(path)).st_mode)


def test_layout_modes_and_file_content(store, tmp_path):
    created = store.create(secret(uid="u-1", creationTimestamp="2024-01-01T00:00:00Z", managedFields=[{"x": 1}], resourceVersion="9"))
    store.create(link())
    root = tmp_path / "out"
    secret_file = root / "contract" / "skupper-site-ca.yaml"
    link_file = root / "contract" / "links" / "link-east.yaml"
    assert secret_file.is_file() and link_file.is_file()
    assert mode(secret_file) == 0o600 and mode(link_file) == 0o600
    assert mode(root) == mode(root / "contract") == mode(root / "contract" / "links") == 0o700
    text = secret_file.read_text()
    on_disk = yaml.safe_load(text)
    assert on_disk["metadata"] == {"name": "skupper-site-ca", "namespace": "contract"}  # no server-owned fields, no resourceVersion
    assert text == yaml.safe_dump(on_disk, default_flow_style=False, sort_keys=True)  # keys sorted, one document
    assert created["metadata"]["resourceVersion"] and len(created["metadata"]["resourceVersion"]) == 16
    assert store.get(SECRET_REF) == created
    assert store.get(LINK_REF)["spec"]["endpoints"][0]["port"] == "55671"
    assert store.description == "directory %s" % root
    assert sorted(os.listdir(str(root / "contract"))) == ["links", "skupper-site-ca.yaml"]  # no temporary files left


def test_get_missing_and_unnameable(store):
    assert store.get(SECRET_REF) is None
    assert store.get(ObjRef("v1", "Secret", "contract", "../etc/passwd")) is None
    assert store.get(ObjRef("v1", "Secret", "Bad_NS", "x")) is None
    with pytest.raises(StoreError, match="unsupported kind 'Pod'"):
        store.get(ObjRef("v1", "Pod", "contract", "x"))


def test_create_twice_is_already_exists(store):
    store.create(secret())
    with pytest.raises(Conflict) as err:
        store.create(secret())
    assert str(err.value) == 'secrets "skupper-site-ca" already exists'
    store.create(link())
    with pytest.raises(Conflict, match='links.skupper.io "link-east" already exists'):
        store.create(link())


def test_replace_with_current_version_then_stale(store):
    first = store.create(secret())
    changed = secret(data={"tls.crt": "Q0VSVDI=", "tls.key": "S0VZMg=="}, resourceVersion=first["metadata"]["resourceVersion"])
    second = store.replace(changed)
    assert second["metadata"]["resourceVersion"] != first["metadata"]["resourceVersion"]
    assert store.get(SECRET_REF) == second
    assert "ca.crt" not in second["data"]  # PUT replaces the whole object
    with pytest.raises(Conflict) as err:
        store.replace(changed)
    assert str(err.value) == ('Operation cannot be fulfilled on secrets "skupper-site-ca": the object has been modified; '
                              'please apply your changes to the latest version and try again')
    unconditional = store.replace(secret(data={"tls.crt": "Q0VSVDM=", "tls.key": "S0VZMw=="}))
    assert unconditional["data"]["tls.crt"] == "Q0VSVDM="


def test_same_content_same_version(store):
    first = store.create(secret())
    again = store.replace(dict(first))
    assert again["metadata"]["resourceVersion"] == first["metadata"]["resourceVersion"]


def test_replace_missing_is_not_found(store):
    with pytest.raises(NotFound, match='secrets "skupper-site-ca" not found'):
        store.replace(secret())
    store.create(secret(name="other"))
    with pytest.raises(NotFound):
        store.replace(secret())


@pytest.mark.parametrize("obj, message", [
    (secret(name="Bad_Name"),
     'Secret "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain must consist of lower case '
     "alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for "
     r"validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"),
    (secret(name="bad-tls", data={"tls.crt": "Qw=="}), 'Secret "bad-tls" is invalid: data[tls.key]: Required value'),
    (secret(name="bad-tls", data={}), 'Secret "bad-tls" is invalid: [data[tls.crt]: Required value, data[tls.key]: Required value]'),
    (secret(name="notb64", data={"x": "***"}, type_="Opaque"),
     'Secret in version "v1" cannot be handled as a Secret: illegal base64 data at input byte 0'),
    (secret(name="badkey", data={"a b": "Qw=="}, type_="Opaque"),
     'Secret "badkey" is invalid: data[a b]: Invalid value: "a b": a valid config key must consist of alphanumeric characters'),
    (secret(namespace="Bad_NS"), 'Secret "skupper-site-ca" is invalid: metadata.namespace: Invalid value: "Bad_NS": a lowercase RFC 1123 label'),
    (dict(secret(), apiVersion="v2"), "the API version in the data (v2) does not match the expected API version (v1)"),
    (dict(link(), metadata={"name": "UPPER", "namespace": "contract"}), 'Link.skupper.io "UPPER" is invalid: metadata.name: Invalid value'),
])
def test_create_validates_like_the_api_server(store, tmp_path, obj, message):
    with pytest.raises(Invalid) as err:
        store.create(obj)
    assert str(err.value).startswith(message)
    assert not [path for path in tmp_path.rglob("*") if path.is_file()]


def test_link_schema_like_the_crd(store):
    with pytest.raises(Invalid) as err:
        store.create(dict(link("bad-link"), spec={"tlsCredentials": "x"}))
    assert str(err.value) == 'Link.skupper.io "bad-link" is invalid: spec.endpoints: Required value'
    with pytest.raises(Invalid) as err:
        store.create(dict(link("int-port"), spec={"endpoints": [{"host": "h", "name": "inter-router", "port": 55671}], "tlsCredentials": "x"}))
    assert str(err.value) == ('Link.skupper.io "int-port" is invalid: spec.endpoints[0].port: Invalid value: "integer": '
                              'spec.endpoints[0].port in body must be of type string: "integer"')
    pruned = link("unknown-field")
    pruned["spec"]["bogus"] = True
    pruned["spec"]["endpoints"][0]["extra"] = 1
    stored = store.create(pruned)
    assert "bogus" not in stored["spec"] and "extra" not in stored["spec"]["endpoints"][0]
    assert store.get(LINK_REF._replace(name="unknown-field"))["spec"] == stored["spec"]


def test_bad_base64_is_400(store):
    with pytest.raises(Invalid) as err:
        store.create(secret(data={"tls.crt": "Q0VSVA==", "tls.key": "S0V@"}))
    assert err.value.status == 400 and "input byte 3" in str(err.value)


def test_secret_type_is_immutable(store):
    store.create(secret())
    with pytest.raises(Invalid) as err:
        store.replace(secret(type_="Opaque"))
    assert str(err.value) == 'Secret "skupper-site-ca" is invalid: type: Invalid value: "Opaque": field is immutable'
    store.create(secret(name="plain", type_=None, data={"a": "Qw=="}))
    assert store.get(SECRET_REF._replace(name="plain"))["type"] == "Opaque"  # defaulted as the server does
    with pytest.raises(Invalid, match="field is immutable"):
        store.replace(secret(name="plain"))


def test_immutable_secret_data(store):
    store.create(dict(secret(), immutable=True))
    with pytest.raises(Invalid, match="data: Forbidden: field is immutable when `immutable` is set"):
        store.replace(dict(secret(data={"tls.crt": "Qw==", "tls.key": "Qw=="}), immutable=True))


def test_string_data_is_folded_into_data(store):
    created = store.create({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "contract"}, "stringData": {"a": "hi"}})
    assert created["data"] == {"a": "aGk="} and "stringData" not in created


def test_delete(store):
    created = store.create(secret())
    assert store.delete(SECRET_REF._replace(name="nope")) is False
    with pytest.raises(Conflict):
        store.delete(SECRET_REF, resource_version="0000")
    assert store.delete(SECRET_REF, resource_version=created["metadata"]["resourceVersion"]) is True
    assert store.get(SECRET_REF) is None
    assert store.delete(SECRET_REF) is False
    assert store.delete(ObjRef("v1", "Secret", "elsewhere", "x")) is False


@pytest.mark.parametrize("content, message", [
    (b"apiVersion: v1\nkind: Secret\nmetadata: {name: [\n", "cannot parse"),
    (b"- a\n- b\n", "does not hold a Kubernetes object"),
    (b"kind: Secret\n---\nkind: Secret\n", "cannot parse"),
    (b"apiVersion: v1\nkind: Secret\nmetadata: {name: other, namespace: contract}\n", "holds Secret contract/other, expected Secret contract/skupper-site-ca"),
])
def test_garbled_files_name_the_file(store, tmp_path, content, message):
    path = tmp_path / "out" / "contract" / "skupper-site-ca.yaml"
    path.parent.mkdir(parents=True)
    path.write_bytes(content)
    with pytest.raises(StoreError) as err:
        store.get(SECRET_REF)
    assert str(path) in str(err.value) and message in str(err.value)


def test_unreadable_file(store, tmp_path):
    path = tmp_path / "out" / "contract" / "skupper-site-ca.yaml"
    path.mkdir(parents=True)  # unreadable as a file, even for root
    with pytest.raises(StoreError, match="cannot read %s" % path):
        store.get(SECRET_REF)


def test_hand_written_file_without_namespace(store, tmp_path):
    path = tmp_path / "out" / "contract" / "skupper-site-ca.yaml"
    path.parent.mkdir(parents=True)
    path.write_text(yaml.safe_dump({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "skupper-site-ca"}, "data": {"a": "Qw=="}}))
    obj = store.get(SECRET_REF)
    assert obj["metadata"]["namespace"] == "contract"
    store.replace(dict(obj, data={"a": "Qg=="}))
    assert yaml.safe_load(path.read_text())["data"] == {"a": "Qg=="}


def test_planted_symlinks_are_never_followed(store, tmp_path):
    victim = tmp_path / "victim"
    victim.write_text("precious\n")
    directory = tmp_path / "out" / "contract"
    directory.mkdir(parents=True)
    (directory / "skupper-site-ca.yaml").symlink_to(victim)
    with pytest.raises(StoreError, match="symbolic link"):
        store.create(secret())
    with pytest.raises(StoreError, match="symbolic link"):
        store.get(SECRET_REF)
    with pytest.raises(StoreError, match="symbolic link"):
        store.replace(secret())
    assert victim.read_text() == "precious\n"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (directory / "links").symlink_to(elsewhere, target_is_directory=True)
    with pytest.raises(StoreError, match="is a symbolic link, not a directory; refusing"):
        store.create(link())
    assert not list(elsewhere.iterdir())


def test_replace_swaps_a_symlink_only_via_rename(store, tmp_path):
    """A symlink planted after the read: rename(2) replaces the link itself, the target keeps its content."""
    created = store.create(secret())
    victim = tmp_path / "victim"
    victim.write_text("precious\n")
    path = tmp_path / "out" / "contract" / "skupper-site-ca.yaml"
    path.unlink()
    path.symlink_to(victim)
    fd = os.open(str(path.parent), os.O_RDONLY | os.O_DIRECTORY)
    try:
        store.files.write(fd, path.name, str(path), b"new: content\n")
    finally:
        os.close(fd)
    assert victim.read_text() == "precious\n" and not path.is_symlink() and created


def test_existing_directories_get_private_modes(store, tmp_path):
    directory = tmp_path / "out" / "contract"
    directory.mkdir(parents=True)
    directory.chmod(0o755)
    (tmp_path / "out").chmod(0o750)
    store.create(secret())
    assert mode(directory) == 0o700
    assert mode(tmp_path / "out") == 0o750  # an existing root is left as the user made it


def test_root_created_with_private_mode(tmp_path):
    store = DirectoryStore(str(tmp_path / "a" / "b"))
    store.create(secret())
    assert mode(tmp_path / "a" / "b") == 0o700
