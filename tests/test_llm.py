"""The llama.cpp answerer end to end with a tiny random GGUF written by the test
(real llama-cpp-python loading, chat template, streaming), and the checks every
generated answer goes through."""

import json
import os
import re

import pytest

from assistant import ModelError
from assistant.answerers import ExtractiveAnswerer, create_answerer, find_gguf
from assistant.answerers.llama import LlamaAnswerer
from assistant.system import physical_cores
from assistant.answer import Preview
from assistant.answerers.prompt import SHAPES, answer_shape, build_messages
from assistant.question import analyze
from assistant.assembly import assemble
from assistant.pipeline import FALLBACK_NOTE

QUESTION = "2024年重庆网民规模是多少？"


@pytest.fixture(scope="module")
def llama_assistant(seed_index, tiny_gguf):
    config = seed_index.config.replace(answerer="llama", llm_model=str(tiny_gguf), llm_max_tokens=24)
    answerer = create_answerer(config)
    yield assemble(seed_index, config, answerer)
    answerer.close()


def test_loads_streams_and_fits_the_budget(llama_assistant):
    answerer = llama_assistant.answerer
    assert isinstance(answerer, LlamaAnswerer)
    assert answerer.llm.metadata["tokenizer.chat_template"].startswith("{% for message")
    pieces = list(llama_assistant.stream(QUESTION))
    answer = pieces[-1]
    # The extractive answer first (checked), then the model's pieces, then the final answer.
    assert isinstance(pieces[0], Preview) and pieces[0].answer.citations
    text_pieces = pieces[1:-1]
    assert len(text_pieces) >= 2 and all(isinstance(p, str) for p in text_pieces)
    assert answer.mode["answerer"] == "llama.cpp (tiny-chatml.gguf)"
    assert 0 < answerer.last_prompt_tokens <= answerer.budget <= 1000
    # Random weights write noise ("重庆][1 1 1 1 ..."): the checks reject it and
    # the checked extractive answer shown first stays, with a note saying why;
    # the noise is kept for debugging only.
    preview = pieces[0].answer
    assert answer.fallback_reason and answer.rejected_text
    assert answer.text == f"{preview.text}\n{FALLBACK_NOTE['zh'].format(reason=answer.fallback_reason)}"
    assert "2495万人" in answer.text and answer.unverified_numbers == [] and answer.uncited_sentences == []
    # Every marker shown is a citation, and [n] is the n-th passage retrieved.
    markers = {int(n) for n in re.findall(r"\[(\d+)\]", answer.text)}
    assert markers and markers == {c.number for c in answer.citations}
    passages = llama_assistant.retrieve(QUESTION)
    assert all(passages[c.number - 1].chunk.chunk_id == c.chunk_id for c in answer.citations)


def test_prompt_is_cut_to_the_token_budget(seed_index, tiny_gguf):
    # The tiny byte-level tokenizer spends 3 tokens per CJK character.
    config = seed_index.config.replace(answerer="llama", llm_model=str(tiny_gguf), prompt_tokens=900)
    answerer = create_answerer(config)
    try:
        passages = seed_index.search(QUESTION, 5)
        messages, used, tokens = build_messages(QUESTION, passages, False, answerer.budget, answerer.count_tokens)
        assert tokens <= 900 and 1 <= used < 5
        user = messages[1]["content"]
        assert user.startswith('资料：\n\n<passage id="1">\n[1] 《重庆市互联网发展报告(2024)》发布 › ')
        assert user.endswith(f"问题：{QUESTION}")
        assert "只根据用户给出的资料回答" in messages[0]["content"]
        full, _, _ = build_messages(QUESTION, passages, False, 5000, answerer.count_tokens)
        headers = re.findall(r"^\[(\d)\] ", full[1]["content"], re.M)
        assert headers == ["1", "2", "3", "4", "5"]  # all five passages when they fit
    finally:
        answerer.close()


def test_english_prompt_for_english_questions(seed_index):
    passages = seed_index.search("网民规模", 2)
    messages, used, _ = build_messages("How many internet users?", passages, True, 1000, len, "factoid")
    assert "Copy every figure" in messages[0]["content"] and messages[1]["content"].startswith("Passages:")
    assert messages[1]["content"].endswith(SHAPES["factoid", "en"])


