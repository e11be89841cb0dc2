# kefu: `make run` runs the whole system locally, `make test` passes the tests. Each installs what it needs.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

# AWS's DynamoDB Local, as shipped in the npm package amplify-dynamodb-simulator (folder emulator/).
DDB_PACKAGE := amplify-dynamodb-simulator@2.9.30
DDB_SHA256 := 3503ffac19f183407909fecdacf4db51ab1fdad1da7b2f177016670b2d80e4b9
DDB_DIR := .local/dynamodb
DDB_JAR := $(DDB_DIR)/DynamoDBLocal.jar

# The AWS CDK command line, pinned, from npm; only `make deploy` needs it (`make synth` runs the app directly).
CDK_CLI := aws-cdk@2.1148.1
CDK_DIR := .local/cdk
CDK := $(CDK_DIR)/node_modules/.bin/cdk
STAGE ?= dev

.PHONY: help venv dynamodb-local java chromium run test lint typecheck unit bench clean synth deploy cdk-bootstrap

help:
	@echo "make run    start kefu locally (DynamoDB Local, API on http://127.0.0.1:8000, demo data)"
	@echo "make test   lint, type-check and run every test against DynamoDB Local"
	@echo "make bench  run the benchmarks under bench/ and print their figures"
	@echo "make synth  write the CloudFormation templates of stages dev and prod, and their mail-ingress stacks, into infra/cdk.out/ (offline)"
	@echo "make deploy STAGE=prod   deploy a stage to the AWS account of your credentials (docs/operations.md)"
	@echo "./kefu      staff commands (./kefu --help)"

venv: $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade "pip<26.3"
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $@

java:
	@command -v java >/dev/null 2>&1 || { \
	  echo "Java is needed for DynamoDB Local; installing openjdk-17-jre-headless"; \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless >/dev/null; \
	  else echo "Please install Java 17 (e.g. sudo apt-get install openjdk-17-jre-headless)"; exit 1; fi; }

dynamodb-local: java $(DDB_JAR)

# Debian's Chromium, for the browser tests (driven by the pinned `playwright` package; never `playwright install`),
# and Debian's Noto CJK fonts, without which every Chinese text renders as boxes.
chromium:
	@{ command -v chromium >/dev/null 2>&1 && dpkg -s fonts-noto-cjk >/dev/null 2>&1; } || { \
	  echo "Chromium and CJK fonts are needed for the browser tests; installing Debian's chromium and fonts-noto-cjk"; \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; \
	  else echo "Please install Chromium and CJK fonts (e.g. sudo apt-get install chromium fonts-noto-cjk)"; exit 1; fi; }

$(DDB_JAR):
	@command -v npm >/dev/null || { echo "npm is needed to fetch DynamoDB Local (apt-get install npm)"; exit 1; }
	@rm -rf .local/dynamodb-pkg && mkdir -p .local/dynamodb-pkg
	cd .local/dynamodb-pkg && npm pack --silent $(DDB_PACKAGE) >/dev/null
	@echo "$(DDB_SHA256)  $$(ls .local/dynamodb-pkg/*.tgz)" | sha256sum --check --quiet
	tar -xzf .local/dynamodb-pkg/*.tgz -C .local/dynamodb-pkg
	rm -rf $(DDB_DIR) && mv .local/dynamodb-pkg/package/emulator $(DDB_DIR) && rm -rf .local/dynamodb-pkg
	@test -f $@

# Ports and data folder may be chosen: make run API_PORT=9000 DYNAMODB_PORT=9600 SMTP_PORT=2626 STOREFRONT_PORT=9001
API_PORT ?= 8000
DYNAMODB_PORT ?= 8600
SMTP_PORT ?= 2525
STOREFRONT_PORT ?= 8001
DATA_DIR ?= .data

run: venv dynamodb-local
	PYTHONPATH=. $(PY) -m chalicelib.local.run --api-port $(API_PORT) --dynamodb-port $(DYNAMODB_PORT) \
	  --smtp-port $(SMTP_PORT) --storefront-port $(STOREFRONT_PORT) --data-dir $(DATA_DIR)

lint: venv
	$(VENV)/bin/ruff check .

typecheck: venv
	$(VENV)/bin/mypy

test: venv dynamodb-local chromium lint typecheck
	PYTHONPATH=. $(PY) -m pytest

unit: venv
	PYTHONPATH=. $(PY) -m pytest tests/unit

bench: venv dynamodb-local
	PYTHONPATH=. $(PY) -m bench

synth: venv
	rm -rf infra/cdk.out
	PYTHONPATH=. $(PY) -m infra.main
	@echo "written: $$(cd infra/cdk.out && ls *.template.json | tr '\n' ' ')"

$(CDK):
	@command -v npm >/dev/null || { echo "npm is needed for the CDK command line (apt-get install npm)"; exit 1; }
	mkdir -p $(CDK_DIR) && npm install --prefix $(CDK_DIR) --no-audit --no-fund --silent $(CDK_CLI)

cdk-bootstrap: venv $(CDK)
	cd infra && KEFU_STAGES=$(STAGE) ../$(CDK) bootstrap

deploy: venv $(CDK)
	cd infra && KEFU_STAGES=$(STAGE) ../$(CDK) deploy $(STAGE) --require-approval broadening

clean:
	rm -rf $(VENV) .local .pytest_cache .mypy_cache .ruff_cache
