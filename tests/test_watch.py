"""`sohoa watch` and `sohoa retry` as a clerk and a service manager use them: real files, real child processes,
real OCR of tiny pages, the archive checked afterwards."""

import json
import shutil
import signal
import time
from datetime import date

import pikepdf
from _watch_helpers import (  # noqa: F401  (watchers is a fixture)
    AGENCY,
    archived_documents,
    claimed_files,
    dossier_code,
    drop,
    files_under,
    inbox_files,
    sha256,
    tiny_png,
    wait_until,
    watch_env,
    watchers,
)
from conftest import run_sohoa

from schemas.failures import CorruptFile, EmptyFile, EncryptedFile, UnsupportedFormat


def test_a_file_written_slowly_is_taken_only_once_complete(tmp_path, sohoa_home, watchers):
    inbox = tmp_path / "inbox"
    # No rescan during the test: the watcher must notice the file from change events alone.
    watcher = watchers.start(inbox, SOHOA_STABLE_SECONDS="1.5", SOHOA_RESCAN_SECONDS="600")
    watcher.wait_log("Đang theo dõi")
    data = tiny_png("Giấy hẹn trả kết quả số 17")
    target = inbox / AGENCY / f"{dossier_code(17)}-giay-hen.png"
    target.parent.mkdir(parents=True)
    chunk = len(data) // 8 + 1
    with target.open("wb") as stream:
        for start in range(0, len(data), chunk):
            stream.write(data[start : start + chunk])
            stream.flush()
            time.sleep(0.25)
            assert target.exists() and claimed_files(inbox) == []  # never taken half-written
    wait_until(lambda: files_under(inbox / ".done"), 60, "the file to be archived")
    [done] = files_under(inbox / ".done")
    assert done == inbox / ".done" / date.today().isoformat() / AGENCY / target.name
    [document] = archived_documents(sohoa_home)
    assert (document.sha256, document.dossier, document.agency) == (sha256(data), dossier_code(17), AGENCY)
    assert not (inbox / ".quarantine").exists() and inbox_files(inbox) == []
    assert watcher.stop() == 0
    assert watcher.log().count("Nhận hồ sơ") == 1


def _bad_drop(folder):
    """Good and bad files in one dossier folder; the good ones are named like a citizen's papers might be."""
    good = {"01-don-cua-cong-dan.png": tiny_png("Đơn đề nghị số 1"), "06-to-khai-cong-dan.png": tiny_png("Tờ khai 6")}
    for name, data in good.items():
        drop(folder / name, data)
    drop(folder / "02-empty.pdf", b"")
    drop(folder / "03-notes.txt", "không phải tài liệu quét".encode())
    drop(folder / "04-broken.pdf", b"%PDF-1.4\n%\xe2\xe3\n1 0 obj\n<< /Type /Catalog")
    with pikepdf.new() as pdf:
        pdf.add_blank_page()
        pdf.save(folder / "05-locked.pdf", encryption=pikepdf.Encryption(owner="o", user="u"))
    drop(folder / "07-scan.pdf.part", b"%PDF-1.4 never finished")  # abandoned download: ignored, left alone
    return good


def test_bad_files_go_to_quarantine_with_their_reason_and_the_rest_is_archived(tmp_path, sohoa_home):
    inbox = tmp_path / "inbox"
    folder = inbox / AGENCY / dossier_code(2)
    good = _bad_drop(folder)
    completed = run_sohoa("watch", str(inbox), "--once", "--json", env=watch_env())
    assert completed.returncode == 1  # something was quarantined: a scheduled run can tell
    summary = json.loads(completed.stdout)
    assert (summary["archived"], summary["quarantined"], summary["dossiers"]) == (2, 4, 1)

    day = date.today().isoformat()
    done = files_under(inbox / ".done")
    assert sorted(path.name for path in done) == sorted(good)
    assert all(path.parent == inbox / ".done" / day / AGENCY / dossier_code(2) for path in done)
    documents = archived_documents(sohoa_home)
    assert sorted(document.sha256 for document in documents) == sorted(sha256(data) for data in good.values())
    assert {document.dossier for document in documents} == {dossier_code(2)}

    quarantine = inbox / ".quarantine" / day / AGENCY / dossier_code(2)
    expected = {
        "02-empty.pdf": EmptyFile,
        "03-notes.txt": UnsupportedFormat,
        "04-broken.pdf": CorruptFile,
        "05-locked.pdf": EncryptedFile,
    }
    for name, failure in expected.items():
        assert (quarantine / name).is_file()
        about = json.loads((quarantine / f"{name}.error.json").read_text(encoding="utf-8"))
        assert (about["code"], about["vi"], about["en"]) == (failure.code, failure.vi, failure.en)
        assert about["from"] == f"{AGENCY}/{dossier_code(2)}/{name}" and about["dossier"] == dossier_code(2)
    # Only the abandoned .part is left in the inbox; nothing stays claimed.
    assert [path.name for path in inbox_files(inbox)] == ["07-scan.pdf.part"]
    assert claimed_files(inbox) == []
    # The log says what happened, in Vietnamese, by dossier and ordinal, and never names a file.
    assert f"Hồ sơ {dossier_code(2)}, tệp 5/6: bị cách ly — encrypted_file: {EncryptedFile.vi}" in completed.stderr
    assert f"Hồ sơ {dossier_code(2)}, tệp 1/6: đã lưu" in completed.stderr
    for name in [*good, *expected]:
        assert name.split(".")[0] not in completed.stderr


