"""Questions about one year, answered with and without undated passages that
name no year (assistant/relevance/years.py: UNDATED_ANSWERS).

Every one-year question of CMRC 2018 dev (625 of its 848 articles are
undated: no date near the top), answered extractively over the default index of its
documents, with the setting off and on; correct as in `assistant eval`.

    .venv/bin/python bench/year_questions.py   # ~1 min once the CMRC index exists (`assistant eval` builds it)

Writes bench/results/year_questions.json.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BENCH = ROOT.parent / "shared" / "benchmarks" / "cmrc2018_dev"


def main() -> None:
    from assistant.answerers import answerer_for
    from assistant.relevance import years
    from assistant.assembly import open_index
    from assistant.config import Config
    from assistant.evaluation.metrics import is_correct
    from assistant.evaluation.questions import load_questions
    from assistant.pipeline import Assistant
    from assistant.question import analyze

    config = Config.load()
    index, _ = open_index(config, BENCH / "docs", None)
    assistant = Assistant(index, answerer_for(index, config, "extractive"))
    questions = [q for q in load_questions(BENCH / "qa.jsonl") if len(analyze(q.question).years) == 1]
    result = {"questions": len(questions)}
    for flag in (False, True):
        years.UNDATED_ANSWERS = flag
        answers = [assistant.ask(q.question) for q in questions]
        result[f"undated_answers={flag}"] = {
            "correct": sum(is_correct(a.text, [c.quote for c in a.citations], a.abstained, q)
                           for a, q in zip(answers, questions)),
            "abstained": sum(a.abstained for a in answers),
        }
    out = ROOT / "bench" / "results" / "year_questions.json"
    out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
