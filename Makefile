# Build and test machinery for the skupper.tls collection.
#
# Needs only GNU make, python3.11 (with venv/ensurepip) and access to a Python
# package index. Everything else is installed into .venv from requirements/*.txt.
#
#   make demo          run the demo (no cluster needed)
#   make test          units + integration + sanity + lint
#   make help          list all targets

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
# ansible-lint and ansible-test must never run at the same time in one tree.
.NOTPARALLEL:
.DELETE_ON_ERROR:

# ---------------------------------------------------------------------------
# Python virtualenv

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3 2>/dev/null)
VENV ?= .venv
VENV_BIN := $(VENV)/bin
REQUIREMENTS := requirements/runtime.txt requirements/test.txt requirements/lint.txt
VENV_STAMP := $(VENV)/.requirements-installed

# ---------------------------------------------------------------------------
# The checkout, importable as ansible_collections.skupper.tls through a relative
# symlink: tests/output/collections/ansible_collections/skupper/tls -> repo root.

COLLECTIONS_DIR := tests/output/collections
COLLECTION_LINK := $(COLLECTIONS_DIR)/ansible_collections/skupper/tls

export PATH := $(CURDIR)/$(VENV_BIN):$(PATH)
export ANSIBLE_COLLECTIONS_PATH := $(CURDIR)/$(COLLECTIONS_DIR)
export PYTHONPATH := $(CURDIR)/$(COLLECTIONS_DIR)
# localhost plays must use the virtualenv's interpreter (discovery can pick a
# broken pyenv shim); inventories may still override ansible_python_interpreter.
export ANSIBLE_PYTHON_INTERPRETER := $(CURDIR)/$(VENV_BIN)/python
export ANSIBLE_NOCOLOR ?= 1
export ANSIBLE_FORCE_COLOR ?= 0

# ---------------------------------------------------------------------------
# Tests

# Real API servers (tests/realkube): kube-apiserver and etcd from KUBE_APISERVER_BIN / ETCD_BIN, default ../shared/kube/.
# Without them those tests skip with the reason; SKUPPER_TLS_REQUIRE_REAL_KUBE=1 (.ci/run sets it when
# ../shared/kube exists) turns a missing or failing real server into a test failure.

# pytest-xdist workers for the unit tests (0 = no xdist).
PYTEST_WORKERS ?= auto
PYTEST_ARGS ?=
UNIT_DIRS := $(wildcard tests/unit tests/kubeapi tests/realkube)
LOG_DIR := tests/output/logs

# Variables removed from the environment of tools that set up their own paths.
UNSET_COLLECTION_ENV := env -u ANSIBLE_COLLECTIONS_PATH -u PYTHONPATH -u ANSIBLE_PYTHON_INTERPRETER

.PHONY: help
help: ## Show this help
	@echo 'skupper.tls - make targets:'
	@grep -E '^[a-zA-Z_. -]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | awk -F'\t' '{printf "  %-17s %s\n", $$1, $$2}'

# ---------------------------------------------------------------------------

.PHONY: venv .venv
venv .venv: $(VENV_STAMP) ## Create .venv from requirements/*.txt (rebuilt when they change)

$(VENV_STAMP): $(REQUIREMENTS)
	@if [ -z "$(PYTHON)" ]; then echo 'make: python3.11 not found (set PYTHON=/path/to/python3.11)' >&2; exit 1; fi
	@"$(PYTHON)" -c 'import sys; sys.exit(0 if sys.version_info[:2] >= (3, 11) else "make: ansible-core 2.19 needs Python >= 3.11, got " + sys.version.split()[0])'
	@if [ ! -x "$(VENV_BIN)/python" ]; then \
		echo "+ $(PYTHON) -m venv $(VENV)"; "$(PYTHON)" -m venv "$(VENV)"; fi
	$(VENV_BIN)/python -m pip install --quiet --disable-pip-version-check $(addprefix -r ,$(REQUIREMENTS))
	@touch "$@"

.PHONY: collection-path
collection-path: $(COLLECTION_LINK) ## Create the ansible_collections/skupper/tls symlink under tests/output

$(COLLECTION_LINK):
	@mkdir -p "$(dir $@)"
	ln -sfn ../../../../.. "$@"

$(LOG_DIR):
	@mkdir -p "$@"

# ---------------------------------------------------------------------------

.PHONY: units
units: .venv collection-path | $(LOG_DIR) ## Unit tests: pytest tests/unit tests/kubeapi tests/realkube (differential test vs a real API server)
	@if [ -z "$(strip $(UNIT_DIRS))" ]; then echo 'units: neither tests/unit nor tests/kubeapi exists' >&2; exit 1; fi
	$(VENV_BIN)/python -m pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS) $(UNIT_DIRS) 2>&1 | tee $(LOG_DIR)/units.log

