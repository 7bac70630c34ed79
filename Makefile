# Trove — build, run, test and benchmark on Debian 12. Every target installs what it needs.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c

# Build outputs live outside the clone, so repeated runs (and CI) are incremental.
export CARGO_TARGET_DIR ?= $(HOME)/.cache/trove-target
export PATH := $(HOME)/.cargo/bin:$(PATH)
CARGO ?= cargo

.PHONY: help setup ui run cli test fmt-check lint test-rust test-ui bench clean-library

help:
	@echo "make run    install what is missing, build, launch the desktop app (or explain the CLI)"
	@echo "make test   install what is missing, then fmt check, clippy -D warnings, all tests"
	@echo "make bench  scan benchmark against fd (see docs/benchmarks.md)"

setup:
	bash scripts/setup.sh

# The front end, built into ui/dist (the desktop crate embeds it at compile time).
ui: setup
	bash scripts/build-ui.sh

cli: setup
	$(CARGO) build -p trove-cli
	@echo "the trove CLI: $(CARGO_TARGET_DIR)/debug/trove"

run: cli ui
	bash scripts/run-desktop.sh

fmt-check:
	$(CARGO) fmt --all -- --check

lint: ui
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	cd ui && npm run typecheck

test-rust: ui
	$(CARGO) test --workspace

test-ui: ui
	bash scripts/test-ui.sh

test: setup fmt-check lint test-rust test-ui
	@echo "make test: all passed"

bench: setup
	bash scripts/bench.sh
