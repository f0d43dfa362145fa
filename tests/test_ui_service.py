"""The UI's service layer without a browser: uploads, removal, concurrency,
rendering, and the bind/auth rules of `assistant ui`."""

import os
import re
import threading

import pytest

from assistant.cli import main
from assistant.ui.render import answer_markdown, source_cards, status_line
from assistant.errors import UploadRejected
from assistant.service import AssistantService, safe_name, store_upload


@pytest.fixture
def service(corpus, config, tmp_path):
    svc = AssistantService(config.replace(corpus_dir=str(corpus)), corpus, tmp_path / "idx")
    yield svc
    svc.close()


def _file(tmp_path, name, text):
    p = tmp_path / "upload" / name
    p.parent.mkdir(exist_ok=True)
    p.write_text(text, encoding="utf-8")
    return p


@pytest.mark.parametrize("bad", ["../../x.txt", "..\\x.txt", "/etc/passwd.txt", "a/b.txt", "noext"])
def test_unsafe_names_rejected(bad):
    with pytest.raises(UploadRejected):
        safe_name(bad)


def test_names_are_sanitised():
    assert safe_name("重庆 报告<2024>?.MD") == "重庆_报告_2024.md"
    assert safe_name(".hidden.txt") == "hidden.txt"


def test_upload_rules(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    src = _file(tmp_path, "a.txt", "内容一。")
    first = store_upload(src, "a.txt", corpus, 1000)
    assert first.name == "a.txt" and first.note == ""
    with pytest.raises(UploadRejected, match="identical"):
        store_upload(src, "a.txt", corpus, 1000)
    other = _file(tmp_path, "a2.txt", "内容二。")
    renamed = store_upload(other, "a.txt", corpus, 1000)
    assert renamed.name == "a-1.txt" and "already exists" in renamed.note
    assert (corpus / "a.txt").read_text(encoding="utf-8") == "内容一。"  # not overwritten
    same_stem = store_upload(_file(tmp_path, "a.md", "# 标题\n\n正文。"), "a.md", corpus, 1000)
    assert same_stem.name == "a-2.md"  # the stem is the document id
    with pytest.raises(UploadRejected, match="unsupported file type .exe"):
        store_upload(_file(tmp_path, "x.exe", "MZ"), "x.exe", corpus, 1000)
    with pytest.raises(UploadRejected, match="too large"):
        store_upload(_file(tmp_path, "big.txt", "长" * 2000), "big.txt", corpus, 1000)


def test_add_and_remove_documents(service, tmp_path):
    note = _file(tmp_path, "贵州.md", "# 贵州通信发展报告(2024)\n\n2024年贵州省累计建成5G基站12.6万个。\n")
    empty = _file(tmp_path, "empty.txt", "")
    binary = tmp_path / "upload" / "blob.txt"
    binary.write_bytes(bytes(range(256)) * 8)
    results = {r["file"]: r for r in service.add_files([(note, "贵州.md"), (empty, "empty.txt"), (binary, "blob.txt")])}
    assert results["贵州.md"]["status"] == "indexed" and results["贵州.md"]["detail"] == "1 chunks"
    assert results["empty.txt"]["status"] == "skipped" and "empty" in results["empty.txt"]["detail"]
    assert results["blob.txt"]["status"] == "skipped" and "binary" in results["blob.txt"]["detail"]
    assert not (service.corpus / "blob.txt").exists()  # rejected files are not kept
    assert ["贵州", "贵州通信发展报告(2024)", 2024, 1] in service.documents()
    answer = service.assistant().ask("2024年贵州省累计建成多少个5G基站？")
    assert "12.6万个" in answer.text and answer.citations[0].doc_id == "贵州"

    assert "Removed 贵州" in service.remove_document("贵州")
    assert (service.corpus / ".removed" / "贵州.md").exists()
    assert "贵州" not in [row[0] for row in service.documents()]
    assert service.assistant().ask("2024年贵州省累计建成多少个5G基站？").abstained


def test_upload_chunk_cap(corpus, config, tmp_path):
    svc = AssistantService(config.replace(corpus_dir=str(corpus), max_upload_chunks=3), corpus, tmp_path / "idx")
    try:
        before = svc.documents()
        paragraphs = "\n\n".join(f"## {i}、第{i}部分\n\n第{i}项指标为{i}.5万个。" for i in range(1, 6))
        big = _file(tmp_path, "big.md", f"# 大报告\n\n{paragraphs}\n")
        small = _file(tmp_path, "small.md", "# 小报告\n\n正文共1段。\n")
        results = svc.add_files([(big, "big.md"), (small, "small.md")])
        assert [r["status"] for r in results] == ["skipped", "skipped"]
        counted = re.search(r"(\d+) chunks in 2 files", results[0]["detail"])
        assert counted and int(counted.group(1)) > 3 and "limit is 3" in results[0]["detail"]
        assert "max_upload_chunks" in results[0]["detail"]
        # Nothing stored, nothing indexed, nothing already indexed lost.
        assert not (corpus / "big.md").exists() and svc.documents() == before
        assert svc.add_files([(small, "small.md")])[0]["status"] == "indexed"
    finally:
        svc.close()


def test_indexing_does_not_break_answers_in_progress(service, tmp_path):
    docs = [(_file(tmp_path, f"d{i}.md", f"# 报告{i}\n\n第{i}号文件的网络零售额为{i}0亿元。\n"), f"d{i}.md") for i in range(3)]
    errors, answers = [], []

    def ask_many():
        try:
            for _ in range(25):
                answers.append(service.assistant().ask("2024年四川电信业务收入是多少？"))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    askers = [threading.Thread(target=ask_many) for _ in range(3)]
    for t in askers:
        t.start()
    service.add_files(docs)
    for t in askers:
        t.join()
    assert not errors
    assert len(answers) == 75 and all("825.8" in a.text for a in answers)
    assert {"d0", "d1", "d2"} <= {row[0] for row in service.documents()}


def test_rendering(service):
    answer = service.assistant().ask("2024年四川电信业务收入是多少？")
    md = answer_markdown(answer)
    assert '<a href="#src-1" class="cite">[1]</a>' in md
    cards = source_cards(answer)
    assert 'id="src-1"' in cards and "<mark>" in cards and "数字四川发展报告(2024年)" in cards
    assert "检索 Retrieval: lexical" in status_line(answer.mode, answer, [])
    abstained = service.assistant().ask("贵州省5G基站数是多少？")
    assert answer_markdown(abstained).startswith('<div class="abstained">')
    assert "No sources cited" in source_cards(abstained)


def test_service_says_why_retrieval_is_lexical(corpus, config, tmp_path):
    missing = config.replace(corpus_dir=str(corpus), embedder="sentence-transformers",
                             embedding_model="acme/not-here")
    svc = AssistantService(missing, corpus, tmp_path / "idx")
    try:
        assert len(svc.notices) == 1  # said once, although both the build and the load noticed
        assert "acme--not-here" in svc.notices[0] and "lexical" in svc.notices[0]
        assert svc.assistant().mode["retriever"] == "lexical"
        assert svc.available_answerers() == ["extractive"]
    finally:
        svc.close()


def test_non_loopback_bind_needs_auth(capsys):
    assert main(["ui", "--host", "0.0.0.0"]) == 1
    err = capsys.readouterr().err
    assert "--auth USER:PASSWORD" in err and "--api-key" in err and "--no-auth" in err
    assert main(["ui", "--host", "0.0.0.0", "--auth", "nopassword"]) == 1
    assert "USER:PASSWORD" in capsys.readouterr().err
    # Names that only look like loopback are parsed, not prefix-matched.
    for host in ("localhost.anything.invalid", "::1.2.3.4", "127.0.0.1.nip.invalid"):
        assert main(["ui", "--host", host]) == 1, host
        assert "exposes the server" in capsys.readouterr().err


def test_network_guard_catches_outbound_connections(tmp_path):
    """The guard used by the browser tests' no-network check really records an
    outbound attempt (here the explicit download command's)."""
    import os
    import subprocess
    import sys

    from .conftest import ROOT

    log = tmp_path / "blocked.log"
    run = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "offline_cli.py"), "models", "pull", "multilingual-e5-small"],
        env={**os.environ, "BLOCKED_LOG": str(log)}, cwd=tmp_path, capture_output=True, text=True, timeout=60,
    )
    assert run.returncode == 1 and "cannot reach huggingface.co" in run.stderr
    assert "huggingface.co" in log.read_text()


