# Conveyor — every target sets up what it needs first, so a fresh machine needs only these.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
CACHE ?= $(HOME)/.cache/conveyor
UV_VERSION := 0.13.9
UV_HOME := $(CACHE)/uv-$(UV_VERSION)
UV := $(UV_HOME)/bin/uv
BIN := .venv/bin
export UV_PYTHON_DOWNLOADS := never
export UV_CACHE_DIR := $(CACHE)/uv-cache
# The pinned uv, for the test that builds each deployable's environment as its image would.
export CONVEYOR_UV := $(UV)

.PHONY: help setup up down status demo test unit lint format lock clean bench schemas dashboards kube-up kube-down bench-operator bench-sweep images cluster-up cluster-down cluster-status test-cluster bench-hot load capacity bench-browse

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(UV):
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
	  { echo "Python 3.11+ is required as '$(PYTHON)' (set PYTHON=...)"; exit 1; }
	@$(PYTHON) -m venv $(UV_HOME) || \
	  { echo "python venv failed; on Debian/Ubuntu: sudo apt-get install -y python3-venv"; exit 1; }
	$(UV_HOME)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

.venv/.synced: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --python $(PYTHON)
	@touch $@

# checkov's pins clash with pulumi's, so it has an environment (and a lock) of its own.
CHECKOV_ENV := .venv-checkov
$(CHECKOV_ENV)/.synced: $(UV) policies/tools/pyproject.toml policies/tools/uv.lock
	UV_PROJECT_ENVIRONMENT=$(CURDIR)/$(CHECKOV_ENV) $(UV) sync --frozen --project policies/tools --python $(PYTHON)
	@touch $@

setup: .venv/.synced $(CHECKOV_ENV)/.synced ## virtualenvs with the locked dependencies

up: setup ## start the local stack (PostgreSQL, Redis, Kafka, Prometheus)
	$(BIN)/conveyor local up

down: setup ## stop what `make up` started
	$(BIN)/conveyor local down

status: setup ## show the local stack
	$(BIN)/conveyor local status

demo: up ## set everything up and run the main job on the local stack
	$(BIN)/conveyor demo

lint: setup ## ruff, formatting, mypy strict, import contracts
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

kube-up: setup ## build (once) and start the local Kubernetes API server for the operator
	$(BIN)/conveyor kube up

kube-down: setup ## stop the local Kubernetes API server
	$(BIN)/conveyor kube down

images: setup ## build the services' and the operator's images with buildah (.local/images/, ADR 0032)
	$(BIN)/conveyor images build

cluster-up: images ## a one-node Kubernetes (containerd, kubelet) on a bridge of its own; loads the images
	$(BIN)/conveyor cluster up

cluster-down: setup ## drain and stop the node and the control plane; restore the host
	$(BIN)/conveyor cluster down

cluster-status: setup ## the node's servers and whether it is Ready
	$(BIN)/conveyor cluster status

# `up` comes before `slo-test`: on a new machine it is what installs Debian's prometheus (promtool).
# Two shards side by side, each on a stack of its own (tests/support/shards.py, ADR 0052).
test: lint up slo-test kube-up ## set everything up and run every test against the real stack
	$(BIN)/python -m tests.support.shards

# Image builds and the real node (ADR 0032): minutes more on a cold machine, so a target of its own.
test-cluster: kube-up ## build the images, bring the node up, run the operator and the saga in pods, check `down` restores the host
	$(BIN)/pytest -m node

