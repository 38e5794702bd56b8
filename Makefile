# The two commands: `make run` runs the whole system locally, `make test` passes the tests.
SHELL := /bin/bash
.DEFAULT_GOAL := help
UV ?= uv
INFRA := deploy/local/infra.sh
PACKAGES := oncall_contracts oncall_platform oncall_pagerduty oncall_testing \
	rotation_service pd_sync_service user_provisioner pagerduty_sim localsystem oncall_web
# Loads the addresses `make up` wrote, unless the caller configured them.
WITH_ENV := set -a; [ -f .local/env ] && . .local/env; set +a;

.PHONY: help
help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

.PHONY: install
install: ## install the Python workspace (uv, every member, dev tools)
	@command -v $(UV) >/dev/null || python3 -m pip install --quiet "uv>=0.5"
	$(UV) sync --all-packages --frozen --compile-bytecode

.PHONY: up down status
up: ## start the local Kafka broker and PostgreSQL (idempotent)
	@$(INFRA) up
down: ## stop the local Kafka broker and PostgreSQL
	@$(INFRA) down
status: ## show the local infrastructure
	@$(INFRA) status

.PHONY: lint
lint: install ## ruff and mypy (strict on the libraries)
	$(UV) run ruff check .
	$(UV) run ruff format --check .
	$(UV) run mypy $(addprefix -p ,$(PACKAGES))

.PHONY: contracts contracts-check
contracts: install ## regenerate the committed JSON Schema snapshots of the event contracts
	$(UV) run python libs/contracts/scripts/contract_schemas.py generate
contracts-check: install ## fail when the contracts break a committed snapshot or snapshots are stale
	$(UV) run python libs/contracts/scripts/contract_schemas.py check

.PHONY: browser
browser: ## Chromium (Debian's package) and axe-core for the web UI's browser tests (idempotent)
	@deploy/local/browser.sh install

.PHONY: deploy-tools
deploy-tools: ## helm (built with go install, pinned) for the Helm chart's checks in tests/deploy (idempotent)
	@deploy/local/tools.sh install

.PHONY: test test-deep
# Exit code 5 (no tests collected) is a failure. Hypothesis profiles and the skip allow-list: README.
test: install lint contracts-check up browser deploy-tools ## lint, contract checks and every test suite on the real broker and database
	@$(WITH_ENV) $(UV) run pytest -q -p no:cacheprovider $(PYTEST_ARGS); rc=$$?; \
	  if [ $$rc -eq 5 ]; then echo "pytest collected no tests: failing" >&2; exit 1; fi; exit $$rc
test-deep: install up ## the property tests only, at random and with 20x their examples (prints the count)
	@$(WITH_ENV) $(UV) run pytest -q -p no:cacheprovider -m hypothesis --hypothesis-profile=deep \
	  --hypothesis-show-statistics $(PYTEST_ARGS); rc=$$?; \
	  if [ $$rc -eq 5 ]; then echo "pytest collected no tests: failing" >&2; exit 1; fi; exit $$rc

.PHONY: unit
unit: install ## every test that needs no Kafka, database or deploy-tools (no .local/env read; under a minute)
	@env -u KAFKA_BOOTSTRAP_SERVERS -u DATABASE_URL ONCALL_TESTS_WITHOUT_INFRASTRUCTURE=1 \
	  $(UV) run pytest -q -p no:cacheprovider -m "not integration and not e2e and not tools" -n 2 $(PYTEST_ARGS)

.PHONY: run
run: install up ## run the whole system locally (Ctrl-C stops it)
	@$(WITH_ENV) $(UV) run python deploy/local/run.py

.PHONY: token
token: install ## mint a local API token: make token EMAIL=you@example.com
	@ENVIRONMENT=$${ENVIRONMENT:-development} $(UV) run rotation-service token "$(EMAIL)"

.PHONY: demo
demo: install ## against `make run`: two follow-the-sun rotations synced into the simulator
	@ENVIRONMENT=$${ENVIRONMENT:-development} $(UV) run python deploy/local/demo.py

.PHONY: reset
reset: install ## forget what `make run` kept (simulator data, service databases); starts and stops nothing
	@$(WITH_ENV) $(UV) run python deploy/local/reset.py

.PHONY: chaos
# Starts its own Kafka and PostgreSQL on free ports (data in .local/chaos/); never the ones of `make up`.
chaos: install ## the fault run of the whole system (FORM=--short for the quick one; report in .local/chaos/)
	@$(UV) run python tests/chaos/chaos_run.py $${FORM:---full}

.PHONY: bench
bench: install up ## benchmarks on the running system with the real broker (see README)
	@$(WITH_ENV) $(UV) run python tests/bench/run.py
