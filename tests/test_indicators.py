"""The digitisation indicators of Quyết định 766/QĐ-TTg group 4 (archive.indicators) on a small register whose rates
and points are computed by hand below; document roles (archive.roles); the one-stop shop's register
(archive.registry: spreadsheet import and POST /api/dossiers); reuse of an applicant's earlier documents.

Documents are recorded straight into the catalog with their meta.json and ocr.json in a folder store (no OCR), as
tests/test_web_pages.py does; the API is called through FastAPI's TestClient on the real app."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from conftest import run_sohoa
from fastapi.testclient import TestClient

from archive import Archive
from archive import indicators as figures
from archive.registry import import_file, register
from archive.roles import derive_role, set_role
from schemas import Classification, Document, DocumentMetadata, EventType, OcrResult, Page
from schemas.access import Forbidden, NotFound, Principal, PrincipalKind, Role
from schemas.doctypes import DocType
from schemas.models import DocumentRole
from schemas.settings import DEFAULT_ROLE_MAP, Settings

H33 = "000.00.00.H33"
X99 = "000.00.00.X99"
P1, P2 = "1.000001", "1.000002"
ALICE, BOB = "001099000123", "079203001234"  # two applicants' citizen IDs
PASSWORD = "mật-khẩu-thử-5b1d"
COMPONENT, RESULT = DocumentRole.component, DocumentRole.result


def _code(agency: str, day: str, number: int) -> str:
    return f"{agency}-{day}-{number:04d}"


A, B, C, D = (_code(H33, day, n) for n, day in enumerate(("240105", "240110", "240115", "240120"), start=1))
E, F, G = (_code(H33, day, n) for n, day in enumerate(("240210", "240212", "240215"), start=5))
H = "ho-so-cu-khong-ma"  # a free code, known only from its file: no received date
Y, Y2 = _code(X99, "240105", 1), _code(X99, "240301", 2)


def _principal(name: str, role: Role, agency: str) -> Principal:
    return Principal(
        kind=PrincipalKind.user,
        name=name,
        role=role,
        granted=frozenset({agency}),
        agencies=frozenset({agency}),
    )


ARCH33 = _principal("arch33", Role.archivist, H33)
ARCH99 = _principal("arch99", Role.archivist, X99)
CLERK33 = _principal("clerk33", Role.clerk, H33)


def record(
    archive: Archive,
    dossier: str,
    agency: str,
    role: DocumentRole | None,
    data: bytes,
    *,
    doc_type: DocType = DocType.khac,
    number: str | None = None,
    notation: str | None = None,
    arrived: datetime = datetime(2024, 3, 3, 9, tzinfo=UTC),
) -> Document:
    """A document archived without OCR: meta.json and ocr.json in the store, a row in the catalog."""
    digest = hashlib.sha256(data).hexdigest()
    doc_id = f"{dossier}-{digest[:12]}"
    prefix = f"{agency}/{arrived.year}/{dossier}/{doc_id}/"
    text = f"văn bản {doc_type.value}"
    ocr = archive.store.put_bytes(
        prefix + "ocr.json", OcrResult(pages=[Page(number=1, text=text)]).model_dump_json().encode()
    )
    document = Document(
        id=doc_id,
        dossier=dossier,
        agency=agency,
        source="scan.pdf",
        sha256=digest,
        size=len(data),
        pages=1,
        received_at=arrived,
        role=role,
        classification=Classification(
            doc_type=doc_type, confidence=0.9, metadata=DocumentMetadata(number=number, notation=notation)
        ),
        objects={"ocr": ocr},
    )
    meta = archive.store.put_bytes(prefix + "meta.json", document.model_dump_json().encode())
    archive.catalog.record(document, {"ocr": ocr.key, "meta": meta.key}, [text])
    return document


def entry(code: str, procedure: str, received: str, requires: bool | None, applicant: str | None = None) -> dict:
    found = {"code": code, "procedure_code": procedure, "channel": 1, "received_date": received}
    if requires is not None:
        found["requires_result"] = requires
    if applicant:
        found["applicant_id"] = applicant
    return found


@pytest.fixture(params=["sqlite", "postgresql"])
def archive(request, tmp_path, monkeypatch):
    """The embedded archive, its catalog on SQLite, then on PostgreSQL."""
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    catalog_url = request.getfixturevalue("pg_catalog_url") if request.param == "postgresql" else ""
    with Archive.open(Settings(home=tmp_path / "home", store_url="", catalog_url=catalog_url)) as opened:
        yield opened


@pytest.fixture
def registry(archive):
    """The register of the module docstring's figures (see `test_each_indicator_per_month`)."""
    entries = [
        entry(A, P1, "2024-01-05", True, ALICE),
        entry(B, P1, "2024-01-10", True),  # registered, no file yet
        entry(C, P1, "2024-01-15", True),  # a component, the result missing
        entry(D, P2, "2024-01-20", False),  # no written result in this procedure
        entry(E, P1, "2024-02-10", True, ALICE),  # reuses Alice's ID copy from A (same bytes)
        entry(F, P1, "2024-02-12", True, ALICE),  # reuses A's decision by number and notation; result missing
        entry(G, P1, "2024-02-15", True, BOB),  # the same bytes as A's ID copy, but Bob's dossier: no reuse
        entry(Y, P1, "2024-01-05", True),  # X99: registered, no file
    ]
    report = register(archive, None, enumerate(entries, start=1))
    assert not report.errors and len(report.registered) == len(entries)
    jan, feb = datetime(2024, 1, 25, tzinfo=UTC), datetime(2024, 2, 20, tzinfo=UTC)
    record(archive, A, H33, COMPONENT, b"alice id copy", arrived=jan)
    record(archive, A, H33, RESULT, b"decision for A", doc_type=DocType.quyet_dinh, number="12", notation="QĐ-UBND")
    record(archive, C, H33, COMPONENT, b"application C", arrived=jan)
    record(archive, D, H33, COMPONENT, b"application D", arrived=jan)
    record(archive, E, H33, COMPONENT, b"alice id copy", arrived=feb)
    record(archive, E, H33, RESULT, b"decision for E", arrived=feb)
    record(archive, F, H33, COMPONENT, b"a photocopy of A's decision", number="12", notation="QĐ-UBND", arrived=feb)
    record(archive, F, H33, DocumentRole.form, b"receipt F", arrived=feb)
    record(archive, G, H33, COMPONENT, b"alice id copy", arrived=feb)
    record(archive, G, H33, RESULT, b"decision for G", arrived=feb)
    record(archive, H, H33, COMPONENT, b"old file", arrived=datetime(2024, 3, 3, tzinfo=UTC))
    record(archive, Y2, X99, COMPONENT, b"x99 application", arrived=datetime(2024, 3, 4, tzinfo=UTC))
    record(archive, Y2, X99, None, b"x99 unclassified", arrived=datetime(2024, 3, 4, tzinfo=UTC))
    return archive