def test_retry_puts_a_quarantined_file_back_and_it_is_then_archived(tmp_path, sohoa_home):
    inbox = tmp_path / "inbox"
    relative = f"{AGENCY}/{dossier_code(3)}-giay-tiep-nhan.png"
    drop(inbox / relative, b"\x89PNG\r\n\x1a\n but the scanner cut it short")
    assert run_sohoa("watch", str(inbox), "--once", env=watch_env()).returncode == 1
    quarantined = inbox / ".quarantine" / date.today().isoformat() / relative
    assert quarantined.is_file() and quarantined.with_name(quarantined.name + ".error.json").is_file()

    # The clerk scans the page again into the quarantined file, then asks for a retry.
    data = tiny_png("Giấy tiếp nhận hồ sơ số 3")
    quarantined.write_bytes(data)
    retried = run_sohoa("retry", str(quarantined), "--json")
    assert retried.returncode == 0, retried.stderr
    assert json.loads(retried.stdout)["retried"] == [{"file": str(quarantined), "to": str(inbox / relative)}]
    assert (inbox / relative).read_bytes() == data
    assert files_under(inbox / ".quarantine") == []  # the error.json went with it

    again = run_sohoa("watch", str(inbox), "--once", "--json", env=watch_env())
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["archived"] == 1
    [document] = archived_documents(sohoa_home)
    assert (document.sha256, document.dossier) == (sha256(data), dossier_code(3))
    assert inbox_files(inbox) == []
    # Retrying what is not quarantined says so, and changes nothing.
    refused = run_sohoa("retry", str(files_under(inbox / ".done")[0]))
    assert refused.returncode == 1 and "not_quarantined" in refused.stderr
    assert len(files_under(inbox / ".done")) == 1


def test_sigterm_finishes_the_dossier_under_way_and_leaves_nothing_claimed(tmp_path, sohoa_home, watchers):
    inbox = tmp_path / "inbox"
    watcher = watchers.start(inbox)
    watcher.wait_log("Đang theo dõi")
    first = {f"{number:02d}.png": tiny_png(f"Trang số {number} của hồ sơ bốn") for number in range(1, 7)}
    for name, data in first.items():
        drop(inbox / AGENCY / dossier_code(4) / name, data)
    watcher.wait_log(f"Nhận hồ sơ {dossier_code(4)}")
    later = drop(inbox / AGENCY / dossier_code(5) / "01.png", tiny_png("Hồ sơ năm"))  # arrives as we stop
    assert watcher.stop() == 0
    log = watcher.log()
    assert "Nhận tín hiệu dừng (SIGTERM)" in log and "Đã dừng theo dõi hộp thư đến" in log
    assert claimed_files(inbox) == [] and not list((inbox / ".processing").iterdir())
    wait_until(lambda: not watcher.leftovers(), 10, "the watcher's OCR processes to end with it")
    # The dossier under way was finished: every file archived and moved to .done.
    assert sorted(path.name for path in files_under(inbox / ".done")) == sorted(first)
    assert sorted(document.sha256 for document in archived_documents(sohoa_home)) == sorted(
        sha256(data) for data in first.values()
    )
    # Nothing new was taken after the signal.
    assert later.is_file() and f"Nhận hồ sơ {dossier_code(5)}" not in log


def test_a_second_signal_gives_the_dossier_back_and_stops_at_once(tmp_path, sohoa_home, sample_dossier, watchers):
    inbox = tmp_path / "inbox"
    watcher = watchers.start(inbox)
    # A first small dossier, so that the OCR processes are up when the signals come.
    drop(inbox / AGENCY / dossier_code(7) / "01.png", tiny_png("Hồ sơ bảy"))
    watcher.wait_log(f"Xong hồ sơ {dossier_code(7)}")
    source_folder, _ = sample_dossier
    folder = inbox / AGENCY / dossier_code(6)
    folder.mkdir(parents=True)
    for name in ("001-quyet-dinh.jpg", "004-giay-tiep-nhan.pdf"):  # full pages: seconds of OCR each
        shutil.copy2(source_folder / name, folder / name)
    watcher.wait_log(f"Nhận hồ sơ {dossier_code(6)}")
    watcher.process.send_signal(signal.SIGINT)  # Ctrl-C: finish the dossier...
    watcher.wait_log("Nhận tín hiệu dừng (SIGINT)")
    started = time.monotonic()
    assert watcher.stop(timeout=30) == 0  # ... and SIGTERM too: no, stop now
    assert time.monotonic() - started < 15
    assert "Đã dừng ngay" in watcher.log() and f"Xong hồ sơ {dossier_code(6)}" not in watcher.log()
    assert claimed_files(inbox) == [] and not (inbox / ".quarantine").exists()
    # None of the processes it started (OCR workers, Tesseract) is left running for no one.
    wait_until(lambda: not watcher.leftovers(), 10, "the watcher's processes to end")
    # The dossier is back in the inbox as it was, to be taken at the next start.
    assert sorted(path.name for path in inbox_files(inbox)) == ["001-quyet-dinh.jpg", "004-giay-tiep-nhan.pdf"]
    assert [document.dossier for document in archived_documents(sohoa_home)] == [dossier_code(7)]
