# Two commands do all the set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
FRAMELENS_DATA_DIR ?= ./.framelens
SHARED ?= ../shared
export FRAMELENS_MODEL_DIR ?= $(abspath $(SHARED)/models)

.PHONY: run test install install-test lint bench synth clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# `trackers` (ByteTrack, which left supervision) declares opencv-python, whose cv2 would clash
# with opencv-python-headless: install it without dependencies (all of them are ours already).
NODEPS := trackers==2.6.1

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

run: install
	FRAMELENS_DATA_DIR=$(FRAMELENS_DATA_DIR) $(BIN)/framelens serve --host 0.0.0.0 --port $(PORT)

test: install-test
	$(BIN)/ruff check layers functions infra tests benchmarks
	$(BIN)/lint-imports --no-cache
	$(BIN)/mypy
	$(BIN)/pytest

lint: install-test
	$(BIN)/ruff check layers functions infra tests benchmarks
	$(BIN)/ruff format --check layers functions infra tests benchmarks

bench: install-test
	$(BIN)/pip install -q --no-deps 'scenedetect==0.7.2' platformdirs
	$(BIN)/python benchmarks/engine.py
	$(BIN)/python benchmarks/detect.py
	$(BIN)/python benchmarks/media_serving.py

synth: install-test
	cd infra && ../$(BIN)/python app.py

clean:
	rm -rf $(VENV) cdk.out .pytest_cache .ruff_cache
