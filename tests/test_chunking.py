"""Section-aware chunking on the real seed files."""

import re

import pytest

from assistant.chunking import SEP, chunk_text
from assistant.textnorm import NUMBER_RE


@pytest.fixture(scope="module")
def chunked(cleaned_seeds):
    return {doc_id: chunk_text(doc_id, r.text, 300) for doc_id, r in cleaned_seeds.items()}


def _find(doc, needle):
    return next(c for c in doc.chunks if needle in c.text)


def test_offsets_point_into_cleaned_text(chunked, cleaned_seeds):
    for doc_id, doc in chunked.items():
        text = cleaned_seeds[doc_id].text
        for chunk in doc.chunks:
            assert text[chunk.start : chunk.end] == chunk.text
            assert chunk.chunk_id.startswith(doc_id + "#")


def test_sichuan_report_section_path(chunked):
    doc = chunked["004_432675f2c8dad794"]
    chunk = _find(doc, "全省数字经济核心产业增加值达5351.7亿元")
    assert chunk.section_path == SEP.join(
        ["数字四川发展报告(2024年)", "二、数字四川赋能效应显著增强", "(一)数字经济发展稳中提质"]
    )
    assert chunk.year == 2024 and chunk.date == "2025-09"


def test_table_rows_repeat_caption_and_header(chunked):
    doc = chunked["004_432675f2c8dad794"]
    row = _find(doc, "电信业务收入(亿元)")
    assert row.kind == "table_row"
    assert row.text.strip() == "投资收入指标\t10\t电信业务收入(亿元)\t825.8"
    assert row.context == "表1 2024年四川省通信行业统计数据\n重点领域\t序号\t细分指标\t数据"
    assert "825.8" in row.quote and "表1" in row.quote
    # The repeated header after the page break is not a row; row 15 still is.
    rows = [c for c in doc.chunks if c.kind == "table_row" and c.context.startswith("表1")]
    assert len(rows) == 17  # 15 numbered rows + 2 "其中" sub-rows
    assert any("200.1" in c.text for c in rows)


def test_traditional_report_sections_and_year(chunked):
    doc = chunked["001_cb2ac3dd287b81b5"]
    assert doc.structure.title == "《重慶市互聯網發展報告(2023)》發布"
    assert doc.structure.year == 2023 and doc.structure.date == "2024-10-12"
    chunk = _find(doc, "全市網民數量達2362萬人")
    assert chunk.section == ["全民數字素養與技能不斷提升"]


def test_newspaper_articles_are_separate_sections(chunked):
    doc = chunked["000_fc5af34e47ea2133"]
    assert doc.structure.title == "《重庆市互联网发展报告(2024)》发布"
    assert doc.structure.year == 2024
    users = _find(doc, "网民规模达2495万人")
    assert users.section == ["我市有19项指标处于全国第一梯队", "网上政府创新发展排名全国第六"]
    drill = _find(doc, "嘉陵江忠恕沱水域")
    assert drill.section == ["智能应急救援 守护水上平安"]


def test_lead_sentence_and_enumeration_headings(chunked):
    doc = chunked["003_3c32a1191f29727c"]
    chunk = _find(doc, "用户连接数增至4147万户")
    assert chunk.section == [
        "一、工作推进情况",
        "(四)加快推进数字基建提档升级,全面夯实数字化发展硬核支撑",
        "三是优化网络基础设施布局",
    ]
    assert doc.structure.date == "2025-04-16"


def test_short_title_lines_in_plain_web_text(chunked):
    doc = chunked["002_b984ad9839ba7166"]
    assert doc.structure.title.endswith("“十四五”高质量发展综述")
    chunk = _find(doc, "每万人拥有5G基站数超38个")
    assert chunk.section == ["筑基强网,基础设施建设持续升级"]
    # A title followed by a one-sentence lead paragraph is still a title.
    assert _find(doc, "行业安全态势保持平稳").section == ["筑牢底线,行业安全屏障持续巩固"]
    # The caption under an image is body text, not a new section.
    caption = _find(doc, "华峰化工5G全连接工厂入围工业和信息化部5G工厂名录")
    assert caption.section == ["数字赋能,信息化工业化深度融合"]
    assert _find(doc, "5G规模应用蓬勃发展").section == ["数字赋能,信息化工业化深度融合"]


def test_bold_lead_headings(chunked):
    doc = chunked["004_432675f2c8dad794"]
    chunk = _find(doc, "数字消费活力迸发")
    assert chunk.section[-1] == "服务业数字化持续扩容提质"


def test_chunks_never_split_sentences_or_numbers(chunked, cleaned_seeds):
    ends = set("。！？!?；;") | {"\n"}
    for doc_id, doc in chunked.items():
        text = cleaned_seeds[doc_id].text
        for chunk in doc.chunks:
            assert len(chunk.text) <= 300 or not re.search(r"[。！？；]", chunk.text[:-1])
            after = text[chunk.end : chunk.end + 1]
            if chunk.kind == "text" and after not in ("", "\n"):
                assert chunk.text[-1] in ends, (doc_id, chunk.text[-20:] + "|" + after)
            # A chunk boundary never falls between two digits of a number.
            for boundary in (chunk.start, chunk.end):
                window = text[max(0, boundary - 1) : boundary + 1]
                assert not re.fullmatch(r"[\d.]{2}", window), (doc_id, window)
        # Every number of the cleaned text appears whole in some chunk or heading.
        body = "".join(c.text + c.context + SEP.join(c.section) + c.title for c in doc.chunks)
        for number in set(NUMBER_RE.findall(text)):
            assert number in body, (doc_id, number)


def test_chunk_size_bounds_long_sections(chunked):
    lengths = [len(c.text) for d in chunked.values() for c in d.chunks if c.kind == "text"]
    assert max(lengths) <= 450  # only single over-long sentences may exceed 300
    assert sum(lengths) / len(lengths) > 100


def test_a_report_is_dated_by_the_day_it_was_given_not_by_its_repost(cleaned_seeds):
    """Seed 003 was given on 2024-11-27 and reposted on 2025-04-16: its "今年" is 2024."""
    from assistant.chunking.structure import parse_structure

    s = parse_structure(cleaned_seeds["003_3c32a1191f29727c"].text)
    assert s.date == "2025-04-16" and s.year == 2024
