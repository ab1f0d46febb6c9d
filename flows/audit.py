"""The `fixity_audit` flow: re-hash every stored object on every copy, compare with meta.json and the catalog,
optionally repair, and keep the report (catalog table `audits` and `_audits/<id>.json` in the store).

`prefect.yaml` deploys it weekly as `fixity-audit`; `sohoa verify` runs the same `run_audit` directly.
A run that leaves problems unrepaired ends Failed, so Prefect's notifications can tell someone.
"""

from __future__ import annotations

import json
import logging
import random

from flows._runner import retry_transient
from prefect import flow, task
from prefect.cache_policies import NO_CACHE

import sohoa
from schemas.failures import SohoaFailure
from search import Catalog
from search.rebuild import UnreadableDocument, record_from_store
from sohoa.settings import Settings, get_settings
from storage import store_from_settings
from storage.fixity import AuditReport, audit, audit_key

log = logging.getLogger("sohoa.audit")


class FixityProblems(SohoaFailure):
    code = "fixity_problems"
    vi = "Kiểm tra toàn vẹn phát hiện đối tượng thiếu, hỏng hoặc thừa trong kho lưu trữ"
    en = "The fixity audit found missing, corrupt or orphaned objects in the archive"


# The kinds of issue an audit report lists, in the order `sohoa verify` prints them.
ISSUE_KINDS = ("missing", "corrupt", "orphaned", "not_in_catalog", "catalog_mismatch", "duplicate_ordinal",
               "leftover_temporary")


def run_audit(
    *,
    sample_pct: float = 100.0,
    repair: bool = False,
    settings: Settings | None = None,
    rng: random.Random | None = None,
) -> AuditReport:
    """Audit the configured store (and replica) against the catalog; record and return the report."""
    settings = settings or get_settings()
    store = store_from_settings(settings)
    catalog = Catalog.from_settings(settings)
    try:
        report, changed = audit(
            store,
            catalog_index=list(catalog.fixity_index()),
            sample_pct=sample_pct,
            repair=repair,
            agent=f"sohoa {sohoa.__version__} fixity audit",
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
    finally:
        catalog.close()
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




@task(name="verify-store", cache_policy=NO_CACHE, retries=3, retry_delay_seconds=[10, 60, 300],
      retry_condition_fn=retry_transient)
def audit_stage(sample_pct: float, repair: bool) -> dict:
    return run_audit(sample_pct=sample_pct, repair=repair).model_dump(mode="json")


@flow(name="fixity-audit", flow_run_name="fixity audit {sample_pct}%", log_prints=True)
def fixity_audit(sample_pct: float = 100.0, repair: bool = False) -> dict:
    """Prefect flow: one audit of the archive; Failed if problems remain."""
    report = audit_stage(sample_pct, repair)
    print(f"fixity audit {report['id']}: {summary(report)}")
    if report["problems"]:
        raise FixityProblems(f"audit {report['id']}: {summary(report)}")
    return report
