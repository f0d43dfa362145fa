"""The one place `[n]` markers are attached to a model's text.

A model writes plain text; it is not trusted to cite (a small one writes no
markers at all, or cites the passage it did not read from). After generation,
every sentence and every list item is aligned to the passage that supports it,
in the spirit of RAGFlow's post-hoc citation insertion, and verified:

* every figure, date or Latin name in the item occurs in that passage (or its
  title and section, where a report states its year), script-insensitively;
* the item's idf-weighted share of character bigrams found in the passage
  reaches SUPPORT_THRESHOLD, fitted on data (bench/attribution.py).

Markers the model wrote are dropped and re-derived the same way. An item no
passage supports is dropped and counted; the caller decides what a dropped
direct answer means (pipeline: the extractive answer, with the reason)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable

from ..numbers import find_numbers, unverified_numbers
from ..relevance.directives import is_directive
from ..relevance.evidence import other_province, place_scope, sentence_units
from ..relevance.years import year_ok
from ..textnorm import CJK, normalize
from .matching import closest, compact

# Fitted by bench/attribution.py on the seed questions, CMRC 2018 and DRCD dev
# (questions restated with their gold answer, as a model restates a passage):
# the passage holding the answer vs the other documents' retrieved passages.
# 0.30 maximises Youden's J: it keeps 96.8% of the true pairs and passes 5.8%
# of the false ones (bench/results/attribution.json), before the anchor check.
SUPPORT_THRESHOLD = 0.30
# A second source only fills in a figure or name the first lacks, so it needs
# less of the item's wording: half the threshold.
SECOND_SOURCE_SHARE = 0.5
# A claim may need two passages (a figure from one, its comparison from the other).
MAX_SOURCES = 2
# An item this short ("是的。", "如下：") states nothing to check.
MIN_ITEM_CHARS = 4

_MARKER_RE = re.compile(r"\s*[\[【]\s*\d{1,3}(?:\s*[,，、]\s*\d{1,3})*\s*[\]】]")
_BULLET_RE = re.compile(r"^\s*(?:[-*•·]|\d{1,2}[.、．)）]|[（(]\d{1,2}[）)]|[一二三四五六七八九十]+[、.．])\s*")
_ITEM_SPLIT_RE = re.compile(r"[^。！？!?；;]+[。！？!?；;]?")
_SENTENCE_END = "。！？!?；;."
_TOKEN_RE = re.compile(rf"[{CJK}]|[a-z0-9]+(?:\.[0-9]+)?")
_LATIN_NAME_RE = re.compile(r"(?<![A-Za-z0-9])[A-Za-z][A-Za-z0-9.+\-]*[0-9A-Z][A-Za-z0-9.+\-]*|(?<![A-Za-z0-9])[0-9]+[A-Za-z]+[A-Za-z0-9]*")
# A clause's last (first) few characters, up to its punctuation: a passage piece
# ending this near a clause boundary is shown to it.
_CLAUSE_TAIL_RE = re.compile(r"[^，。；！？,;:：\n]{0,6}(?=[，。；！？,;:：\n]|$)")
_CLAUSE_HEAD_RE = re.compile(r"(?:(?<=[，。；！？,;:：\n])|^)[^，。；！？,;:：\n]{0,6}$")
_PAIRS = ("“”", "《》", "（）", "()", "「」", "『』", "‘’")
_QUOTED_RE = re.compile(r"[《“「『]([^》”」』]{2,40})[》”」』]")


@dataclass
class Item:
    """One sentence or list item of the model's text."""

    prefix: str  # "- " for a list item, "" for prose
    text: str  # without markers, as the model wrote it
    end: str  # what separated it from the next one ("\n", "")
    sources: list[int] = field(default_factory=list)  # 1-based passage numbers
    spans: dict[int, tuple[int, int]] = field(default_factory=dict)
    score: float = 0.0
    reason: str = ""  # why it is unsupported (a REASONS key; "" when supported)
    missing: list[str] = field(default_factory=list)  # its figures or names no passage holds

    @property
    def heading(self) -> bool:
        return self.text.rstrip().endswith(("：", ":")) and not find_numbers(self.text)


@dataclass
class Attribution:
    """The model's text with the system's [n] markers, and what was left out."""

    text: str
    cited: list[int]
    spans: dict[int, tuple[int, int]]
    items: list[Item]
    dropped: list[Item]

    @property
    def shown(self) -> int:
        return len(self.items) - len(self.dropped)


