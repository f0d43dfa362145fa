"""Chinese-aware tokenizers for BM25, behind a string-keyed factory.

All tokenizers see `normalize`d text, so Traditional and Simplified, full- and
half-width forms produce the same tokens."""

from __future__ import annotations

import logging
import re
from typing import Callable

from .errors import ConfigError
from .textnorm import CJK, normalize

# Runs of CJK characters, or of letters/digits (kept whole: "5g", "ipv6", "38.95").
_RUN_RE = re.compile(rf"[{CJK}]+|[a-z0-9]+(?:[.\-][a-z0-9]+)*")
_CJK_RUN_RE = re.compile(rf"[{CJK}]+")
_WORD_RE = re.compile(rf"[{CJK}a-z0-9]")

# Function words that carry no retrieval signal in questions or passages.
STOPWORDS = frozenset(
    "的 了 是 在 和 与 及 或 等 也 都 而 对 为 以 于 把 被 之 其 这 那 有 吗 呢 啊 吧 个".split()
)


def _jieba():
    import jieba

    jieba.setLogLevel(logging.WARNING)
    return jieba


def jieba_tokens(text: str) -> list[str]:
    """Words in jieba's search mode (long words plus their sub-words)."""
    return [
        t for t in _jieba().cut_for_search(normalize(text))
        if _WORD_RE.search(t) and t not in STOPWORDS
    ]


def bigram_tokens(text: str) -> list[str]:
    """Overlapping CJK character bigrams (single characters for 1-char runs) plus
    whole latin/number runs. Needs no dictionary, robust to unknown names."""
    out: list[str] = []
    for run in _RUN_RE.findall(normalize(text)):
        if _CJK_RUN_RE.fullmatch(run):
            if len(run) == 1:
                if run not in STOPWORDS:
                    out.append(run)
            else:
                out.extend(run[i : i + 2] for i in range(len(run) - 1))
        else:
            out.append(run)
    return out


def jieba_bigram_tokens(text: str) -> list[str]:
    """Both views: jieba words for precision, bigrams for recall on unseen names."""
    return jieba_tokens(text) + [f"§{t}" for t in bigram_tokens(text)]


TOKENIZERS: dict[str, Callable[[str], list[str]]] = {
    "jieba": jieba_tokens,
    "bigram": bigram_tokens,
    "jieba+bigram": jieba_bigram_tokens,
}


def get_tokenizer(name: str) -> Callable[[str], list[str]]:
    try:
        return TOKENIZERS[name]
    except KeyError:
        raise ConfigError(
            f"unknown tokenizer {name!r}; valid: {', '.join(sorted(TOKENIZERS))}"
        ) from None