def test_the_system_prompt_is_one_prefix_for_every_kind_of_question(seed_index):
    # llama.cpp reuses the KV cache of a matching prompt prefix: the system
    # message must not change with the question; the shape comes after it.
    passages = seed_index.search("网民规模", 3)
    prompts = [build_messages(q, passages, False, 1000, len, answer_shape(analyze(q)))[0]
               for q in (QUESTION, "数字重庆建设取得了哪些主要成效？", "什么是数字孪生？")]
    assert len({m[0]["content"] for m in prompts}) == 1
    assert [m[1]["content"].rsplit("\n", 1)[1] for m in prompts] == [
        SHAPES["factoid", "zh"], SHAPES["list", "zh"], SHAPES["explain", "zh"]]


def test_passages_are_trimmed_to_their_evidence_window(seed_index):
    passages = seed_index.search(QUESTION, 4)
    whole, _, _ = build_messages(QUESTION, passages[:4], False, 5000, len)
    trimmed, _, _ = build_messages(QUESTION, passages, False, 5000, len, "factoid")
    assert len(trimmed[1]["content"]) < len(whole[1]["content"])
    assert "2495万人" in trimmed[1]["content"]  # the sentence with the answer survives the cut


@pytest.fixture
def scripted(seed_index):
    from tests.scripted import ScriptedAnswerer

    answerer = ScriptedAnswerer()
    return assemble(seed_index, seed_index.config, answerer), answerer


def test_generated_answer_that_fails_the_checks_is_replaced(scripted):
    assistant, model = scripted
    written = ["重庆网民规模达2495万人[1]，", "同比增长9.9%[1]。", "互联网普及率全国领先[7]。"]
    model.enqueue(written)
    pieces = list(assistant.stream(QUESTION))
    assert "".join(p for p in pieces if isinstance(p, str)) == "".join(written)  # streamed as written...
    answer = pieces[-1]
    # ...but not shown as the answer: 9.9% is in no passage, and no other statement is either.
    assert answer.fallback_reason == "数字或名称在资料中找不到（9.9%）"
    shown, note = answer.text.rsplit("\n", 1)
    assert note == "⚠ 模型的回答未通过核对（数字或名称在资料中找不到（9.9%）），以上是从资料中摘录的答案。"
    assert shown.startswith("2495万人 [1]") and "9.9%" not in shown and "[?]" not in shown
    assert answer.unverified_numbers == [] and "2495" in answer.citations[0].supporting_text
    assert "9.9%" in answer.rejected_text and answer.to_dict()["rejected_text"] == answer.rejected_text


def test_generated_answer_that_passes_the_checks_is_shown(scripted):
    assistant, model = scripted
    model.enqueue(["2024年重庆网民规模达2495万人[1]。"])
    answer = assistant.ask(QUESTION)
    assert answer.fallback_reason is None and answer.rejected_text is None
    assert answer.text == "2024年重庆网民规模达2495万人[1]。"
    assert [c.number for c in answer.citations] == [1]


def _endless(piece: str, times: int, produced: list):
    """A model writing `piece` over and over; `produced` counts what it wrote."""
    for _ in range(times):
        produced.append(1)
        yield piece


def test_a_looping_model_is_stopped_and_replaced(scripted):
    assistant, model = scripted
    produced = []
    model.enqueue(_endless("重庆网民规模达2495万人[1]，", 200, produced))
    answer = assistant.ask(QUESTION)
    assert len(produced) <= 3  # generation stopped at the first repeat, not after 200 pieces
    assert answer.fallback_reason and "内容重复" in answer.fallback_reason
    assert "2495万人" in answer.text and not answer.abstained


def test_a_model_writing_the_question_back_is_stopped_and_replaced(scripted):
    assistant, model = scripted
    produced = []
    model.enqueue(_endless(f"\n问题：{QUESTION}", 50, produced))
    answer = assistant.ask(QUESTION)
    assert len(produced) == 1
    assert "模型复述了问题" in answer.fallback_reason and answer.text.startswith("2495万人 [1]")


