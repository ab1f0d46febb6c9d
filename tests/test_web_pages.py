"""The web pages (web.pages) against the real app (FastAPI's TestClient on create_app, a folder store and SQLite in
a temporary SOHOA_HOME): documents recorded straight into the catalog with their ocr.json in the store, users made
with archive.access.add_user; no OCR. Every page for every role, the masking of citizen IDs, CSRF on every form,
another agency's record as the 404 page, the query's words boxed on the page image. The routes are read from the
pages router itself: a new page without an entry in PAGES fails `test_every_page_has_an_expectation`."""

from __future__ import annotations

import hashlib
import re
from datetime import date
from functools import partial
from html.parser import HTMLParser

import pytest
from _catalogs import app_catalog_url
from fastapi.testclient import TestClient

from schemas import Classification, Document, DocumentMetadata, OcrResult
from schemas.doctypes import DocType
from schemas.models import Page, Word
from schemas.settings import Settings

H33 = "000.00.00.H33"
X99 = "000.00.00.X99"
DOSSIER = "000.00.00.H33-240105-0001"
X99_DOSSIER = "000.00.00.X99-240105-0001"
PASSWORD = "mật-khẩu-thử-7c2e"
CITIZEN_ID = "001099000123"
MASKED = "001******123"
DECISION_TEXT = "ỦY BAN NHÂN DÂN\nQUYẾT ĐỊNH\nVề việc giao đất cho hộ gia đình"
APPLICATION_TEXT = f"ĐƠN ĐỀ NGHỊ\nHọ và tên: công dân, số CCCD {CITIZEN_ID}, xin giao đất"
ROLES = {
    "clerk33": ("clerk", H33, False),
    "arch33": ("archivist", H33, False),
    "pii33": ("archivist", H33, True),
    "admin33": ("admin", H33, False),
    "arch99": ("archivist", X99, False),
}


def _words(text: str, width: int = 1000, line_height: int = 40) -> list[Word]:
    """Boxes laid out like a page: each line of `text` on its row, each word 10 px per character."""
    found = []
    for line_number, line in enumerate(text.splitlines()):
        left = 50
        for word in line.split():
            found.append(
                Word(text=word, confidence=90, box=(left, 100 + line_number * line_height, 10 * len(word), 30))
            )
            left += 10 * len(word) + 10
    return found


def _record(archive, doc_id: str, dossier: str, agency: str, doc_type: DocType, text: str, **metadata) -> Document:
    ocr = OcrResult(pages=[Page(number=1, text=text, width=1000, height=1400, words=_words(text))])
    data = ocr.model_dump_json().encode()
    stored = archive.store.put_bytes(
        f"{agency}/2024/{dossier}/{doc_id}/ocr.json", data, content_type="application/json"
    )
    document = Document(
        id=doc_id,
        dossier=dossier,
        agency=agency,
        source="Nguyen Van An - don.pdf",  # a citizen's name: never shown
        sha256=hashlib.sha256(text.encode()).hexdigest(),
        size=len(text),
        pages=1,
        ordinal=1 if doc_type is DocType.quyet_dinh else 2,
        classification=Classification(
            doc_type=doc_type, confidence=0.9, title=doc_type.value, metadata=DocumentMetadata(**metadata)
        ),
        objects={"ocr": stored},
    )
    meta = archive.store.put_bytes(f"{agency}/2024/{dossier}/{doc_id}/meta.json", document.model_dump_json().encode())
    archive.catalog.record(document, {"ocr": stored.key, "meta": meta.key}, [text])
    return document


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def app(request, tmp_path_factory):
    from archive.access import add_user
    from archive.ingest import ingest_paths
    from web.app import create_app

    home = tmp_path_factory.mktemp("pages-home")
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("PREFECT_API_URL", raising=False)
        settings = Settings(home=home, store_url="", catalog_url=app_catalog_url(request))
        application = create_app(settings)
        # Uploads are ingested in this process, as on a site without a Prefect server: another test may have left
        # Prefect's session-wide test harness running, which dispatch would otherwise send the files to.
        application.state.ingest = partial(ingest_paths, settings=settings)
        archive = application.state.archive
        _record(archive, "decision0000000000h33", DOSSIER, H33, DocType.quyet_dinh, DECISION_TEXT, subject="Giao đất")
        _record(
            archive,
            "application000000h33",
            DOSSIER,
            H33,
            DocType.don,
            APPLICATION_TEXT,
            subject=f"Đơn của công dân {CITIZEN_ID}",
            citizen_ids=[CITIZEN_ID],
        )
        _record(archive, "receipt0000000000x99", X99_DOSSIER, X99, DocType.giay_tiep_nhan, "GIẤY TIẾP NHẬN giao đất")
        for name, (role, agency, pii) in ROLES.items():
            add_user(archive, name, role, [agency], PASSWORD, pii)
        yield application
        archive.close()


