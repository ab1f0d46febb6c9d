"""Search archivists trust (issue 12): the query language, Vietnamese matching (tone placement, đ, exact before
folded), numbers and notations as typed, field filters, facets over the whole result, agency scoping in the query
itself, paging, sorting by date, named failures for bad syntax, and index writes that touch only their document."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from _search_backends import BACKENDS, backend_url
from sqlalchemy import text as sql

from catalog import Catalog
from catalog.search import InvalidQuery
from schemas import Classification, DocType, Document
from schemas.models import DocumentMetadata
from schemas.text import exact_form, fold, normalise_tones

H33 = "000.00.00.H33"
H34 = "000.00.00.H34"
H35 = "000.00.01.H35"
DOSSIER_CODE = "000.00.00.H33-230607-0001"
# Pages that hold none of the words the tests look for: a realistic share of unrelated text, so that a rare word
# weighs more than a common one in the ranking (bm25's idf is ~0 for a word on most pages).
FILLER = (
    "Kính gửi các phòng ban chuyên môn.",
    "Báo cáo tình hình thực hiện nhiệm vụ tháng trước.",
    "Lịch công tác tuần của lãnh đạo.",
    "Danh sách cán bộ tham dự hội nghị.",
    "Thông tin về nguồn vốn đầu tư công.",
    "Phân công nhiệm vụ trực cơ quan.",
)


def make_document(
    doc_id: str,
    *,
    agency: str = H33,
    dossier: str = "HS-1",
    doc_type: DocType = DocType.quyet_dinh,
    title: str = "QUYẾT ĐỊNH",
    pages: int = 1,
    **fields,
) -> Document:
    return Document(
        id=doc_id,
        dossier=dossier,
        agency=agency,
        source=f"Nguyễn Văn An {doc_id}.pdf",  # a citizen's name in the file name: never shown by search
        sha256=doc_id.ljust(64, "0"),
        size=1,
        pages=pages,
        classification=Classification(
            doc_type=doc_type, title=title, confidence=0.9, metadata=DocumentMetadata(**fields)
        ),
    )


def record(catalog: Catalog, document: Document, *texts: str) -> None:
    catalog.record(document, {"meta": f"{document.id}/meta.json"}, list(texts))


def ids(result) -> list[str]:
    return [hit.id for hit in result.hits]


@pytest.fixture(params=BACKENDS)
def catalog_url(request, tmp_path):
    """Each test opening a catalog through this runs on SQLite and on PostgreSQL, expecting the same."""
    return backend_url(request, tmp_path)


@pytest.fixture
def catalog(catalog_url):
    catalog = Catalog(catalog_url)
    for number, text in enumerate(FILLER):
        record(
            catalog,
            make_document(f"filler{number}", agency=H35, dossier="HS-9", doc_type=DocType.cong_van, title="CÔNG VĂN"),
            text,
        )
    yield catalog
    catalog.close()


# --- Vietnamese matching -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("one", "other"),
    [("hoà", "hòa"), ("thuỷ", "thủy"), ("uỷ", "ủy"), ("khoẻ", "khỏe"), ("HOÀ", "hòa"), ("Thuỷ lợi", "thủy lợi")],
)
def test_tone_placement_is_one_form(one, other):
    assert exact_form(one) == exact_form(other)
    assert len(normalise_tones(one)) == len(one)  # offsets kept, like fold


@pytest.mark.parametrize("word", ["quý", "quỳ", "hoàng", "hoặc", "khuyến", "xoáy", "khuya"])
def test_tone_placement_leaves_words_with_one_place_alone(word):
    assert normalise_tones(word) == word


def test_either_tone_placement_finds_the_other(catalog):
    record(catalog, make_document("old"), "Xã Hoà An, công trình thuỷ lợi, Uỷ ban nhân dân")
    record(catalog, make_document("new"), "Xã Hòa Bình, trạm thủy văn, Ủy ban nhân dân")
    assert ids(catalog.search("hòa an")) == ["old"]
    assert ids(catalog.search("hoà bình")) == ["new"]
    assert sorted(ids(catalog.search("thủy"))) == ["new", "old"]
    assert sorted(ids(catalog.search("thuỷ"))) == ["new", "old"]
    assert sorted(ids(catalog.search("ủy ban"))) == ["new", "old"]
    assert sorted(ids(catalog.search('"uỷ ban"'))) == ["new", "old"]


def test_d_with_stroke_matches_d(catalog):
    record(catalog, make_document("dat"), "Giao đất cho hộ gia đình")
    assert ids(catalog.search("dat")) == ["dat"]
    assert ids(catalog.search("ĐẤT")) == ["dat"]
    assert ids(catalog.search('"ho gia dinh"')) == ["dat"]


def test_a_query_with_diacritics_ranks_exact_matches_above_folded_ones(catalog):
    record(catalog, make_document("folded"), "Người con ma trong truyện cổ tích")
    record(catalog, make_document("exact"), "Người con má trong truyện cổ tích")
    assert ids(catalog.search("má")) == ["exact", "folded"]
    found = catalog.search("má")
    assert found.hits[0].score > found.hits[1].score
    # Without diacritics both are found (the page holding "ma" itself first).
    assert ids(catalog.search("ma")) == ["folded", "exact"]


def test_numbers_notations_and_codes_search_as_typed(catalog):
    record(
        catalog,
        make_document("qd"),
        f"Số: 12/QĐ-UBND. Hồ sơ {DOSSIER_CODE}, thủ tục 1.001234 cấp giấy phép xây dựng.",
    )
    record(catalog, make_document("other"), "Số: 13/QĐ-UBND. Thủ tục 1.001235. Hồ sơ 000.00.00.H33-230607-0002.")
    assert ids(catalog.search("12/QĐ-UBND")) == ["qd"]
    assert ids(catalog.search("12/qd-ubnd")) == ["qd"]
    assert sorted(ids(catalog.search("QĐ-UBND"))) == ["other", "qd"]
    assert ids(catalog.search("1.001234")) == ["qd"]
    assert ids(catalog.search(DOSSIER_CODE)) == ["qd"]
    assert ids(catalog.search(DOSSIER_CODE.lower())) == ["qd"]


def test_phrases_prefixes_and_exclusions(catalog):
    record(catalog, make_document("a"), "Giao đất cho hộ gia đình ông Lê Văn Bình")
    record(catalog, make_document("b"), "Hộ kinh doanh giao hàng, đất trồng lúa, gia đình")
    assert sorted(ids(catalog.search("giao đất gia đình"))) == ["a", "b"]
    assert ids(catalog.search('"giao đất"')) == ["a"]
    assert ids(catalog.search('"giao dat cho ho"')) == ["a"]
    assert ids(catalog.search("doan*")) == ["b"]
    assert sorted(ids(catalog.search("kinh*"))) == ["b", "filler0"]  # kinh doanh, Kính gửi
    assert ids(catalog.search("giao -kinh")) == ["a"]
    assert ids(catalog.search('giao -"giao đất"')) == ["b"]


def test_the_title_is_the_type_and_subject_never_the_file_name(catalog):
    record(catalog, make_document("t", title=None, subject="giao đất cho hộ gia đình"), "Nội dung quyết định")
    hit = catalog.search("noi dung").hits[0]
    assert hit.title == "Quyết định: giao đất cho hộ gia đình"
    assert "Nguyễn" not in hit.title and hit.agency == H33


# --- filters, facets, scope, paging, sorting -----------------------------------------------------------------


@pytest.fixture
def filed(catalog):
    documents = [
        make_document(
            "qd2023",
            agency=H33,
            dossier=DOSSIER_CODE,
            number="12",
            notation="QĐ-UBND",
            issued_date=date(2023, 8, 5),
            issuer="ỦY BAN NHÂN DÂN HUYỆN CHÂU THÀNH",
        ),
        make_document(
            "cv2023",
            agency=H34,
            dossier="HS-2",
            doc_type=DocType.cong_van,
            title="CÔNG VĂN",
            number="45",
            notation="UBND-VP",
            issued_date=date(2023, 2, 10),
            issuer="ỦY BAN NHÂN DÂN XÃ HÒA AN",
        ),
        make_document(
            "qd2021",
            agency=H34,
            dossier="HS-3",
            number="7",
            notation="QĐ-STP",
            issued_date=date(2021, 12, 31),
            issuer="SỞ TƯ PHÁP",
        ),
        make_document("bc", agency=H33, dossier="HS-4", doc_type=DocType.bao_cao, title="BÁO CÁO"),
    ]
    for document in documents:
        record(catalog, document, "Về việc quản lý đất đai trên địa bàn")
    return catalog


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("đất type:quyet_dinh", ["qd2021", "qd2023"]),
        ("dat type:cong_van", ["cv2023"]),
        (f"đất agency:{H34}", ["cv2023", "qd2021"]),
        (f"đất dossier:{DOSSIER_CODE}", ["qd2023"]),
        ("đất so:12", ["qd2023"]),
        ("so:012", ["qd2023"]),
        ("kyhieu:QĐ-UBND", ["qd2023"]),
        ("kyhieu:12/QĐ-UBND", ["qd2023"]),
        ("kyhieu:45/QĐ-UBND", []),
        ("kyhieu:qd-stp", ["qd2021"]),
        ("ngay:2023-08-05", ["qd2023"]),
        ("ngay:5/8/2023", ["qd2023"]),
        ("ngay:2023-02", ["cv2023"]),
        ("ngay:2023-01..2023-06", ["cv2023"]),
        ("ngay:2021-12..2023-02", ["cv2023", "qd2021"]),
        ("ngày:2023", ["cv2023", "qd2023"]),
        ('coquan:"châu thành"', ["qd2023"]),
        ("coquan:hoa", ["cv2023"]),
        ("nam:2021", ["qd2021"]),
        ("nam:2021..2023", ["cv2023", "qd2021", "qd2023"]),
        ("đất nam:2023 type:quyet_dinh", ["qd2023"]),
        ("type:bao_cao", ["bc"]),
    ],
)
def test_field_filters(filed, query, expected):
    found = filed.search(query)
    assert sorted(ids(found)) == expected
    assert found.total == len(expected)


def test_filters_given_as_arguments(filed):
    assert sorted(ids(filed.search("đất", doc_type="quyet_dinh", agency=H34))) == ["qd2021"]
    assert ids(filed.search("đất", dossier=DOSSIER_CODE)) == ["qd2023"]


def test_facets_count_the_whole_result_not_only_the_page_of_hits(filed):
    found = filed.search("đất đai", limit=1)
    assert found.total == 4 and len(found.hits) == 1
    assert found.facets == {
        "doc_type": {"quyet_dinh": 2, "bao_cao": 1, "cong_van": 1},
        "agency": {H33: 2, H34: 2},
        "year": {"2023": 2, "2021": 1},
    }
    assert found.total_is_estimate is False


def test_agency_scope_applies_to_hits_total_and_facets(filed):
    scoped = filed.search("đất", agencies={H34})
    assert sorted(ids(scoped)) == ["cv2023", "qd2021"] and scoped.total == 2
    assert scoped.facets["agency"] == {H34: 2}
    assert scoped.facets["doc_type"] == {"cong_van": 1, "quyet_dinh": 1}
    # A filter naming another agency finds nothing in scope: the scope is never widened.
    assert filed.search(f"đất agency:{H33}", agencies={H34}).total == 0
    assert filed.search("type:bao_cao", agencies=[H34]).total == 0
    nothing = filed.search("đất", agencies=set())
    assert nothing.total == 0 and nothing.hits == [] and all(not counts for counts in nothing.facets.values())
    assert filed.search("đất", agencies=None).total == 4


def test_paging_with_offset(filed):
    everything = ids(filed.search("đất", limit=10))
    pages = [ids(filed.search("đất", limit=2, offset=offset)) for offset in (0, 2, 4)]
    assert pages[0] + pages[1] == everything and pages[2] == []
    assert filed.search("đất", limit=2, offset=2).total == 4


def test_sort_by_date_newest_first_undated_last(filed):
    assert ids(filed.search("đất", sort="date")) == ["qd2023", "cv2023", "qd2021", "bc"]
    assert ids(filed.search("type:quyet_dinh")) == ["qd2023", "qd2021"]  # filters only: newest first


@pytest.mark.parametrize(
    "query",
    [
        '"',
        'giao "đất',
        "NEAR(",
        "NEAR(giao đất",
        "x" * 10_000,
        "-",
        "- giao",
        "*",
        "a*",
        "gi*ao",
        "-giao",
        '""',
        "ngay:2023-13",
        "ngay:hôm nay",
        "nam:23",
        "type:khong_co",
        "so:",
        'coquan:"ủy ban',
        'ab"cd"',
        "giao\x00đất",
    ],
)
def test_bad_syntax_is_a_named_failure(filed, query):
    with pytest.raises(InvalidQuery) as raised:
        filed.search(query)
    assert raised.value.code == "invalid_query"
    assert "SELECT" not in str(raised.value) and "fts5" not in str(raised.value).lower()


@pytest.mark.parametrize("arguments", [{"sort": "newest"}, {"offset": -1}])
def test_bad_sort_or_offset_is_a_named_failure(filed, arguments):
    with pytest.raises(InvalidQuery):
        filed.search("đất", **arguments)


@pytest.mark.parametrize("query", ["", "   ", ";;", "OR AND NOT", "đất OR NOT"])
def test_words_that_look_like_fts_syntax_are_only_words(filed, query):
    filed.search(query)  # no failure, no SQL error


# --- index writes touch only their document -----------------------------------------------------------------


def _index_rows(catalog: Catalog) -> dict[int, str]:
    """Every row of the full-text index, (search key << 16 | page) -> what it holds, on either backend."""
    if catalog.engine.dialect.name == "postgresql":
        query = "SELECT search_key::bigint << 16 | page, doc::text FROM search_pages"
    else:
        query = "SELECT rowid, b_exact FROM search_pages_fts"
    with catalog.engine.connect() as connection:
        return {row[0]: row[1] for row in connection.execute(sql(query))}


def _search_key(catalog: Catalog, doc_id: str) -> int:
    with catalog.engine.connect() as connection:
        return connection.execute(sql("SELECT search_key FROM documents WHERE id = :id"), {"id": doc_id}).scalar_one()


def _found(result) -> list[tuple]:
    # Scores move with the index's statistics (page count, mean length); what is found, where, does not.
    return [(hit.id, hit.page, hit.snippet, hit.title) for hit in result.hits] + [result.total]


def test_recording_one_document_again_leaves_the_others_rows_alone(catalog_url):
    catalog = Catalog(catalog_url)
    try:
        for number in range(20):
            record(catalog, make_document(f"d{number:02d}", pages=2), f"trang một {number}", f"trang hai {number}")
        before = _index_rows(catalog)
        hits_before = {number: _found(catalog.search(f'"trang hai {number}"')) for number in range(20)}
        record(catalog, make_document("d07", pages=1), "nội dung mới")
        after = _index_rows(catalog)
        changed = {rowid for rowid in before.keys() | after.keys() if before.get(rowid) != after.get(rowid)}
        assert len(changed) == 2 and len({rowid >> 16 for rowid in changed}) == 1  # d07's two pages, one key
        assert ids(catalog.search("nội dung mới")) == ["d07"] and catalog.search('"trang hai 7"').total == 0
        for number in range(20):
            if number != 7:
                assert _found(catalog.search(f'"trang hai {number}"')) == hits_before[number]

        d03 = _search_key(catalog, "d03")
        removed = catalog.prune(keep={f"d{number:02d}" for number in range(20)} - {"d03"})
        assert removed == ["d03"]
        pruned = _index_rows(catalog)
        assert set(after) - set(pruned) == {rowid for rowid in after if rowid >> 16 == d03}
        assert len(set(after) - set(pruned)) == 2 and set(pruned) <= set(after)
        assert catalog.search('"trang một 3"').total == 0 and catalog.search('"trang một 4"').total == 1
    finally:
        catalog.close()


def test_a_catalog_from_before_search_columns_is_upgraded_when_opened(tmp_path):
    """A catalog.db written by the previous code (page_fts, no search columns) is refused until migrated; then its
    documents are found, filtered and counted without a reindex."""
    from _legacy import as_before_migrations, migrated

    path = tmp_path / "catalog.db"
    catalog = Catalog(f"sqlite:///{path}")
    record(catalog, make_document("old", issued_date=date(2022, 3, 4), number="9"), "Giao đất ở Hoà An")
    catalog.close()
    with sqlite3.connect(path) as connection:  # back to the previous schema
        for statement in (
            "DROP TABLE search_pages_fts",
            "CREATE VIRTUAL TABLE page_fts USING fts5(title, body, doc_id UNINDEXED, page UNINDEXED)",
        ):
            connection.execute(statement)
        for name in ("search_key", "issued_date", "year", "number", "notation", "issuer"):
            for (index_name,) in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND sql LIKE ?", (f"%{name}%",)
            ).fetchall():
                connection.execute(f"DROP INDEX {index_name}")
            connection.execute(f"ALTER TABLE documents DROP COLUMN {name}")
    as_before_migrations(path)
    reopened = migrated(path)
    try:
        found = reopened.search("hòa an nam:2022 so:9")
        assert ids(found) == ["old"] and found.facets["year"] == {"2022": 1}
    finally:
        reopened.close()


# --- the CLI speaks the same search -------------------------------------------------------------------------


def _sohoa(home: Path, *args: str, catalog_url: str = "") -> subprocess.CompletedProcess:
    environment = dict(os.environ, SOHOA_HOME=str(home), SOHOA_STORE_URL=f"file://{home}/store")
    environment.pop("SOHOA_CATALOG_URL", None)
    if catalog_url:
        environment["SOHOA_CATALOG_URL"] = catalog_url
    return subprocess.run(
        [str(Path(sys.executable).with_name("sohoa")), *args],
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
    )


def test_cli_search_json_gives_what_catalog_search_gives(tmp_path, catalog_url):
    from schemas.settings import Settings

    home = tmp_path / "home"
    # SQLite: the default catalog in SOHOA_HOME; PostgreSQL: named by SOHOA_CATALOG_URL.
    on_server = catalog_url if catalog_url.startswith("postgresql") else ""
    settings = Settings(home=home, store_url=f"file://{home}/store", catalog_url=on_server)
    catalog = Catalog.from_settings(settings)
    try:
        record(catalog, make_document("a", issued_date=date(2023, 1, 2)), "Giao đất cho hộ gia đình ở Hoà An")
        record(catalog, make_document("b", agency=H34, doc_type=DocType.cong_van), "Đất trồng lúa ở Hòa Bình")
        expected = catalog.search("hòa đất", limit=5, sort="date").model_dump(mode="json")
    finally:
        catalog.close()
    ran = _sohoa(home, "search", "hòa đất", "--limit", "5", "--sort", "date", "--json", catalog_url=on_server)
    assert ran.returncode == 0, ran.stderr
    assert json.loads(ran.stdout) == expected
    assert set(expected["facets"]) == {"doc_type", "agency", "year"} and expected["total"] == 2

    refused = _sohoa(home, "search", 'giao "đất', "--json", catalog_url=on_server)
    assert refused.returncode == 1
    failure = json.loads(refused.stdout)
    assert failure["code"] == "invalid_query" and failure["vi"] and failure["en"]
    assert "Traceback" not in refused.stderr
    assert fold("ĐẤT") == "dat"


def test_over_the_counting_cap_the_total_is_an_estimate_and_says_so(catalog_url, monkeypatch):
    import catalog.search as search_module

    catalog = Catalog(catalog_url)
    try:
        for number in range(40):
            record(catalog, make_document(f"d{number:02d}", agency=(H33, H34)[number % 2]), f"hồ sơ số {number}")
        exact = catalog.search("hồ sơ", limit=40)
        newest = ids(catalog.search("hồ sơ", sort="date", limit=5, offset=2))
        assert exact.total == 40 and not exact.total_is_estimate and len(exact.hits) == 40
        monkeypatch.setattr(search_module, "COUNTED_PAGES", 25)
        monkeypatch.setattr(search_module, "RANK_ALL_UP_TO_DOCUMENTS", 5)
        monkeypatch.setattr(search_module, "RANKED_PAGES", 8)
        estimated = catalog.search("hồ sơ", limit=3)
        assert estimated.total_is_estimate and 20 <= estimated.total <= 40
        assert sum(estimated.facets["agency"].values()) == pytest.approx(estimated.total, abs=2)
        assert len(estimated.hits) == 3 and len(set(ids(estimated))) == 3
        assert ids(catalog.search("hồ sơ", sort="date", limit=5, offset=2)) == newest  # walked by date instead
        # A scope or a filter narrows what is read: its counts are exact again.
        scoped = catalog.search("hồ sơ", agencies={H34}, limit=3)
        assert scoped.total == 20 and not scoped.total_is_estimate
        assert {hit.agency for hit in scoped.hits} == {H34}
    finally:
        catalog.close()