def test_a_model_past_the_time_limit_is_stopped_and_replaced(seed_index):
    import time

    from tests.scripted import ScriptedAnswerer

    model = ScriptedAnswerer(time_limit=0.2)
    assistant = assemble(seed_index, seed_index.config.replace(llm_time_limit=0.2), model)

    def slow():
        for _ in range(100):
            time.sleep(0.05)
            yield "据资料"

    model.enqueue(slow())
    answer = assistant.ask(QUESTION)
    assert "超过生成时限" in answer.fallback_reason
    assert answer.timings["time_limit_s"] == 0.2 and answer.timings["answer_ms"] < 2000
    assert answer.text.startswith("2495万人 [1]")


def test_short_answers_get_few_tokens_lists_get_the_configured_length(scripted):
    assistant, model = scripted
    model.enqueue(["2024年重庆网民规模达2495万人[1]。"])
    model.enqueue(["数字重庆建设取得了成效[1]。"])
    assistant.ask(QUESTION)
    assistant.ask("数字重庆建设取得了哪些主要成效？")
    assert [c["max_tokens"] for c in model.calls] == [64, 256]


def test_model_and_gate_both_finding_nothing_abstain(seed_index):
    from tests.scripted import ScriptedAnswerer

    # The gate is unsure (model_min_relevance 0 lets the model read), the
    # extractive reading finds nothing, and the model says so: a refusal.
    model = ScriptedAnswerer()
    assistant = assemble(seed_index, seed_index.config.replace(model_min_relevance=0.0), model)
    model.enqueue(["文档中没有找到相关信息。"])
    answer = assistant.ask("2024年重庆新能源汽车产量是多少万辆？")
    assert len(model.calls) == 1
    assert answer.abstained and answer.citations == [] and answer.fallback_reason is None


def test_irrelevant_passages_never_reach_the_model(scripted):
    assistant, model = scripted  # nothing enqueued: a call would fail the test
    answer = assistant.ask("贵州省5G基站数是多少？")
    assert answer.abstained and answer.text == "文档中没有找到能回答这个问题的内容。"
    assert model.calls == []


def test_auto_prefers_a_local_gguf(config, tiny_gguf, tmp_path):
    models = tmp_path / "models"
    models.mkdir()
    assert isinstance(create_answerer(config.replace(models_dir=str(models))), ExtractiveAnswerer)
    (models / "tiny.gguf").write_bytes(tiny_gguf.read_bytes())
    cfg = config.replace(models_dir=str(models))
    assert find_gguf(cfg) == models / "tiny.gguf"
    answerer = create_answerer(cfg)
    assert isinstance(answerer, LlamaAnswerer)
    answerer.close()


def test_unreadable_and_missing_models_are_clear_errors(config, tmp_path):
    bad = tmp_path / "broken.gguf"
    bad.write_bytes(b"GGUF" + b"\x00" * 64)
    with pytest.raises(ModelError, match="cannot load GGUF model .*broken.gguf"):
        create_answerer(config.replace(llm_model=str(bad)), "llama")
    with pytest.raises(ModelError, match="llm_model 'nope.gguf' not found"):
        create_answerer(config.replace(llm_model="nope.gguf"), "llama")
    with pytest.raises(ModelError, match="no GGUF model in"):
        create_answerer(config, "llama")


def test_threads_are_physical_cores(tmp_path):
    """Hyper-threads of one core count once, the same core number on two
    sockets twice, and never more than the CPUs this process may use."""
    allowed = len(os.sched_getaffinity(0))

    def cpuinfo(*cpus):  # (physical id, core id) of each logical CPU, as Linux lists them
        file = tmp_path / f"cpuinfo-{len(cpus)}-{len(set(cpus))}"
        file.write_text("\n".join(f"processor\t: {n}\nphysical id\t: {p}\ncore id\t\t: {c}\n"
                                  for n, (p, c) in enumerate(cpus)), encoding="utf-8")
        return file

    assert physical_cores(cpuinfo((0, 0), (0, 0))) == 1
    assert physical_cores(cpuinfo((0, 0), (1, 0))) == min(2, allowed)
    assert physical_cores(cpuinfo(*[(0, c) for c in range(1024)])) == allowed
    assert physical_cores(tmp_path / "no-cpuinfo") == allowed
    assert 1 <= physical_cores() <= allowed


