"""Where a model's words stand in a passage: exactly (script, width, case and
spaces ignored), or approximately, by edit distance. Both snapping.py (short
answers) and attribution.py (sentences) show the passage's characters found
here instead of the model's."""

from __future__ import annotations

import re

from ..numbers import find_numbers
from ..textnorm import normalize

# A passage piece stands for the model's words when its edit distance is within
# this share of their length: "加快实数融合制度机制改革" finds the passage's
# "加快实数融合体制机制改革" (2 of 12). A quarter lets a word be swapped, not two.
MAX_EDIT_SHARE = 0.25
# Shorter answers are matched exactly or by a shared piece only.
MIN_FUZZY_CHARS = 6
_NEGATION_RE = re.compile(r"[不未没无非否]")


def compact(text: str) -> tuple[str, list[int]]:
    """Normalised text without whitespace, and each character's offset in `text`."""
    chars, where = [], []
    for i, c in enumerate(text):
        if c.isspace():
            continue
        n = normalize(c)
        chars.append(n if len(n) == 1 else c.lower())
        where.append(i)
    return "".join(chars), where


def closest(needle: str, quote: str) -> tuple[int, int] | None:
    """The piece of `quote` nearest to `needle` by edit distance (approximate
    substring matching, Sellers 1980), if within MAX_EDIT_SHARE of it, with
    every figure of the needle and the same negation."""
    if len(needle) < MIN_FUZZY_CHARS:
        return None
    hay, where = compact(quote)
    # prev[j]: distance of the needle so far to a piece of hay ending at j; start[j]: where it begins.
    prev, start = [0] * (len(hay) + 1), list(range(len(hay) + 1))
    for i, a in enumerate(needle, 1):
        cur, cur_start = [i] + [0] * len(hay), [0] * (len(hay) + 1)
        for j, b in enumerate(hay, 1):
            options = ((prev[j - 1] + (a != b), start[j - 1]), (prev[j] + 1, start[j]), (cur[j - 1] + 1, cur_start[j - 1]))
            cur[j], cur_start[j] = min(options)
        prev, start = cur, cur_start
    best = min(range(1, len(hay) + 1), key=lambda j: prev[j], default=None)
    if best is None or prev[best] > MAX_EDIT_SHARE * len(needle) or start[best] >= best:
        return None
    piece = hay[start[best]:best]
    if any(n.text not in piece for n in find_numbers(needle)) or \
            bool(_NEGATION_RE.search(piece)) != bool(_NEGATION_RE.search(needle)):
        return None
    return where[start[best]], where[best - 1] + 1


__all__ = ["closest", "compact"]
