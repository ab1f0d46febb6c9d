"""Certified electronic copies in the API and the web pages (issue 16): the real app (FastAPI's TestClient on
create_app, a folder store and SQLite) signing with tests/pki.py's throwaway PKI and a PKCS#12 key whose PIN is in a
file. An archivist of the agency certifies a document (API and the page's form) and a dossier, downloads the copy
(it validates against the test root), sees its status on the document page; a clerk is refused (403), another
agency's archivist never sees the record (404); a copy tampered in the store reads "không hợp lệ" once verified
again; the server's key or certificate failing is a named JSON failure with its status; the PIN is in no response,
log, access-log entry or stored byte.

The tests share one site and run in order: each certifies documents the earlier ones left alone."""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path

import pki
import pytest
from fastapi.testclient import TestClient
from test_certify import DOSSIER, PIN, archived, signing_env, test_pki  # noqa: F401 - test_pki: the session's PKI

from archive.access import add_user, read_access
from archive.certify import CERTIFIED
from schemas.settings import get_settings
from sign import pades

PASSWORD = "mật-khẩu-thử-51ab"
USERS = {
    "arch33": ("archivist", [pki.AGENCY_CODE]),
    "clerk33": ("clerk", [pki.AGENCY_CODE]),
    "admin33": ("admin", [pki.AGENCY_CODE]),
    "arch30": ("archivist", [pki.OTHER_CODE]),
    "archboth": ("archivist", [pki.AGENCY_CODE, pki.OTHER_CODE]),
}


@pytest.fixture(scope="module")
def site(test_pki, tmp_path_factory):  # noqa: F811 - the PKI fixture imported above
    """SOHOA_HOME with three H33 documents and one of the other agency in one dossier, the users, and the app
    signing as H33 with its PKCS#12 key (PIN in a file), its TSA and OCSP responder on loopback."""
    from web.app import create_app

    folder = tmp_path_factory.mktemp("web-certify")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOHOA_HOME", str(folder / "home"))
        for name in ("SOHOA_STORE_URL", "SOHOA_CATALOG_URL", "PREFECT_API_URL"):
            patch.delenv(name, raising=False)
        signing_env(patch, test_pki, folder)
        docs = [archived(folder, ordinal=n, shade=240 - 10 * n) for n in (1, 2, 3)]
        theirs = archived(folder, agency=pki.OTHER_CODE, ordinal=9, shade=150)
        settings = get_settings()
        app = create_app(settings)
        for name, (role, agencies) in USERS.items():
            add_user(app.state.archive, name, role, agencies, PASSWORD, False)
        yield {"app": app, "docs": [d.id for d in docs], "theirs": theirs.id, "folder": folder, "pki": test_pki}
        app.state.archive.close()


def _client(app, user: str | None) -> TestClient:
    client = TestClient(app, follow_redirects=False)
    if user is not None:
        answer = client.post("/login", data={"username": user, "password": PASSWORD, "next": "/"})
        assert answer.status_code == 303, answer.text
    return client


def _csrf(client: TestClient) -> dict[str, str]:
    return {"x-csrf-token": client.cookies.get("sohoa_csrf") or ""}


def _said(answer) -> str:
    """A response's text, checked for the PIN on the way (body and headers)."""
    text = answer.text if "pdf" not in answer.headers.get("content-type", "") else ""
    assert PIN not in text and PIN not in str(answer.headers)
    return text


def _certify(client: TestClient, doc_id: str, form: str | None = "SAO Y"):
    body = {"copy_form": form} if form is not None else None
    return client.post(f"/api/documents/{doc_id}/certify", json=body, headers=_csrf(client))