def _client(app, user: str | None) -> TestClient:
    client = TestClient(app, follow_redirects=False)
    if user is not None:
        answer = client.post("/login", data={"username": user, "password": PASSWORD, "next": "/"})
        assert answer.status_code == 303, answer.text
    return client


@pytest.fixture(scope="module")
def clients(app):
    return {name: _client(app, name) for name in ROLES}


def _csrf(client: TestClient) -> str:
    return client.cookies.get("sohoa_csrf") or ""


# ---------------------------------------------------------------- every page, every role

OWN_DOC = "/documents/decision0000000000h33"
PII_DOC = "/documents/application000000h33"
OTHER_DOC = "/documents/receipt0000000000x99"
# Each page: the statuses per user (the X99 archivist's own agency is X99: H33's records are 404 to them).
READ = {"clerk33": 200, "arch33": 200, "pii33": 200, "admin33": 200, "arch99": 200}
PAGES: dict[tuple[str, str], dict[str, str | dict[str, int]]] = {
    ("GET", "/login"): {"path": "/login", "expect": dict.fromkeys(ROLES, 303)},
    ("POST", "/login"): {"path": "", "expect": {}},  # its own tests below
    ("POST", "/logout"): {"path": "", "expect": {}},  # CSRF test below
    ("GET", "/"): {"path": "/", "expect": READ},
    ("GET", "/search"): {"path": "/search?q=quyet+dinh&type=quyet_dinh&year=2024", "expect": READ},
    ("GET", "/documents/{doc_id}"): {"path": OWN_DOC + "?q=giao+dat", "expect": {**READ, "arch99": 404}},
    ("GET", "/dossiers/{code}"): {"path": f"/dossiers/{DOSSIER}", "expect": {**READ, "arch99": 404}},
    ("POST", "/dossiers/{code}"): {"path": "", "expect": {}},
    ("GET", "/review"): {"path": "/review", "expect": READ},
    ("POST", "/review/{doc_id}/label"): {"path": "", "expect": {}},
    ("POST", "/documents/{doc_id}/role"): {"path": "", "expect": {}},  # its own test below
    ("POST", "/documents/{doc_id}/fields"): {"path": "", "expect": {}},
    ("POST", "/documents/{doc_id}/certify"): {"path": "", "expect": {}},  # tests/test_web_certify.py
    ("POST", "/documents/{doc_id}/certified/verify"): {"path": "", "expect": {}},  # tests/test_web_certify.py
    ("POST", "/dossiers/{code}/certify"): {"path": "", "expect": {}},  # tests/test_web_certify.py
    ("GET", "/upload"): {"path": "/upload", "expect": {**READ, "admin33": 403}},
    ("POST", "/upload"): {"path": "", "expect": {}},
    ("GET", "/stats"): {"path": "/stats", "expect": READ},
    ("GET", "/admin"): {"path": "/admin", "expect": {name: 200 if name == "admin33" else 403 for name in ROLES}},
}


def test_every_page_has_an_expectation():
    from web.admin_pages import router as admin_router
    from web.pages import router

    routes = {(method, route.path) for route in router.routes for method in route.methods}  # type: ignore[attr-defined]
    assert routes == set(PAGES) - {("GET", "/admin")}, "a page without an entry in PAGES (and its tests)"
    assert ("GET", "/admin") in {(method, route.path) for route in admin_router.routes for method in route.methods}  # type: ignore[attr-defined]