def _numbers(found: dict) -> tuple:
    return tuple(
        (found[code]["numerator"], found[code]["denominator"], found[code]["percent"], found[code]["points"])
        for code in ("4.1", "4.2", "4.3")
    )


# ---------------------------------------------------------------- the figures


def test_points_are_full_from_80_percent_and_proportional_below():
    assert figures.figure(4, 5, 6) == {"numerator": 4, "denominator": 5, "percent": 80.0, "points": 6.0}
    assert figures.figure(9, 10, 4)["points"] == 4.0  # over 80 %: capped at the full points
    assert figures.figure(79, 100, 6)["points"] == 5.93  # 0.79 × 6 / 0.8 = 5.925
    assert figures.figure(1, 3, 2) == {"numerator": 1, "denominator": 3, "percent": 33.33, "points": 0.83}
    assert figures.figure(0, 0, 6) == {"numerator": 0, "denominator": 0, "percent": None, "points": None}


def test_each_indicator_per_month(registry):
    data = figures.indicators(registry, ARCH33, period="month", year=2024)
    assert data["periods"] == ["2024-01", "2024-02", "2024-03"]
    total = data["total"]
    # January, A B C D: 4.1 A of A B C (B has no file, C no result); 4.2 A and D of four; 4.3 nothing reused.
    assert _numbers(total["2024-01"]) == ((1, 3, 33.33, 2.5), (2, 4, 50.0, 2.5), (0, 4, 0.0, 0.0))
    # February, E F G: 4.1 E and G; 4.2 E and G (F's result missing); 4.3 E (bytes) and F (number+notation), not G.
    assert _numbers(total["2024-02"]) == ((2, 3, 66.67, 5.0), (2, 3, 66.67, 3.33), (2, 3, 66.67, 1.67))
    # March, H known only from its file: no result required (unknown), digitised, no received date (not in 4.3).
    assert _numbers(total["2024-03"]) == ((0, 0, None, None), (1, 1, 100.0, 4.0), (0, 0, None, None))
    assert _numbers(total["all"]) == ((3, 6, 50.0, 3.75), (5, 8, 62.5, 3.13), (2, 7, 28.57, 0.71))
    assert data["dossiers"] == 8
    assert set(data["by_agency"]) == {H33} and data["by_agency"][H33]["all"] == total["all"]
    assert _numbers(data["by_procedure"][P1]["2024-01"])[:2] == ((1, 3, 33.33, 2.5), (1, 3, 33.33, 1.67))
    assert _numbers(data["by_procedure"][P2]["2024-01"])[:2] == ((0, 0, None, None), (1, 1, 100.0, 4.0))
    assert _numbers(data["by_procedure"][""]["2024-03"])[1] == (1, 1, 100.0, 4.0)  # H: procedure unknown


