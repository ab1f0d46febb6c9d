"""The JSON API as the province's systems and the web pages use it: `sohoa serve` runs for real (uvicorn on a free
loopback port) against SeaweedFS, and every route is called by no one, by another agency's user, by a clerk, an
archivist and an admin. The routes are read from the app itself: a new route without an entry in ROUTES fails
`test_every_route_has_a_scoping_check`."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from _serve import running_server
from conftest import SAMPLE_DOSSIER, run_sohoa, sohoa_command
from s3server import S3Target

pytestmark = [pytest.mark.slow, pytest.mark.s3]

H33 = "000.00.00.H33"
X99 = "000.00.00.X99"
X99_DOSSIER = "000.00.00.X99-240101-0001"
PASSWORD = "mật-khẩu-thử-" + "9f3c"
CITIZEN_ID = "001099000123"  # in the sample ĐƠN


@pytest.fixture(scope="module")
def server(s3_server, sample_dossier, tmp_path_factory):
    """Two agencies, their users, a dossier each (H33's decision also names a citizen), and `sohoa serve`."""
    home = tmp_path_factory.mktemp("api-home")
    bucket = f"test-{uuid.uuid4().hex[:24]}"
    target = S3Target(
        url=f"s3://{bucket}",
        bucket=bucket,
        endpoint=s3_server.endpoint,
        access_key=s3_server.access_key,
        secret_key=s3_server.secret_key,
        server=s3_server,
    )
    # A small size limit, so that an oversized upload is cheap to send.
    env = {**os.environ, **target.env(), "SOHOA_HOME": str(home), "PREFECT_API_URL": "", "SOHOA_MAX_FILE_MB": "8"}
    env.pop("SOHOA_CATALOG_URL", None)
    folder, documents = sample_dossier
    decision = next(item for item in documents if item.doc_type == "quyet_dinh")
    h33 = home / "scans" / SAMPLE_DOSSIER
    h33.mkdir(parents=True)
    shutil.copy(decision.path, h33 / "01-quyet-dinh.jpg")
    application = next(item for item in documents if item.doc_type == "don")  # names its applicant's citizen ID
    shutil.copy(application.path, h33 / f"02-don{application.path.suffix}")
    x99 = home / "scans" / X99_DOSSIER
    x99.mkdir(parents=True)
    receipt = next(item for item in documents if item.doc_type == "giay_tiep_nhan")
    shutil.copy(receipt.path, x99 / f"01{receipt.path.suffix}")

    def sohoa(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
        completed = subprocess.run(
            [*sohoa_command(), *args], input=stdin, capture_output=True, text=True, env=env, timeout=600
        )
        assert completed.returncode == 0, completed.stderr
        return completed

    sohoa("ingest", str(h33), "--agency", H33)
    sohoa("ingest", str(x99), "--agency", X99)
    for name, role, agency, extra in [
        ("clerk33", "clerk", H33, []),
        ("arch33", "archivist", H33, []),
        ("pii33", "archivist", H33, ["--pii"]),
        ("arch99", "archivist", X99, []),
        ("admin", "admin", H33, []),
        ("locked33", "archivist", H33, []),  # locked out by the rate-limit test
    ]:
        sohoa("user", "add", name, "--role", role, "--agency", agency, *extra, "--password-stdin", stdin=PASSWORD)
    token = sohoa("token", "create", "one-stop-shop", "--role", "clerk", "--agency", H33).stdout.strip().split()[-1]
    with running_server(env, home / "serve.log") as running:
        yield {"base": running.base, "env": env, "token": token, "home": home, "sohoa": sohoa}
    assert PASSWORD not in running.log() and token not in running.log()


@contextmanager
def _client(server, user: str | None) -> Iterator[httpx.Client]:
    """A client signed in as `user` (a session and its CSRF token), with the API token, or anonymous (None)."""
    with httpx.Client(base_url=server["base"], timeout=60) as client:
        if user == "token":
            client.headers["authorization"] = f"Bearer {server['token']}"
        elif user is not None:
            answer = client.post("/api/login", json={"username": user, "password": PASSWORD})
            assert answer.status_code == 200, answer.text
            client.headers["x-csrf-token"] = answer.json()["csrf_token"]
        yield client


@pytest.fixture(scope="module")
def ids(server):
    with _client(server, "arch33") as h33, _client(server, "arch99") as x99:
        mine = h33.get("/api/dossiers/" + SAMPLE_DOSSIER).json()["documents"]
        theirs = x99.get("/api/dossiers/" + X99_DOSSIER).json()["documents"][0]["id"]
    # The decision holds no citizen ID (its scans may be downloaded by any reader); the application does.
    return {"h33": mine[0]["id"], "h33_pii": mine[1]["id"], "x99": theirs}


# ---------------------------------------------------------------- every route, every caller

# For each route: what each caller gets. `own`: H33's record; the X99 archivist must get 404 (never 403) for it.
ROUTES = {
    ("POST", "/api/login"): None,  # tested on its own below
    ("POST", "/api/logout"): {"anonymous": 401, "clerk33": 200},
    ("GET", "/api/search"): {"anonymous": 401, "arch99": 200, "clerk33": 200, "arch33": 200, "admin": 200},
    ("GET", "/api/documents/{doc_id}"): {"anonymous": 401, "arch99": 404, "clerk33": 200, "arch33": 200},
    ("GET", "/api/documents/{doc_id}/original"): {"anonymous": 401, "arch99": 404, "clerk33": 200},
    ("GET", "/api/documents/{doc_id}/archive.pdf"): {"anonymous": 401, "arch99": 404, "arch33": 200},
    ("GET", "/api/documents/{doc_id}/pages/{number}.png"): {"anonymous": 401, "arch99": 404, "arch33": 200},
    ("POST", "/api/documents/{doc_id}/label"): {"anonymous": 401, "arch99": 404, "clerk33": 403, "arch33": 200},
    ("PATCH", "/api/documents/{doc_id}"): {"anonymous": 401, "arch99": 404, "clerk33": 403, "arch33": 200},
    ("PUT", "/api/documents/{doc_id}/role"): {"anonymous": 401, "arch99": 404, "clerk33": 403, "arch33": 200},
    # Certified copies (issue 16): this server has no signing key, so an archivist of the agency is told so (503).
    ("POST", "/api/documents/{doc_id}/certify"): {"anonymous": 401, "arch99": 404, "clerk33": 403, "arch33": 503},
    ("POST", "/api/dossiers/{code}/certify"): {"anonymous": 401, "arch99": 404, "clerk33": 403, "arch33": 503},
    ("GET", "/api/documents/{doc_id}/certified"): {"anonymous": 401, "arch99": 404, "arch33": 404},
    ("POST", "/api/documents/{doc_id}/certified/verify"): {"anonymous": 401, "arch99": 404, "arch33": 404},
    ("POST", "/api/dossiers"): {"anonymous": 401, "arch99": 403, "clerk33": 200, "arch33": 200},
    ("GET", "/api/indicators"): {"anonymous": 401, "arch99": 200, "clerk33": 200, "admin": 200},
    ("GET", "/api/review"): {"anonymous": 401, "arch99": 200, "clerk33": 200, "arch33": 200},
    ("GET", "/api/dossiers/{code}"): {"anonymous": 401, "arch99": 404, "clerk33": 200, "arch33": 200},
    ("PATCH", "/api/dossiers/{code}"): {"anonymous": 401, "arch99": 404, "clerk33": 403, "arch33": 200},
    ("GET", "/api/dossiers/{code}/export"): {"anonymous": 401, "arch99": 404, "clerk33": 200, "arch33": 200},
    ("POST", "/api/dossiers/{code}/files"): {"anonymous": 401, "arch99": 403, "clerk33": 200, "admin": 403},
    ("GET", "/api/stats"): {"anonymous": 401, "arch99": 200, "clerk33": 200, "admin": 200},
    ("GET", "/api/users"): {"anonymous": 401, "arch99": 403, "clerk33": 403, "arch33": 403, "admin": 200},
    ("GET", "/api/accesslog"): {"anonymous": 401, "arch99": 403, "clerk33": 403, "arch33": 403, "admin": 200},
    ("GET", "/api/health"): {"anonymous": 200},
    ("GET", "/api/ready"): {"anonymous": 200},
}


def test_every_route_has_a_scoping_check():
    from web.app import create_app

    app = create_app()
    # Every route the app serves under /api/, as its OpenAPI description lists them (docs and the spec aside).
    found = {(method.upper(), path) for path, operations in app.openapi()["paths"].items() for method in operations}
    assert found == set(ROUTES), f"routes without a scoping check: {found - set(ROUTES)}; gone: {set(ROUTES) - found}"


def _call(client: httpx.Client, method: str, path: str, ids) -> httpx.Response:
    url = path.format(doc_id=ids["h33"], number=1, code=SAMPLE_DOSSIER)
    if method == "GET":
        return client.get(url)
    if path.endswith("/label"):
        return client.post(url, json={"doc_type": "quyet_dinh"})
    if path.endswith("/files"):
        files = [("files", ("scan.png", b"not an image at all", "image/png"))]
        return client.post(url, files=files, data={"agency": H33})
    if method == "PATCH" and "/documents/" in path:
        return client.patch(url, json={"subject": "cho phép chuyển mục đích sử dụng đất"})
    if method == "PATCH":
        return client.patch(url, json={"title": "Hồ sơ giao đất"})
    if path.endswith("/role"):
        return client.put(url, json={"role": "result"})
    if path == "/api/dossiers":  # H33's dossier registered: another agency's caller is refused
        entry = {"code": SAMPLE_DOSSIER, "procedure_code": "1.000001", "channel": 1, "received_date": "2023-06-07"}
        return client.post(url, json=entry)
    return client.request(method, url)


@pytest.mark.parametrize(
    "route", [route for route, expected in ROUTES.items() if expected], ids=lambda route: f"{route[0]} {route[1]}"
)
def test_each_route_answers_each_caller_as_its_role_and_agency_allow(server, ids, route):
    method, path = route
    for user, status in ROUTES[route].items():
        with _client(server, None if user == "anonymous" else user) as client:
            answer = _call(client, method, path, ids)
        assert answer.status_code == status, f"{user}: {answer.status_code} {answer.text[:300]}"
        if status >= 400:
            body = answer.json()
            assert set(body) >= {"code", "vi", "en"}, body
            assert "Traceback" not in answer.text


def test_another_agencys_user_never_learns_the_record_exists(server, ids):
    with _client(server, "arch99") as x99:
        unknown = x99.get("/api/documents/" + "0" * 24)
        theirs = x99.get(f"/api/documents/{ids['h33']}")
        assert unknown.status_code == theirs.status_code == 404
        assert unknown.json() == theirs.json()
        found = x99.get("/api/search", params={"q": "quyet dinh"}).json()
        assert all(hit["agency"] == X99 for hit in found["hits"])
        assert set(found["facets"]["agency"]) <= {X99}
        stats = x99.get("/api/stats").json()
        assert {row["agency"] for row in stats["by_agency_month"]} <= {X99}


def test_search_finds_its_own_agencys_decision_without_diacritics(server, ids):
    with _client(server, "arch33") as client:
        found = client.get("/api/search", params={"q": "quyet dinh dat dai"}).json()
    assert found["total"] >= 1
    hit = found["hits"][0]
    assert hit["id"] == ids["h33"] and hit["agency"] == H33 and hit["page"] >= 1
    assert set(hit) >= {"id", "dossier", "agency", "doc_type", "title", "snippet", "page", "score"}
    assert "quyet" not in hit["title"].lower() or hit["title"].startswith("Quyết định")
    assert found["facets"]["doc_type"].get("quyet_dinh", 0) >= 1


def test_a_bearer_token_reads_its_agency_and_nothing_else(server, ids):
    with _client(server, "token") as client:
        assert client.get(f"/api/documents/{ids['h33']}").status_code == 200
        assert client.get(f"/api/documents/{ids['x99']}").status_code == 404
    with httpx.Client(base_url=server["base"]) as client:
        client.headers["authorization"] = "Bearer not-a-token"
        assert client.get("/api/search", params={"q": "x"}).status_code == 401


# ---------------------------------------------------------------- sessions, CSRF, rate limit


def test_session_cookie_flags_and_csrf(server, ids):
    with httpx.Client(base_url=server["base"]) as client:
        answer = client.post("/api/login", json={"username": "arch33", "password": PASSWORD})
        cookie = next(
            value
            for name, value in answer.headers.multi_items()
            if name == "set-cookie" and value.startswith("sohoa_session=")
        )
        assert "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("Lax", "lax")
        # A state-changing request with the cookie but without the token is refused.
        refused = client.post(f"/api/documents/{ids['h33']}/label", json={"doc_type": "quyet_dinh"})
        assert refused.status_code == 403 and refused.json()["code"] == "csrf_refused"
        client.headers["x-csrf-token"] = "wrong"
        assert client.post(f"/api/documents/{ids['h33']}/label", json={"doc_type": "quyet_dinh"}).status_code == 403


def test_sign_in_failures_say_nothing_of_the_account_and_are_rate_limited(server):
    with httpx.Client(base_url=server["base"]) as client:
        unknown = client.post("/api/login", json={"username": "nobody", "password": "x"})
        wrong = client.post("/api/login", json={"username": "clerk33", "password": "wrong"})
        assert unknown.status_code == wrong.status_code == 401
        assert unknown.json() == wrong.json()
        statuses = [
            client.post("/api/login", json={"username": "locked33", "password": "wrong"}).status_code for _ in range(8)
        ]
        assert statuses[:5] == [401] * 5 and statuses[5:] == [429] * 3
        # The right password is refused too while the user is locked out: no way to guess on.
        assert client.post("/api/login", json={"username": "locked33", "password": PASSWORD}).status_code == 429


# ---------------------------------------------------------------- personal data


def test_citizen_ids_are_masked_for_users_without_the_right(server, ids):
    with _client(server, "arch33") as plain, _client(server, "pii33") as allowed:
        masked = json.dumps(plain.get(f"/api/documents/{ids['h33_pii']}").json(), ensure_ascii=False)
        shown = json.dumps(allowed.get(f"/api/documents/{ids['h33_pii']}").json(), ensure_ascii=False)
        assert CITIZEN_ID in shown, "the sample application's citizen ID is read by OCR"
        assert CITIZEN_ID not in masked and CITIZEN_ID[:3] + "******" + CITIZEN_ID[-3:] in masked
        hits = plain.get("/api/search", params={"q": "so dinh danh ca nhan"}).json()["hits"]
        assert hits and CITIZEN_ID not in json.dumps(hits)
        export = plain.get(f"/api/dossiers/{SAMPLE_DOSSIER}/export", params={"format": "json"}).text
        assert CITIZEN_ID not in export
        refused = plain.get(f"/api/documents/{ids['h33_pii']}/archive.pdf")
        assert refused.status_code == 403 and refused.json()["code"] == "personal_data_restricted"
        assert allowed.get(f"/api/documents/{ids['h33_pii']}/archive.pdf").status_code == 200


# ---------------------------------------------------------------- downloads and uploads


def test_archive_pdf_streams_with_range(server, ids):
    with _client(server, "pii33") as client:
        whole = client.get(f"/api/documents/{ids['h33']}/archive.pdf")
        assert whole.status_code == 200 and whole.content.startswith(b"%PDF")
        part = client.get(f"/api/documents/{ids['h33']}/archive.pdf", headers={"range": "bytes=4-99"})
        assert part.status_code == 206 and part.content == whole.content[4:100]
        assert part.headers["content-range"] == f"bytes 4-99/{len(whole.content)}"
        assert (
            client.get(
                f"/api/documents/{ids['h33']}/archive.pdf", headers={"range": f"bytes={len(whole.content) + 10}-"}
            ).status_code
            == 416
        )
        png = client.get(f"/api/documents/{ids['h33']}/pages/1.png", params={"width": 400})
        assert png.status_code == 200 and png.content.startswith(b"\x89PNG")


def test_upload_reports_each_file_and_stores_nothing_of_a_bad_one(server, sample_dossier):
    folder, documents = sample_dossier
    scan = next(item for item in documents if item.doc_type == "don").path.read_bytes()
    dossier = f"{H33}-240301-0007"
    files = [
        ("files", ("don.jpg", scan, "image/jpeg")),
        ("files", ("rong.pdf", b"", "application/pdf")),
        ("files", ("hong.pdf", b"%PDF-1.7 broken", "application/pdf")),
        ("files", ("lon.pdf", b"%PDF-1.7\n" + bytes(9 * 1024 * 1024), "application/pdf")),
    ]
    applicant = "079203001234"
    pushed = {"agency": H33, "procedure_code": "1.001234", "applicant_id": applicant}  # as OpenCPS pushes it
    with _client(server, "clerk33") as client:
        answer = client.post(f"/api/dossiers/{dossier}/files", files=files, data=pushed)
        assert answer.status_code == 200, answer.text
        reports = answer.json()["documents"]
        assert [report["status"] for report in reports] == ["archived", "quarantined", "quarantined", "quarantined"]
        assert [report["failure"]["code"] for report in reports[1:]] == ["empty_file", "corrupt_file", "file_too_large"]
        fields = client.get(f"/api/dossiers/{dossier}").json()["dossier"]
        assert fields["doc_total"] == 1 and fields["procedure_code"] == "1.001234"
        assert fields["applicant_id"] == "079******234"  # the clerk has no personal-data right
        bad = client.post(f"/api/dossiers/{dossier}/files", files=files[:1], data={**pushed, "applicant_id": "12ab"})
        assert bad.status_code == 400 and bad.json()["code"] == "invalid_applicant_id" and "12ab" not in bad.text
        assert applicant not in client.get(f"/api/dossiers/{dossier}/export").text
        # Into another agency's dossier code: refused, nothing stored.
        refused = client.post(f"/api/dossiers/{X99}-240301-0001/files", files=files[:1], data={"agency": H33})
        assert refused.status_code == 409 and refused.json()["code"] == "agency_mismatch"
    with _client(server, "pii33") as allowed:
        assert allowed.get(f"/api/dossiers/{dossier}").json()["dossier"]["applicant_id"] == applicant


def test_the_access_log_records_reads_and_holds_no_password(server, ids):
    with _client(server, "arch33") as client:
        client.get(f"/api/documents/{ids['h33']}")
    with _client(server, "admin") as admin:
        entries = admin.get("/api/accesslog", params={"user": "arch33"}).json()["entries"]
    actions = {entry["action"] for entry in entries}
    assert {"view"} <= actions and any(ids["h33"] in entry["records"] for entry in entries)
    assert PASSWORD not in json.dumps(entries, ensure_ascii=False)
    verified = run_sohoa("accesslog", "verify", "--json", env=server["env"])
    assert verified.returncode == 0, verified.stdout + verified.stderr


def test_health_ready_and_openapi(server):
    with httpx.Client(base_url=server["base"]) as client:
        assert client.get("/api/ready").json()["status"] == "ok"
        spec = client.get("/api/openapi.json").json()
        assert "/api/search" in spec["paths"] and "/api/dossiers/{code}/files" in spec["paths"]
        missing = client.get("/api/nothing-here")
        assert missing.status_code == 404 and missing.json()["code"] == "not_found"


def test_after_a_merger_the_successor_sees_its_predecessors_records_under_their_own_code(server, ids):
    """Kiên Giang's agencies merged into An Giang's on 1 July 2025: the successor reads what its predecessors filed,
    and the records keep the code they were filed under."""
    successor = "000.00.00.H89"
    server["sohoa"]("agency", "add", X99, "UBND xã cũ")
    server["sohoa"]("agency", "add", successor, "UBND xã mới")
    server["sohoa"]("agency", "merge", X99, "--into", successor, "--on", "2025-07-01")
    server["sohoa"](
        "user", "add", "arch89", "--role", "archivist", "--agency", successor, "--password-stdin", stdin=PASSWORD
    )
    with _client(server, "arch89") as client:
        assert client.get(f"/api/documents/{ids['x99']}").status_code == 200
        assert client.get(f"/api/documents/{ids['h33']}").status_code == 404
        found = client.get("/api/search", params={"q": "giay tiep nhan", "agency": successor}).json()
        assert [hit["agency"] for hit in found["hits"]] == [X99]
        rows = client.get("/api/stats").json()["by_agency_month"]
        assert rows and all(row["agency"] == X99 and row["current_agencies"] == [successor] for row in rows)
