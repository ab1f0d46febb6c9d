"""A batch with bad files: each bad one is quarantined with its reason, the good ones are archived."""

import json
import shutil

import pikepdf
from conftest import PLUGINS, REAL_TESSERACT, run_sohoa


def test_bad_files_are_quarantined_and_the_batch_goes_on(tmp_path, sample_dossier, sohoa_home):
    _, documents = sample_dossier
    drop = tmp_path / "drop"
    drop.mkdir()
    good = next(document for document in documents if document.format == "png")
    shutil.copy(good.path, drop / "01-good.png")
    (drop / "02-empty.pdf").write_bytes(b"")
    (drop / "03-notes.txt").write_text("không phải tài liệu quét", encoding="utf-8")
    (drop / "04-broken.pdf").write_bytes(b"%PDF-1.4\n%\xe2\xe3\n1 0 obj\n<< /Type /Catalog")
    with pikepdf.new() as pdf:
        pdf.add_blank_page()
        pdf.save(drop / "05-locked.pdf", encryption=pikepdf.Encryption(owner="o", user="u"))
    missing = tmp_path / "not-there.jpg"

    completed = run_sohoa("ingest", str(drop), str(missing), "--json")
    assert completed.returncode == 1  # something was quarantined: scripts can tell
    reports = {report["source"].rsplit("/", 1)[-1]: report for report in json.loads(completed.stdout)["documents"]}
    assert reports["01-good.png"]["status"] == "archived"
    expected = {
        "02-empty.pdf": "empty_file",
        "03-notes.txt": "unsupported_format",
        "04-broken.pdf": "corrupt_file",
        "05-locked.pdf": "encrypted_file",
        "not-there.jpg": "file_missing",
    }
    for name, code in expected.items():
        assert reports[name]["status"] == "quarantined"
        assert reports[name]["error"].startswith(code + ":"), reports[name]
    # The reason is said to the person at the terminal too, in Vietnamese.
    assert "Tệp PDF có mật khẩu" in completed.stderr
    # Nothing was moved or deleted: every input is where the clerk left it.
    left_in_place = sorted(name for name in expected if name != "not-there.jpg") + ["01-good.png"]
    assert sorted(path.name for path in drop.iterdir()) == sorted(left_in_place)


def _one_page(sample_dossier, tmp_path):
    _, documents = sample_dossier
    decision = next(document for document in documents if document.doc_type == "quyet_dinh")
    copy = tmp_path / decision.path.name
    shutil.copy(decision.path, copy)
    return copy


def test_tesseract_timeout_is_a_named_failure(sample_dossier, tmp_path, sohoa_home):
    page = _one_page(sample_dossier, tmp_path)
    # The real program (not the replaying stand-in, which answers a page it has seen in no time).
    completed = run_sohoa(
        "ingest", str(page), "--json", env={"SOHOA_TESSERACT_TIMEOUT": "0.05", "SOHOA_TESSERACT_CMD": REAL_TESSERACT}
    )
    (report,) = json.loads(completed.stdout)["documents"]
    assert report["status"] == "quarantined"
    assert report["error"].startswith("ocr_timeout:")
    assert page.exists()


def test_tesseract_crash_is_a_named_failure(sample_dossier, tmp_path, sohoa_home):
    page = _one_page(sample_dossier, tmp_path)
    # A language Tesseract has no model for makes it exit with an error, as a crash would.
    completed = run_sohoa(
        "ingest", str(page), "--json", env={"SOHOA_OCR_LANG": "xyz", "SOHOA_TESSERACT_CMD": REAL_TESSERACT}
    )
    (report,) = json.loads(completed.stdout)["documents"]
    assert report["status"] == "quarantined"
    assert report["error"].startswith("ocr_crashed:")


def test_a_tesseract_killed_by_a_signal_is_a_named_failure_and_the_batch_goes_on(sample_dossier, tmp_path, sohoa_home):
    """A fault injected through the real interface: a Tesseract that segfaults on every page."""
    page = _one_page(sample_dossier, tmp_path)
    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")
    completed = run_sohoa(
        "ingest", str(page), str(empty), "--json", env={"SOHOA_TESSERACT_CMD": str(PLUGINS / "tesseract_crash.py")}
    )
    reports = json.loads(completed.stdout)["documents"]
    assert [report["status"] for report in reports] == ["quarantined", "quarantined"]
    assert [report["failure"]["code"] for report in reports] == ["ocr_crashed", "empty_file"]
    assert completed.returncode == 1 and page.exists()
