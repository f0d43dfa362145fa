"""No outbound network at run time: indexing, asking and the UI start-up all
succeed with every non-loopback connection and name lookup refused (and
recorded) by tests/offline_cli.py. The browser tests run the full UI the same way."""

import os
import shutil
import subprocess
import sys

from .conftest import ROOT, SEEDS, free_port, wait_for_http

GUARD = str(ROOT / "tests" / "offline_cli.py")


def test_index_ask_and_ui_start_without_network(tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(SEEDS, corpus)
    log = tmp_path / "blocked.log"
    env = {
        **os.environ,
        "ASSISTANT_CORPUS_DIR": str(corpus),
        "ASSISTANT_INDEX_ROOT": str(tmp_path / "index"),
        "ASSISTANT_MODELS_DIR": str(tmp_path / "models"),
        "BLOCKED_LOG": str(log),
    }
    # Unset offline switches: the product itself must not try to go online.
    for key in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
        env.pop(key, None)

    def run(*args):
        return subprocess.run([sys.executable, GUARD, *args], env=env, cwd=tmp_path,
                              capture_output=True, text=True, timeout=180)

    indexed = run("index", "-q")
    assert indexed.returncode == 0, indexed.stderr
    assert "5 documents" in indexed.stdout
    asked = run("ask", "2024年重庆网民规模是多少？")
    assert asked.returncode == 0, asked.stderr
    assert "2495万人" in asked.stdout

    port = free_port()
    ui_log = open(tmp_path / "ui.log", "w")
    proc = subprocess.Popen([sys.executable, GUARD, "ui", "--port", str(port)], env=env, cwd=tmp_path,
                            stdout=ui_log, stderr=subprocess.STDOUT)
    try:
        wait_for_http(f"http://127.0.0.1:{port}/", proc, 120, lambda: (tmp_path / "ui.log").read_text())
    finally:
        proc.terminate()
        proc.wait(timeout=15)
    assert not log.exists(), log.read_text()
