"""Edges where the two index layouts could part (issue 15): a phrase never spans the title and the body, the
restriction tags are never found by typing them, and a long phrase is checked word by word, not pair by pair;
on SQLite (FTS5 columns) and PostgreSQL (one tsvector with a gap, tag lexemes, a word-pair index) alike."""

from __future__ import annotations

import pytest
from _search_backends import BACKENDS, backend_url

from catalog import Catalog
from catalog.search import index
from schemas import Classification, DocType, Document

H33 = "000.00.00.H33"


@pytest.fixture(params=BACKENDS)
def catalog_url(request, tmp_path):
    return backend_url(request, tmp_path)


@pytest.fixture
def catalog(catalog_url):
    catalog = Catalog(catalog_url)
    yield catalog
    catalog.close()


def _record(catalog: Catalog, doc_id: str, title: str, *texts: str) -> None:
    document = Document(
        id=doc_id,
        dossier="HS-1",
        agency=H33,
        source=f"{doc_id}.pdf",
        sha256=doc_id.ljust(64, "0"),
        size=1,
        pages=len(texts),
        classification=Classification(doc_type=DocType.quyet_dinh, title=title, confidence=0.9),
    )
    catalog.record(document, {"meta": f"{doc_id}/meta.json"}, list(texts))


def _ids(result) -> list[str]:
    return sorted(hit.id for hit in result.hits)


def test_a_phrase_never_spans_the_title_and_the_body(catalog):
    _record(catalog, "qd", "QUYẾT ĐỊNH", "Giao đất cho hộ gia đình")
    assert _ids(catalog.search('"quyết định"')) == ["qd"]
    assert _ids(catalog.search('"định giao"')) == []
    assert _ids(catalog.search('"dinh giao dat"')) == []
    assert _ids(catalog.search("định giao")) == ["qd"]  # the words, anywhere


def test_restriction_tags_are_not_words(catalog):
    _record(catalog, "qd", "QUYẾT ĐỊNH", "Giao đất")
    for token in (index.tag("ag", H33), index.tag("ty", "quyet_dinh"), index.tag("ds", "HS-1")):
        assert catalog.search(token).total == 0
        assert catalog.search(token[:6] + "*").total == 0
    assert catalog.search(f"giao agency:{H33} type:quyet_dinh dossier:HS-1").total == 1


def test_a_long_phrase_needs_its_words_in_a_row_not_only_its_pairs(catalog):
    # "giao đất" and "đất cho" both occur, never "giao đất cho": the pairs alone would find it.
    _record(catalog, "pairs", "BIÊN BẢN", "Giao đất ở xã. Thu hồi đất cho dự án.")
    _record(catalog, "row", "BIÊN BẢN", "Giao đất cho hộ gia đình.")
    assert _ids(catalog.search('"giao đất cho"')) == ["row"]
    assert _ids(catalog.search('"giao dat"')) == ["pairs", "row"]
    assert _ids(catalog.search('"đất cho"')) == ["pairs", "row"]
    assert _ids(catalog.search('"giao đất ch*"')) == ["row"]
    assert _ids(catalog.search('giao -"đất cho hộ"')) == ["pairs"]
