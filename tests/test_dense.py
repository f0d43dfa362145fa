"""The sentence-transformers backend with a tiny model built locally: real
loading code (local folder, offline), real FAISS index, real fusion."""

import pytest

from assistant import Index, IndexMismatchError, build_index
from assistant.embedders import load_embedder
from assistant.embedders.sentence_transformers import SentenceTransformersEmbedder
from assistant.models import resolve_embedding_model


@pytest.fixture
def dense_config(config, tiny_embedder_path):
    return config.replace(embedder="sentence-transformers", embedding_model=str(tiny_embedder_path))


def test_embedder_loads_from_local_folder_offline(tiny_embedder_path):
    embedder = SentenceTransformersEmbedder.from_path(str(tiny_embedder_path))
    vectors = embedder.embed_passages(["重庆网民规模", "重慶網民規模"])
    assert vectors.shape == (2, embedder.dim)
    # Script-neutral: Traditional text is embedded after conversion to Simplified.
    assert abs(float(vectors[0] @ vectors[1]) - 1.0) < 1e-5


def test_hybrid_index_build_search_and_reuse(corpus, dense_config, tmp_path):
    embedder, notice = load_embedder(dense_config)
    assert notice is None and embedder is not None
    path = tmp_path / "idx"
    report = build_index([corpus], path, dense_config)
    assert report.embedded_chunks == report.chunks > 0
    assert (path / "dense.faiss").exists() and (path / "vectors.npy").exists()

    index = Index.load(path, dense_config)
    assert index.mode == "hybrid"
    assert index.info()["embedding"]["dim"] == embedder.dim
    # A passage's own text is its nearest neighbour; fusion keeps it first.
    target = next(c for c in index.chunks if "电信业务收入(亿元)" in c.text)
    hits = index.search(target.index_text(), 5)
    assert hits[0].chunk.chunk_id == target.chunk_id
    assert hits[0].dense == pytest.approx(1.0, abs=1e-4)
    assert hits[0].bm25 is not None

    # Only the changed document is embedded again.
    (corpus / "extra.md").write_text("# 附录\n\n成都市网络零售额6609.5亿元。\n", encoding="utf-8")
    again = build_index([corpus], path, dense_config)
    assert again.added == ["extra"] and again.embedded_chunks == 1


def test_lexical_index_upgrades_when_a_model_appears(corpus, config, dense_config, tmp_path):
    path = tmp_path / "idx"
    build_index([corpus], path, config)
    index = Index.load(path, dense_config)
    assert index.mode == "lexical"
    assert any("no dense vectors" in n for n in index.notices)
    report = build_index([corpus], path, dense_config)
    assert report.embedded_chunks == report.chunks
    assert Index.load(path, dense_config).mode == "hybrid"


def test_changed_embedding_model_is_refused(corpus, dense_config, tmp_path, tiny_embedder_path):
    path = tmp_path / "idx"
    build_index([corpus], path, dense_config)
    other = tmp_path / "other-model"
    import shutil

    shutil.copytree(tiny_embedder_path, other)
    with pytest.raises(IndexMismatchError, match="embedding model"):
        Index.load(path, dense_config.replace(embedding_model=str(other)))


def test_missing_model_gives_one_notice_and_lexical_search(corpus, config, tmp_path):
    cfg = config.replace(embedder="sentence-transformers", embedding_model="intfloat/multilingual-e5-small")
    assert resolve_embedding_model(cfg.embedding_model, cfg.models_dir) is None
    embedder, notice = load_embedder(cfg)
    assert embedder is None
    assert "not found locally" in notice and "models pull intfloat/multilingual-e5-small" in notice
    build_index([corpus], tmp_path / "idx", cfg)
    index = Index.load(tmp_path / "idx", cfg)
    assert index.mode == "lexical" and len(index.notices) == 1
    assert index.search("电信业务收入", 1)


def test_model_folder_in_models_dir_is_found(config, tiny_embedder_path, tmp_path):
    import shutil

    models = tmp_path / "models"
    shutil.copytree(tiny_embedder_path, models / "acme--tiny-embedder")
    cfg = config.replace(embedding_model="acme/tiny-embedder", models_dir=str(models))
    assert resolve_embedding_model(cfg.embedding_model, cfg.models_dir) == str(models / "acme--tiny-embedder")


def test_english_question_is_answered_when_an_embedder_is_present(corpus, dense_config, tmp_path):
    from assistant import open_assistant

    assistant = open_assistant(dense_config, corpus=corpus, index_path=tmp_path / "idx")
    assert assistant.index.mode == "hybrid"
    assert assistant.mode["retriever"].startswith("hybrid (BM25 + ")
    answer = assistant.ask("How many internet hospitals did Chongqing have in 2024?")
    # The dictionary finds the clause; the (random) embedder only breaks ties.
    assert not answer.abstained and answer.text.startswith("According to ")
    assert "116" in answer.text and answer.unverified_numbers == []
    assert "116" in answer.citations[0].supporting_text


def test_dense_index_type_follows_size(tmp_path):
    import numpy as np

    from assistant.index.dense import DenseIndex

    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((300, 16)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    assert DenseIndex.build(vectors).kind == "exact"  # below EXACT_MAX
    hnsw = DenseIndex.build(vectors, exact_max=100)
    assert hnsw.kind == "hnsw"
    hnsw.save(tmp_path / "d.faiss")
    loaded = DenseIndex.load(tmp_path / "d.faiss")
    assert loaded.kind == "hnsw" and loaded._index.hnsw.efSearch == DenseIndex.HNSW_EF_SEARCH
    idx, scores = loaded.top(vectors[42], 3)
    assert idx[0] == 42 and abs(float(scores[0]) - 1.0) < 1e-4
