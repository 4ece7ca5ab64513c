# The developer's workflow; CI calls the same targets. Each sets up what it needs.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# CI splits the minions across parallel jobs: make pipeline SHARD=1/2
SHARD  ?=
SALTLINE_ARGS ?=

ENV    ?= staging
REV    ?= HEAD

.PHONY: pipeline test unit e2e lint golden images fleet promote destroy clean docker venv

pipeline: venv docker  ## the main job: the full pipeline on the estate, with reports
	$(BIN)/saltline test $(if $(SHARD),--shard $(SHARD)) $(SALTLINE_ARGS)

# The e2e modules run side by side, a module per worker (each has its own fleet and
# names; most of their time is Salt waiting), then what acts on the whole engine, alone.
E2E_JOBS ?= 4
E2E = $(BIN)/pytest tests/e2e -n $(E2E_JOBS) --dist loadfile -m "not serial" \
	&& $(BIN)/pytest tests/e2e -m serial

test: venv docker  ## the project's tests: unit, then end to end in real containers
	$(BIN)/pytest tests/unit
	$(BIN)/saltline images build
	$(E2E)

unit: venv
	$(BIN)/pytest tests/unit

e2e: venv docker
	$(E2E)

lint: venv  ## yamllint, salt-lint, ruff, mypy: no containers
	$(BIN)/saltline lint
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

golden: venv docker  ## rewrite tests/golden/ from the rendered pillar and map.jinja data
	$(BIN)/saltline render --update-golden
	@git diff --stat -- tests/golden 2>/dev/null || true

images: venv docker
	$(BIN)/saltline images build

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
