"""Chinese-aware tokenizers for BM25, behind a string-keyed factory.

All tokenizers see `normalize`d text, so Traditional and Simplified, full- and
half-width forms produce the same tokens. Views are kept apart by prefixes
(`§` bigrams, `¤` single characters) so a 2-character jieba word and the same
bigram are distinct terms with their own statistics.

Words are cut by jieba-rs (rjieba). Measured on CMRC 2018 / DRCD dev and the seed questions (docs/results.md): jieba
words + bigrams + single characters, with question words removed from queries,
beats each view alone."""

from __future__ import annotations

import re
from itertools import filterfalse
from typing import Callable

from .errors import ConfigError
from .textnorm import CJK, normalize

# Runs of letters/digits (kept whole: "5g", "ipv6", "38.95"); overlapping CJK
# bigrams; a CJK character standing alone; any CJK character.
_LATIN_RE = re.compile(r"[a-z0-9]+(?:[.\-][a-z0-9]+)*")
_BIGRAM_RE = re.compile(rf"(?=([{CJK}]{{2}}))")
_SINGLE_RE = re.compile(rf"(?<![{CJK}])[{CJK}](?![{CJK}])")
_CHAR_RE = re.compile(rf"[{CJK}]")
_WORD_RE = re.compile(rf"[{CJK}a-z0-9]")

# Function words with no retrieval signal, in questions or passages.
STOPWORDS = frozenset("的 了 是 在 和 与 及 或 等 也 都 而 对 为 以 于 把 被 之 其 这 那 有 吗 呢 啊 吧 个".split())
# Words that make a sentence a question; they say nothing about where the answer is.
QUESTION_WORDS = frozenset(
    "什么 哪 哪些 哪个 哪里 哪一 哪年 哪一年 多少 几 谁 怎么 怎样 如何 为什么 吗 呢 是否 何时 何 "
    "请问 什么时候 是什么 叫什么 有哪些 多少年 分别".split()
)
_QUESTION_CHARS = frozenset("什么哪谁几吗呢何")


def segmenter():
    """jieba-rs (via rjieba): the same dictionary and algorithm as jieba, 16x
    faster at cutting (docs/results.md, "Tokenizer: jieba-rs"). Its dictionary
    loads at import (~0.13 s), on the index and the query side alike, so both
    always segment the same way."""
    import rjieba

    return rjieba


# (filter/map with C-level callables: an index build tokenizes every chunk, and
# per-token Python loops were a third of its time)
def _content(tokens) -> list[str]:
    return list(filterfalse(STOPWORDS.__contains__, tokens))


def _words(norm: str) -> list[str]:
    """jieba search mode: long words plus their sub-words (HMM on, as jieba's default)."""
    return _content(filter(_WORD_RE.search, segmenter().cut_for_search(norm, True)))


def _bigrams(norm: str) -> list[str]:
    """Overlapping CJK bigrams (a 1-character run stays a unigram) and whole
    latin/number runs. Needs no dictionary: robust to names jieba does not know."""
    return _BIGRAM_RE.findall(norm) + _content(_SINGLE_RE.findall(norm)) + _LATIN_RE.findall(norm)


def _chars(norm: str) -> list[str]:
    return _content(_CHAR_RE.findall(norm))


def _drop_question_words(tokens: list[str]) -> list[str]:
    out = []
    for t in tokens:
        core = t.lstrip("§¤")
        if core in QUESTION_WORDS or (t[0] in "§¤" and any(c in _QUESTION_CHARS for c in core)):
            continue
        out.append(t)
    return out


def _make(views: tuple[str, ...]) -> Callable[..., list[str]]:
    def tokenize(text: str, query: bool = False) -> list[str]:
        norm = normalize(text)
        tokens: list[str] = []
        if "jieba" in views:
            tokens += _words(norm)
        if "bigram" in views:
            tokens += map("§".__add__, _bigrams(norm)) if len(views) > 1 else _bigrams(norm)
        if "char" in views:
            tokens += map("¤".__add__, _chars(norm))
        return _drop_question_words(tokens) if query else tokens

    tokenize.__name__ = "+".join(views)
    return tokenize


TOKENIZERS: dict[str, Callable[..., list[str]]] = {
    name: _make(tuple(name.split("+")))
    for name in ("jieba", "bigram", "jieba+bigram", "jieba+bigram+char")
}


def get_tokenizer(name: str) -> Callable[..., list[str]]:
    """`tokenize(text, query=False)`; with `query=True` question words are dropped."""
    try:
        return TOKENIZERS[name]
    except KeyError:
        raise ConfigError(
            f"unknown tokenizer {name!r}; valid: {', '.join(sorted(TOKENIZERS))}"
        ) from None
