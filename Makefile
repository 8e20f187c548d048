# The README's promise: `make demo` renders a demo video offline; `make test` sets up and runs the tests.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test lint clean

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

# Benchmarks: `make bench-NAME` runs benchmarks/NAME_bench.py (dashes as underscores), which writes
# benchmarks/results/. The ones against moviepy take BENCH_ARGS (--quick: one run each; --repeat N).
#   queue          queue throughput, 1-4 workers, SQLite vs PostgreSQL
#   fast-path      ISSUE 8: our fast render path vs the peers' moviepy way
#   plan           ISSUE 13: a 60 s 1080p Plan with images, tables and the spoken-line highlight, vs moviepy
#   segments       ISSUE 13: the plan benchmark's moving photo scene and its still scenes, each encoded alone
#   motion         ISSUE 18: ~60 s of 1080p photos with Ken Burns motion and crossfades, vs moviepy
#   normalize      speech normalization time per megabyte
#   long-input     ISSUE 11: documents at 0.5, 1 and 2 MB (prose, one long word, headings, one line)
#   captions       ISSUE 15: caption segmentation of one sentence at 6k, 60k and 600k characters
#   caption-timing ISSUE 15: caption timing for every voice
#   delivery       ISSUE 14 item 6: time, size, level and keyframes per delivery preset (~2 minutes)
#   condense       `--duration`: fitting a long document's plan to a target
#   readers        a 100-page PDF and a 60-slide PPTX read
#   sound          ISSUE 14: the audio stage's share of a render, re-renders with music
#   mux            ISSUE 14: the final mux in-process (PyAV) vs the ffmpeg command it replaced
#   resample       ISSUE 14: speech to 48 kHz in-process vs the ffmpeg soxr command it replaced; quality of both
#   studio         ISSUE 15: GET storyboard kept vs planned again; a bold static CJK caption font
#   storyboard-pictures  a storyboard's GET/PUT body with a DOCX's photos kept as job attachments vs data: URLs
# `make bench` runs them all but motion, then render_bench.py.
BENCHES := queue fast-path plan normalize long-input captions delivery condense readers caption-timing sound mux resample studio storyboard-pictures
MOVIEPY_BENCHES := fast-path plan motion
.PHONY: bench $(sort $(BENCHES:%=bench-%) $(MOVIEPY_BENCHES:%=bench-%))

bench: $(BENCHES:%=bench-%) $(VENV)/.installed
	$(BIN)/python benchmarks/render_bench.py

$(sort $(BENCHES:%=bench-%) $(MOVIEPY_BENCHES:%=bench-%)): bench-%: $(VENV)/.installed
	$(BIN)/python benchmarks/$(subst -,_,$*)_bench.py $(ARGS)

# moviepy pins an old Pillow, so it lives in its own (git-ignored) venv.
MOVIEPY_VENV := benchmarks/.venv-moviepy

$(MOVIEPY_VENV)/.installed:
	python3 -m venv $(MOVIEPY_VENV)
	$(MOVIEPY_VENV)/bin/python -m pip install --quiet moviepy
	touch $@

$(MOVIEPY_BENCHES:%=bench-%): $(MOVIEPY_VENV)/.installed
$(MOVIEPY_BENCHES:%=bench-%): ARGS = $(BENCH_ARGS)

clean:
	rm -rf out .pytest_cache