def test_quarters_add_up_the_months(registry):
    data = figures.indicators(registry, ARCH33, period="quarter")
    assert data["periods"] == ["2024-Q1"]
    assert data["total"]["2024-Q1"] == data["total"]["all"]
    assert _numbers(data["total"]["2024-Q1"]) == ((3, 6, 50.0, 3.75), (5, 8, 62.5, 3.13), (2, 7, 28.57, 0.71))
    assert figures.indicators(registry, ARCH33, period="quarter", year=2023)["periods"] == []


def test_a_user_sees_no_figure_of_another_agency(registry):
    theirs = figures.indicators(registry, ARCH99)
    # Y registered without a file (January, result due), Y2 from its files (received 2024-03-01, by its code).
    assert _numbers(theirs["total"]["2024-01"]) == ((0, 1, 0.0, 0.0), (0, 1, 0.0, 0.0), (0, 1, 0.0, 0.0))
    assert _numbers(theirs["total"]["2024-03"]) == ((0, 0, None, None), (1, 1, 100.0, 4.0), (0, 1, 0.0, 0.0))
    assert set(theirs["by_agency"]) == {X99} and theirs["dossiers"] == 2
    assert H33 not in json.dumps(theirs)
    # Asking for the other agency by name gives nothing either.
    assert figures.indicators(registry, ARCH99, agency=H33)["dossiers"] == 0
    # The server's own view (a command) counts both.
    everything = figures.indicators(registry, None)
    assert everything["dossiers"] == 10 and set(everything["by_agency"]) == {H33, X99}


def test_reuse_is_the_same_looked_up_by_codes_in_chunks_or_over_everything(registry, monkeypatch):
    import catalog.indicators

    expected = figures.indicators(registry, ARCH33)["total"]
    monkeypatch.setattr(catalog.indicators, "_CHUNK", 1)  # one code per lookup
    assert figures.indicators(registry, ARCH33)["total"] == expected
    monkeypatch.setattr(figures, "REUSE_BY_CODES", 0)  # every dossier at once, narrowed afterwards
    assert figures.indicators(registry, ARCH33)["total"] == expected
    assert expected["all"]["4.3"]["numerator"] == 2


def test_procedure_filter_and_exports(registry):
    data = figures.indicators(registry, ARCH33, procedure=P2)
    assert data["dossiers"] == 1 and set(data["by_procedure"]) == {P2}
    rows = list(csv.reader(io.StringIO(figures.indicators_csv(data).decode("utf-8-sig"))))
    assert rows[0][:4] == ["Cấp", "Mã", "Tên cơ quan", "Kỳ"] and "4.1 Điểm (tối đa 6)" in rows[0]
    total_january = next(row for row in rows[1:] if row[0] == "Tổng" and row[3] == "2024-01")
    assert total_january[4:8] == ["0", "0", "N/A", "N/A"] and total_january[8:12] == ["1", "1", "100.0", "4.0"]
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(figures.indicators_xlsx(data)))
    sheet = book.active
    assert sheet.title == "Chỉ tiêu số hoá" and sheet.max_row == len(rows)


