"""Milvus connections, collection naming, term encoding and manifest reading:
what the engine (milvus.py) and the publisher (milvus_publish.py) share.
pymilvus is imported only here, when a client is first asked for."""

from __future__ import annotations

import json
import logging
import os
import re
from collections import Counter
from pathlib import Path

from ..config import Config
from ..errors import ConfigError, MissingDependencyError

MANIFEST_KEY = "@manifest"
DOC_PREFIX = "doc:"
READ_BATCH = 5000  # rows per query_iterator page when reading the documents
_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


# ---------------------------------------------------------------- connection

def pymilvus():
    try:
        import pymilvus as module
    except ImportError as exc:
        raise MissingDependencyError("pymilvus", "milvus") from exc
    return module


def is_lite(uri: str) -> bool:
    """A file path (no scheme) is a Milvus Lite database, opened in-process."""
    return "://" not in uri


def uri(config: Config) -> str:
    uri = config.milvus_uri
    if not uri:
        raise ConfigError('milvus_uri must be set for index_backend = "milvus"')
    if not is_lite(uri):
        return uri
    if not uri.endswith(".db"):
        # pymilvus recognises Milvus Lite by this suffix only.
        raise ConfigError(f"milvus_uri {uri!r}: a Milvus Lite file must end in .db (or give http://host:19530)")
    try:
        import milvus_lite  # noqa: F401
    except ImportError as exc:
        raise MissingDependencyError("milvus-lite", "milvus") from exc
    return os.path.abspath(uri)


_clients: dict[tuple[str, str], object] = {}
users: Counter = Counter()  # open engines per connection: Lite is released only when none is left


def client(config: Config):
    """One client per (URI, token) per process. Nothing else is contacted:
    Lite runs in this process behind a loopback port."""
    key = (uri(config), config.milvus_token)
    if key not in _clients:
        kwargs = {"token": config.milvus_token} if config.milvus_token else {}
        _clients[key] = pymilvus().MilvusClient(uri=key[0], **kwargs)
    return _clients[key]


def release(config: Config, force: bool = False) -> None:
    """Close a Milvus Lite database this process opened, unless an engine still
    reads it (or `force`): Lite holds an exclusive lock on its file, so a
    serving process can open it only once the builder has let go."""
    key = (uri(config), config.milvus_token)
    if not is_lite(key[0]) or (users[key] and not force):
        return
    existing = _clients.pop(key, None)
    if existing is not None:
        _loaded.difference_update({k for k in _loaded if k[0] == id(existing)})
        existing.close()
    from milvus_lite.server_manager import server_manager_instance

    server_manager_instance.release_server(key[0])


def collection_name(path: Path, config: Config) -> str:
    """The alias: `milvus_collection`, or assistant_<index folder name>."""
    name = config.milvus_collection or "assistant_" + re.sub(r"[^A-Za-z0-9_]", "_", Path(path).name)
    if not _NAME_RE.match(name) or len(name) > 200:
        raise ConfigError(f"milvus_collection {name!r}: use letters, digits and _ (not first), at most 200")
    return name


def siblings(real: str) -> tuple[str, str]:
    return f"{real}_docs", f"{real}_terms"


def resolve(cli, alias: str) -> str | None:
    """The collection `alias` points at (None: no alias), loaded for reading.
    list_aliases first: describe_alias of a missing alias logs an error."""
    if alias not in cli.list_aliases().get("aliases", []):
        return None
    real = cli.describe_alias(alias)["collection_name"]
    _load(cli, (real, *siblings(real)))
    return real


_loaded: set[tuple[int, str]] = set()


def _load(cli, names) -> None:
    """Load collections once per client: Lite forgets the load state when the
    file is closed (a server remembers it)."""
    for name in names:
        if (id(cli), name) not in _loaded:
            cli.load_collection(name)
            _loaded.add((id(cli), name))


# ---------------------------------------------------------------- terms

def encode_term(token: str) -> str:
    """One tokenizer term as one analyzer token. Lite's "standard" analyzer
    splits on \\W (dropping the § bigram and ¤ character prefixes, merging those
    views with jieba's words: CMRC R@1 0.966 vs 0.978 local) and lower-cases; the
    encoding is injective and survives it and a server's "whitespace" one:
    plain word characters as they are, prefixes as a _b/_c suffix, anything
    else hex (encoded terms always contain "_"; the tokenizer's words never do
    in the first two forms)."""
    prefix, core = (token[0], token[1:]) if token[:1] in ("§", "¤") else ("", token)
    if core and re.fullmatch(r"[^\W_]+", core) and core == core.lower():
        return core + {"": "", "§": "_b", "¤": "_c"}[prefix]
    return "_x" + token.encode("utf-8").hex()


def decode_term(word: str) -> str:
    if word.startswith("_x"):
        return bytes.fromhex(word[2:]).decode("utf-8")
    if word.endswith("_b"):
        return "§" + word[:-2]
    if word.endswith("_c"):
        return "¤" + word[:-2]
    return word


def analyzer(uri: str) -> dict:
    """Lite implements only "standard" (\\w+, lower-cased) and "jieba"; a server
    has "whitespace". Over encoded terms both yield exactly our terms."""
    return {"tokenizer": "standard"} if is_lite(uri) else {"tokenizer": "whitespace"}


# ---------------------------------------------------------------- reading

def read_manifest(cli, docs_collection: str) -> dict:
    manifest, documents = None, {}
    quiet = logging.getLogger("pymilvus")
    level = quiet.level
    quiet.setLevel(logging.ERROR)  # Lite has no server timestamps: a warning per iterator
    try:
        it = cli.query_iterator(docs_collection, batch_size=READ_BATCH, filter="", output_fields=["key", "json"])
    finally:
        quiet.setLevel(level)
    try:
        while rows := it.next():
            for row in rows:
                if row["key"] == MANIFEST_KEY:
                    manifest = json.loads(row["json"])
                else:
                    documents[row["key"][len(DOC_PREFIX):]] = json.loads(row["json"])
    finally:
        it.close()
    if manifest is None:
        return None
    # Documents in chunk order, as in the local manifest.
    manifest["documents"] = dict(sorted(documents.items(), key=lambda kv: kv[1]["first_chunk"]))
    return manifest


# ---------------------------------------------------------------- generations

# The current generation per (URI, alias), cached: MilvusEngine.generation is
# called on every HTTP request; the publisher forgets it when it switches.
generations: dict[tuple[str, str], tuple[float, object]] = {}


def forget_generation(config: Config, alias: str) -> None:
    generations.pop((uri(config), alias), None)


__all__ = ["DOC_PREFIX", "MANIFEST_KEY", "analyzer", "client", "collection_name", "decode_term", "encode_term",
           "forget_generation", "generations", "is_lite", "pymilvus", "read_manifest", "release", "resolve", "siblings",
           "uri", "users"]
