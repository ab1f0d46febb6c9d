"""The labelled evaluation set: coverage of every type, determinism, truth that matches the page, and the
committed OCR'd set under bench/eval_set/ staying in step with the generator. No OCR here."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pytest

from samples._labelled_texts import CCCD_PREFIXES, vn_date
from samples.labelled import FIELD_NAMES, KHAC_KINDS, TYPED_SLUGS, LabelledDocument, render_labelled_set
from schemas.doctypes import DocType

EVAL_DIR = Path(__file__).resolve().parents[1] / "bench" / "eval_set"
EVAL_FILES = ("clean-200dpi.jsonl", "degraded-150dpi.jsonl")
LOW_DPI = 50  # layout and truth do not depend on dpi; pixels are not looked at beyond determinism


@pytest.fixture(scope="module")
def labelled(tmp_path_factory) -> list[LabelledDocument]:
    # The committed set's parameters (seed 0, 3 per type), so the JSONL test can compare truths.
    return render_labelled_set(tmp_path_factory.mktemp("labelled"), dpi=LOW_DPI, degrade=False, seed=0, per_type=3)


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_every_slug_is_covered(labelled):
    counts = {slug: sum(d.doc_type == slug for d in labelled) for slug in (t.value for t in DocType)}
    assert set(counts) == set(TYPED_SLUGS) | {"khac"}
    assert all(counts[slug] == 3 for slug in TYPED_SLUGS), counts
    assert counts["khac"] == len(KHAC_KINDS)
    assert all(d.path.is_file() and d.path.read_bytes()[:3] == b"\xff\xd8\xff" for d in labelled)


def test_deterministic_for_a_seed(tmp_path):
    first = render_labelled_set(tmp_path / "a", dpi=LOW_DPI, degrade=True, seed=3, per_type=1)
    second = render_labelled_set(tmp_path / "b", dpi=LOW_DPI, degrade=True, seed=3, per_type=1)
    other = render_labelled_set(tmp_path / "c", dpi=LOW_DPI, degrade=True, seed=4, per_type=1)
    assert [d.model_dump(exclude={"path"}) for d in first] == [d.model_dump(exclude={"path"}) for d in second]
    assert all(a.path.read_bytes() == b.path.read_bytes() for a, b in zip(first, second))
    assert [d.text for d in first] != [d.text for d in other]


def test_truth_fields_are_printed_on_the_page(labelled):
    for doc in labelled:
        text = _flat(doc.text)
        if doc.number:
            assert re.search(rf"Số ?: {re.escape(doc.number)}\b", text), (doc.id, doc.number)
        if doc.notation:
            assert re.search(rf"{re.escape(doc.number)} ?/{re.escape(doc.notation)}", text), (doc.id, doc.notation)
        if doc.issued_date:
            assert vn_date(date.fromisoformat(doc.issued_date)) in text.lower(), (doc.id, doc.issued_date)
        for value in (doc.dossier_code, doc.procedure_code, *doc.citizen_ids):
            if value:
                assert value in text, (doc.id, value)
        if doc.doc_type == "khac":
            assert all(not v for v in doc.fields().values()), doc.id


def test_the_set_varies_and_tests_what_it_should(labelled):
    texts = [d.text for d in labelled]
    assert any("Số : " in t for t in texts), "some numbers are filled in with stray spaces"
    assert len({d.issuer for d in labelled if d.issuer}) >= 10
    # Mentions of other types in the body must not be taken for titles.
    assert any("Quyết định số" in d.text for d in labelled if d.doc_type != "quyet_dinh")
    assert any("Kế hoạch số" in d.text for d in labelled if d.doc_type != "ke_hoach")
    congvan = [d for d in labelled if d.doc_type == "cong_van"]
    assert all("V/v" in d.text for d in congvan)
    tiep_nhan = [d for d in labelled if d.doc_type == "giay_tiep_nhan"]
    assert all(re.fullmatch(r"000\.00\.00\.H\d\d-\d{6}-\d{4}", d.dossier_code) for d in tiep_nhan)
    assert all(re.fullmatch(r"[123]\.\d{6}", d.procedure_code) for d in tiep_nhan)
    card = next(d for d in labelled if d.doc_type == "can_cuoc")
    assert "CĂN CƯỚC CÔNG DÂN" in card.text and "Họ và tên" in card.text


def test_citizen_ids_have_the_cccd_structure(labelled):
    ids = [i for d in labelled for i in d.citizen_ids]
    assert len(ids) >= 20
    for cid in ids:
        assert re.fullmatch(r"\d{12}", cid), cid
        assert cid[:3] in CCCD_PREFIXES, cid  # a real birth-province prefix
        century = int(cid[3]) // 2  # 0/1 -> 1900s, 2/3 -> 2000s
        assert century in (0, 1), cid
        assert cid[6:9] == "000", cid  # visibly synthetic, never a real person's number
    birth_certificates = [d for d in labelled if d.doc_type == "giay_khai_sinh"]
    for doc in birth_certificates:  # a child registered this century: century digit 2 or 3
        assert doc.citizen_ids[0][3] in "23", doc.citizen_ids


@pytest.mark.parametrize("name", EVAL_FILES)
def test_committed_eval_set_parses_covers_every_slug_and_matches_the_generator(name, labelled):
    path = EVAL_DIR / name
    if not path.is_file():
        pytest.fail(f"{path} missing: run .venv/bin/python bench/classify_eval.py --build")
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert {row["doc_type"] for row in rows} == {t.value for t in DocType}
    assert all(set(row["fields"]) == set(FIELD_NAMES) and isinstance(row["text"], str) for row in rows)
    assert sum(bool(row["text"].strip()) for row in rows) >= len(rows) - 2  # only near-blank pages read empty
    expected = {d.id: (d.doc_type, d.fields()) for d in labelled}
    assert {row["id"]: (row["doc_type"], row["fields"]) for row in rows} == expected, (
        "bench/eval_set is out of step with samples.labelled: rebuild it with bench/classify_eval.py --build"
    )