def test_who_may_certify_and_what_the_others_get(site):
    app, (d1, _, _), theirs = site["app"], site["docs"], site["theirs"]
    assert _certify(_client(app, None), d1).status_code == 401
    clerk = _client(app, "clerk33")
    refused = _certify(clerk, d1)
    assert refused.status_code == 403 and refused.json()["code"] == "forbidden", _said(refused)
    other = _client(app, "arch30")  # another agency's archivist: the record does not exist for them
    for answer in (
        _certify(other, d1),
        other.post(f"/api/documents/{d1}/certified/verify", headers=_csrf(other)),
        other.get(f"/api/documents/{d1}/certified"),
        other.post(f"/documents/{d1}/certify", data={"copy_form": "SAO Y", "csrf_token": _csrf(other)["x-csrf-token"]}),
    ):
        assert answer.status_code == 404, _said(answer)
    # Their own dossier view holds only their document: refused by the server's key (H33's), ours untouched.
    (report,) = other.post(f"/api/dossiers/{DOSSIER}/certify", json={}, headers=_csrf(other)).json()["documents"]
    assert report["id"] == theirs and report["status"] == "refused" and report["failure"]["code"] == "wrong_agency"
    # An archivist of both agencies: the other agency's document is refused by name (the key is H33's).
    both = _client(app, "archboth")
    wrong = _certify(both, theirs)
    assert wrong.status_code == 409 and wrong.json()["code"] == "wrong_agency" and wrong.json()["vi"], _said(wrong)
    assert "Chứng thực bản sao điện tử" not in both.get(f"/documents/{theirs}").text
    # An admin of the agency passes the role check; a copy form that ND30 does not know is the caller's input.
    admin = _client(app, "admin33")
    bad = _certify(admin, d1, "BẢN CHÍNH")
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_copy_form", _said(bad)
    # Nothing certified yet: the JSON says so, there is nothing to download, the form is the archivist's only.
    arch = _client(app, "arch33")
    assert arch.get(f"/api/documents/{d1}").json()["certified"] == {**_absent(), "present": False}
    assert arch.get(f"/api/documents/{d1}/certified").status_code == 404
    page = _said(arch.get(f"/documents/{d1}"))
    assert "Chưa có bản sao điện tử có chữ ký số" in page and "Chứng thực bản sao điện tử</button>" in page
    assert 'name="copy_form"' in page and "SAO LỤC" in page and "TRÍCH SAO" in page
    assert "Chứng thực bản sao điện tử</button>" not in clerk.get(f"/documents/{d1}").text
    assert "cả hồ sơ</button>" in arch.get(f"/dossiers/{DOSSIER}").text
    assert "cả hồ sơ</button>" not in clerk.get(f"/dossiers/{DOSSIER}").text


def _absent() -> dict:
    from archive.certify import CopyStatus

    return CopyStatus(present=False).model_dump(mode="json")


def test_an_archivist_certifies_through_the_api_and_downloads_a_valid_copy(site):
    app, (d1, _, _) = site["app"], site["docs"]
    arch = _client(app, "arch33")
    answer = _certify(arch, d1, "SAO LỤC")
    _said(answer)
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert report["status"] == "certified" and report["copy_form"] == "SAO LỤC" and report["level"] == "PAdES B-LT"
    assert report["certified"]["valid"] is True and report["certified"]["agency"] == pki.AGENCY_NAME
    status = arch.get(f"/api/documents/{d1}").json()["certified"]
    assert status["present"] and status["valid"] is True and status["problems"] == []
    assert status["serial"] == f"{site['pki'].cert('agency').serial_number:x}" and status["timestamp_at"]
    assert status["signed_at"] and pki.AGENCY_NAME in status["signer"] and status["seconds"] is not None
    download = arch.get(status["download"])
    assert download.status_code == 200 and download.headers["content-type"] == "application/pdf"
    assert ".ban-sao.pdf" in download.headers["content-disposition"]
    assert pades.verify_pdf(download.content, [site["pki"].cert("root")]).ok
    # A second request signs nothing again.
    again = _certify(arch, d1)
    assert again.status_code == 200 and again.json()["status"] == "already_certified"
    # The access log: the certification as an update of the record, the copy's download as a download.
    entries = read_access(app.state.archive, record=d1, limit=100)
    assert any(e.action == "update" and e.detail.get("what") == "certified_copy" for e in entries)
    assert any(e.action == "download" and e.detail.get("object") == CERTIFIED for e in entries)


def test_the_page_form_and_the_dossier_button_certify(site):
    app, (d1, d2, d3) = site["app"], site["docs"]
    arch = _client(app, "arch33")
    token = _csrf(arch)["x-csrf-token"]
    for sent in ("", "wrong-token"):  # CSRF as every other form
        refused = arch.post(f"/documents/{d2}/certify", data={"copy_form": "SAO Y", "csrf_token": sent})
        assert refused.status_code == 403 and "CSRF" in refused.text
    clerk = _client(app, "clerk33")
    forbidden = clerk.post(f"/documents/{d2}/certify", data={"copy_form": "SAO Y", "csrf_token": _csrf(clerk)[
        "x-csrf-token"]})  # fmt: skip
    assert forbidden.status_code == 403
    done = arch.post(f"/documents/{d2}/certify", data={"copy_form": "TRÍCH SAO", "csrf_token": token})
    assert done.status_code == 303 and done.headers["location"].endswith("saved=certified")
    page = _said(arch.get(done.headers["location"]))
    assert "Đã chứng thực bản sao điện tử" in page
    assert '<span class="tag valid">hợp lệ</span>' in page and "không hợp lệ" not in page
    assert pki.AGENCY_NAME in page and "Tải bản sao có chữ ký số" in page
    assert re.search(r"Thời điểm ký</dt><dd>\d\d/\d\d/\d{4} \d\d:\d\d:\d\d", page)
    assert re.search(r"Dấu thời gian</dt><dd>\d\d/\d\d/\d{4} \d\d:\d\d:\d\d", page)
    assert "Chứng thực bản sao điện tử</button>" not in page  # certified: no form any more
    # The whole dossier through the API: the third document signed, the two others already.
    answer = arch.post(f"/api/dossiers/{DOSSIER}/certify", json={"copy_form": "SAO Y"}, headers=_csrf(arch))
    _said(answer)
    reports = {report["id"]: report["status"] for report in answer.json()["documents"]}
    assert reports == {d1: "already_certified", d2: "already_certified", d3: "certified"}
    # and the dossier page's button: every document listed with its outcome.
    listed = _said(arch.post(f"/dossiers/{DOSSIER}/certify", data={"copy_form": "SAO Y", "csrf_token": token}))
    assert listed.count("đã có bản sao có chữ ký số") == 3 and listed.count("Đã chứng thực") == 3
    assert arch.post(f"/dossiers/{DOSSIER}/certify", data={"copy_form": "SAO Y"}).status_code == 403  # no token