@pytest.mark.parametrize("user", sorted(ROLES))
def test_each_page_answers_each_role(clients, user):
    for (method, _), page in PAGES.items():
        if method != "GET" or not page["expect"]:
            continue
        answer = clients[user].get(str(page["path"]))
        expected = page["expect"][user]  # type: ignore[index]
        assert answer.status_code == expected, (page["path"], user, answer.text[:300])
        if expected != 303:
            assert answer.headers["content-type"].startswith("text/html"), page["path"]
            assert '<html lang="vi">' in answer.text
            assert "Traceback" not in answer.text
            title = re.search(r"<title>(.*?)</title>", answer.text, re.S)
            assert title and "<" not in title[1] and len(title[1]) < 200, (page["path"], title)


def test_not_signed_in_every_page_sends_to_the_login_page(app):
    anonymous = _client(app, None)
    for (method, _), page in PAGES.items():
        if method != "GET" or page["path"] in ("", "/login"):
            continue
        answer = anonymous.get(str(page["path"]))
        assert answer.status_code == 303, page["path"]
        assert answer.headers["location"].startswith("/login?next=%2F"), page["path"]
    page = anonymous.get("/login")
    assert page.status_code == 200 and "Đăng nhập" in page.text
    assert anonymous.get("/static/sohoa.css").status_code == 200


def test_sign_in_failure_is_named_in_vietnamese_and_next_stays_on_this_site(app):
    client = _client(app, None)
    answer = client.post("/login", data={"username": "arch33", "password": "sai-mat-khau-123"})
    assert answer.status_code == 401 and "sohoa_session" not in answer.cookies
    assert 'role="alert"' in answer.text
    answer = client.post("/login", data={"username": "arch33", "password": PASSWORD, "next": "//evil.example/x"})
    assert answer.status_code == 303 and answer.headers["location"] == "/"
    assert client.cookies.get("sohoa_session")


# ---------------------------------------------------------------- scoping and personal data


def test_another_agencys_document_is_the_404_page_and_is_never_found(clients):
    for path in (OTHER_DOC, "/documents/no-such-document", f"/dossiers/{X99_DOSSIER}"):
        answer = clients["arch33"].get(path)
        assert answer.status_code == 404 and "Không tìm thấy" in answer.text
    assert clients["arch99"].get(OWN_DOC).text == clients["arch99"].get("/documents/no-such-document").text
    found = clients["arch99"].get("/search?q=giao+dat").text
    assert "receipt0000000000x99" in found and "decision0000000000h33" not in found
    assert "decision0000000000h33" in clients["arch33"].get("/search?q=giao+dat").text


def test_citizen_ids_are_masked_in_every_page_for_users_without_the_right(clients):
    pages = [PII_DOC, "/search?q=giao+dat", f"/dossiers/{DOSSIER}", "/review"]
    for path in pages:
        masked = clients["arch33"].get(path)
        assert masked.status_code == 200, path
        assert CITIZEN_ID not in masked.text, path
        assert "Nguyen Van An" not in masked.text, path  # the received file's name is never shown
    assert MASKED in clients["arch33"].get(PII_DOC).text
    # The scan cannot be masked: no page image, no download link for them; the right shows both.
    restricted = clients["arch33"].get(PII_DOC).text
    assert "/pages/1.png" not in restricted and "archive.pdf" not in restricted
    full = clients["pii33"].get(PII_DOC).text
    assert CITIZEN_ID in full and "/pages/1.png" in full
    clients["admin33"].get("/search?q=" + CITIZEN_ID)  # a search's query is logged: admin pages mask it too
    assert CITIZEN_ID not in clients["admin33"].get("/admin").text


# ---------------------------------------------------------------- highlights