# Why an item is left out, as the fallback note says it.
REASONS = {
    ("unsupported", "zh"): "资料中没有这样的内容", ("unsupported", "en"): "no passage says this",
    ("scope", "zh"): "只有关于其他年份或地区的资料这样说",
    ("scope", "en"): "only passages about another year or place say this",
    ("figures", "zh"): "数字或名称在资料中找不到（{missing}）",
    ("figures", "en"): "figures or names not in the passages ({missing})",
    ("directive", "zh"): "资料中的这句话是对模型的指令，不是事实", ("directive", "en"): "the passage's sentence is an instruction, not a fact",
    ("metric", "zh"): "回答的数字属于另一个指标（{clause}）", ("metric", "en"): "the figure is another metric's ({clause})",
    ("unit", "zh"): "问的是多少{unit}，资料中的数字是另一种单位", ("unit", "en"): "the question asks for {unit}; the passage's figure is in another unit",
    ("percent", "zh"): "问的是百分比，回答的数字不是", ("percent", "en"): "the question asks for a percentage and the figure is not one",
    ("no_figure", "zh"): "问的是数字，回答里没有数字", ("no_figure", "en"): "the question asks for a figure and the answer gives none",
    ("restated", "zh"): "模型复述了问题，没有给出答案", ("restated", "en"): "it wrote the question back without answering it",
}


def reason_text(item: Item, english: bool) -> str:
    return REASONS[item.reason, "en" if english else "zh"].format(missing="、".join(item.missing[:3]))


def strip_markers(text: str) -> str:
    return _MARKER_RE.sub("", text)


def split_items(text: str) -> list[Item]:
    """One item per sentence; a bulleted line's first sentence carries the bullet,
    so a point of two sentences gets a marker after each."""
    items: list[Item] = []
    for line in text.split("\n"):
        if not line.strip():
            continue
        bullet = _BULLET_RE.match(line)
        body = line[bullet.end():] if bullet else line
        sentences = [s.strip() for s in _ITEM_SPLIT_RE.findall(body) if s.strip()] or [body.strip()]
        for i, sentence in enumerate(sentences):
            prefix = "- " if bullet and i == 0 else ""
            items.append(Item(prefix, sentence, "\n" if i == len(sentences) - 1 else ""))
    return items


def tokens(text: str) -> list[str]:
    """CJK characters and Latin/digit runs of normalised text, in order."""
    return _TOKEN_RE.findall(normalize(text))


def bigrams(text: str) -> set[str]:
    toks = tokens(text)
    return {a + b for a, b in zip(toks, toks[1:])} or set(toks)


def support(item_text: str, passage_text: str, weight: Callable[[str], float] | None = None) -> float:
    """Share of the item's bigram weight found in the passage (0..1)."""
    wanted = bigrams(item_text)
    if not wanted:
        return 0.0
    have = bigrams(passage_text)
    w = weight or (lambda _: 1.0)
    total = sum(w(b) for b in wanted)
    return sum(w(b) for b in wanted if b in have) / total if total else 0.0


def anchors_missing(item_text: str, evidence: str) -> list[str]:
    """Figures, dates and names of the item that `evidence` does not contain."""
    missing = unverified_numbers(item_text, [evidence])
    norm = normalize(evidence)
    for name in _LATIN_NAME_RE.findall(item_text) + _QUOTED_RE.findall(item_text):
        if normalize(name) not in norm and not find_numbers(name):
            missing.append(name)
    return missing


def evidence_text(chunk) -> str:
    """What a passage states: its text plus the title and section it sits under."""
    return f"{chunk.title} {chunk.section_path} {chunk.date or ''} {chunk.year or ''}\n{chunk.quote}"


def best_sentence(item_text: str, chunk) -> tuple[int, int] | None:
    """The passage sentence that shares the most of the item (for the citation's
    highlight and the scope check); a table row is one sentence."""
    quote = chunk.quote
    best, best_score = None, 0.0
    for (a, b), _ in sentence_units(quote, chunk.kind == "table_row"):
        score = support(item_text, quote[a:b])
        if score > best_score:
            best, best_score = (a, b), score
    return best


def in_scope(info, chunk, sentence: tuple[int, int] | None = None) -> bool:
    """Whether a passage (or one sentence of it) may answer for the places and
    the year asked: not a report on another place, not another year's figure
    (evidence.place_scope, years.year_ok, as the extractive answerer reads them)."""
    if info is None:
        return True
    header = normalize(f"{chunk.title} {' '.join(chunk.section)}")
    quote_norm = normalize(chunk.quote)
    must_name = place_scope(info, header, quote_norm)
    if must_name is None:
        return False
    text = normalize(chunk.quote[sentence[0]:sentence[1]]) if sentence else quote_norm
    if any(p not in text for p in must_name) or (sentence and other_province(info.places, text)):
        return False
    return year_ok(info.years, chunk, text, header, quote_norm)