.PHONY: integration
integration: .venv collection-path | $(LOG_DIR) ## Integration tests: pytest tests/integration (playbooks vs. real API servers, the test API server, directories)
	@hack/ensure-chromium.sh
	@if [ ! -d tests/integration ]; then \
		echo 'integration: tests/integration does not exist yet - nothing to run'; \
		rm -f $(LOG_DIR)/integration.log; exit 0; fi
	$(VENV_BIN)/python -m pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS) tests/integration 2>&1 | tee $(LOG_DIR)/integration.log

.PHONY: sanity
sanity: .venv ## ansible-test sanity --venv --python 3.11 on a copy of the collection (no ignore files)
	$(UNSET_COLLECTION_ENV) VENV=$(VENV) hack/sanity.sh $(SANITY_ARGS)

.PHONY: lint
lint: .venv collection-path ## yamllint, ansible-lint (production profile), antsibull-changelog lint
	@rc=0; \
	echo '+ hack/yamllint.sh'; VENV=$(VENV) hack/yamllint.sh || rc=1; \
	echo '+ ansible-lint --profile production'; $(VENV_BIN)/ansible-lint --profile production || rc=1; \
	echo '+ antsibull-changelog lint'; $(VENV_BIN)/antsibull-changelog lint || rc=1; \
	if [ $$rc -ne 0 ]; then echo 'lint: FAILED (see above)' >&2; else echo 'lint: passed'; fi; \
	exit $$rc

.PHONY: test
test: units integration sanity lint ## Everything CI runs: units, integration, sanity, lint

# ---------------------------------------------------------------------------

.PHONY: demo
demo: .venv collection-path ## 3 sites in directory mode (site playbook), verified by TLS handshakes, audited (HTML page), then a summary; no cluster needed
	@command -v openssl >/dev/null || { echo 'demo: the openssl binary is needed for the verify handshakes (apt-get install openssl)' >&2; exit 1; }
	$(VENV_BIN)/python hack/demo.py

.PHONY: audit
audit: .venv collection-path ## Audit the demo sites again (after make demo): playbooks/audit.yml -> demo-output/audit/audit.{json,html}
	$(VENV_BIN)/ansible-playbook -i examples/demo/inventory.yml playbooks/audit.yml -e audit_output_dir=$(CURDIR)/demo-output/audit

BENCH_ARGS ?=

.PHONY: bench
bench: collection-path ## Benchmarks: ours vs. community.crypto + kubernetes.core (benchmarks/run.py, own venv)
	@if [ ! -f benchmarks/run.py ]; then echo 'bench: benchmarks/run.py does not exist yet'; exit 0; fi; \
	echo "+ $(PYTHON) benchmarks/run.py $(BENCH_ARGS)"; \
	$(UNSET_COLLECTION_ENV) "$(PYTHON)" benchmarks/run.py $(BENCH_ARGS)

.PHONY: build
build: .venv ## Build the collection tarball into tests/output/build
	@mkdir -p tests/output/build
	$(UNSET_COLLECTION_ENV) $(VENV_BIN)/ansible-galaxy collection build --force --output-path tests/output/build .

.PHONY: changelog
changelog: .venv ## Release notes: antsibull-changelog release (uses galaxy.yml's version)
	$(VENV_BIN)/antsibull-changelog release

.PHONY: clean
clean: ## Remove test output, caches and built tarballs (keeps .venv)
	rm -rf tests/output .ansible .pytest_cache
	find . -path './.venv*' -prune -o -path ./benchmarks/.venv -prune -o -path ./.git -prune -o -type d -name __pycache__ -print0 | xargs -0 rm -rf
	rm -f skupper-tls-*.tar.gz

.PHONY: distclean
distclean: clean ## clean, and remove .venv
	rm -rf $(VENV)

# ---------------------------------------------------------------------------
# Molecule: its own virtualenv (molecule pins ansible-compat; keep it apart from .venv's lint tools)

MOLECULE_VENV ?= .venv-molecule
MOLECULE_STAMP := $(MOLECULE_VENV)/.requirements-installed
MOLECULE_ARGS ?=

$(MOLECULE_STAMP): requirements/molecule.txt
	@if [ -z "$(PYTHON)" ]; then echo 'make: python3.11 not found (set PYTHON=/path/to/python3.11)' >&2; exit 1; fi
	@if [ ! -x "$(MOLECULE_VENV)/bin/python" ]; then \
		echo "+ $(PYTHON) -m venv $(MOLECULE_VENV)"; "$(PYTHON)" -m venv "$(MOLECULE_VENV)"; fi
	$(MOLECULE_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements/molecule.txt
	@touch "$@"

.PHONY: molecule
molecule: $(MOLECULE_STAMP) collection-path ## Molecule, no Docker: site on 3 test API servers (west, east, north), idempotence, verify
	$(UNSET_COLLECTION_ENV) -u VIRTUAL_ENV PATH="$(CURDIR)/$(MOLECULE_VENV)/bin:$$PATH" \
		$(MOLECULE_VENV)/bin/molecule test $(MOLECULE_ARGS)