def test_reuse_is_shown_per_document(registry):
    e_copy = next(item for item in registry.catalog.dossier_documents(E) if item.role is COMPONENT)
    f_copy = next(item for item in registry.catalog.dossier_documents(F) if item.role is COMPONENT)
    g_copy = next(item for item in registry.catalog.dossier_documents(G) if item.role is COMPONENT)
    a_copy = next(item for item in registry.catalog.dossier_documents(A) if item.role is COMPONENT)
    by_bytes = figures.document_reuse(registry, ARCH33, e_copy.id)
    assert by_bytes == {"reused": True, "from_dossier": A, "by": "sha256", "vi": f"Tái sử dụng từ hồ sơ {A}"}
    assert figures.document_reuse(registry, ARCH33, f_copy.id)["by"] == "number_notation"
    assert not figures.document_reuse(registry, ARCH33, g_copy.id)["reused"]  # Bob's, not Alice's
    assert not figures.document_reuse(registry, ARCH33, a_copy.id)["reused"]  # the earliest is not reused
    with pytest.raises(NotFound):
        figures.document_reuse(registry, ARCH99, e_copy.id)


# ---------------------------------------------------------------- roles


def test_a_label_rederives_the_role_unless_a_person_set_it(archive):
    from archive.labels import label_document

    document = record(archive, A, H33, None, b"first", doc_type=DocType.khac)
    labelled = label_document(archive.catalog, archive.store, document.id, DocType.quyet_dinh, "lan", DEFAULT_ROLE_MAP)
    assert labelled.role is RESULT and archive.catalog.get(document.id).role is RESULT
    assert labelled.events[-1].type is EventType.role_set and labelled.events[-1].agent == "lan"
    changed = set_role(archive, ARCH33, document.id, "component")
    assert changed.role is COMPONENT and changed.role_set_by == "arch33"
    again = label_document(archive.catalog, archive.store, document.id, DocType.giay_phep, "lan", DEFAULT_ROLE_MAP)
    assert again.role is COMPONENT  # the archivist's choice stays
    stored = Document.model_validate_json(archive.store.get_bytes(f"{H33}/2024/{A}/{document.id}/meta.json"))
    assert stored.role is COMPONENT and stored.role_set_by == "arch33"
    # A type with no default role (khac) gets none: never a guess.
    unknown = record(archive, A, H33, None, b"second")
    assert not derive_role(unknown, DEFAULT_ROLE_MAP, "sohoa") and unknown.role is None


def test_set_role_is_scoped_and_for_archivists(archive):
    document = record(archive, A, H33, None, b"scoped")
    with pytest.raises(NotFound):
        set_role(archive, ARCH99, document.id, "result")
    with pytest.raises(Forbidden):
        set_role(archive, CLERK33, document.id, "result")
    with pytest.raises(NotFound):
        set_role(archive, ARCH33, "no-such-document", "result")
    assert archive.catalog.get(document.id).role is None


def test_roles_and_the_register_survive_a_rebuild_from_the_store(registry):
    from archive.reindex import rebuild_catalog
    from catalog.records import Catalog

    document = record(registry, D, H33, None, b"late")
    set_role(registry, ARCH33, document.id, "result")
    before = figures.indicators(registry, None)
    fresh = Catalog(f"sqlite:///{registry.settings.home_dir / 'rebuilt.db'}")
    try:
        rebuild_catalog(registry.store, fresh)
        assert fresh.get(document.id).role is RESULT
        assert fresh.get_dossier(B).requires_result is True and fresh.get_dossier(B).registered_at is not None
        registry._catalog, kept = fresh, registry._catalog
        after = figures.indicators(registry, None)
    finally:
        registry._catalog = kept
        fresh.close()
    assert after["total"] == before["total"]


# ---------------------------------------------------------------- the register


def _write_csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        csv.writer(out).writerows(rows)
    return path