.PHONY: slo-test
slo-test: setup ## SLO rules: drift from observability/slos/, promtool check rules, promtool test rules
	@command -v promtool >/dev/null || { echo "promtool is missing: sudo apt-get install prometheus" >&2; exit 1; }
	$(BIN)/conveyor slo check
	promtool check rules observability/rules/*.yaml observability/alerts/*.yaml
	promtool test rules observability/rules/tests/*.yaml observability/alerts/tests/*.yaml

# Each run starts its own fresh stack (stopped, state deleted, started again), so no `up` here.
RUNS ?= 3
RATES ?= 40,60,80,100,120,150
bench: setup ## saga benchmark through the gateway (DIRECT=1: to the order service), RUNS (3) fresh runs of 60 s at 100/s, + machine limits: build/bench/
	$(BIN)/python -m loadtests.bench --runs $(RUNS) $(if $(DIRECT),--direct) $(BENCH_ARGS)

bench-hot: setup ## flash sale: RUNS fresh runs of 60 s at 100/s over 5 hot products (build/bench/saga-hot.json)
	$(BIN)/python -m loadtests.bench --runs $(RUNS) --products 5 --limits-seconds 0 --name saga-hot $(if $(DIRECT),--direct) $(BENCH_ARGS)

# One run per rate unless RUNS is given on the command line or in the environment.
bench-browse: up ## 1,000 users browsing through the gateway, RUNS runs of 60 s: build/bench/browse.json
	$(BIN)/conveyor catalog seed --products 2000
	$(BIN)/python -m loadtests.browse_bench --runs $(RUNS) $(BENCH_ARGS)

bench-sweep: setup ## the knee: highest of RATES whose p99 < 1 s and that keeps up (build/bench/sweep.json)
	$(BIN)/python -m loadtests.sweep --rates $(RATES) $(if $(filter-out file,$(origin RUNS)),--runs $(RUNS)) $(if $(DIRECT),--direct) $(BENCH_ARGS)

# One Locust scenario on the running stack, judged by the SLOs over its window (ADR 0037).
SCENARIO ?= checkout
load: up ## Locust scenario SCENARIO=browse|checkout|churn|black_friday|mixed|soak [USERS= RATE= DURATION= HOST= WORKERS= DIRECT=1]: build/load/
	$(BIN)/conveyor catalog seed --products 2000
	$(BIN)/python -m loadtests.load --scenario $(SCENARIO) $(if $(USERS),--users $(USERS)) $(if $(RATE),--rate $(RATE)) $(if $(DURATION),--duration $(DURATION)) $(if $(HOST),--host $(HOST)) $(if $(WORKERS),--workers $(WORKERS)) $(if $(DIRECT),--direct)

# Sizes from build/bench/saga.json (or CAPACITY_ARGS="--from build/load/checkout.json") and build/load/browse.json.
ORDERS_PER_SECOND ?= 20
capacity: synth ## replicas, nodes, data tiers and monthly cost for ORDERS_PER_SECOND (and 10x): build/capacity/
	$(BIN)/conveyor capacity --orders-per-second $(ORDERS_PER_SECOND) $(CAPACITY_ARGS)

# The stack must be up (`make up`, same CONVEYOR_* settings); each scenario restores it first.
SCENARIOS ?=
SEED ?=
.PHONY: chaos
chaos: up ## fault scenarios under load through the gateway + invariants (SCENARIOS=a,b SEED=n DIRECT=1): build/chaos/report.json
	$(BIN)/python -m loadtests.chaos $(if $(SCENARIOS),--scenarios $(SCENARIOS)) $(if $(SEED),--seed $(SEED)) $(if $(DIRECT),--direct) $(CHAOS_ARGS)

bench-operator: kube-up ## operator latency: apply → all children, deletion → repair (build/bench/operator.json)
	$(BIN)/python -m loadtests.operator_bench $(BENCH_ARGS)

schemas: setup ## re-render the message JSON Schemas from the models
	$(BIN)/conveyor schemas write

# A unit test fails on drift; `make test` also validates them against Grafana's schema (npm).
dashboards: setup ## re-render the Grafana dashboards (observability/dashboards/*.json) from the code
	$(BIN)/conveyor dashboards generate

ENV ?= dev
.PHONY: cost
cost: synth ## monthly AWS cost of a synthesized stack (ENV=dev|staging|prod): build/cost/$(ENV).json
	$(BIN)/conveyor cost --env $(ENV) $(COST_ARGS)

# `make synth` writes every stack; `make synth ENV=prod` one (ENV given, not the default above).
.PHONY: synth
synth: setup ## resource graphs of the stacks under mocks (ENV=dev|staging|prod; default all): build/synth/
	$(BIN)/conveyor synth $(if $(filter command line environment,$(origin ENV)),--env $(ENV),)

# Synthesizes first, so the checks always see the current program; same ENV rule as `synth`.
.PHONY: policy
policy: synth ## checkov + CrossGuard over the synthesized stacks; fails on a check not in policies/skips.yaml
	$(BIN)/conveyor policy $(if $(filter command line environment,$(origin ENV)),--env $(ENV),)

unit: setup ## only the tests without I/O
	$(BIN)/pytest tests/unit

format: setup ## apply ruff's formatting and autofixes
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

lock: $(UV) ## re-resolve uv.lock after changing pyproject.toml
	$(UV) lock --python $(PYTHON)

clean: down cluster-down kube-down ## stop the stack, the node and the local API server, delete their state (.local/) and build output
	rm -rf .local build
