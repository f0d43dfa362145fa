"""Script- and width-neutral text normalisation used for matching, never for display.

Passages keep their original script; only the strings fed to BM25, the embedder and
the answer checks go through `normalize`, so a Simplified query matches a
Traditional passage and the reverse."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
CJK_RE = re.compile(f"[{CJK}]")
# A number as written in these reports: 1,234.5 / 38.95 / 92.4 / 2024. The
# lookarounds keep us from matching inside identifiers such as "5G" (kept) or "V2V".
NUMBER_RE = re.compile(r"(?<![\d.])\d{1,3}(?:,\d{3})+(?:\.\d+)?|(?<![\d.])\d+(?:\.\d+)?")


@lru_cache(maxsize=2)
def _converter(config: str):
    import opencc  # imported lazily: the C extension loads dictionaries on first use

    for name in (config, f"{config}.json"):
        try:
            return opencc.OpenCC(name)
        except Exception:  # different opencc builds want "t2s" or "t2s.json"
            continue
    raise RuntimeError(f"OpenCC has no {config!r} conversion")


def to_simplified(text: str) -> str:
    return _converter("t2s").convert(text) if text else text


def to_traditional(text: str) -> str:
    return _converter("s2t").convert(text) if text else text


def is_traditional(text: str) -> bool:
    """Written in Traditional characters: converting to Simplified changes more of
    it than converting to Traditional does."""
    to_s = sum(a != b for a, b in zip(text, to_simplified(text)))
    to_t = sum(a != b for a, b in zip(text, to_traditional(text)))
    return to_s > to_t


def normalize(text: str) -> str:
    """Full-width -> half-width (NFKC), lower case, Traditional -> Simplified."""
    return to_simplified(unicodedata.normalize("NFKC", text).lower())


def numbers_in(text: str) -> list[str]:
    """Every number in `text` as written (after NFKC, so full-width digits count)."""
    return NUMBER_RE.findall(unicodedata.normalize("NFKC", text))


def aligned_normalize(text: str) -> str:
    """`normalize` that keeps offsets: same length as `text`, char for char."""
    norm = normalize(text)
    if len(norm) == len(text):
        return norm
    return "".join(n if len(n := normalize(c)) == 1 else c.lower() for c in text)
