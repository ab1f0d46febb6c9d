"""Careless and hostile command lines (issue 10): each is refused up front with a named failure (JSON on stdout
under --json, no traceback, exit status 1) and nothing is stored or overwritten.

Every command runs as the real `sohoa` in a child process, in a working folder holding the data folder, as a
script with an empty variable would run it."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
from pathlib import Path

import pytest
from conftest import sohoa_command
from PIL import Image, ImageDraw, ImageFont

AGENCY = "000.00.00.H33"
DOSSIER = "000.00.00.H33-230607-0001"


@pytest.fixture
def workdir(tmp_path, monkeypatch) -> Path:
    """The working folder; the data folder is `sohoa-data/` inside it (SOHOA_HOME), embedded defaults."""
    for name in [name for name in os.environ if name.startswith("SOHOA_")] + ["PREFECT_API_URL"]:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SOHOA_HOME", str(tmp_path / "sohoa-data"))
    monkeypatch.setenv("SOHOA_OCR_WORKERS", "1")
    return tmp_path


def sohoa(workdir: Path, *args: str) -> subprocess.CompletedProcess:
    completed = subprocess.run(
        [*sohoa_command(), *args], cwd=workdir, capture_output=True, text=True, env=dict(os.environ), timeout=300
    )
    assert "Traceback" not in completed.stderr, completed.stderr
    return completed


def refused(completed: subprocess.CompletedProcess, code: str) -> dict:
    """The command failed with the named failure `code`, said as JSON on stdout (it was run with --json)."""
    assert completed.returncode == 1, (completed.stdout, completed.stderr)
    failure = json.loads(completed.stdout)
    assert failure["code"] == code, failure
    assert failure["error"].startswith(code + ":") and failure["vi"] and failure["en"]
    assert "ValueError" not in completed.stderr and "validation error" not in completed.stderr
    return failure


def make_scan(path: Path) -> Path:
    """A small one-page scan with a line of print (OCR of it takes a second or two)."""
    image = Image.new("L", (1200, 400), 255)
    ImageDraw.Draw(image).text(
        (60, 120), "QUYET DINH ve viec cap giay phep", fill=0, font=ImageFont.load_default(size=48)
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, dpi=(200, 200))
    return path


def stored_files(workdir: Path) -> list[str]:
    store = workdir / "sohoa-data" / "store"
    return sorted(str(path.relative_to(store)) for path in store.rglob("*") if path.is_file())


def catalogued(workdir: Path) -> int:
    database = workdir / "sohoa-data" / "catalog.db"
    if not database.exists():
        return 0
    with sqlite3.connect(database) as connection:
        return connection.execute("SELECT count(*) FROM documents").fetchone()[0]


def test_ingest_of_an_empty_path_in_the_folder_holding_the_archive_stores_nothing(workdir):
    """`sohoa ingest ""` in a folder holding sohoa-data/ archived the current folder, the archive's own
    archive.pdf with it (a new retention-locked document). Now refused, and so is the folder itself."""
    scan = make_scan(workdir / "scan.png")
    first = sohoa(workdir, "ingest", str(scan), "--json")
    assert first.returncode == 0, first.stderr
    before = stored_files(workdir)
    assert any(name.endswith("archive.pdf") for name in before) and catalogued(workdir) == 1

    for args in ([""], ["  "], ["", str(scan)]):
        failure = refused(sohoa(workdir, "ingest", *args, "--json"), "empty_path")
        assert failure["detail"] == "PATH 1"
    refused(sohoa(workdir, "ingest", ".", "--json"), "path_inside_archive")  # holds sohoa-data/
    refused(sohoa(workdir, "ingest", str(workdir.parent), "--json"), "path_inside_archive")

    assert stored_files(workdir) == before and catalogued(workdir) == 1


def test_paths_inside_the_archive_are_refused(workdir):
    """The store, the catalog and SOHOA_HOME itself are never archived again, nor reached through a link in a
    dossier folder; the inbox under SOHOA_HOME stays a place scans may be ingested from."""
    home = workdir / "sohoa-data"
    in_store = make_scan(home / "store" / AGENCY / "2023" / DOSSIER / f"{DOSSIER}.001" / "original.png")
    (home / "catalog.db").write_bytes(b"")
    linked = workdir / "scans" / DOSSIER
    linked.mkdir(parents=True)
    (linked / "001.png").symlink_to(in_store)

    for path in (in_store, in_store.parent, home / "store", home, home / "catalog.db", linked):
        refused(sohoa(workdir, "ingest", str(path), "--json"), "path_inside_archive")
    assert not (home / "catalog.db").read_bytes()  # no document was catalogued

    # A path that cannot even be looked at is said so by name (it was a raw OSError).
    refused(sohoa(workdir, "ingest", "n" * 300 + ".png", "--json"), "unreadable_path")
    (workdir / "loop-a").symlink_to(workdir / "loop-b")
    (workdir / "loop-b").symlink_to(workdir / "loop-a")
    refused(sohoa(workdir, "ingest", "loop-a", "--json"), "unreadable_path")

    # The inbox is not the archive: its files go through (this one is not a scan, so it is quarantined).
    note = home / "inbox" / "ghi-chu.txt"
    note.parent.mkdir(parents=True)
    note.write_text("không phải bản quét", encoding="utf-8")
    completed = sohoa(workdir, "ingest", str(note), "--json")
    (report,) = json.loads(completed.stdout)["documents"]
    assert report["status"] == "quarantined" and report["error"].startswith("unsupported_format:")


@pytest.mark.parametrize(
    ("option", "value", "code"),
    [
        ("--agency", "../x", "invalid_agency_code"),
        ("--agency", ".hidden", "invalid_agency_code"),
        ("--agency", "", "invalid_agency_code"),
        ("--agency", "٠٠٠.٠٠.٠٠.H33", "invalid_agency_code"),  # Arabic-Indic digits: no folder name in the store
        ("--dossier", "a" * 300, "invalid_dossier_code"),
        ("--dossier", ".hidden", "invalid_dossier_code"),
        ("--dossier", "../../x", "invalid_dossier_code"),
        ("--dossier", "", "invalid_dossier_code"),
    ],
)
def test_bad_codes_given_to_ingest_are_named_failures(workdir, option, value, code):
    """These aborted the whole command with a raw ValueError from the store, after OCR, and no JSON."""
    scan = make_scan(workdir / "scan.png")
    failure = refused(sohoa(workdir, "ingest", str(scan), option, value, "--json"), code)
    assert failure["detail"].startswith(option)
    assert "000.00.00.H33" in failure["en"]  # the expected format is said
    assert stored_files(workdir) == [] and catalogued(workdir) == 0


def test_a_folder_whose_name_cannot_be_a_dossier_code_is_refused(workdir):
    """`sohoa ingest FOLDER` names the dossier after the folder: the same rules apply to the folder's name."""
    folder = workdir / ("ho-so-" + "x" * 70)
    make_scan(folder / "001.png")
    failure = refused(sohoa(workdir, "ingest", str(folder), "--json"), "invalid_dossier_code")
    assert "folder name" in failure["detail"] and "64" in failure["detail"]
    assert stored_files(workdir) == []


