# -*- coding: utf-8 -*-
# Copyright (c) skupper.tls contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The layers of docs/DESIGN.md, one direction: each file imports only from the layers below it.

Read from the source (``ast``), so a lazy import inside a function counts as much as one at the top.
"""

from __future__ import annotations

import ast
import pathlib

import pytest

PLUGINS = pathlib.Path(__file__).resolve().parents[3] / "plugins"

# Bottom to top. Inside a layer, a file may import the files listed before it in the same layer.
LAYERS = (
    ("values", ("module_utils/validate",)),
    ("pure PKI", ("module_utils/pki",)),
    ("reissue decisions", ("module_utils/policy",)),
    ("Skupper layouts", ("module_utils/layout", "module_utils/rotation")),
    ("stores", ("module_utils/store", "module_utils/kube", "module_utils/bundle")),
    ("engine", ("module_utils/engine", "module_utils/handshake", "module_utils/audit", "module_utils/audit_render",
                "module_utils/common", "module_utils/args")),
    ("operations", ("module_utils/ops", "module_utils/runtime", "plugin_utils/inventory")),
    ("modules and actions", ("modules/*", "plugin_utils/controller", "action/*", "filter/*")),
)

# What the lower layers must not import at all, whatever they import from the collection.
FORBIDDEN = {
    "module_utils/validate": ("ansible", "kubernetes", "yaml"),
    "module_utils/pki": ("ansible", "kubernetes", "yaml"),
    "module_utils/policy": ("ansible", "kubernetes", "yaml"),
    "module_utils/layout": ("ansible", "kubernetes"),
    "module_utils/rotation": ("ansible", "kubernetes"),
}


def _rank(name):
    """(layer index, position in the layer) of a plugin file named ``dir/stem``."""
    for layer, (_label, members) in enumerate(LAYERS):
        for position, member in enumerate(members):
            if member == name or (member.endswith("/*") and name.startswith(member[:-1])):
                return layer, position
    raise AssertionError("%s is in no layer of LAYERS: add it where it belongs" % name)


def _files():
    return sorted(p for p in PLUGINS.rglob("*.py") if p.name != "__init__.py" and "doc_fragments" not in p.parts)


def _name(path):
    return "/".join(path.relative_to(PLUGINS).with_suffix("").parts)


OURS = "ansible_collections.skupper.tls.plugins"


def _ours(dotted):
    """``module_utils.ops`` -> ``module_utils/ops``; a bare package (``module_utils``) is refused: import files."""
    tail = dotted[len(OURS):].lstrip(".")
    assert "." in tail, "import of the package %r: import its files by name" % dotted
    return tail.replace(".", "/")


def _imports(path):
    """(collection files imported as ``dir/stem``, top-level names of other imports). Relative imports fail: the
    collection imports by absolute name, so that this test sees every dependency."""
    ours, others = set(), set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            assert node.level == 0, "%s: relative import at line %d" % (path, node.lineno)
            if node.module == OURS:
                raise AssertionError("%s: line %d imports whole plugin packages; import their files by name" % (path, node.lineno))
            if node.module.startswith(OURS + "."):
                tail = node.module[len(OURS) + 1:]
                if "." in tail:
                    ours.add(_ours(node.module))
                else:
                    ours.update(_ours("%s.%s" % (node.module, alias.name)) for alias in node.names)
            else:
                others.add(node.module.split(".")[0])
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith(OURS + "."):
                    ours.add(_ours(alias.name))
                else:
                    others.add(alias.name.split(".")[0])
    return ours, others


@pytest.mark.parametrize("path", _files(), ids=_name)
def test_imports_go_down_the_layers(path):
    name = _name(path)
    rank = _rank(name)
    ours, others = _imports(path)
    upward = sorted(dep for dep in ours if _rank(dep) >= rank)
    assert not upward, "%s (layer %r) imports %s from its own layer or above" % (name, LAYERS[rank[0]][0], ", ".join(upward))
    banned = sorted(others & set(FORBIDDEN.get(name, ())))
    assert not banned, "%s must not import %s" % (name, ", ".join(banned))


def test_every_layer_file_exists():
    """LAYERS names real files (a renamed file must be placed again, not silently dropped)."""
    names = {_name(p) for p in _files()}
    for _label, members in LAYERS:
        for member in members:
            assert member.endswith("/*") or member in names, member