def test_empty_generation_is_reported(scripted):
    assistant, model = scripted
    model.enqueue([])
    answer = assistant.ask(QUESTION)
    assert answer.fallback_reason == "模型没有生成内容，提示词可能超过了上下文长度"
    assert answer.text.startswith("2495万人 [1]") and not answer.abstained


def test_ui_shows_the_fallback_not_the_rejected_text(scripted):
    from assistant.ui.render import answer_markdown

    assistant, model = scripted
    model.enqueue(["重庆网民规模达9999万人[1]。"])
    answer = assistant.ask(QUESTION)
    shown = answer_markdown(answer)
    assert "2495万人" in shown and "网民规模达9999万人" not in shown  # the rejected text is not displayed
    assert '<span class="unverified">⚠ 模型的回答未通过核对（数字或名称在资料中找不到（9999万' in shown


def test_sse_sends_the_extractive_preview_before_the_models_draft(scripted):
    from assistant.server.app import _sse

    assistant, model = scripted
    model.enqueue(["2024年重庆网民规模达", "2495万人。"])
    events = [e.split("\n", 2) for e in _sse(assistant.stream(QUESTION))]
    names = [e[0].removeprefix("event: ") for e in events]
    assert names[0] == "preview" and names[-1] == "answer" and set(names[1:-1]) == {"delta"}, names
    preview = json.loads(events[0][1].removeprefix("data: "))
    assert preview["text"].startswith("2495万人 [1]") and preview["citations"]  # the checked extractive answer
    final = json.loads(events[-1][1].removeprefix("data: "))
    assert final["text"].startswith("2024年重庆网民规模达2495万人[") and final["fallback_reason"] is None


def test_the_ui_shows_the_models_draft_escaped_and_apart():
    from assistant.ui.render import draft_markdown

    shown = draft_markdown("<img src=x onerror=alert(1)>重庆")
    assert shown.startswith('<div class="draft">') and "<img" not in shown and "&lt;img" in shown


def test_a_list_cut_at_the_time_limit_keeps_its_finished_points(seed_index):
    import time

    from tests.scripted import ScriptedAnswerer

    model = ScriptedAnswerer(time_limit=0.3)
    assistant = assemble(seed_index, seed_index.config.replace(llm_time_limit=0.3), model)
    question = "数字重庆建设取得了哪些主要成效？"
    point = next(s for h in assistant.retrieve(question) if "数字重庆" in h.chunk.title
                 for s in re.findall(r"[^。；\n]{12,40}", h.chunk.quote))

    def slow():
        yield f"- {point}\n"
        yield "- 半句"
        for i in range(40):
            time.sleep(0.05)
            yield chr(0x4E00 + 37 * i)  # never repeats: only the time limit stops it

    model.enqueue(slow())
    answer = assistant.ask(question)
    assert answer.fallback_reason is None, answer.fallback_reason
    assert answer.text.startswith(f"- {point} [") and "半句" not in answer.text
    assert answer.text.endswith("以上只列出已写完并核实的要点。") and answer.timings["time_limit_s"] == 0.3


def test_auto_prefers_the_stronger_recommended_model(config, tmp_path):
    models = tmp_path / "models"
    models.mkdir()
    for name in ("a-users-model.gguf", "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
                 "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf", "gemma-3-270m-q4_k_m.gguf"):
        (models / name).write_bytes(b"GGUF")
    cfg = config.replace(models_dir=str(models))
    assert find_gguf(cfg, answering=True).name == "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
    (models / "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf").unlink()
    assert find_gguf(cfg, answering=True).name == "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"


def test_a_list_answer_is_one_html_list_with_its_citation_links():
    from assistant.answer import Answer
    from assistant.ui.render import answer_markdown

    shown = answer_markdown(Answer("q", "- 第一点 [1]\n- 第二点 [2]\n⚠ 模型回答中另有 1 条内容未能在资料中核实，已删去。"))
    assert shown.startswith('<ul><li>第一点 <a href="#src-1" class="cite">[1]</a></li><li>第二点 ')
    assert shown.endswith('</ul><span class="unverified">⚠ 模型回答中另有 1 条内容未能在资料中核实，已删去。</span>')