def test_import_reports_bad_rows_keeps_good_ones_and_is_idempotent(archive, tmp_path):
    rows = [
        ["Mã hồ sơ", "Mã thủ tục", "Kênh", "Ngày tiếp nhận", "Có kết quả", "Số định danh"],
        [A, P1, "Trực tiếp", "05/01/2024", "Có", ALICE],  # row 2: good
        ["not a code/..", P1, "1", "2024-01-05", "Có", ""],  # row 3: bad code
        [B, P1, "9", "2024-01-10", "Có", ""],  # row 4: bad channel
        [C, P1, "2", "2024-13-45", "Có", ""],  # row 5: bad date
        [D, P1, "3", "2024-01-20", "có lẽ", ""],  # row 6: bad yes/no
        [E, P1, "2", "2024-02-10", "Không", "12ab"],  # row 7: bad applicant ID (never echoed)
        ["ho-so-tu-do", P1, "2", "2024-02-10", "", ""],  # row 8: no agency in a free code
        [F, "1.23", "2", "2024-02-12", "", ""],  # row 9: bad procedure code
        [],
        [G, P2, "Bưu chính", "2024-02-15", "Không", ""],  # row 11: good
        [G, P2, "Bưu chính", "2024-02-15", "Không", ""],  # row 12: the same code again
    ]
    source = _write_csv(tmp_path / "so-dang-ky.csv", rows)
    report = import_file(archive, source)
    assert report.registered == [A, G]
    errors = {error.row: error.failure.code for error in report.errors}
    assert errors == {
        3: "invalid_dossier_code",
        4: "invalid_channel",
        5: "invalid_date",
        6: "invalid_requires_result",
        7: "invalid_applicant_id",
        8: "dossier_code_without_agency",
        9: "invalid_procedure_code",
        12: "duplicate_entry",
    }
    assert all(error.text().startswith(f"Dòng {error.row}, cột ") for error in report.errors)
    assert "12ab" not in json.dumps(report.as_json(), ensure_ascii=False)
    kept = archive.catalog.get_dossier(A)
    assert (kept.channel, kept.received_date, kept.requires_result, kept.applicant_id) == (
        1,
        date(2024, 1, 5),
        True,
        ALICE,
    )
    assert archive.catalog.get_dossier(G).channel == 3
    again = import_file(archive, source)
    assert again.registered == again.updated == [] and again.unchanged == [A, G]
    assert archive.catalog.get_dossier(A).registered_at == kept.registered_at


def test_import_of_an_english_xlsx(archive, tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["dossier_code", "procedure_code", "channel", "received_date", "requires_result", "applicant_id"])
    sheet.append([A, P1, 2, datetime(2024, 1, 5), True, ALICE])
    sheet.append([B, P1, "online", date(2024, 1, 10), "no", 1099000123])  # a number cell lost the leading zeros
    book.save(tmp_path / "register.xlsx")
    report = import_file(archive, tmp_path / "register.xlsx")
    assert report.registered == [A]
    assert [(error.row, error.failure.code) for error in report.errors] == [(3, "invalid_applicant_id")]
    assert "văn bản" in report.errors[0].failure.detail  # says to format the column as text
    assert archive.catalog.get_dossier(A).received_date == date(2024, 1, 5)


def test_the_import_command_says_each_bad_row_without_a_traceback(sohoa_home, tmp_path):
    rows = [["Mã hồ sơ", "Kênh"], [A, "1"], [B, "bốn"]]
    source = _write_csv(tmp_path / "so.csv", rows)
    done = run_sohoa("dossiers", "import", str(source), "--json")
    assert done.returncode == 1
    assert json.loads(done.stdout)["registered"] == [A]
    assert "Dòng 3, cột Kênh: Kênh không hợp lệ" in done.stderr
    unreadable = run_sohoa("dossiers", "import", str(_write_csv(tmp_path / "x.csv", [["a", "b"], ["1", "2"]])))
    assert unreadable.returncode == 1 and "Mã hồ sơ" in unreadable.stderr


# ---------------------------------------------------------------- the API


@pytest.fixture
def app(registry):
    from archive.access import add_user, create_token
    from web.app import create_app

    application = create_app(registry.settings)
    application.state.archive.close()
    application.state.archive = registry
    for name, role, agency in (("clerk33", "clerk", H33), ("arch33", "archivist", H33), ("arch99", "archivist", X99)):
        add_user(registry, name, role, [agency], PASSWORD)
    _, token = create_token(registry, "one-stop-shop", "clerk", [H33])
    application.state.token = token
    return application


