"""No outbound network at run time: indexing (OCR included), asking and the UI
start-up all succeed with every non-loopback connection and name lookup refused
(and recorded) by tests/offline_cli.py. Native libraries (onnxruntime's
telemetry) bypass Python's sockets, so the index build also runs under strace,
which records every connect() the process tree makes. The browser tests run the
full UI the same way."""

import os
import re
import shutil
import subprocess
import sys

import pytest

from .conftest import ROOT, SEEDS, free_port, wait_for_http
from .scans import write_scans

GUARD = str(ROOT / "tests" / "offline_cli.py")
STRACE = shutil.which("strace")
_INET_CONNECT_RE = re.compile(r'connect\(\d+, \{sa_family=AF_INET6?, (?:sin6?_port=htons\(\d+\), )?[^}]*?(?:inet_addr\("([^"]+)"\)|inet_pton\(AF_INET6, "([^"]+)")')


def outbound_connects(strace_log: str) -> list[str]:
    """connect() calls to addresses other than loopback in an `strace -f` log."""
    found = []
    for m in _INET_CONNECT_RE.finditer(strace_log):
        address = m.group(1) or m.group(2)
        if not (address.startswith("127.") or address in ("::1", "0.0.0.0", "::")):
            found.append(m.group(0))
    return found


def test_index_ask_and_ui_start_without_network(tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(SEEDS, corpus)
    write_scans(corpus)  # a scanned page (PNG) and its image-only PDF: OCR in the build
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

    def run(*args, trace=None):
        prefix = [STRACE, "-f", "-qq", "-e", "trace=connect", "-o", str(trace)] if trace else []
        return subprocess.run([*prefix, sys.executable, GUARD, *args], env=env, cwd=tmp_path,
                              capture_output=True, text=True, timeout=300)

    if STRACE is None and os.environ.get("CI") == "true":
        pytest.fail("strace is not installed (make test installs it with apt)")
    trace = tmp_path / "connect.log" if STRACE else None
    indexed = run("index", "-q", trace=trace)
    assert indexed.returncode == 0, indexed.stderr
    assert "7 documents" in indexed.stdout
    if trace:
        assert not outbound_connects(trace.read_text()), outbound_connects(trace.read_text())
    asked = run("ask", "2024年重庆网民规模是多少？")
    assert asked.returncode == 0, asked.stderr
    assert "2495万人" in asked.stdout
    scanned = run("ask", "2025年全市累计办件量是多少？")
    assert scanned.returncode == 0, scanned.stderr
    assert "3187万件" in scanned.stdout and "[OCR" in scanned.stdout

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


def test_outbound_connects_are_found_in_an_strace_log():
    log = """123 connect(3, {sa_family=AF_UNIX, sun_path="/var/run/nscd/socket"}, 110) = -1 ENOENT
123 connect(4, {sa_family=AF_INET, sin_port=htons(53), sin_addr=inet_addr("10.0.0.2")}, 16) = 0
124 connect(5, {sa_family=AF_INET, sin_port=htons(7860), sin_addr=inet_addr("127.0.0.1")}, 16) = 0
125 connect(6, {sa_family=AF_INET6, sin6_port=htons(443), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "2603:1030::5"), sin6_scope_id=0}, 28) = -1
"""
    found = outbound_connects(log)
    assert len(found) == 2 and "10.0.0.2" in found[0] and "2603:1030::5" in found[1]
