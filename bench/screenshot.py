"""The README's screenshot of a model answer: the chat UI over seeds/ with a
local GGUF, one list question, captured when the checked answer is shown.

    .venv/bin/python bench/screenshot.py --models-dir models [--question "…"] [--out docs/screenshot-list.png]

Needs Debian's chromium and Playwright (the test extra). Starts `assistant
serve` on a free loopback port and stops it afterwards.
"""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--models-dir", default="models")
    parser.add_argument("--model", default="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf")
    parser.add_argument("--question", default="市经济信息委讲的加快实数融合体制机制改革，具体举措包括哪些？")
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshot-list.png"))
    args = parser.parse_args()
    port = free_port()
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "assistant"), "serve", "--port", str(port),
         "--set", f"models_dir={args.models_dir}", "--set", f"llm_model={args.model}", "--set", "answerer=llama"],
        cwd=ROOT,
    )
    try:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1400, "height": 1100})
            for _ in range(240):  # the first run builds the index
                try:
                    page.goto(f"http://127.0.0.1:{port}/", wait_until="domcontentloaded")
                    page.wait_for_selector("#question textarea", timeout=5000)
                    break
                except Exception:
                    time.sleep(1)
            box = page.locator("#question textarea")
            box.fill(args.question)
            started = time.time()
            box.press("Enter")
            page.wait_for_function(
                "() => document.querySelector('#status') && document.querySelector('#status').innerText.includes('用时')",
                timeout=180000,
            )
            page.wait_for_timeout(500)
            page.screenshot(path=args.out, full_page=True)
            print(f"{args.out}: answered in {time.time() - started:.1f} s")
            print(page.locator("#chat .message").last.inner_text())
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
