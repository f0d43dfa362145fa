"""The Markdown summary of a load test's results (the JSON holds the rest)."""

from __future__ import annotations

import os


def markdown(results: dict) -> str:
    lines = table(results)
    lines.append("")
    lines.append("GET /v1/health on one keep-alive connection, p50: " + ", ".join(
        f"{s['mode']} {s['workers']} worker(s) {s['health_keepalive_ms']['p50']} ms" for s in results["sequential"]))
    lines.extend(in_process_lines(results))
    if results.get("reindex"):
        lines.append(reindex_line(results["reindex"]))
    lines.append(f"Wall time {results['wall_s']} s; load average at start {results['loadavg_start']}, "
                 f"at end {results['loadavg_end']} ({os.cpu_count()} CPUs; the load generator shares them).")
    return "\n".join(lines)


def table(results: dict) -> list[str]:
    """One row per sequential (reference) pass and per load pass."""
    lines = ["| mode | workers | concurrency | requests | req/s | p50 ms | p95 ms | p99 ms | failures | mismatches |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for s in results["sequential"]:
        lat = s["latency_ms"]
        lines.append(f"| {s['mode']} | {s['workers']} | seq (reference) | {s['requests']} | "
                     f"{s['req_per_s']} | {lat['p50']} | {lat['p95']} | {lat['p99']} | {s['failures']} | - |")
    for r in results["runs"]:
        lat = r["latency_ms"]
        requests = f"{r['requests']}" + (f" of {r['planned']} (time limit)" if r["truncated"] else "")
        lines.append(f"| {r['mode']} | {r['workers']} | {r['concurrency']} | {requests} | {r['req_per_s']} | "
                     f"{lat['p50']} | {lat['p95']} | {lat['p99']} | {r['failures']} | {r['mismatches']} |")
    return lines


def in_process_lines(results: dict) -> list[str]:
    """The in-process latencies and the HTTP overhead over them (HTTP at
    concurrency 1 on the fewest workers)."""
    http1 = {(r["mode"]): r for r in results["runs"] if r["workers"] == min(results["settings"]["workers"])
             and r["concurrency"] == 1}
    lines = []
    for p in results["in_process"]:
        lat = p["latency_ms"]
        line = (f"In-process ({p['mode']}, Python API, sequential, {p['questions']} questions): "
                f"p50 {lat['p50']} ms, p95 {lat['p95']} ms, p99 {lat['p99']} ms; "
                f"answers differing from the HTTP reference: {p['mismatches_vs_http_reference']}")
        if p["mode"] in http1:
            h = http1[p["mode"]]["latency_ms"]
            line += (f". HTTP overhead at concurrency 1 ({http1[p['mode']]['workers']} worker): "
                     f"p50 +{round(h['p50'] - lat['p50'], 2)} ms, p95 +{round(h['p95'] - lat['p95'], 2)} ms")
        lines.append(line)
    return lines


def reindex_line(ri: dict) -> str:
    gens = " -> ".join(f"{label} x{count}" for label, count in ri["health_sequence"])
    upload = ri["upload"] or {}
    return (
        f"Re-index under load ({ri['mode']}, {ri['workers']} workers, concurrency {ri['concurrency']}): "
        f"{'OK' if ri['ok'] else 'FAILED'}; {ri['requests']} requests ({ri['requests_before_upload']} before the upload, "
        f"{ri['requests_during_upload']} during, {ri['requests_after_upload']} after), {ri['req_per_s']} req/s, "
        f"p50 {ri['latency_ms']['p50']} ms, p99 {ri['latency_ms']['p99']} ms; upload HTTP {upload.get('status')} in "
        f"{ri['upload_s']} s; failures {ri['failures']}; seed mismatches {ri['seed_mismatches']} "
        f"({len(ri['seed_questions_changed_by_new_doc'])} seed question(s) legitimately changed by the new document, "
        f"stale after the upload returned: {ri['seed_stale_after_upload']}); new question: "
        f"{ri['new_question_refusals']} refusals, {ri['new_question_new_figure']} with {ri['new_figure']}, "
        f"{ri['new_question_other']} other, refusals started after the upload returned "
        f"{ri['new_question_refused_after_upload_returned']}; /v1/health generations: {gens}")