def test_upload_handler_accepts_only_files_in_the_upload_folder(tmp_path, monkeypatch):
    """The UI's upload function reads only what Gradio received (its upload
    folder), never a path a client names."""
    from assistant.ui.app import uploaded_here

    folder = tmp_path / "uploads"
    (folder / "abc").mkdir(parents=True)
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(folder))
    received = folder / "abc" / "report.txt"
    received.write_text("x", encoding="utf-8")
    elsewhere = tmp_path / "report.txt"
    elsewhere.write_text("x", encoding="utf-8")
    assert uploaded_here(received)
    assert not uploaded_here(elsewhere)
    assert not uploaded_here(folder / "abc" / ".." / ".." / "report.txt")  # resolved, not compared as text
    assert not uploaded_here(folder / "abc")  # a folder is not an upload


def test_the_private_upload_folder_goes_with_the_process(tmp_path):
    """The UI's own upload folder (mode 0700, replacing /tmp/gradio) is removed
    when the process exits: a server started a hundred times leaves nothing."""
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "GRADIO_TEMP_DIR"}
    code = ("import os\nfrom assistant.ui.app import _gradio\n_gradio()\n"
            "folder = os.environ['GRADIO_TEMP_DIR']\nassert os.path.isdir(folder)\nprint(folder)\n")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=tmp_path, env=env)
    assert run.returncode == 0, run.stderr
    folder = run.stdout.strip().splitlines()[-1]
    assert "assistant-uploads-" in folder and not os.path.exists(folder)
