# -*- coding: utf-8 -*-
# Copyright (c) skupper.tls contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every module documents the library floors that requirements.txt installs (one floor, said the same everywhere)."""

from __future__ import annotations

import pathlib
import re

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[3]
MODULES = sorted((ROOT / "plugins" / "modules").glob("skupper_*.py"))


def floors():
    """{library: version} from requirements.txt's ``name>=version`` lines."""
    text = (ROOT / "requirements.txt").read_text(encoding="utf-8")
    return dict(re.findall(r"^([A-Za-z0-9_.-]+)>=([0-9.]+)", text, re.M))


def documented(path):
    """{library: version} of a module's DOCUMENTATION ``requirements`` entries written ``name >= version``."""
    source = path.read_text(encoding="utf-8")
    doc = yaml.safe_load(re.search(r'DOCUMENTATION = r"""(.*?)"""', source, re.S).group(1))
    return dict(m.groups() for m in (re.match(r"([A-Za-z0-9_.-]+) >= ([0-9.]+)", r) for r in doc.get("requirements") or []) if m)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.stem)
def test_documented_floors_are_the_installed_ones(path):
    wanted = floors()
    for library, version in documented(path).items():
        if library in wanted:
            assert version == wanted[library], "%s documents %s >= %s; requirements.txt installs >= %s" % (
                path.stem, library, version, wanted[library])
