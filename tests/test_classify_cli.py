"""`sohoa classify FILE --json` on a sample scan; ingest keeps the same classification and metadata in meta.json
and the catalog; `sohoa label` corrects it in both."""

from __future__ import annotations

import json

from conftest import SAMPLE_DOSSIER, run_sohoa

from catalog import Catalog
from schemas.settings import get_settings
from storage import store_from_settings

METADATA_FIELDS = {
    "number",
    "notation",
    "issued_date",
    "issuer",
    "subject",
    "dossier_code",
    "procedure_code",
    "citizen_ids",
    "confidence",  # each field's confidence (issue 14): what review sees of a doubted field
}


def _decision(sample_dossier):
    folder, documents = sample_dossier
    return next(document for document in documents if document.doc_type == "quyet_dinh")


def test_classify_prints_type_and_metadata(sample_dossier, sohoa_home):
    scan = _decision(sample_dossier)
    printed = json.loads(run_sohoa("classify", str(scan.path), "--json", check=True).stdout)
    assert set(printed) == {"doc_type", "confidence", "metadata"}
    assert printed["doc_type"] == "quyet_dinh" and 0.5 <= printed["confidence"] <= 1
    metadata = printed["metadata"]
    assert set(metadata) == METADATA_FIELDS
    assert (metadata["number"], metadata["notation"], metadata["issued_date"]) == ("125", "QĐ-UBND", "2023-08-05")
    assert metadata["issuer"] == "ỦY BAN NHÂN DÂN TỈNH HẬU GIANG"
    assert metadata["subject"].startswith("cho phép chuyển mục đích sử dụng đất")
    assert metadata["citizen_ids"] == []
    assert min(metadata["confidence"][name] for name in ("number", "notation", "issued_date")) >= 0.6


def test_ingest_keeps_the_metadata_and_label_corrects_the_type(sample_dossier, sohoa_home):
    scan = _decision(sample_dossier)
    ingested = run_sohoa(
        "ingest", str(scan.path), "--dossier", SAMPLE_DOSSIER, "--agency", "000.00.00.H33", "--json", check=True
    )
    report = json.loads(ingested.stdout)["documents"][0]
    store = store_from_settings(get_settings())
    meta = json.loads(store.get_bytes(report["keys"]["meta"]))
    assert meta["classification"]["metadata"]["number"] == "125"
    assert meta["classification"]["metadata"]["issued_date"] == "2023-08-05"
    catalog = Catalog.from_settings(get_settings())
    try:
        assert catalog.get(report["id"]).classification.metadata.notation == "QĐ-UBND"
    finally:
        catalog.close()

    labelled = run_sohoa("label", report["id"], "chi_thi", "--json", check=True)
    assert json.loads(labelled.stdout)["doc_type"] == "chi_thi"
    meta = json.loads(store.get_bytes(report["keys"]["meta"]))
    assert meta["classification"]["doc_type"] == "chi_thi"
    assert meta["classification"]["confirmed_by"] == "archivist"
    assert meta["classification"]["metadata"]["number"] == "125"  # the metadata stays
    hits = json.loads(run_sohoa("search", "dat trong lua", "--type", "chi_thi", "--json", check=True).stdout)
    assert [hit["id"] for hit in hits["hits"]] == [report["id"]]

    assert run_sohoa("label", report["id"], "khong-co-loai-nay").returncode != 0
    assert run_sohoa("label", "khong-co", "quyet_dinh").returncode == 1
    # One type labelled: nothing to tell apart yet; the rules keep deciding.
    outcome = json.loads(run_sohoa("retrain", "--json", check=True).stdout)
    assert outcome["status"] == "not_enough_labels" and outcome["examples"] == 1


def test_one_stop_shop_form_issuer_from_the_left_column_and_its_dossier_code(sample_dossier, sohoa_home, tmp_path):
    from samples.dossier import render_dossier

    folder, documents = sample_dossier
    form = next(document for document in documents if document.doc_type == "giay_tiep_nhan")
    printed = json.loads(run_sohoa("classify", str(form.path), "--json", check=True).stdout)
    assert printed["doc_type"] == "giay_tiep_nhan"
    assert printed["metadata"]["dossier_code"] == SAMPLE_DOSSIER
    assert printed["metadata"]["issued_date"] == "2023-06-07"
    # On the degraded scan the third line of the issuer, underlined and touching its rule, reads right or as
    # garbage depending on a JPEG decoder's rounding or 0.05 degree of deskew (measured): what must hold is that
    # the issuer is the left column's body, without its parent (UBND tỉnh) and without the right column
    # (Tesseract reads "Vị Thanh" as "VỊ Thanh" on the issuer's line: the word boxes keep it out).
    issuer = printed["metadata"]["issuer"]
    assert issuer.startswith("TRUNG TÂM PHỤC VỤ")
    assert not any(other in issuer.upper() for other in ("UBND", "TỈNH", "VỊ THANH", "ĐỘC LẬP", "CỘNG HÒA"))
    # On a clean scan of the same form, the whole issuer, exactly.
    clean = next(
        document
        for document in render_dossier(tmp_path, dpi=200, degrade=False)
        if document.doc_type == "giay_tiep_nhan"
    )
    printed = json.loads(run_sohoa("classify", str(clean.path), "--json", check=True).stdout)
    assert printed["metadata"]["issuer"] == "TRUNG TÂM PHỤC VỤ HÀNH CHÍNH CÔNG"