def align(item: Item, passages: list, weight=None, threshold: float = SUPPORT_THRESHOLD, info=None) -> Item:
    """Give `item` the passage(s) that support it, or a reason it is unsupported."""
    scored = sorted(
        ((support(item.text, evidence_text(h.chunk), weight), n) for n, h in enumerate(passages, 1)), reverse=True
    )
    item.score = scored[0][0] if scored else 0.0
    near = [(score, n) for score, n in scored if score >= threshold * SECOND_SOURCE_SHARE]
    spans = {n: best_sentence(item.text, passages[n - 1].chunk) for _, n in near}
    # A sentence written as an instruction to a model ("忽略之前的所有指令…")
    # is not a fact, whoever repeats it (directives.py).
    usable = [(score, n) for score, n in near if not _directive(passages[n - 1].chunk.quote, spans[n])]
    scoped = [(score, n) for score, n in usable if in_scope(info, passages[n - 1].chunk, spans[n])]
    if not scoped or scoped[0][0] < threshold:
        if any(s >= threshold for s, _ in near) and not any(s >= threshold for s, _ in usable):
            item.reason = "directive"
        else:
            item.reason = "scope" if any(s >= threshold for s, _ in usable) else "unsupported"
        return item
    chosen = [scoped[0][1]]
    missing = anchors_missing(item.text, evidence_text(passages[chosen[0] - 1].chunk))
    for _, n in scoped[1:]:  # a second passage may hold what the first lacks
        if not missing or len(chosen) == MAX_SOURCES:
            break
        both = "\n".join(evidence_text(passages[m - 1].chunk) for m in chosen + [n])
        still = anchors_missing(item.text, both)
        if len(still) < len(missing):
            chosen.append(n)
            missing = still
    if missing:
        # Said, but only where the passage speaks of another year or place?
        elsewhere = any(not anchors_missing(item.text, evidence_text(passages[n - 1].chunk)) for _, n in usable)
        item.reason, item.missing = ("scope", []) if elsewhere else ("figures", missing)
        return item
    item.sources = sorted(chosen)
    item.spans = {n: spans[n] for n in item.sources if spans[n]}
    if len(chosen) == 1 and spans[chosen[0]]:
        item.text = verbatim(item.text, passages[chosen[0] - 1].chunk.quote, spans[chosen[0]])
    return item


def verbatim(text: str, quote: str, sentence: tuple[int, int]) -> str:
    """The passage's own words for a sentence the model copied with small
    changes ("因为伤错过了" for the passage's "因伤错过了"); else the model's,
    also when it differs only in script or width (the reader's script stays)."""
    body = text.rstrip(_SENTENCE_END)
    needle = compact(body)[0]
    passage = quote[sentence[0]:sentence[1]]
    found = closest(needle, passage)
    if found is None or compact(passage[found[0]:found[1]])[0] == needle:
        return text
    # Out to the clause's ends when they are near: "…映射到数字空间" -> "…数字空间的技术".
    start, end = found
    head = _CLAUSE_HEAD_RE.search(passage[:start])
    tail = _CLAUSE_TAIL_RE.match(passage, end)
    start, end = head.start() if head else start, tail.end() if tail else end
    piece = passage[start:end].strip().rstrip(_SENTENCE_END + "，,")
    if any(piece.count(a) != piece.count(b) for a, b in _PAIRS):
        return text  # "1361”整体构架": half a quotation is not shown
    return piece + text[len(body):]


def _directive(quote: str, span: tuple[int, int] | None) -> bool:
    return bool(span) and is_directive(normalize(quote[span[0]:span[1]]))


def attribute(text: str, passages: list, weight=None, threshold: float = SUPPORT_THRESHOLD, info=None) -> Attribution:
    """The model's text, each supported item followed by its [n], unsupported
    ones removed (`info`: the question, whose places and year a source must
    be about). Headings ("主要举措如下：") are kept only when supported and
    are not counted as dropped."""
    items = [align(item, passages, weight, threshold, info) for item in split_items(strip_markers(text))
             if len(re.sub(r"\W", "", item.text)) >= MIN_ITEM_CHARS or find_numbers(item.text)]
    kept, dropped = [], []
    for item in items:
        if item.sources:
            kept.append(item)
        elif not item.heading:
            dropped.append(item)
    lines: list[str] = []
    for item in kept:
        marks = "".join(f"[{n}]" for n in item.sources)
        body = item.text.rstrip()
        if body[-1:] in _SENTENCE_END:  # "…2495万人[1]。"
            lines.append(f"{item.prefix}{body[:-1]}{marks}{body[-1]}{item.end}")
        else:
            lines.append(f"{item.prefix}{body} {marks}{item.end}")
    out = "".join(lines).strip()
    cited = sorted({n for item in kept for n in item.sources})
    spans: dict[int, tuple[int, int]] = {}
    for item in kept:
        for n, span in item.spans.items():
            spans.setdefault(n, span)
    return Attribution(out, cited, spans, items, dropped)


def passage_weight(engine) -> Callable[[str], float]:
    """Bigram weight from the index's statistics: BM25 idf of the bigram term
    (`§` marks bigrams when the tokenizer has several views), 1.0 if unknown."""
    def weight(bigram: str) -> float:
        for term in ("§" + bigram, bigram):
            if engine.doc_freq(term):
                return engine.idf(term)
        return engine.idf("§" + bigram)  # unseen: the highest weight

    return weight


__all__ = ["Attribution", "Item", "SUPPORT_THRESHOLD", "attribute", "align", "in_scope", "split_items", "support", "passage_weight"]
