"""The access log (issue 12): append-only, each entry chained to the one before by its hash, so `sohoa accesslog
verify` finds an edited or a deleted entry; appends from several processes at once keep one chain; the daily copy
lands in the store locked like an original; admins export it by user, record and date."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from _catalogs import sohoa_home, tamper  # noqa: F401  (on both backends)
from conftest import sohoa_command

pytestmark = pytest.mark.slow  # runs the `sohoa` command and child processes

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "Mật-khẩu-của-lan-5521"


def sohoa(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    completed = subprocess.run(
        [*sohoa_command(), *args], input=stdin or "", capture_output=True, text=True, timeout=120
    )
    assert "Traceback" not in completed.stderr, completed.stderr
    return completed


def verify() -> tuple[int, dict]:
    completed = sohoa("accesslog", "verify", "--json")
    return completed.returncode, json.loads(completed.stdout)


def write_entries(count: int, *, at: datetime | None = None) -> None:
    """`count` reads of records by two users, as the web app records them."""
    from archive import Archive
    from archive.access import add_user, authenticate, record_access
    from catalog import identity

    with Archive.open() as archive:
        if identity.get_user(archive.catalog, "lan") is None:
            add_user(archive, "lan", "archivist", ["000.00.00.H33"], PASSWORD)
            add_user(archive, "minh", "clerk", ["000.00.00.H33"], PASSWORD)
        principals = [authenticate(archive, name, PASSWORD, "10.1.1.1") for name in ("lan", "minh")]
        for number in range(count):
            who = principals[number % 2]
            if at is None:
                record_access(archive, who, "view", [f"doc-{number}"], "10.1.1.1", {"page": number})
            else:
                identity.append_access(
                    archive.catalog,
                    actor_kind="user",
                    actor=who.name,
                    action="search",
                    records=[f"doc-{number}"],
                    address="10.1.1.1",
                    detail={"query": "giấy khai sinh"},
                    at=at + timedelta(minutes=number),
                )


def test_verify_passes_then_finds_an_edited_entry(sohoa_home):
    write_entries(6)
    code, report = verify()
    assert code == 0 and report["ok"] is True and report["entries"] >= 8 and report["problems"] == []

    tamper(sohoa_home, """UPDATE access_log SET detail = '{"page": 99}' WHERE seq = 5""")
    code, report = verify()
    assert code == 1 and report["ok"] is False
    assert {"seq": 5, "problem": "edited"} in [{"seq": p["seq"], "problem": p["problem"]} for p in report["problems"]]
    assert "5" in sohoa("accesslog", "verify").stdout

    # Editing the entry and its hash too still shows: the next entry no longer follows it.
    # (Its first hex digit changed for another: 'f' over an 'f' would change nothing, one time in sixteen.)
    tamper(
        sohoa_home,
        "UPDATE access_log SET hash = CASE WHEN substr(hash, 1, 1) = 'f' THEN 'e' ELSE 'f' END || substr(hash, 2)"
        " WHERE seq = 5",
    )
    code, report = verify()
    assert code == 1 and any(p["seq"] == 6 and p["problem"] == "chain_broken" for p in report["problems"])


def test_verify_finds_a_deleted_entry_in_the_middle_and_at_the_end(sohoa_home):
    write_entries(6)
    assert verify()[0] == 0
    tamper(sohoa_home, "DELETE FROM access_log WHERE seq = 4")
    code, report = verify()
    assert code == 1
    assert any(p["seq"] == 4 and p["problem"] == "missing" for p in report["problems"]), report
    assert "altered" in sohoa("accesslog", "verify").stderr

    tamper(sohoa_home, "DELETE FROM access_log WHERE seq = (SELECT max(seq) FROM access_log)")
    last = report["entries"] + 1  # entries counted before this deletion, plus the one deleted first
    code, report = verify()
    assert code == 1 and any(p["seq"] == last and p["problem"] == "missing" for p in report["problems"]), report


APPENDER = """
import sys
from archive import Archive
from archive.access import record_access
from catalog import identity

with Archive.open() as archive:
    identity.count_entries(archive.catalog)  # the catalog opened before the start signal
    sys.stdout.write("ready\\n"); sys.stdout.flush()
    sys.stdin.readline()
    for number in range(int(sys.argv[1])):
        record_access(archive, None, "search", [f"{sys.argv[2]}-{number}"], "10.0.0.1", {"query": "hộ tịch"})