def test_the_querys_words_are_boxed_on_the_page_image_from_the_ocr_word_boxes(app, clients):
    from archive.access import principal_for
    from archive.words import page_word_boxes

    archive = app.state.archive
    principal = principal_for(archive, "arch33")
    # Without diacritics, folded on both sides: QUYẾT and ĐỊNH on line 2, and the đình of "gia đình" on line 3.
    boxes = page_word_boxes(archive, principal, "decision0000000000h33", 1, "quyet dinh")
    expected = [
        (0.05, 140 / 1400, 0.05, 30 / 1400),
        (0.11, 140 / 1400, 0.04, 30 / 1400),
        (0.33, 180 / 1400, 0.04, 30 / 1400),
    ]
    assert [pytest.approx(box) for box in boxes] == expected
    assert len(page_word_boxes(archive, principal, "decision0000000000h33", 1, '"giao dat" -nhap type:quyet_dinh')) == 2
    assert page_word_boxes(archive, principal, "decision0000000000h33", 1, "type:quyet_dinh") == []
    assert len(page_word_boxes(archive, principal, "decision0000000000h33", 1, "gia*")) == 2  # giao, gia (đình)
    other = principal_for(archive, "arch99")
    from schemas.access import NotFound

    with pytest.raises(NotFound):
        page_word_boxes(archive, other, "decision0000000000h33", 1, "quyet dinh")

    page = clients["arch33"].get(OWN_DOC + "?q=quyet+dinh&page=1").text
    drawn = re.findall(r'class="word-box" style="left:([\d.]+)%;top:([\d.]+)%', page)
    assert drawn == [("5.000", "10.000"), ("11.000", "10.000"), ("33.000", "12.857")]
    assert "<mark>QUYẾT</mark> <mark>ĐỊNH</mark>" in page  # and in the OCR text beside it
    hits = clients["arch33"].get("/search?q=quyet+dinh").text
    assert "<mark>" in hits and "?q=quyet+dinh&amp;page=1" in hits


# ---------------------------------------------------------------- forms and CSRF


