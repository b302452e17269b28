# Bianmin (便民) — the two commands a newcomer needs are `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | cksum | cut -d' ' -f1)
STAGE  ?= prod
REGION ?= cn-north-1

.PHONY: venv run test lint format package deploy replay bench keysim workload load verify-stats screenshot chromium clean

venv: $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install -q --disable-pip-version-check "pip>=24,<26.3"
	@$(BIN)/python -m pip install -q --disable-pip-version-check -r requirements-dev.txt
	@rm -f $(VENV)/.installed-*
	@touch $@

## Start the whole system locally: embedded AWS (moto), demo county, API on :8000.
run: $(STAMP)
	$(BIN)/python -m devstack

## Run the whole test suite (domain, store, routes, end-to-end, template lint, the
## dashboard in headless Chromium).
test: $(STAMP) chromium
	$(BIN)/python -m pytest -n 2 --dist loadgroup -q

## Debian's chromium, for the dashboard's browser test (installed with apt-get if missing).
chromium:
	@devstack/bin/ensure-chromium

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache
	$(BIN)/python -m devstack.sizes chalicelib

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## One CloudFormation template with every resource: build/package/sam.json
package: $(STAMP)
	$(BIN)/python -m infra.package --stage $(STAGE) --region $(REGION)

## Package, upload and deploy a stage through a CloudFormation change set (docs/DEPLOY.md):
##   make deploy STAGE=prod REGION=cn-north-1 PARAMS=params/prod.json [PROFILE=county-admin]
deploy: $(STAMP)
	$(BIN)/python -m infra.deploy --stage $(STAGE) --region $(REGION) \
		$(if $(PARAMS),--parameters $(PARAMS)) $(if $(PROFILE),--profile $(PROFILE)) \
		$(if $(VPCE),--private-vpce $(VPCE))

## Replay a dead-letter queue into its source: make replay QUEUE=sms STAGE=prod REGION=cn-north-1
replay: $(STAMP)
	$(BIN)/python -m infra.replay --stage $(STAGE) --region $(REGION) --queue $(QUEUE) \
		$(if $(PROFILE),--profile $(PROFILE))

## Benchmarks: cold import, package size, DynamoDB calls per route (figures printed).
bench: $(STAMP)
	$(BIN)/python -m bench

## Drive the running stack (`make run`) with a generated county workload.
workload: $(STAMP)
	$(BIN)/python -m devstack.workload --requests $(or $(REQUESTS),1000) --applications $(or $(APPLICATIONS),100)

## The peak write load on every partition key (Wenshang, Shandong) from the code's own writes;
## non-zero exit if any key or item passes its limit with a 2x margin.
keysim: $(STAMP)
	$(BIN)/python -m bench.keysim

## A bounded load run through a fresh local stack: concurrent filings and decisions, same-case
## races; non-zero exit on any server error, conflict between cases, reset or drift.
load: $(STAMP)
	$(BIN)/python -m devstack.load

## Recompute every statistics counter from the raw cases; non-zero exit on any drift.
## ARGS=--repair moves drifted figures back to the recomputed values.
verify-stats: $(STAMP)
	$(BIN)/python -m devstack.verify_stats $(ARGS)

## docs/dashboard.png from the running stack (after `make workload`).
screenshot: $(STAMP) chromium
	$(BIN)/python -m devstack.screenshot docs/dashboard.png

clean:
	rm -rf build .local .pytest_cache .ruff_cache