@pytest.mark.parametrize(
    "args",
    [
        ["search", "quyet dinh", "--dossier", "a" * 300],
        ["dossier", "show", "../x"],
        ["dossier", "set", ".hidden", "--title", "x"],
        ["dossier", "set", DOSSIER, "--agency", "../x"],
        ["export", "a/../../b", "--json"],
    ],
)
def test_bad_codes_in_other_commands_are_named_failures(workdir, args):
    code = "invalid_agency_code" if "--agency" in args else "invalid_dossier_code"
    refused(sohoa(workdir, *args, *([] if "--json" in args else ["--json"])), code)
    assert stored_files(workdir) == []


@pytest.mark.parametrize(
    ("value", "accepted"),
    [
        ("000.00.00.h33-230607-0001", "000.00.00.H33-230607-0001"),  # national format, as the inbox writes it
        ("Hồ sơ đất đai 2023", "Hồ sơ đất đai 2023"),  # a free code, as typed
        ("x" * 64, "x" * 64),
        ("x" * 65, None),
        ("a/b", None),
        ("a\\b", None),
        ("a..b", None),
        (".hidden", None),
        ("Đ.x", None),  # its store folder would be '.x'
        ("a\tb", None),
        (" a", None),
        ("", None),
        ("!!!", None),
    ],
)
def test_dossier_code_rules_shared_by_the_cli_and_the_api(value, accepted):
    from schemas.codes import InvalidDossierCode, check_dossier_code

    if accepted is None:
        with pytest.raises(InvalidDossierCode):
            check_dossier_code(value)
    else:
        assert check_dossier_code(value) == accepted