class _Forms(HTMLParser):
    """Every <form method=post> of a page and the names of its hidden inputs."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict] = []

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if tag == "form" and (values.get("method") or "").lower() == "post":
            self.forms.append({"action": values.get("action"), "hidden": {}})
        elif tag == "input" and self.forms and values.get("type") == "hidden":
            self.forms[-1]["hidden"][values.get("name")] = values.get("value")


def test_every_form_carries_the_sessions_csrf_token(clients):
    for user in ROLES:
        for (method, _), page in PAGES.items():
            if method != "GET" or page["path"] in ("", "/login") or page["expect"][user] != 200:  # type: ignore[index]
                continue
            parser = _Forms()
            parser.feed(clients[user].get(str(page["path"])).text)
            assert parser.forms, page["path"]  # at least the sign-out form
            for form in parser.forms:
                assert form["hidden"].get("csrf_token") == _csrf(clients[user]), (user, page["path"], form["action"])


def test_every_form_is_refused_without_its_csrf_token(app):
    client = _client(app, "arch33")
    posts = [
        ("/logout", {}, None),
        (f"/dossiers/{DOSSIER}", {"title": "Hồ sơ giao đất"}, None),
        ("/review/decision0000000000h33/label", {"doc_type": "quyet_dinh"}, None),
        ("/upload", {"dossier": DOSSIER, "agency": H33}, {"files": ("a.pdf", b"%PDF-1.4 broken", "application/pdf")}),
    ]
    for path, data, files in posts:
        for token in ("", "wrong-token"):
            answer = client.post(path, data={**data, "csrf_token": token}, files=files)
            assert answer.status_code == 403, (path, token)
            assert "CSRF" in answer.text
    assert client.get("/dossiers/" + DOSSIER).status_code == 200  # still signed in: the refused sign-out did nothing
    assert "Hồ sơ giao đất" not in client.get("/dossiers/" + DOSSIER).text


def test_forms_with_the_token_do_their_work(app):
    client = _client(app, "arch33")
    token = _csrf(client)
    saved = client.post(f"/dossiers/{DOSSIER}", data={"title": "Hồ sơ giao đất", "csrf_token": token})
    assert saved.status_code == 200 and "Đã lưu" in saved.text and "Hồ sơ giao đất" in saved.text
    labelled = client.post("/review/decision0000000000h33/label", data={"doc_type": "quyet_dinh", "csrf_token": token})
    assert labelled.status_code == 303 and labelled.headers["location"].startswith("/review?done=")
    assert "decision0000000000h33" not in client.get("/review").text  # confirmed: out of the queue
    clerk = _client(app, "clerk33")
    refused = clerk.post("/review/application000000h33/label", data={"doc_type": "don", "csrf_token": _csrf(clerk)})
    assert refused.status_code == 403  # clerks do not label
    out = client.post("/logout", data={"csrf_token": token})
    assert out.status_code == 303 and out.headers["location"] == "/login"
    assert client.get("/review").status_code == 303


def test_upload_shows_a_bad_files_reason_in_vietnamese(app):
    clerk = _client(app, "clerk33")
    answer = clerk.post(
        "/upload",
        data={"dossier": "000.00.00.H33-240106-0001", "agency": H33, "csrf_token": _csrf(clerk)},
        files=[("files", ("hong.pdf", b"%PDF-1.4 this is not a PDF at all", "application/pdf"))],
    )
    assert answer.status_code == 200, answer.text[:500]
    assert "Bị cách ly" in answer.text and "status-quarantined" in answer.text
    failure = re.search(r"<td>([^<]*)</td></tr>", answer.text.split("status-quarantined", 1)[1])
    assert failure and failure.group(1).strip(), "the quarantined file's Vietnamese reason"
    other = clerk.post(
        "/upload",
        data={"dossier": X99_DOSSIER, "agency": X99, "csrf_token": _csrf(clerk)},
        files=[("files", ("a.pdf", b"%PDF-1.4", "application/pdf"))],
    )
    assert other.status_code == 403 and "không được nộp" in other.text


def test_the_review_form_fills_the_fields_extraction_left_empty_and_search_finds_them(app):
    client = _client(app, "arch33")
    doc = "application000000h33"
    answer = client.post(
        f"/review/{doc}/label",
        data={
            "doc_type": "don",
            "number": "15",
            "notation": "ĐĐ-UBND",
            "issued_date": "07/06/2023",
            "issuer": "UBND xã Tân Lập",
            "subject": "Đơn xin giao đất",
            "csrf_token": _csrf(client),
        },
    )
    assert answer.status_code == 303
    stored = app.state.archive.catalog.get(doc)
    fields = stored.classification.metadata
    assert (fields.number, fields.notation, fields.issued_date) == ("15", "ĐĐ-UBND", date(2023, 6, 7))
    assert (fields.issuer, fields.subject) == ("UBND xã Tân Lập", "Đơn xin giao đất")
    assert fields.confidence["number"] == fields.confidence["issued_date"] == 1.0  # typed by a person
    assert stored.classification.confirmed_by == "arch33"
    described = [event for event in stored.events if event.type.value == "described"]
    assert described and "Đơn xin" not in described[-1].detail  # the event names fields, never their values
    for query in ("kyhieu:15/ĐĐ-UBND", 'coquan:"ubnd xa tan lap"', "ngay:7/6/2023"):  # the search columns follow
        assert f"/documents/{doc}" in client.get("/search", params={"q": query}).text, query


def test_a_wrong_field_in_the_review_form_writes_nothing_and_says_why_in_vietnamese(app):
    client = _client(app, "arch33")
    doc = "decision0000000000h33"
    before = app.state.archive.catalog.get(doc)
    for date_typed in ("31/02/2024", "07/06/2999", "hôm qua"):
        answer = client.post(
            f"/review/{doc}/label",
            data={"doc_type": "giay_phep", "number": "99", "issued_date": date_typed, "csrf_token": _csrf(client)},
        )
        assert answer.status_code == 400, date_typed
        assert "Ngày ban hành" in answer.text and "Traceback" not in answer.text
    after = app.state.archive.catalog.get(doc)
    assert after.classification.metadata == before.classification.metadata
    assert after.doc_type == before.doc_type  # the type was not changed either


def test_review_field_rules():
    from archive.fields import InvalidFieldValue, UnknownField, checked_changes, parse_issued_date

    today = date(2026, 11, 29)
    assert parse_issued_date("7/6/2023", today) == date(2023, 6, 7)
    assert parse_issued_date("07.06.2023", today) == date(2023, 6, 7)
    assert parse_issued_date("2023-06-07", today) == date(2023, 6, 7)
    for wrong in ("2023-02-30", "30/11/2026 ", "30/11/2027", "1/1/1900", "tháng 6"):
        with pytest.raises(InvalidFieldValue):
            parse_issued_date(wrong, today)
    assert checked_changes({"issuer": "  UBND   tỉnh  ", "number": ""}) == {"issuer": "UBND tỉnh", "number": None}
    assert checked_changes({"subject": "Cu\u0309a"})["subject"] == "Của"  # NFC, as search folds it
    with pytest.raises(InvalidFieldValue):
        checked_changes({"number": "1" * 21})
    with pytest.raises(InvalidFieldValue):
        checked_changes({"subject": "a\x00b"})
    with pytest.raises(UnknownField):
        checked_changes({"citizen_ids": "001"})


def test_a_new_dossier_code_is_the_agencys_next_free_number_today_and_never_given_twice(app):
    clerk = _client(app, "clerk33")
    prefix = f"{H33}-{date.today():%y%m%d}-"
    _record(app.state.archive, "todays0000000000h33", f"{prefix}0003", H33, DocType.don, "ĐƠN đề nghị")
    codes = []
    for _ in range(2):
        answer = clerk.post("/upload", data={"action": "new_code", "agency": H33, "csrf_token": _csrf(clerk)})
        assert answer.status_code == 200, answer.text[-3000:]
        codes.append(re.search(r'id="new-code">([^<]+)<', answer.text)[1])
        assert f'value="{codes[-1]}"' in answer.text  # the dossier field is filled with it
    assert codes == [f"{prefix}0004", f"{prefix}0005"]  # after the highest number held that day, never reused
    refused = clerk.post("/upload", data={"action": "new_code", "agency": X99, "csrf_token": _csrf(clerk)})
    assert refused.status_code == 403 and prefix.replace(H33, X99) not in refused.text


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_two_counters_asking_for_new_codes_at_once_get_different_ones(tmp_path, request, backend):
    import threading

    from archive.access import principal_for
    from archive.context import Archive
    from archive.upload import new_dossier_code

    catalog_url = request.getfixturevalue("pg_catalog_url") if backend == "postgresql" else ""
    settings = Settings(home=tmp_path, store_url="", catalog_url=catalog_url)
    with Archive.open(settings) as setup:
        from archive.access import add_user

        add_user(setup, "quay1", "clerk", [H33], PASSWORD, False)
    found: list[str] = []
    start = threading.Barrier(2)

    def counter() -> None:
        with Archive.open(settings) as archive:
            principal = principal_for(archive, "quay1")
            start.wait()
            found.extend(new_dossier_code(archive, principal, H33, date(2026, 11, 30)) for _ in range(15))

    threads = [threading.Thread(target=counter) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(found) == [f"{H33}-261130-{number:04d}" for number in range(1, 31)]


def test_upload_without_a_file_says_so(app):
    clerk = _client(app, "clerk33")
    answer = clerk.post("/upload", data={"dossier": DOSSIER, "agency": H33, "csrf_token": _csrf(clerk)})
    assert answer.status_code == 400 and "Chưa chọn tệp" in answer.text


def test_stats_count_each_use_of_a_record_once_in_scope_and_the_quarantine_backlog(tmp_path):
    import json

    from archive import reading
    from archive.access import add_user, principal_for
    from archive.context import Archive

    settings = Settings(home=tmp_path, store_url="", catalog_url="")
    with Archive.open(settings) as archive:
        _record(archive, "decision0000000000h33", DOSSIER, H33, DocType.quyet_dinh, DECISION_TEXT)
        _record(archive, "receipt0000000000x99", X99_DOSSIER, X99, DocType.giay_tiep_nhan, "GIẤY TIẾP NHẬN")
        for name, (role, agency, pii) in ROLES.items():
            add_user(archive, name, role, [agency], PASSWORD, pii)
        arch33, arch99 = principal_for(archive, "arch33"), principal_for(archive, "arch99")
        for _ in range(3):
            reading.document(archive, arch33, "decision0000000000h33")
        reading._log(archive, arch33, "view", ["decision0000000000h33"], "", page=1)  # a page image: not another use
        with reading.open_stored(archive, arch33, "decision0000000000h33", "ocr") as (stream, *_):
            assert stream.read()
        reading.dossier(archive, arch33, DOSSIER)
        reading.search(archive, arch33, "quyet dinh")  # a listing: not a use
        reading.document(archive, arch99, "receipt0000000000x99")
        quarantine = settings.inbox_dir / ".quarantine" / "2026-11-29"
        quarantine.mkdir(parents=True)
        for number, (agency, code) in enumerate([(H33, "corrupt_file"), (H33, "corrupt_file"), (X99, "empty_file")]):
            about = {"agency": agency, "code": code, "vi": f"Lý do {code}"}
            (quarantine / f"{number}.pdf.error.json").write_text(json.dumps(about), encoding="utf-8")
        (quarantine / "bad.pdf.error.json").write_text("{not json", encoding="utf-8")

        mine = reading.statistics(archive, arch33)
        uses = mine["uses"]
        assert [(row["id"], row["views"], row["downloads"]) for row in uses["documents"]] == [
            ("decision0000000000h33", 3, 1)
        ]
        assert [(row["code"], row["views"], row["exports"]) for row in uses["dossiers"]] == [(DOSSIER, 1, 0)]
        assert mine["quarantine"] == {
            "files": 2,
            "by_reason": [{"code": "corrupt_file", "vi": "Lý do corrupt_file", "files": 2}],
        }
        theirs = reading.statistics(archive, arch99)
        assert [row["id"] for row in theirs["uses"]["documents"]] == ["receipt0000000000x99"]
        assert theirs["uses"]["dossiers"] == [] and theirs["quarantine"]["files"] == 1


def test_the_review_queue_shows_page_one_only_to_whom_may_see_it_and_dates_as_written(app, clients):
    """A queued document with a date (no number yet) renders its date dd/mm/yyyy; the page-1 image of one holding a
    citizen ID is replaced by a note for readers without the personal-data right (the image would be refused)."""
    _record(
        app.state.archive,
        "dated00000000000h33",
        "000.00.00.H33-240107-0001",
        H33,
        DocType.to_khai,
        "TỜ KHAI đăng ký",
        issued_date=date(2024, 1, 7),
    )
    _record(
        app.state.archive,
        "personal000000000h33",
        "000.00.00.H33-240107-0001",
        H33,
        DocType.don,
        f"ĐƠN của công dân số {CITIZEN_ID}",
        citizen_ids=[CITIZEN_ID],
    )
    page = clients["arch33"].get("/review?page=1").text
    assert 'value="07/01/2024"' in page
    item = page[page.index('href="/documents/personal000000000h33"') :]
    item = item[: item.index("</li>")]
    assert "chứa số định danh" in item and "pages/1.png" not in item
    allowed = clients["pii33"].get("/review").text
    assert "/api/documents/personal000000000h33/pages/1.png" in allowed


def test_an_archivist_sets_the_role_and_fields_from_the_documents_page_without_unmasking_anything(app):
    archivist, clerk = _client(app, "arch33"), _client(app, "clerk33")
    doc = "subject0000000000h33"
    _record(
        app.state.archive,
        doc,
        "000.00.00.H33-240108-0001",
        H33,
        DocType.don,
        f"ĐƠN của công dân số {CITIZEN_ID}",
        citizen_ids=[CITIZEN_ID],
        subject=f"Đơn của công dân {CITIZEN_ID}",
    )
    page = archivist.get(f"/documents/{doc}").text
    assert f'action="/documents/{doc}/role"' in page and f'action="/documents/{doc}/fields"' in page
    assert CITIZEN_ID not in page
    shown_subject = re.search(r'name="subject" value="([^"]*)"', page)[1]
    saved = archivist.post(
        f"/documents/{doc}/fields",
        data={"number": "31", "subject": shown_subject, "csrf_token": _csrf(archivist)},
    )
    assert saved.status_code == 303 and saved.headers["location"].endswith("saved=fields")
    fields = app.state.archive.catalog.get(doc).classification.metadata
    assert fields.number == "31"
    assert shown_subject == f"Đơn của công dân {MASKED}"
    assert fields.subject == f"Đơn của công dân {CITIZEN_ID}"  # the masked text shown never replaced the original
    role = archivist.post(f"/documents/{doc}/role", data={"role": "component", "csrf_token": _csrf(archivist)})
    assert role.status_code == 303
    stored = app.state.archive.catalog.get(doc)
    assert stored.role.value == "component" and stored.role_set_by == "arch33"
    assert "Thành phần hồ sơ" in archivist.get(f"/documents/{doc}").text
    refused = clerk.post(f"/documents/{doc}/role", data={"role": "result", "csrf_token": _csrf(clerk)})
    assert refused.status_code == 403 and app.state.archive.catalog.get(doc).role.value == "component"
    for path, data in ((f"/documents/{doc}/role", {"role": "result"}), (f"/documents/{doc}/fields", {"number": "1"})):
        assert archivist.post(path, data={**data, "csrf_token": "wrong"}).status_code == 403


def test_search_filters_by_issued_date_range_and_issuer_from_the_form(app):
    _record(
        app.state.archive,
        "permit00000000000h33",
        "000.00.00.H33-240109-0001",
        H33,
        DocType.giay_phep,
        "GIẤY PHÉP xây dựng",
        issued_date=date(2024, 3, 15),
        issuer="Sở Xây dựng tỉnh Hậu Giang",
    )
    client = _client(app, "arch33")
    found = client.get("/search", params={"from": "2024-03-01", "to": "2024-03-31", "issuer": "so xay dung"}).text
    assert "/documents/permit00000000000h33" in found
    assert 'value="2024-03-01"' in found and 'value="so xay dung"' in found  # the form keeps what was chosen
    for params in ({"from": "2024-04-01"}, {"to": "2024-02-29"}, {"issuer": "ubnd xa khac"}):
        assert "/documents/permit00000000000h33" not in client.get("/search", params=params).text, params
    wrong = client.get("/search", params={"from": "2024-13-45"})
    assert wrong.status_code == 200 and "Ngày không hợp lệ" in wrong.text and "Traceback" not in wrong.text
    quoted = client.get("/search", params={"issuer": 'xay" OR "dung'})
    assert quoted.status_code == 200 and "Traceback" not in quoted.text


def test_the_api_corrects_a_documents_fields_with_the_same_checks(app):
    client = _client(app, "arch33")
    headers = {"x-csrf-token": _csrf(client)}
    doc = "decision0000000000h33"
    answer = client.patch(f"/api/documents/{doc}", json={"number": "77", "issued_date": "2024-02-30"}, headers=headers)
    assert answer.status_code == 400 and answer.json()["code"] == "invalid_field_value"
    assert app.state.archive.catalog.get(doc).classification.metadata.number != "77"  # nothing written
    answer = client.patch(f"/api/documents/{doc}", json={"number": "77", "notation": "QĐ-UBND"}, headers=headers)
    assert answer.status_code == 200
    fields = app.state.archive.catalog.get(doc).classification.metadata
    assert (fields.number, fields.notation, fields.confidence["number"]) == ("77", "QĐ-UBND", 1.0)
    unknown = client.patch(f"/api/documents/{doc}", json={"citizen_ids": "001099000123"}, headers=headers)
    assert unknown.status_code in (200, 422) and "001099000123" not in unknown.text


def test_an_older_catalog_gets_the_review_column_filled_and_the_queue_is_the_same(tmp_path):
    import sqlite3

    from _legacy import as_before_migrations, migrated

    from catalog import views

    catalog_path = tmp_path / "catalog.db"
    settings = Settings(home=tmp_path, store_url="", catalog_url=f"sqlite:///{catalog_path}")
    from archive.context import Archive

    with Archive.open(settings) as archive:
        _record(archive, "unsure000000000h33", DOSSIER, H33, DocType.don, "ĐƠN")  # no number, no date: queued
        _record(
            archive, "sure00000000000h33", DOSSIER, H33, DocType.quyet_dinh, "QUYẾT ĐỊNH", number="5",
            issued_date=date(2024, 1, 5),
        )  # fmt: skip
        before = [item.id for item in views.review_queue(archive.catalog.engine, None)]
    assert before == ["unsure000000000h33"]
    with sqlite3.connect(catalog_path) as connection:  # as a catalog made before the column existed
        connection.execute("DROP INDEX ix_documents_review")
        connection.execute("ALTER TABLE documents DROP COLUMN in_review")
    as_before_migrations(catalog_path)
    reopened = migrated(catalog_path)
    try:
        assert [item.id for item in views.review_queue(reopened.engine, None)] == before
        assert views.review_count(reopened.engine, [H33]) == 1 and views.review_count(reopened.engine, [X99]) == 0
    finally:
        reopened.close()