def test_a_copy_tampered_in_the_store_is_invalid_once_verified_again(site):
    app, (d1, _, _) = site["app"], site["docs"]
    arch = _client(app, "arch33")
    status = arch.get(f"/api/documents/{d1}").json()
    key, size = status["certified"]["key"], status["objects"]["archive"]["size"]
    copy = site["folder"] / "home" / "store" / key
    data = bytearray(copy.read_bytes())
    data[size // 2] ^= 0x01  # inside the signed range
    os.chmod(copy, 0o644)  # the folder store keeps a locked object read-only; someone with the rights got past it
    copy.write_bytes(bytes(data))
    assert arch.get(f"/api/documents/{d1}").json()["certified"]["valid"] is True  # the last verification, kept
    again = arch.post(f"/documents/{d1}/certified/verify", data={"csrf_token": _csrf(arch)["x-csrf-token"]})
    assert again.status_code == 303 and again.headers["location"].endswith("saved=verified")
    page = _said(arch.get(again.headers["location"]))
    assert '<span class="tag invalid">không hợp lệ</span>' in page
    assert "Lý do: chữ ký số không khớp với nội dung: tệp đã bị sửa sau khi ký" in page
    checked = arch.post(f"/api/documents/{d1}/certified/verify", headers=_csrf(arch)).json()
    assert checked["valid"] is False and checked["problems"]
    assert arch.get(f"/api/documents/{d1}").json()["certified"]["valid"] is False
    # `sohoa verify`'s own check (archive.certify.verify_certified) leaves the same status for the pages.
    from archive.certify import verify_certified

    assert [c.ok for c in verify_certified(archive=app.state.archive) if c.id == d1] == [False]


def test_the_servers_key_failing_is_a_named_failure_and_the_pin_is_never_said(site, caplog, tmp_path):
    from web.app import create_app

    caplog.set_level(logging.DEBUG)
    folder, test_pki_ = site["folder"], site["pki"]
    fresh = archived(folder, ordinal=4, shade=120).id
    settings = get_settings()
    variants = {
        "revoked": (settings.model_copy(update={"sign_pkcs12": str(test_pki_.pkcs12("revoked", PIN))}), 409),
        "expired": (settings.model_copy(update={"sign_pkcs12": str(test_pki_.pkcs12("expired", PIN))}), 409),
        "pin": (settings.model_copy(update={"sign_pin_file": str(_pin_file(tmp_path, "sai-" + PIN))}), 503),
        "none": (settings.model_copy(update={"sign_pkcs12": "", "sign_pkcs11_lib": ""}), 503),
    }
    codes = {}
    for name, (changed, status) in variants.items():
        app = create_app(changed)
        try:
            arch = _client(app, "arch33")
            answer = _certify(arch, fresh)
            text = _said(answer)
            assert "sai-" + PIN not in text
            assert answer.status_code == status, text
            codes[name] = answer.json()["code"]
            assert answer.json()["vi"] and answer.json()["en"]
            if name == "none":  # signing not configured: no form on the page
                assert "Chứng thực bản sao điện tử</button>" not in arch.get(f"/documents/{fresh}").text
        finally:
            app.state.archive.close()
    assert codes == {
        "revoked": "certificate_revoked",
        "expired": "certificate_expired",
        "pin": "signing_pin_wrong",
        "none": "signing_not_configured",
    }
    assert CERTIFIED not in site["app"].state.archive.catalog.get(fresh).objects
    # The PIN in no log line, access-log entry or stored byte (catalog, store, the verification cache).
    assert PIN not in caplog.text
    assert not [e for e in read_access(site["app"].state.archive, limit=1000) if PIN in e.model_dump_json()]
    stored = b"".join(path.read_bytes() for path in (folder / "home").rglob("*") if path.is_file())
    assert PIN.encode() not in stored


def _pin_file(folder: Path, pin: str) -> Path:
    path = folder / "wrong-pin.txt"
    path.write_text(pin + "\n", encoding="utf-8")
    path.chmod(0o600)
    return path
