"""What becomes of a processed inbox file: done, deleted, quarantined with its reason, and back with retry."""

import json
from datetime import date
from pathlib import Path
from pathlib import PurePosixPath as P

import pytest

from inbox.outcome import (
    NotQuarantined,
    RetryTargetTaken,
    error_json_path,
    mark_done,
    quarantine,
    quarantined_files,
    report_failure,
    retry_quarantined,
)
from schemas import DocumentReport, DocumentStatus
from schemas.failures import EncryptedFile
from storage import SourceChanged, StorageUnavailable

DAY = date(2024, 6, 7)
RELATIVE = P("000.00.00.H33/000.00.00.H33-230607-0001/05-khoa.pdf")


def _claimed(tmp_path: Path, data: bytes = b"%PDF-1.7 locked") -> Path:
    path = tmp_path / "inbox" / ".processing" / "w1" / RELATIVE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def test_a_reports_failure_is_read_as_data_with_its_own_texts():
    report = DocumentReport(
        id=None,
        dossier="d",
        source="x.pdf",
        status=DocumentStatus.quarantined,
        failure=EncryptedFile("owner password (AES-256) / no user key").as_data(),
    )
    failure = report_failure(report)
    assert (failure.code, failure.vi, failure.en) == ("encrypted_file", EncryptedFile.vi, EncryptedFile.en)
    assert failure.detail == "owner password (AES-256) / no user key" and not failure.retryable
    # The text people read follows the data; nothing reads it back.
    assert report.error == str(EncryptedFile("owner password (AES-256) / no user key"))
    # A report as JSON (from a Prefect worker) keeps every field.
    again = DocumentReport.model_validate_json(report.model_dump_json())
    assert again.failure == report.failure
    # The archive being unreachable, or a file still being written, is not the file's fault.
    assert StorageUnavailable("timeout").as_data().retryable
    assert SourceChanged("grew").as_data().retryable and not SourceChanged.retryable


def test_a_failure_round_trips_as_data_with_only_the_inbox_package_imported():
    """The watcher decides from the report's fields, not from which failure classes happen to be imported."""
    import subprocess
    import sys

    program = (
        "import json, sys\n"
        "import inbox.watch, inbox.outcome\n"
        "from schemas import DocumentReport\n"
        "report = DocumentReport.model_validate_json(sys.stdin.read())\n"
        "failure = inbox.outcome.report_failure(report)\n"
        "assert 'storage' not in sys.modules, 'storage was imported'\n"
        "print(json.dumps([failure.code, failure.retryable]))\n"
    )
    report = DocumentReport(
        id=None,
        dossier="d",
        source="x.pdf",
        status=DocumentStatus.quarantined,
        failure=StorageUnavailable("timeout").as_data(),
    )
    completed = subprocess.run(
        [sys.executable, "-c", program],
        input=report.model_dump_json(),
        text=True,
        capture_output=True,
        timeout=120,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout) == ["storage_unavailable", True]


def test_done_keeps_the_inbox_path_under_the_day(tmp_path):
    claimed = _claimed(tmp_path)
    done = mark_done(tmp_path / "inbox", claimed, RELATIVE, day=DAY)
    assert done == tmp_path / "inbox" / ".done" / "2024-06-07" / RELATIVE
    assert done.read_bytes() == b"%PDF-1.7 locked" and not claimed.exists()
    # The same name done twice the same day: both kept.
    again = mark_done(tmp_path / "inbox", _claimed(tmp_path, b"second"), RELATIVE, day=DAY)
    assert again.name == "05-khoa (2).pdf" and again.read_bytes() == b"second"


def test_done_may_delete_instead(tmp_path):
    claimed = _claimed(tmp_path)
    assert mark_done(tmp_path / "inbox", claimed, RELATIVE, delete=True) is None
    assert not claimed.exists() and not (tmp_path / "inbox" / ".done").exists()


def _quarantined(tmp_path: Path) -> Path:
    report = DocumentReport(
        id=None,
        dossier="000.00.00.H33-230607-0001",
        source="x",
        status=DocumentStatus.quarantined,
        failure=EncryptedFile().as_data(),
    )
    return quarantine(
        tmp_path / "inbox", _claimed(tmp_path), RELATIVE, report, agency="000.00.00.H33", worker="w1", day=DAY
    )


def test_a_quarantined_file_lies_beside_its_reason_in_both_languages(tmp_path):
    quarantined = _quarantined(tmp_path)
    assert quarantined == tmp_path / "inbox" / ".quarantine" / "2024-06-07" / RELATIVE
    about = json.loads(error_json_path(quarantined).read_text(encoding="utf-8"))
    assert error_json_path(quarantined).name == "05-khoa.pdf.error.json"
    assert about["code"] == "encrypted_file"
    assert about["vi"] == "Tệp PDF có mật khẩu, không mở được" and about["en"] == "The PDF is password-protected"
    assert about["from"] == RELATIVE.as_posix() and about["file"] == "05-khoa.pdf"
    assert about["dossier"] == "000.00.00.H33-230607-0001" and about["agency"] == "000.00.00.H33"
    assert "sohoa retry" in about["what_to_do"]["vi"] and "sohoa retry" in about["what_to_do"]["en"]


@pytest.mark.parametrize("name_it", [lambda file: file, error_json_path])
def test_retry_puts_the_file_back_where_it_came_from(tmp_path, name_it):
    quarantined = _quarantined(tmp_path)
    [named] = quarantined_files(name_it(quarantined))
    back = retry_quarantined(named)
    assert back == tmp_path / "inbox" / RELATIVE and back.read_bytes() == b"%PDF-1.7 locked"
    assert not quarantined.exists() and not error_json_path(quarantined).exists()
    assert not (tmp_path / "inbox" / ".quarantine" / "2024-06-07").exists()  # emptied folders removed


def test_retry_of_a_whole_quarantine_folder_names_its_files_only(tmp_path):
    quarantined = _quarantined(tmp_path)
    assert quarantined_files(tmp_path / "inbox" / ".quarantine") == [quarantined]


def test_retry_never_replaces_a_file_already_back_in_the_inbox(tmp_path):
    quarantined = _quarantined(tmp_path)
    (tmp_path / "inbox" / RELATIVE).parent.mkdir(parents=True)
    (tmp_path / "inbox" / RELATIVE).write_bytes(b"a corrected scan, dropped again")
    with pytest.raises(RetryTargetTaken):
        retry_quarantined(quarantined)
    assert (tmp_path / "inbox" / RELATIVE).read_bytes() == b"a corrected scan, dropped again"
    assert quarantined.exists() and error_json_path(quarantined).exists()


def test_retry_refuses_a_file_that_is_not_quarantined(tmp_path):
    elsewhere = tmp_path / "inbox" / "000.00.00.H33" / "a.pdf"
    elsewhere.parent.mkdir(parents=True)
    elsewhere.write_bytes(b"x")
    with pytest.raises(NotQuarantined):
        retry_quarantined(elsewhere)
    assert elsewhere.exists()
