# Two commands do all the set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
FRAMELENS_DATA_DIR ?= ./.framelens
SHARED ?= ../shared
export FRAMELENS_MODEL_DIR ?= $(abspath $(SHARED)/models)

.PHONY: run test install install-test browser lint bench synth clean locks image-models smoke

$(BIN)/python:
	$(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# `trackers` (ByteTrack, which left supervision) and `rapidocr-onnxruntime` (PP-OCRv4, models in
# the wheel) declare opencv-python, whose cv2 would clash with opencv-python-headless: install them
# without dependencies (their real ones are listed in pyproject.toml).
NODEPS := trackers==2.6.1 rapidocr-onnxruntime==1.4.4

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	$(BIN)/pip install -q --no-deps $(NODEPS)
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[test,infra]'
	$(BIN)/pip install -q --no-deps $(NODEPS)
	touch $(VENV)/.installed $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

# Stays in the foreground (Ctrl-C stops it): run `make test` in another terminal, or stop it first.
run: install
	FRAMELENS_DATA_DIR=$(FRAMELENS_DATA_DIR) $(BIN)/framelens serve --host 0.0.0.0 --port $(PORT)

# make test runs, in order: Debian's Chromium through apt-get when missing (sudo when not root;
# the page tests), ruff (lint), import-linter (the library's layer, "never" and no-circle
# contracts), mypy --strict (the library), and pytest: unit, contract (both store adapters; aws on
# moto), infra (the synthesized CDK app), e2e (HTTP, CLI, a restarted server, the state machine
# on moto), faults (full disk, store outages, stuck jobs), artifact (the built Lambda layer and
# image locks, run by CPython 3.12 as Lambda runs them: required, never skipped) and browser (the
# results viewer in Chromium) tests. Models come from ../shared/models (FRAMELENS_MODEL_DIR).
test: install-test browser
	$(BIN)/ruff check layers functions infra tests benchmarks scripts
	$(BIN)/lint-imports --no-cache
	$(BIN)/mypy
	FRAMELENS_REQUIRE_ARTIFACTS=1 $(BIN)/pytest

# The page tests drive Debian's Chromium (Playwright's own browser download is not available):
# installed through apt-get when missing.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
browser:
	@command -v chromium >/dev/null 2>&1 || { echo "installing Debian's chromium for the page tests"; \
	  $(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

lint: install-test
	$(BIN)/ruff check layers functions infra tests benchmarks scripts
	$(BIN)/ruff format --check layers functions infra tests benchmarks scripts

bench: install-test
	$(BIN)/pip install -q --no-deps 'scenedetect==0.7.2' platformdirs
	$(BIN)/python benchmarks/engine.py
	$(BIN)/python benchmarks/modules.py
	$(BIN)/python benchmarks/memory.py
	$(BIN)/python benchmarks/detect.py
	$(BIN)/python benchmarks/faces.py
	$(BIN)/python benchmarks/ocr.py
	$(BIN)/python benchmarks/media_serving.py

synth: install-test
	cd infra && ../$(BIN)/python app.py

# One lock per artifact (zip layer, inference image, GPU image) for Lambda's Python 3.12 on
# manylinux_2_28 x86_64, with hashes (infra/artifacts.py; inputs: each requirements.in).
locks: install-test
	$(BIN)/pip install -q 'uv==0.13.9'
	$(BIN)/python scripts/locks.py

# The images' model files, by name, into their build context (before `cdk deploy`).
image-models: install
	$(BIN)/framelens models pull --shippable --into containers/models --source-dir $(FRAMELENS_MODEL_DIR)

# After `cdk deploy`: make smoke URL=https://<api>/v1 KEY=<key> [BUCKET=<media bucket>]
smoke: install
	$(BIN)/python scripts/smoke.py --url "$(URL)" --key "$(KEY)" $(if $(BUCKET),--bucket "$(BUCKET)")

clean:
	rm -rf $(VENV) cdk.out .pytest_cache .ruff_cache
