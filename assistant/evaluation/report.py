"""Render an eval report: a Markdown table for stdout and a PNG chart."""

from __future__ import annotations

from pathlib import Path

COLUMNS = [
    ("accuracy", "acc"), ("f1", "F1"), ("em", "EM"), ("refused", "refused"), ("aic@1", "aic@1"), ("aic@5", "aic@5"), ("doc_r@1", "R@1"), ("mrr@10", "MRR@10"),
    ("citation_precision", "cite P"), ("citation_recall", "cite R"), ("abstention_precision", "abst P"),
    ("abstention_recall", "abst R"), ("script_invariance", "script"), ("median_answer_chars", "len"),
]


def _fmt(value) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.3f}" if value < 10 else f"{value:.0f}"
    return str(value)


def markdown(report: dict) -> str:
    summary = report["summary"]
    lines = ["| config | n | " + " | ".join(label for _, label in COLUMNS) + " | p50 ms | p95 ms |"]
    lines.append("|" + "---|" * (len(COLUMNS) + 4))
    for name, s in summary.items():
        a = s["all"]
        cells = [_fmt(a.get(key)) for key, _ in COLUMNS]
        lines.append(f"| {name} | {a['n']} | " + " | ".join(cells) + f" | {a['latency_ms']['p50']} | {a['latency_ms']['p95']} |")
    types = sorted({t for s in summary.values() for t in s if t not in ("all", "description", "mode")})
    if len(types) > 1:
        metric = "accuracy" if any(s["all"].get("accuracy") is not None for s in summary.values()) else "aic@5"
        lines += ["", f"{metric} by question type:", "", "| type | " + " | ".join(summary) + " |",
                  "|---|" + "---|" * len(summary)]
        for t in types:
            refusals = all(not s.get(t, {}).get("answerable") for s in summary.values())
            key = "abstention_recall" if refusals else metric
            row = [_fmt(s.get(t, {}).get(key)) for s in summary.values()]
            lines.append(f"| {t}{' (abstained)' if refusals else ''} | " + " | ".join(row) + " |")
    if report.get("meta", {}).get("interrupted"):
        lines.append("\n(interrupted: partial results)")
    return "\n".join(lines)


def chart(report: dict, path: str | Path) -> Path:
    """Grouped bars: per question type, one bar per config (accuracy, or
    answer-in-context@5 for retrieval-only runs; abstention recall for
    unanswerable questions)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:
        from ..errors import MissingDependencyError

        raise MissingDependencyError("matplotlib", "eval") from exc
    summary = report["summary"]
    names = list(summary)
    types = ["all"] + sorted({t for s in summary.values() for t in s if t not in ("all", "description", "mode")})
    width = 0.8 / max(1, len(names))
    fig, ax = plt.subplots(figsize=(min(16, max(7, 0.9 * len(types) + 2)), 4.5))
    for i, name in enumerate(names):
        # Answering configs plot accuracy; retrieval-only ones answer-in-context@5.
        metric = "accuracy" if summary[name]["all"].get("accuracy") is not None else "aic@5"
        values = []
        for t in types:
            refusals = t != "all" and not summary[name].get(t, {}).get("answerable")
            key = "abstention_recall" if refusals and metric == "accuracy" else metric
            values.append(summary[name].get(t, {}).get(key) or 0.0)
        xs = [x + i * width - 0.4 + width / 2 for x in range(len(types))]
        ax.bar(xs, values, width, label=f"{name} ({metric})", hatch=None if metric == "accuracy" else "//")
    ax.set_xticks(range(len(types)))
    ax.set_xticklabels(types, rotation=20, ha="right")
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("score (unanswerable: abstention recall)")
    ax.set_title(f"{report['meta']['questions']} questions · {Path(report['meta']['docs']).name}")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1))
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
