# The README's promise: `make demo` renders a demo video offline; `make test` sets up and runs the tests.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test lint bench bench-queue bench-fast-path bench-plan bench-motion bench-normalize bench-long-input bench-captions bench-delivery bench-condense bench-readers bench-caption-timing bench-sound clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test,piper]'
	touch $@ $(VENV)/.installed

demo: $(VENV)/.installed
	mkdir -p out
	$(BIN)/t2v render examples/demo.md -o out/demo.mp4

test: $(VENV)/.installed-test
	$(BIN)/ruff check app tests benchmarks
	$(BIN)/mypy
	$(BIN)/python -m pytest

lint: $(VENV)/.installed-test
	$(BIN)/ruff check app tests benchmarks
	$(BIN)/ruff format --check app tests benchmarks
	$(BIN)/mypy

bench: bench-queue bench-fast-path bench-plan bench-normalize bench-long-input bench-captions bench-delivery bench-condense bench-readers bench-caption-timing bench-sound $(VENV)/.installed
	$(BIN)/python benchmarks/render_bench.py

# ISSUE 14 item 6: time, size, level and keyframes per delivery preset on the demo; about two minutes.
bench-delivery: $(VENV)/.installed
	$(BIN)/python benchmarks/delivery_bench.py

# ISSUE 15: caption segmentation of one sentence at 6k, 60k and 600k characters; about a minute.
bench-sound: $(VENV)/.installed
	$(BIN)/python benchmarks/sound_bench.py

bench-captions: $(VENV)/.installed
	$(BIN)/python benchmarks/captions_bench.py

bench-caption-timing: $(VENV)/.installed
	$(BIN)/python benchmarks/caption_timing_bench.py

# ISSUE 11: documents at 0.5, 1 and 2 MB (prose, one long word, headings, one line); a few minutes.
bench-condense: $(VENV)/.installed
	$(BIN)/python benchmarks/condense_bench.py

bench-readers: $(VENV)/.installed
	$(BIN)/python benchmarks/readers_bench.py

bench-long-input: $(VENV)/.installed
	$(BIN)/python benchmarks/long_input_bench.py

bench-queue: $(VENV)/.installed
	$(BIN)/python benchmarks/queue_bench.py

bench-normalize: $(VENV)/.installed
	$(BIN)/python benchmarks/normalize_bench.py

# ISSUE 8: ours vs moviepy. moviepy pins an old Pillow, so it lives in its own (git-ignored) venv.
MOVIEPY_VENV := benchmarks/.venv-moviepy

$(MOVIEPY_VENV)/.installed:
	python3 -m venv $(MOVIEPY_VENV)
	$(MOVIEPY_VENV)/bin/python -m pip install --quiet moviepy
	touch $@

bench-fast-path: $(VENV)/.installed $(MOVIEPY_VENV)/.installed
	$(BIN)/python benchmarks/fast_path_bench.py $(BENCH_ARGS)

# ISSUE 18: ~60 s of 1080p photos with Ken Burns motion and crossfades, ours vs moviepy.
bench-motion: $(VENV)/.installed $(MOVIEPY_VENV)/.installed
	$(BIN)/python benchmarks/motion_bench.py $(BENCH_ARGS)

# ISSUE 13: a 60 s 1080p Plan with images, tables and the spoken-line highlight, ours vs moviepy.
bench-plan: $(VENV)/.installed $(MOVIEPY_VENV)/.installed
	$(BIN)/python benchmarks/plan_bench.py $(BENCH_ARGS)

clean:
	rm -rf out .pytest_cache