@pytest.fixture
def exportable(workdir) -> str:
    """A dossier with one document in the catalog (recorded directly: no OCR needed to export it)."""
    from catalog import Catalog
    from schemas import Document
    from schemas.settings import get_settings

    catalog = Catalog.from_settings(get_settings())
    try:
        document = Document(
            id="d1", dossier=DOSSIER, agency=AGENCY, source="1.jpg", sha256="1" * 64, size=1, pages=1, ordinal=1
        )
        catalog.record(document, {}, ["QUYẾT ĐỊNH về việc cấp giấy phép xây dựng"])
    finally:
        catalog.close()
    return DOSSIER


@pytest.mark.parametrize("fmt", ["json", "xlsx"])
def test_export_does_not_overwrite_an_existing_file_without_force(workdir, exportable, fmt):
    """`export --out` silently overwrote whatever was there (a copy of catalog.db)."""
    target = workdir / "catalog-copy.db"
    target.write_bytes(b"SQLite format 3\x00 a copy someone keeps")
    failure = refused(
        sohoa(workdir, "export", exportable, "--format", fmt, "--out", str(target), "--json"), "export_target_exists"
    )
    assert "--force" in failure["en"]
    assert target.read_bytes() == b"SQLite format 3\x00 a copy someone keeps"

    forced = sohoa(workdir, "export", exportable, "--format", fmt, "--out", str(target), "--force")
    assert forced.returncode == 0, forced.stderr
    written = target.read_bytes()
    assert written.startswith(b"PK") if fmt == "xlsx" else json.loads(written)["dossier"]["code"] == DOSSIER
    assert sorted(path.name for path in workdir.iterdir() if path.name.endswith(".tmp")) == []


def test_export_never_writes_into_the_archive_or_through_a_link(workdir, exportable):
    catalog = workdir / "sohoa-data" / "catalog.db"
    before = catalog.read_bytes()
    for target in (catalog, workdir / "sohoa-data" / "muc-luc.json", workdir / "sohoa-data" / "store" / "x.json"):
        refused(sohoa(workdir, "export", exportable, "--out", str(target), "--force", "--json"), "path_inside_archive")
    assert catalog.read_bytes() == before

    elsewhere = workdir / "elsewhere"
    elsewhere.mkdir()
    (workdir / "link").symlink_to(elsewhere)
    refused(
        sohoa(workdir, "export", exportable, "--out", str(workdir / "link" / "out.json"), "--json"), "symlink_in_path"
    )
    (workdir / "out.json").symlink_to(workdir / "victim.txt")
    refused(sohoa(workdir, "export", exportable, "--out", "out.json", "--force", "--json"), "symlink_in_path")
    assert list(elsewhere.iterdir()) == [] and not (workdir / "victim.txt").exists()


@pytest.mark.parametrize("value", ["mãi mãi", "sometimes", "0"])
def test_a_bad_maintenance_value_says_what_is_expected(workdir, exportable, value):
    """`dossier set --maintenance` with a value it cannot read printed a pydantic validation error."""
    failure = refused(
        sohoa(workdir, "dossier", "set", exportable, "--maintenance", value, "--json"), "invalid_maintenance"
    )
    assert "Vĩnh viễn" in failure["vi"] and "number of years" in failure["en"]
    refused(sohoa(workdir, "dossier", "set", exportable, "--start-date", "07/06/2023", "--json"), "invalid_date")
    assert stored_files(workdir) == []  # no dossier.json written


def test_showing_an_unknown_dossier_is_a_named_failure(workdir, exportable):
    """`dossier show NOPE` printed an empty record and exited 0."""
    failure = refused(sohoa(workdir, "dossier", "show", "NOPE", "--json"), "dossier_not_found")
    assert failure["detail"] == "NOPE"
    plain = sohoa(workdir, "dossier", "show", "NOPE")
    assert plain.returncode == 1 and "dossier_not_found" in plain.stderr and plain.stdout == ""
    known = sohoa(workdir, "dossier", "show", exportable, "--json")
    assert known.returncode == 0 and json.loads(known.stdout)["doc_total"] == 1
