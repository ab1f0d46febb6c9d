"""Vietnamese search ignores diacritics, đ included, and snippets keep the original text."""

import unicodedata

import pytest
from _search_backends import BACKENDS, backend_url

from catalog import Catalog
from catalog.search.query import match_expression, snippet
from schemas import Classification, DocType, Document
from schemas.text import fold, words


@pytest.mark.parametrize(
    "text, folded",
    [
        ("hồ sơ", "ho so"),
        ("QUYẾT ĐỊNH", "quyet dinh"),
        ("Đất đai", "dat dai"),
        ("thuỷ thủy hoà hòa", "thuy thuy hoa hoa"),
        ("Ưu tiên Ơn", "uu tien on"),
        ("ĐỘC LẬP - TỰ DO - HẠNH PHÚC", "doc lap - tu do - hanh phuc"),
    ],
)
def test_fold_removes_every_vietnamese_mark(text, folded):
    assert fold(text) == folded


def test_fold_keeps_offsets_of_the_nfc_text():
    decomposed = unicodedata.normalize("NFD", "Quyết định giao đất cho hộ gia đình")
    assert len(fold(decomposed)) == len(unicodedata.normalize("NFC", decomposed))


def test_query_is_quoted_so_no_fts_syntax_leaks_through():
    assert match_expression('đất" OR NOT *') == '"dat" "or" "not"'
    assert match_expression("  ;;  ") is None


def test_snippet_is_cut_from_the_original_text_around_the_match():
    original = "Phần mở đầu dài. " * 20 + "Giao đất cho hộ gia đình tại xã Hòa An. " + "Phần kết. " * 20
    cut = snippet(original, "hoa an")
    assert "Hòa An" in cut and cut.startswith("…") and cut.endswith("…")


def _document(doc_id, dossier, doc_type, title):
    return Document(
        id=doc_id,
        dossier=dossier,
        source=f"{doc_id}.jpg",
        sha256=doc_id * 8,
        size=1,
        pages=2,
        classification=Classification(doc_type=doc_type, title=title, confidence=0.9),
    )


@pytest.fixture(params=BACKENDS)
def catalog_url(request, tmp_path):
    return backend_url(request, tmp_path)


@pytest.fixture
def catalog(catalog_url):
    catalog = Catalog(catalog_url)
    catalog.record(
        _document("qd", "HS-1", DocType.quyet_dinh, "QUYẾT ĐỊNH Về việc giao đất"),
        {"original": "a/original.jpg"},
        ["Căn cứ Luật Đất đai năm 2013;", "Điều 1. Giao đất cho hộ gia đình tại xã Hòa An."],
    )
    catalog.record(
        _document("don", "HS-2", DocType.don, "ĐƠN ĐỀ NGHỊ"),
        {"original": "b/original.png"},
        ["Kính gửi: Bộ phận một cửa. Tôi nộp hồ sơ đề nghị cấp phép."],
    )
    yield catalog
    catalog.close()


def test_diacritic_free_queries_find_vietnamese_text(catalog):
    assert [hit.id for hit in catalog.search("ho so").hits] == ["don"]
    found = catalog.search("quyet dinh dat dai")
    assert [hit.id for hit in found.hits] == ["qd"]
    assert found.hits[0].title == "QUYẾT ĐỊNH Về việc giao đất"
    # đ folds to d on both sides: the query with diacritics finds the same.
    assert [hit.id for hit in catalog.search("Đất đai").hits] == ["qd"]


def test_hit_points_at_the_best_page_and_quotes_it(catalog):
    hit = catalog.search("hoa an").hits[0]
    assert hit.page == 2 and "Hòa An" in hit.snippet


def test_filters_by_type_and_dossier(catalog):
    assert catalog.search("dat", doc_type="don").total == 0
    assert catalog.search("dat", doc_type="quyet_dinh").total == 1
    assert catalog.search("ho so", dossier="HS-1").total == 0


def test_recording_again_replaces_the_index_instead_of_adding_to_it(catalog):
    catalog.record(
        _document("qd", "HS-1", DocType.quyet_dinh, "QUYẾT ĐỊNH Về việc giao đất"),
        {"original": "a/original.jpg"},
        ["Căn cứ Luật Đất đai năm 2013;", "Điều 1. Nội dung đã sửa."],
    )
    assert catalog.search("hoa an").total == 0
    assert catalog.search("dat dai").total == 1
    assert words("Nội dung") == ["noi", "dung"]
