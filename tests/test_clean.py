"""Cleaning rules on real excerpts of every seed file."""

from collections import Counter

import pytest

from assistant.ingest.clean import (
    clean_text,
    collapse_punctuation,
    remove_cjk_spaces,
    remove_pinyin,
)
from assistant.textnorm import numbers_in

from .conftest import seed_path


def test_pinyin_readings_removed_from_traditional_report(raw_seeds):
    raw = seed_path("001").read_text(encoding="utf-8")
    assert "互聯(lián)網(wǎng)" in raw
    cleaned = clean_text(raw).text
    assert "互聯網" in cleaned
    assert "(lián)" not in cleaned and "wǎng" not in cleaned
    # Ordinary parentheses survive: numbers, Chinese and English asides.
    assert "(2023)" in cleaned and "(以下簡稱《報告》)" in cleaned and "(AIGC)" in cleaned


def test_pinyin_rule_keeps_english_asides():
    assert remove_pinyin("芯片(chip)与網(wǎng)") == "芯片(chip)与網"


def test_doubled_punctuation_collapsed():
    assert collapse_punctuation("市經濟信息委,、市大數據發展局,,公布。,“天目”") == "市經濟信息委、市大數據發展局,公布。“天目”"
    cleaned = clean_text(seed_path("001").read_text(encoding="utf-8")).text
    assert ",," not in cleaned and ",、" not in cleaned and "。," not in cleaned


def test_web_boilerplate_dropped(cleaned_seeds):
    telecom = cleaned_seeds["002_b984ad9839ba7166"]
    assert "当前位置" not in telecom.text
    assert "【返回顶部】" not in telecom.text and "【打印本页】" not in telecom.text
    assert {d.kind for d in telecom.dropped} == {"breadcrumb", "navigation"}
    report = cleaned_seeds["003_3c32a1191f29727c"]
    assert "首页" not in report.text and "浏览 次" not in report.text
    assert report.text.count("特此报告。") == 1


def test_newspaper_masthead_and_teasers_dropped(cleaned_seeds):
    page = cleaned_seeds["000_fc5af34e47ea2133"]
    assert "统一连续出版物号" not in page.text and "邮发代号" not in page.text
    assert "今日导读" not in page.text and "铜梁区法院" not in page.text
    # The real articles stay, including the second one on the page.
    assert page.text.startswith("## 《重庆市互联网发展报告(2024)》发布")
    assert "智能应急救援 守护水上平安" in page.text
    assert "网民规模达2495万人" in page.text


def test_pdf_numbers_rejoined_with_units(cleaned_seeds):
    raw = seed_path("004").read_text(encoding="utf-8")
    assert "38.95\n\n万个" in raw and "3973.52\n\n万人" in raw
    text = cleaned_seeds["004_432675f2c8dad794"].text
    assert "可共享数据资源38.95万个" in text
    assert "惠及3973.52万人" in text


def test_pdf_sentences_rejoined_across_page_breaks(cleaned_seeds):
    text = cleaned_seeds["004_432675f2c8dad794"].text
    assert "持续夯实制度根基与数据底座" in text
    assert "加力推进人工智能领域创新型企业培育" in text
    news = cleaned_seeds["000_fc5af34e47ea2133"].text
    assert "打造12个国家级重点培育中试平台" in news
    assert "关停政务应用程序100余个" in news


def test_titles_are_not_glued_to_paragraphs(cleaned_seeds):
    text = cleaned_seeds["002_b984ad9839ba7166"].text
    assert "\n\n转型跨越,行业综合实力显著增强\n\n" in text
    assert "发布时间:2025-12-02 18:06\n" in text


def test_spurious_spaces_between_cjk_removed(cleaned_seeds):
    raw = seed_path("004").read_text(encoding="utf-8")
    assert "累 计建成 5G 基站 20.7 万个" in raw
    text = cleaned_seeds["004_432675f2c8dad794"].text
    assert "累计建成5G基站20.7万个" in text
    assert "数字领域新增国家高新技术企业超过2000家" in text


def test_meaningful_spaces_in_short_titles_kept():
    assert remove_cjk_spaces("## 智能应急救援 守护水上平安") == "## 智能应急救援 守护水上平安"
    assert remove_cjk_spaces("记者 饶果") == "记者 饶果"
    assert remove_cjk_spaces("表 1 2024 年四川省通信行业统计数据") == "表1 2024年四川省通信行业统计数据"


def test_html_fragments_stripped(cleaned_seeds):
    assert "<li>" not in cleaned_seeds["004_432675f2c8dad794"].text


def test_table_rows_keep_their_tabs(cleaned_seeds):
    text = cleaned_seeds["004_432675f2c8dad794"].text
    assert "投资收入指标\t10\t电信业务收入(亿元)\t825.8" in text


# Every number that cleaning removes must sit inside a span it reports as dropped,
# and those spans are exactly these (kind, numbers they contain):
EXPECTED_DROPPED = {
    "000_fc5af34e47ea2133": {("masthead", ("50", "0035", "77", "36")), ("section", ("4", "6", "8"))},
    "001_cb2ac3dd287b81b5": {("editor", ())},
    "002_b984ad9839ba7166": {("breadcrumb", ()), ("navigation", ())},
    "003_3c32a1191f29727c": {("breadcrumb", ()), ("view-count", ())},
    "004_432675f2c8dad794": {
        ("toc", ("7", "8", "10", "13", "15", "16", "16", "21", "23", "27", "31", "33", "34",
                 "35", "37", "37", "38", "38", "2025", "39", "39", "2025", "41"))
    },
}


@pytest.mark.parametrize("doc_id", sorted(EXPECTED_DROPPED))
def test_every_number_survives_cleaning(raw_seeds, cleaned_seeds, doc_id):
    result = cleaned_seeds[doc_id]
    dropped = {(d.kind, tuple(numbers_in(d.text))) for d in result.dropped}
    assert dropped == EXPECTED_DROPPED[doc_id]
    before = Counter(numbers_in(raw_seeds[doc_id]))
    after = Counter(numbers_in(result.text))
    for d in result.dropped:
        after.update(numbers_in(d.text))
    missing = before - after
    assert not missing, f"numbers lost in cleaning: {dict(missing)}"
    invented = Counter(numbers_in(result.text)) - before
    assert not invented, f"numbers created by cleaning: {dict(invented)}"