def _client(app, user: str) -> TestClient:
    client = TestClient(app)
    if user == "token":
        client.headers["authorization"] = f"Bearer {app.state.token}"
        return client
    answer = client.post("/api/login", json={"username": user, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    client.headers["x-csrf-token"] = answer.json()["csrf_token"]
    return client


def test_api_registers_dossiers_of_the_callers_agencies_only(app):
    clerk = _client(app, "clerk33")
    new = _code(H33, "240301", 9)
    answer = clerk.post("/api/dossiers", json={"code": new, "channel": 2, "received_date": "2024-03-01"})
    assert answer.status_code == 200 and answer.json()["registered"] == [new]
    refused = clerk.post("/api/dossiers", json=[{"code": _code(H33, "240302", 1)}, {"code": _code(X99, "240302", 1)}])
    assert refused.status_code == 403 and refused.json()["code"] == "agency_not_granted"
    assert app.state.archive.catalog.get_dossier(_code(H33, "240302", 1)) is None  # nothing of it written
    listed = _client(app, "token").post(
        "/api/dossiers", json=[{"Mã hồ sơ": _code(H33, "240303", 1), "Kênh": "Bưu chính"}, {"code": "bad/code"}]
    )
    assert listed.status_code == 200
    assert listed.json()["registered"] == [_code(H33, "240303", 1)]
    assert listed.json()["errors"][0]["row"] == 2 and listed.json()["errors"][0]["code"] == "invalid_dossier_code"
    bad = clerk.post("/api/dossiers", json={"code": new, "applicant_id": "12ab"})
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_applicant_id" and "12ab" not in bad.text
    assert TestClient(app).post("/api/dossiers", json={"code": new}).status_code == 401
    no_csrf = TestClient(app)
    no_csrf.post("/api/login", json={"username": "clerk33", "password": PASSWORD})
    assert no_csrf.post("/api/dossiers", json={"code": new}).json()["code"] == "csrf_refused"


def test_api_sets_roles_and_serves_the_indicators(app):
    document = next(item for item in app.state.archive.catalog.dossier_documents(C) if item.role is COMPONENT)
    url = f"/api/documents/{document.id}/role"
    archivist, clerk, other = _client(app, "arch33"), _client(app, "clerk33"), _client(app, "arch99")
    assert other.put(url, json={"role": "result"}).status_code == 404
    assert clerk.put(url, json={"role": "result"}).status_code == 403
    assert archivist.put(url, json={"role": "nonsense"}).json()["code"] == "unknown_role"
    answer = archivist.put(url, json={"role": "form"})
    assert answer.status_code == 200 and answer.json() == {"id": document.id, "role": "form", "set_by": "arch33"}
    assert archivist.get(f"/api/documents/{document.id}").json()["role"] == "form"
    january = archivist.get("/api/indicators", params={"period": "month", "year": 2024}).json()["total"]["2024-01"]
    assert january["4.2"]["numerator"] == 2  # C still has no result: its component becoming a form changes nothing
    theirs = other.get("/api/indicators").json()
    assert H33 not in json.dumps(theirs)
    csv_answer = archivist.get("/api/indicators", params={"format": "csv", "period": "quarter"})
    assert csv_answer.status_code == 200 and csv_answer.headers["content-type"].startswith("text/csv")
    assert "2024-Q1" in csv_answer.content.decode("utf-8-sig")
    assert archivist.get("/api/indicators", params={"format": "xlsx"}).content[:2] == b"PK"
    assert archivist.get("/api/indicators", params={"period": "week"}).status_code == 400
    e_copy = next(item for item in app.state.archive.catalog.dossier_documents(E) if item.role is COMPONENT)
    assert archivist.get(f"/api/documents/{e_copy.id}").json()["reuse"]["from_dossier"] == A


def test_ingest_gives_a_document_its_types_role(archive, sample_dossier, tmp_path):
    from archive.ingest import ingest_paths

    folder, documents = sample_dossier
    receipt = next(item for item in documents if item.doc_type == "giay_tiep_nhan")
    target = tmp_path / "scans" / A
    target.mkdir(parents=True)
    (target / f"01{receipt.path.suffix}").write_bytes(receipt.path.read_bytes())
    [report] = ingest_paths([str(target)], agency=H33, archive=archive)
    assert report.status == "archived" and report.doc_type is DocType.giay_tiep_nhan
    stored = archive.catalog.get(report.id)
    assert stored.role is DocumentRole.form and stored.role_set_by is None
    assert [event.type for event in stored.events if event.type is EventType.role_set] == [EventType.role_set]


def test_an_older_catalog_gets_the_role_column_filled_from_its_documents(archive):
    if archive.settings.catalog_url:
        pytest.skip("catalogs from before migrations are SQLite ones")
    import sqlite3

    from _legacy import as_before_migrations, migrated

    document = record(archive, A, H33, RESULT, b"before roles")
    path = archive.settings.home_dir / "catalog.db"
    archive.close()
    with sqlite3.connect(path) as connection:  # as a catalog made before roles existed
        for index in ("ix_documents_roles", "ix_documents_number_notation"):
            connection.execute(f"DROP INDEX {index}")
        connection.execute("ALTER TABLE documents DROP COLUMN role")
    as_before_migrations(path)
    reopened = migrated(path)
    try:
        with reopened.engine.connect() as connection:
            found = connection.exec_driver_sql("SELECT role FROM documents WHERE id = ?", (document.id,)).scalar()
        assert found == "result"
    finally:
        reopened.close()
