"""`sohoa ocr FILE --json` prints the page results in the agreed shape."""

import json

from conftest import run_sohoa

from schemas.text import fold


def test_ocr_json_shape_and_text(sample_dossier, sohoa_home):
    _, documents = sample_dossier
    decision = next(document for document in documents if document.doc_type == "quyet_dinh")
    completed = run_sohoa("ocr", str(decision.path), "--json", check=True)
    result = json.loads(completed.stdout)
    assert set(result) == {"pages", "text"}
    (page,) = result["pages"]
    assert set(page) == {"number", "text", "confidence", "rotation", "skew", "blank"}
    assert page["number"] == 1 and page["rotation"] == 0 and not page["blank"]
    assert 50 < page["confidence"] <= 100
    # The generator skewed the scan; the measured skew says so (sign and size).
    assert abs(page["skew"] - decision.skew_degrees) < 0.5
    assert "quyet dinh" in fold(result["text"])


def test_ocr_of_a_bad_file_is_a_clear_error(tmp_path, sohoa_home):
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    completed = run_sohoa("ocr", str(empty), "--json")
    assert completed.returncode == 1
    assert json.loads(completed.stdout)["error"].startswith("empty_file:")
