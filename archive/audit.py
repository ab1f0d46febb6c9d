"""The fixity audit (`sohoa verify`, the weekly `fixity-audit` flow): re-hash every stored object on every copy,
compare with meta.json and the catalog, optionally repair, and keep the report (catalog table `audits` and
`_audits/<id>.json` in the store)."""

from __future__ import annotations

import json
import logging
import random

from archive.context import Archive, opened
from archive.reindex import UnreadableDocument, record_from_store
from schemas.failures import SohoaFailure
from schemas.settings import Settings
from schemas.version import __version__
from storage.fixity import AuditReport, audit, audit_key

log = logging.getLogger("sohoa.audit")


class FixityProblems(SohoaFailure):
    code = "fixity_problems"
    vi = "Kiểm tra toàn vẹn phát hiện đối tượng thiếu, hỏng hoặc thừa trong kho lưu trữ"
    en = "The fixity audit found missing, corrupt or orphaned objects in the archive"


ISSUE_KINDS = (
    "missing",
    "corrupt",
    "orphaned",
    "not_in_catalog",
    "catalog_mismatch",
    "duplicate_ordinal",
    "leftover_temporary",
)


def run_audit(
    *,
    sample_pct: float = 100.0,
    repair: bool = False,
    settings: Settings | None = None,
    archive: Archive | None = None,
    rng: random.Random | None = None,
) -> AuditReport:
    """Audit the store (and replica) against the catalog; record and return the report."""
    with opened(archive, settings) as archive:
        store, catalog = archive.store, archive.catalog
        report, changed = audit(
            store,
            catalog_index=list(catalog.fixity_index()),
            sample_pct=sample_pct,
            repair=repair,
            agent=f"sohoa {__version__} fixity audit",
            rng=rng,
        )
        if repair:
            for document in changed:
                catalog.update_document(document)
            for issue in [*report.not_in_catalog, *report.catalog_mismatch]:
                try:
                    record_from_store(catalog, store, issue.key)
                except UnreadableDocument as error:
                    issue.detail = f"repair failed: {error}"
                    continue
                issue.repaired = True
                issue.detail = "recorded again from meta.json and ocr.json"
        payload = report.model_dump(mode="json")
        store.put_bytes(
            audit_key(report),
            json.dumps(payload, ensure_ascii=False, indent=2).encode("utf-8"),
            content_type="application/json",
        )
        catalog.record_audit(payload)
    return report


def summary(report: AuditReport | dict) -> str:
    data = report.model_dump(mode="json") if isinstance(report, AuditReport) else report
    return (
        f"{data['checked']} checked, {data['ok']} ok; missing {len(data['missing'])}, corrupt {len(data['corrupt'])},"
        f" orphaned {len(data['orphaned'])}, not in catalog {len(data['not_in_catalog'])}, catalog mismatch "
        f"{len(data['catalog_mismatch'])}, duplicate ordinal {len(data.get('duplicate_ordinal', []))}, leftover "
        f"temporary {len(data.get('leftover_temporary', []))}; repaired {len(data['repaired'])}; "
        f"problems left {data['problems']}"
    )
