"""The chat UI in a real browser: Debian's Chromium driven by Playwright against
the app started on a free loopback port over a copy of the seeds."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import ROOT, SEEDS, free_port, wait_for_http

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = ROOT / "tests" / "artifacts"

if not Path(CHROMIUM).exists():
    if os.environ.get("CI") == "true":
        pytest.fail(f"{CHROMIUM} missing: .ci/run must install the chromium package", pytrace=False)
    pytest.skip("Debian chromium not installed (apt-get install chromium fonts-wqy-zenhei)", allow_module_level=True)

sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    root = tmp_path_factory.mktemp("ui")
    corpus = root / "corpus"
    shutil.copytree(SEEDS, corpus)
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),  # this checkout's code, not whichever copy is installed
        "ASSISTANT_CORPUS_DIR": str(corpus),
        "ASSISTANT_INDEX_ROOT": str(root / "index"),
        "ASSISTANT_MODELS_DIR": str(root / "models"),
        "BLOCKED_LOG": str(root / "blocked.log"),
    }
    log = open(root / "ui.log", "w")
    proc = subprocess.Popen(
        # Every non-loopback connection is refused and recorded (tests/offline_cli.py).
        [sys.executable, str(ROOT / "tests" / "offline_cli.py"), "ui", "--port", str(port)], env=env, cwd=root,
        stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}/"
    wait_for_http(url, proc, 300, lambda: (root / "ui.log").read_text())
    yield url, corpus, root
    proc.terminate()
    proc.wait(timeout=15)


@pytest.fixture(scope="module")
def page(app_url):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        # Every console message and request the page makes, for the CSP test.
        page.seen_console, page.seen_requests = [], []
        page.on("console", lambda message: page.seen_console.append(message.text))
        page.on("request", lambda request: page.seen_requests.append(request.url))
        page.goto(app_url[0], wait_until="domcontentloaded")
        page.wait_for_selector("#question textarea", timeout=30000)
        yield page
        browser.close()


def ask(page, question: str):
    box = page.locator("#question textarea")
    before = page.locator("#chat .message").count()
    box.fill(question)
    box.press("Enter")
    # New messages (the question, then "…" until the answer replaces it), and the
    # answer's timing in the status line. The previous answer's timing is still
    # there until then, and the same question may have been asked before.
    page.wait_for_function(
        "([q, before]) => { const m = [...document.querySelectorAll('#chat .message')];"
        " const s = document.querySelector('#status');"
        " return m.length >= before + 2 && m.slice(before).some(x => x.innerText.includes(q))"
        " && m[m.length - 1].innerText.trim() !== '…' && s && s.innerText.includes('用时'); }",
        arg=[question, before], timeout=30000,
    )
    page.wait_for_timeout(300)
    return page.locator("#chat .message").last.inner_text(), page.locator("#sources").inner_text()


def test_chinese_question_answer_and_source_card(page):
    answer, sources = ask(page, "2024年四川电信业务收入是多少？")
    assert "825.8" in answer
    assert "数字四川发展报告(2024年)" in sources
    assert "一、数字四川发展基础更加坚实 › (二)数字基础设施实现新跃升" in sources
    assert page.locator("#sources mark").count() >= 1  # supporting span highlighted
    assert page.locator("#chat a.cite[href='#src-1']").count() >= 1  # [1] links to its card
    page.screenshot(path=str(ARTIFACTS / "ui-answer.png"), full_page=True)


def test_two_years_two_cards(page):
    answer, sources = ask(page, "2023年和2024年重庆网民规模分别是多少？")
    assert "2023年：2362萬人" in answer and "2024年：2495万人" in answer
    assert page.locator("#sources .src-card").count() == 2
    page.screenshot(path=str(ARTIFACTS / "ui-two-years.png"), full_page=True)


def test_follow_up_uses_the_conversation(page):
    ask(page, "2024年重庆网民规模是多少？")
    answer, sources = ask(page, "那2023年呢？")
    assert "2362萬人" in answer
    assert "重慶市互聯網發展報告(2023)" in sources  # original script on the card
    assert "2023年重庆网民规模是多少？" in page.locator("#status").inner_text()


def test_abstention_looks_different(page):
    ask(page, "贵州省5G基站数是多少？")
    assert page.locator("#chat .abstained").count() >= 1


def upload(page, file: Path) -> str:
    """Add `file` in the Documents tab and wait for its row of the result
    table (an earlier upload's rows may still be shown); returns that row."""
    page.get_by_role("tab", name="文档 Documents").click()
    page.locator("#upload input[type=file]").set_input_files(str(file))
    page.wait_for_timeout(500)
    page.locator("#add").click()
    row = ("name => { const r = document.querySelector('#upload-result');"
           " return r ? r.innerText.split('\\n').find(l => l.includes(name) && /已索引|跳过/.test(l)) : undefined; }")
    page.wait_for_function(row, arg=file.name, timeout=120000)
    result = page.evaluate(row, file.name)
    page.get_by_role("tab", name="问答 Chat").click()
    return result


def remove(page, doc_id: str) -> None:
    """Remove `doc_id` in the Documents tab and wait until it is gone."""
    page.get_by_role("tab", name="文档 Documents").click()
    pick = page.locator("#remove-pick input")
    pick.click()
    pick.fill(doc_id)
    page.get_by_role("option", name=doc_id).click()
    page.locator("#remove").click()
    page.wait_for_function(
        "id => document.querySelector('#remove-result').innerText.includes('已移除 Removed ' + id)",
        arg=doc_id, timeout=60000,
    )
    page.get_by_role("tab", name="问答 Chat").click()


def test_upload_ask_remove(page, app_url, tmp_path):
    note = tmp_path / "贵州通信.md"
    note.write_text("# 贵州通信发展报告(2024)\n\n2024年贵州省累计建成5G基站12.6万个，居西部前列。\n", encoding="utf-8")
    assert "已索引" in upload(page, note)
    assert (app_url[1] / "贵州通信.md").exists()
    page.get_by_role("tab", name="文档 Documents").click()
    page.screenshot(path=str(ARTIFACTS / "ui-documents.png"), full_page=True)

    page.get_by_role("tab", name="问答 Chat").click()
    answer, sources = ask(page, "2024年贵州省累计建成多少个5G基站？")
    assert "12.6万个" in answer and "贵州通信发展报告(2024)" in sources

    remove(page, "贵州通信")
    assert not (app_url[1] / "贵州通信.md").exists() and (app_url[1] / ".removed" / "贵州通信.md").exists()

    answer, sources = ask(page, "2024年贵州省累计建成多少个5G基站？")
    assert "12.6万个" not in answer and "贵州通信发展报告" not in sources


def test_content_security_policy_leaves_the_page_working(page, app_url):
    """The server's CSP (no framing, nothing from other origins) holds: the
    answers above rendered, the page broke no rule and asked no other host."""
    ask(page, "重庆IPv6用户连接数是多少？")
    violations = [m for m in page.seen_console if "Content Security Policy" in m or "Refused to" in m]
    assert violations == []
    origin = app_url[0].rstrip("/")
    assert page.seen_requests and all(u.startswith((origin, "data:", "blob:")) for u in page.seen_requests), \
        sorted({u for u in page.seen_requests if not u.startswith(origin)})


def test_no_outbound_network_at_run_time(page, app_url, tmp_path):
    """Start-up and indexing, a Chinese and an English answer, an upload
    (saved, parsed, embedded, answered) and its removal make no connection and
    no name lookup beyond loopback: the server runs under tests/offline_cli.py,
    which refuses and records any in blocked.log (so do the other tests here)."""
    blocked = app_url[2] / "blocked.log"
    answer, _ = ask(page, "2024年重庆网民规模是多少？")
    assert "2495万人" in answer
    answer, _ = ask(page, "How many internet users did Chongqing have in 2024?")
    assert "2495" in answer
    note = tmp_path / "云南通信.md"
    note.write_text("# 云南通信发展报告(2024)\n\n2024年云南省累计建成5G基站9.8万个。\n", encoding="utf-8")
    assert "已索引" in upload(page, note)
    answer, _ = ask(page, "2024年云南省累计建成多少个5G基站？")
    assert "9.8万个" in answer
    remove(page, "云南通信")
    assert not blocked.exists(), blocked.read_text()


def test_uploaded_scan_is_answerable_with_an_ocr_marked_source(page, tmp_path):
    """A scanned page dropped into the Documents tab is read by OCR in the build
    and its passages are cited with the OCR mark on their source card."""
    from .scans import write_scans

    png, _ = write_scans(tmp_path, stem="政务扫描件")
    page.get_by_role("tab", name="文档 Documents").click()
    page.locator("#upload input[type=file]").set_input_files(str(png))
    page.wait_for_timeout(500)
    page.locator("#add").click()
    page.wait_for_function(  # this upload's row (an earlier test's result may still be shown)
        "() => { const r = document.querySelector('#upload-result');"
        " return r && /政务扫描件\\.png\\s+(已索引|跳过)/.test(r.innerText); }",
        timeout=120000,
    )
    result = page.locator("#upload-result").inner_text()
    assert "已索引" in result and "1 pages read by OCR" in result
    page.get_by_role("tab", name="问答 Chat").click()
    answer, sources = ask(page, "2025年全市累计办件量是多少？")
    assert "3187万件" in answer and "OCR" in sources
    assert page.locator(".src-card .src-ocr").count() >= 1
    page.screenshot(path=str(ARTIFACTS / "ui-ocr-source.png"), full_page=True)
