"""The admin pages (web.admin_pages) against the real app: FastAPI's TestClient on create_app with a folder store and
SQLite in a temporary SOHOA_HOME, accounts and agencies made with archive.access. Accounts added and disabled,
tokens created (the secret shown once), used on the API and revoked, the access log filtered and exported; CSRF on
every form, 403 for every other role on every admin route (read from the router: a new route without an entry in
ROUTES fails), and no password nor secret in any answer."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from _catalogs import app_catalog_url
from fastapi.testclient import TestClient

from schemas.settings import Settings

H33 = "000.00.00.H33"
X99 = "000.00.00.X99"
PASSWORD = "mật-khẩu-quản-trị-41f"
NEW_PASSWORD = "mật-khẩu-mới-cho-lan-93a"
CITIZEN_ID = "001099000123"
ACCOUNTS = {
    "quantri": ("admin", [], False),
    "quantri-pii": ("admin", [], True),
    "vanthu": ("clerk", [H33], False),
    "luutru": ("archivist", [H33], False),
}
OTHERS = ("vanthu", "luutru")
# Each admin route: an example path and the form a POST sends (without its CSRF token).
ROUTES: dict[tuple[str, str], tuple[str, dict]] = {
    ("GET", "/admin"): ("/admin", {}),
    ("GET", "/admin/accesslog.{fmt}"): ("/admin/accesslog.csv", {}),
    ("POST", "/admin/users"): (
        "/admin/users",
        {"username": "ke-gian", "role": "admin", "agencies": [H33], "password": PASSWORD, "password_again": PASSWORD},
    ),
    ("POST", "/admin/users/{username}/disable"): ("/admin/users/quantri/disable", {}),
    ("POST", "/admin/users/{username}/enable"): ("/admin/users/luutru/enable", {}),
    ("POST", "/admin/users/{username}/grants"): (
        "/admin/users/vanthu/grants",
        {"role": "admin", "agencies": [H33, X99], "pii": "1"},
    ),
    ("POST", "/admin/tokens"): ("/admin/tokens", {"name": "Kẻ gian", "role": "clerk", "agencies": [H33]}),
    ("POST", "/admin/tokens/{token_id}/revoke"): ("/admin/tokens/{token}/revoke", {}),
}


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def app(request, tmp_path_factory):
    from archive.access import add_agency, add_user
    from web.app import create_app

    home = tmp_path_factory.mktemp("admin-home")
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("PREFECT_API_URL", raising=False)
        application = create_app(Settings(home=home, store_url="", catalog_url=app_catalog_url(request)))
        archive = application.state.archive
        add_agency(archive, H33, "UBND huyện Ba Vì")
        add_agency(archive, X99, "Sở Tư pháp")
        for name, (role, agencies, pii) in ACCOUNTS.items():
            add_user(archive, name, role, agencies, PASSWORD, pii)
        yield application
        archive.close()


def _signed_in(app, user: str | None, password: str = PASSWORD) -> TestClient:
    """A browser: signs in through the sign-in form, as a person does."""
    client = TestClient(app, follow_redirects=False)
    if user is not None:
        answer = client.post("/login", data={"username": user, "password": password, "next": "/"})
        assert answer.status_code == 303, answer.text
    return client


def _token(client: TestClient) -> str:
    return client.cookies.get("sohoa_csrf") or ""


def _post(client: TestClient, path: str, data: dict) -> object:
    return client.post(path, data={**data, "csrf_token": _token(client)})


def _flash(client: TestClient) -> str:
    """The outcome line of the page a form redirected to."""
    page = client.get("/admin")
    assert page.status_code == 200, page.text[:300]
    for marker in ('class="ok" role="status">', 'class="failure" role="alert">'):
        if marker in page.text:
            return page.text.split(marker, 1)[1].split("</p>", 1)[0]
    return ""


@pytest.fixture
def admin(app):
    return _signed_in(app, "quantri")


# ---------------------------------------------------------------- accounts


def test_admin_adds_a_user_who_then_signs_in_and_the_password_is_never_shown(app, admin):
    from archive.access import principal_for, read_access

    form = {
        "username": "lan",
        "role": "archivist",
        "agencies": [H33, X99],
        "pii": "1",
        "password": NEW_PASSWORD,
        "password_again": NEW_PASSWORD,
    }
    answer = _post(admin, "/admin/users", form)
    assert answer.status_code == 303 and answer.headers["location"] == "/admin"
    bodies = [answer.text]
    page = admin.get("/admin")
    bodies.append(page.text)
    assert 'role="status">Đã thêm tài khoản lan.' in page.text
    assert "Đã thêm tài khoản" not in admin.get("/admin").text  # the line is shown once
    principal = principal_for(app.state.archive, "lan")
    assert principal.role.value == "archivist" and principal.granted == {H33, X99} and principal.pii

    lan = _signed_in(app, "lan", NEW_PASSWORD)
    assert lan.get("/search").status_code == 200
    added = read_access(app.state.archive, record="lan", action="user_add")
    assert [(entry.actor, entry.detail["role"]) for entry in added] == [("quantri", "archivist")]

    again = _post(admin, "/admin/users", form)  # the same name twice: refused, said in Vietnamese
    assert again.status_code == 303 and "Tên đăng nhập này đã có" in _flash(admin)
    bodies += [again.text, admin.get("/admin").text, admin.get("/admin/accesslog.csv").text]
    for body in bodies:
        assert NEW_PASSWORD not in body and PASSWORD not in body


@pytest.mark.parametrize(
    "changes, said",
    [
        ({"password_again": NEW_PASSWORD + "x"}, "Hai lần nhập mật khẩu không giống nhau"),
        ({"password": "ngắn", "password_again": "ngắn"}, "Mật khẩu cần từ 10"),
        ({"agencies": ["000.00.00.Z11"]}, "Mã cơ quan chưa có trong danh mục"),
        ({"agencies": []}, "Cần ít nhất một mã cơ quan"),
        ({"role": "superuser"}, "Vai trò không hợp lệ"),
        ({"username": NEW_PASSWORD}, "Tên đăng nhập không hợp lệ"),
    ],
    ids=["passwords-differ", "weak-password", "unregistered-agency", "no-agency", "unknown-role", "bad-username"],
)
def test_a_refused_account_is_not_made_and_the_reason_is_one_vietnamese_line(app, admin, changes, said):
    from archive.access import list_users

    before = list_users(app.state.archive)
    form = {"username": "minh", "role": "clerk", "agencies": [H33], "password": NEW_PASSWORD}
    form = {**form, "password_again": form["password"], **changes}
    answer = _post(admin, "/admin/users", form)
    assert answer.status_code == 303
    line = _flash(admin)
    assert said in line, line
    assert NEW_PASSWORD not in line and list_users(app.state.archive) == before


def test_a_disabled_user_cannot_sign_in_and_their_session_ends(app, admin):
    from archive.access import add_user

    add_user(app.state.archive, "hoa", "clerk", [H33], NEW_PASSWORD)
    hoa = _signed_in(app, "hoa", NEW_PASSWORD)
    assert hoa.get("/search").status_code == 200
    answer = _post(admin, "/admin/users/hoa/disable", {})
    assert answer.status_code == 303 and "Đã khoá tài khoản hoa" in _flash(admin)
    assert hoa.get("/search").status_code == 303  # signed out at once: back to the sign-in page
    refused = TestClient(app, follow_redirects=False).post(
        "/login", data={"username": "hoa", "password": NEW_PASSWORD, "next": "/"}
    )
    assert refused.status_code == 401 and "sohoa_session" not in refused.cookies
    page = admin.get("/admin").text
    assert "/admin/users/hoa/disable" not in page  # nothing left to disable

    itself = _post(admin, "/admin/users/quantri/disable", {})  # an admin does not lock themselves out
    assert itself.status_code == 303 and "Không thể tự khoá" in _flash(admin)
    assert admin.get("/admin").status_code == 200
    unknown = _post(admin, "/admin/users/khong-co-ai/disable", {})
    assert unknown.status_code == 303 and "Không có tài khoản này" in _flash(admin)


def test_an_admin_changes_another_users_rights_and_unlocks_them_never_their_own(app, admin):
    from archive.access import add_user, list_users, read_access

    add_user(app.state.archive, "mai", "clerk", [H33], NEW_PASSWORD)
    mai = _signed_in(app, "mai", NEW_PASSWORD)
    assert "Văn thư" in mai.get("/search").text
    answer = _post(admin, "/admin/users/mai/grants", {"role": "archivist", "agencies": [H33, X99], "pii": "1"})
    assert answer.status_code == 303 and "Đã lưu quyền của mai" in _flash(admin)
    user = next(item for item in list_users(app.state.archive) if item.username == "mai")
    assert (user.role.value, sorted(user.agencies), user.pii) == ("archivist", [H33, X99], True)
    assert "Lưu trữ viên" in mai.get("/search").text  # her next request already has the new role
    refused = _post(admin, "/admin/users/mai/grants", {"role": "clerk", "agencies": ["000.00.00.Z00"]})
    assert refused.status_code == 303
    user = next(item for item in list_users(app.state.archive) if item.username == "mai")
    assert user.role.value == "archivist"  # an agency not in the registry: nothing changed
    own = _post(admin, "/admin/users/quantri/grants", {"role": "admin", "agencies": [H33], "pii": "1"})
    assert own.status_code == 303 and "Không thể tự sửa quyền" in _flash(admin)

    assert _post(admin, "/admin/users/mai/disable", {}).status_code == 303
    assert _signed_in_fails(app, "mai", NEW_PASSWORD)
    assert _post(admin, "/admin/users/mai/enable", {}).status_code == 303 and "Đã mở khoá" in _flash(admin)
    assert _signed_in(app, "mai", NEW_PASSWORD).get("/search").status_code == 200
    actions = {str(entry.action) for entry in read_access(app.state.archive) if "mai" in entry.records}
    assert {"user_add", "user_update", "user_disable", "user_enable"} <= actions


def _signed_in_fails(app, user: str, password: str) -> bool:
    answer = TestClient(app, follow_redirects=False).post(
        "/login", data={"username": user, "password": password, "next": "/"}
    )
    return answer.status_code == 401


# ---------------------------------------------------------------- API tokens


def test_a_token_is_shown_once_works_on_the_api_then_revoked_answers_401(app, admin):
    answer = _post(admin, "/admin/tokens", {"name": "Cổng dịch vụ công", "role": "clerk", "agencies": [H33]})
    assert answer.status_code == 200, answer.text[:300]
    assert "Chỉ hiển thị một lần" in answer.text and answer.headers["cache-control"] == "no-store"
    secret = answer.text.split('id="secret" class="secret" readonly value="', 1)[1].split('"', 1)[0]
    assert secret.startswith("sohoa_") and answer.text.count(secret) == 1
    token_id = secret.split("_")[1]

    api = TestClient(app)
    bearer = {"authorization": f"Bearer {secret}"}
    found = api.get("/api/search", params={"q": "giao đất"}, headers=bearer)
    assert found.status_code == 200, found.text
    page = admin.get("/admin").text
    assert token_id in page and "Cổng dịch vụ công" in page and secret not in page

    revoked = _post(admin, f"/admin/tokens/{token_id}/revoke", {})
    assert revoked.status_code == 303 and f"Đã thu hồi mã truy cập {token_id}" in _flash(admin)
    assert api.get("/api/search", params={"q": "giao đất"}, headers=bearer).status_code == 401
    page = admin.get("/admin").text
    assert "Đã thu hồi" in page and f"/admin/tokens/{token_id}/revoke" not in page and secret not in page
    for fmt in ("csv", "xlsx"):
        exported = admin.get(f"/admin/accesslog.{fmt}")
        assert exported.status_code == 200 and secret.encode() not in exported.content
    assert token_id in admin.get("/admin/accesslog.csv", params={"record": token_id}).text

    admins_only = _post(admin, "/admin/tokens", {"name": "Quản trị qua API", "role": "admin", "agencies": [H33]})
    assert admins_only.status_code == 303 and "không có quyền quản trị" in _flash(admin)


# ---------------------------------------------------------------- the access log


def _rows(content: bytes) -> list[dict]:
    text = content.decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def _xlsx_rows(content: bytes) -> list[list]:
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(content)).active
    return [list(row) for row in sheet.iter_rows(min_row=2, values_only=True)]


def test_access_log_filters_page_and_export_the_filtered_rows(app, admin):
    from archive.access import principal_for, read_access, record_access

    archive = app.state.archive
    clerk = principal_for(archive, "vanthu")
    for number in range(60):
        record_access(archive, clerk, "view", [f"doc-{number:02d}"], "10.0.0.9")
    record_access(archive, clerk, "view", ["000.00.00.H33-240105-0001"], "10.0.0.9", {"what": "dossier"})

    mine = admin.get("/admin", params={"user": "vanthu"}).text
    assert "doc-59" in mine and "doc-05" not in mine  # newest first, 50 a page
    assert "Trang sau" in mine and "Trang trước" not in mine
    following = admin.get("/admin", params={"user": "vanthu", "page": "2"}).text
    assert "doc-05" in following and "Trang trước" in following and "doc-59" not in following

    by_record = admin.get("/admin", params={"record": "000.00.00.H33-240105-0001"}).text
    assert "000.00.00.H33-240105-0001" in by_record and "doc-59" not in by_record

    today = datetime.now(UTC).date()
    tomorrow, yesterday = (today + timedelta(days=1)).isoformat(), (today - timedelta(days=1)).isoformat()
    assert "Không có dòng nào" in admin.get("/admin", params={"user": "vanthu", "since": tomorrow}).text
    assert "Không có dòng nào" in admin.get("/admin", params={"user": "vanthu", "until": yesterday}).text
    assert "doc-59" in admin.get("/admin", params={"user": "vanthu", "since": today, "until": today}).text
    bad = admin.get("/admin", params={"since": "29/11/2026"})
    assert bad.status_code == 200 and "Ngày không hợp lệ" in bad.text

    expected = read_access(archive, user="vanthu")
    answer = admin.get("/admin/accesslog.csv", params={"user": "vanthu", "since": today.isoformat()})
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    disposition = answer.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="nhat-ky-truy-cap-') and disposition.isascii()
    assert "filename*=UTF-8''nh%E1%BA%ADt-k%C3%BD-truy-c%E1%BA%ADp-" in disposition
    rows = _rows(answer.content)
    assert [int(row["STT / seq"]) for row in rows] == [entry.seq for entry in expected]
    assert {row["Người dùng / actor"] for row in rows} == {"vanthu"}
    sheet = admin.get("/admin/accesslog.xlsx", params={"record": "000.00.00.H33-240105-0001"})
    assert sheet.status_code == 200 and ".xlsx" in sheet.headers["content-disposition"]
    assert [(row[0], row[3]) for row in _xlsx_rows(sheet.content)] == [(expected[-1].seq, "vanthu")]
    assert admin.get("/admin/accesslog.pdf").status_code == 404
    assert admin.get("/admin/accesslog.csv", params={"until": "hôm qua"}).status_code == 400

    exports = read_access(archive, user="quantri", action="accesslog_export")
    assert exports[-1].detail["rows"] == 1 and exports[-1].detail["record"] == "000.00.00.H33-240105-0001"


def test_citizen_ids_in_the_log_are_masked_for_an_admin_without_the_personal_data_right(app, admin):
    from archive.access import principal_for, record_access

    clerk = principal_for(app.state.archive, "vanthu")
    record_access(app.state.archive, clerk, "search", [], "10.0.0.9", {"query": f"cccd {CITIZEN_ID}"})
    shown = [admin.get("/admin", params={"user": "vanthu"}).content]
    shown += [admin.get(f"/admin/accesslog.{fmt}", params={"user": "vanthu"}).content for fmt in ("csv", "xlsx")]
    for content in shown:
        assert CITIZEN_ID.encode() not in content
    assert "001******123" in admin.get("/admin/accesslog.csv", params={"user": "vanthu"}).content.decode("utf-8-sig")
    with_right = _signed_in(app, "quantri-pii")
    assert CITIZEN_ID in with_right.get("/admin/accesslog.csv", params={"user": "vanthu"}).content.decode("utf-8-sig")


# ---------------------------------------------------------------- who may, and CSRF


def test_every_admin_route_has_an_entry():
    from web.admin_pages import router

    routes = {(method, route.path) for route in router.routes for method in route.methods}  # type: ignore[attr-defined]
    assert routes == set(ROUTES), "an admin route without an entry in ROUTES (and its tests)"


def _open_token(app) -> str:
    from archive.access import create_token

    token_id, _ = create_token(app.state.archive, "Đích thử", "clerk", [H33])
    return token_id


def test_every_admin_post_without_its_csrf_token_is_refused_and_changes_nothing(app, admin):
    from archive.access import list_tokens, list_users

    token_id = _open_token(app)
    before = (list_users(app.state.archive), list_tokens(app.state.archive))
    for (method, _), (path, form) in ROUTES.items():
        if method != "POST":
            continue
        for token in ("", "sai-ma"):
            answer = admin.post(path.format(token=token_id), data={**form, "csrf_token": token})
            assert answer.status_code == 403 and "CSRF" in answer.text, (path, token)
            assert PASSWORD not in answer.text
    assert (list_users(app.state.archive), list_tokens(app.state.archive)) == before


@pytest.mark.parametrize("user", OTHERS)
def test_clerks_and_archivists_get_403_on_every_admin_route(app, user):
    from archive.access import list_tokens, list_users

    client = _signed_in(app, user)
    token_id = _open_token(app)
    before = (list_users(app.state.archive), list_tokens(app.state.archive))
    for (method, _), (path, form) in ROUTES.items():
        path = path.format(token=token_id)
        answer = client.get(path) if method == "GET" else _post(client, path, form)
        assert answer.status_code == 403, (user, path)
        assert "Không có quyền" in answer.text and '<html lang="vi">' in answer.text
        assert PASSWORD not in answer.text
    assert (list_users(app.state.archive), list_tokens(app.state.archive)) == before
    assert 'href="/admin"' not in client.get("/search").text


def test_not_signed_in_every_admin_route_goes_to_the_sign_in_page(app):
    anonymous = _signed_in(app, None)
    for (method, _), (path, form) in ROUTES.items():
        path = path.format(token="abc")
        answer = anonymous.get(path) if method == "GET" else anonymous.post(path, data=form)
        assert answer.status_code == 303 and answer.headers["location"].startswith("/login?next="), path


def test_every_admin_form_carries_the_csrf_token_and_labels_its_fields(app, admin):
    _open_token(app)
    page = admin.get("/admin").text
    token = _token(admin)
    posts = [form.split("</form>", 1)[0] for form in page.split("<form")[1:] if 'method="post"' in form.split(">")[0]]
    actions = {form.split('action="', 1)[1].split('"', 1)[0].rsplit("/", 1)[-1] for form in posts}
    assert {"logout", "users", "tokens", "disable", "revoke"} <= actions
    for form in posts:
        assert f'name="csrf_token" value="{token}"' in form
    for field in ("new-username", "new-role", "new-password", "new-password-again", "token-name", "token-role"):
        assert f'<label for="{field}">' in page and f'id="{field}"' in page
    assert "UBND huyện Ba Vì" in page and f'value="{X99}"' in page  # the agencies of the registry