"""


def test_appends_from_two_processes_at_once_keep_one_chain(sohoa_home):
    from archive import Archive
    from catalog import identity

    with Archive.open() as archive:
        identity.count_entries(archive.catalog)  # the tables made before the writers start
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", APPENDER, "60", name],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("a", "b")
    ]
    try:
        for writer in writers:
            assert writer.stdout is not None and writer.stdout.readline() == "ready\n"
        for writer in writers:  # both start appending at the same moment
            assert writer.stdin is not None
            writer.stdin.write("go\n")
            writer.stdin.flush()
        for writer in writers:
            _, errors = writer.communicate(timeout=120)
            assert writer.returncode == 0, errors
    finally:
        for writer in writers:
            if writer.poll() is None:
                writer.kill()
    with Archive.open() as archive:
        entries = identity.read_access(archive.catalog)
    assert [entry.seq for entry in entries] == list(range(1, 121))
    assert {entry.records[0].split("-")[0] for entry in entries} == {"a", "b"}
    code, report = verify()
    assert code == 0 and report["entries"] == 120, report


def test_the_daily_copy_is_stored_locked_once_per_finished_day(sohoa_home):
    yesterday = datetime.now(UTC).replace(hour=1, minute=0, second=0, microsecond=0) - timedelta(days=1)
    write_entries(3, at=yesterday)
    day = yesterday.date().isoformat()

    copied = sohoa("accesslog", "copy", "--day", day, "--json")
    assert copied.returncode == 0, copied.stderr
    [outcome] = json.loads(copied.stdout)["copies"]
    key = f"_accesslog/{day[:4]}/{day}.jsonl"
    assert outcome == {"day": day, "key": key, "entries": 3, "status": "copied"}

    from archive import Archive
    from catalog import identity

    with Archive.open() as archive:
        stored = archive.store.get_bytes(key)
        lock = archive.store.lock_of(key)
        in_catalog = identity.access_day(archive.catalog, yesterday.date())
    assert lock is not None and lock.active()
    lines = [json.loads(line) for line in stored.decode("utf-8").splitlines()]
    assert [line["hash"] for line in lines] == [entry.hash for entry in in_catalog]
    assert lines[0]["detail"] == {"query": "giấy khai sinh"}

    again = sohoa("accesslog", "copy", "--day", day, "--json")
    assert again.returncode == 0 and json.loads(again.stdout)["copies"][0]["status"] == "already_copied"
    with Archive.open() as archive:
        assert archive.store.get_bytes(key) == stored
    # Without --day: every finished day not yet copied (here: none left); today is never copied unfinished.
    assert json.loads(sohoa("accesslog", "copy", "--json").stdout) == {"copies": []}
    today = sohoa("accesslog", "copy", "--day", datetime.now(UTC).date().isoformat())
    assert today.returncode == 1 and "access_day_not_over" in today.stderr

    # The day's entries changed after the copy: said, and the locked copy stays as it was.
    tamper(sohoa_home, f"DELETE FROM access_log WHERE at LIKE '{day}%' AND seq = (SELECT max(seq) FROM access_log)")
    changed = sohoa("accesslog", "copy", "--day", day)
    assert changed.returncode == 1 and "access_copy_differs" in changed.stderr
    with Archive.open() as archive:
        assert archive.store.get_bytes(key) == stored


def test_export_by_user_record_and_date_to_csv_and_xlsx(sohoa_home, tmp_path):
    write_entries(6)
    by_user = tmp_path / "lan.csv"
    exported = sohoa("accesslog", "export", "--out", str(by_user), "--user", "minh", "--json")
    assert exported.returncode == 0, exported.stderr
    with open(by_user, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert json.loads(exported.stdout)["entries"] == len(rows) == 4  # its sign-in and three reads
    assert {row["Người dùng / actor"] for row in rows} == {"minh"}
    assert [row["Hồ sơ, tài liệu / records"] for row in rows if row["Thao tác / action"] == "view"] == [
        "doc-1",
        "doc-3",
        "doc-5",
    ]

    from openpyxl import load_workbook

    by_record = tmp_path / "doc-2.xlsx"
    assert sohoa("accesslog", "export", "--out", str(by_record), "--record", "doc-2").returncode == 0
    sheet = load_workbook(by_record).active
    values = list(sheet.iter_rows(values_only=True))
    assert len(values) == 2 and values[1][3] == "lan" and values[1][6] == "doc-2"

    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
    later = tmp_path / "later.csv"
    assert sohoa("accesslog", "export", "--out", str(later), "--since", tomorrow).returncode == 0
    assert len(later.read_text(encoding="utf-8-sig").splitlines()) == 1  # the header only
    assert "export_target_exists" in sohoa("accesslog", "export", "--out", str(later)).stderr
    assert "unknown_export_format" in sohoa("accesslog", "export", "--out", str(tmp_path / "x.pdf")).stderr

    # Reading the log is itself in the log, and no password is anywhere in it.
    from archive import Archive
    from archive.access import read_access

    with Archive.open() as archive:
        entries = read_access(archive)
    assert entries[-1].action == "accesslog_export"
    assert all(PASSWORD not in json.dumps(entry.model_dump(), ensure_ascii=False) for entry in entries)


def test_a_chain_rewritten_whole_in_the_catalog_differs_from_its_locked_daily_copy(sohoa_home):
    yesterday = datetime.now(UTC).replace(hour=2, minute=0, second=0, microsecond=0) - timedelta(days=1)
    write_entries(4, at=yesterday)
    assert sohoa("accesslog", "copy", "--day", yesterday.date().isoformat()).returncode == 0
    assert sohoa("accesslog", "verify", "--copies").returncode == 0

    # Someone with the catalog file edits an entry and recomputes every hash after it: the chain holds...
    from archive import Archive
    from catalog import identity

    with Archive.open() as archive:
        entries = identity.read_access(archive.catalog)
    previous = identity.GENESIS_HASH
    for entry in entries:
        fields = entry.model_dump()
        if entry.records == ["doc-1"]:
            fields["records"] = ["doc-999"]
        fields["hash"] = identity.entry_hash(fields, previous)
        tamper(
            sohoa_home,
            "UPDATE access_log SET records = :records, prev_hash = :prev, hash = :hash WHERE seq = :seq",
            {"records": json.dumps(fields["records"]), "prev": previous, "hash": fields["hash"], "seq": entry.seq},
        )
        previous = fields["hash"]
    assert verify()[0] == 0
    # ...but no longer matches the day's locked copy in the store.
    checked = sohoa("accesslog", "verify", "--copies", "--json")
    assert checked.returncode == 1
    [problem] = json.loads(checked.stdout)["problems"]
    assert problem["problem"] == "copy_differs" and yesterday.date().isoformat() in problem["detail"]
