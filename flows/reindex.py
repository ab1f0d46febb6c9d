"""The `reindex_archive` flow: rebuild the catalog, the search index and the audit history from the store alone
(every document's meta.json and ocr.json, `_audits/`, dossier records).

`prefect.yaml` deploys it as `reindex`, with no schedule: run it on demand
(`prefect deployment run reindex/reindex`) after losing or replacing the catalog. `sohoa reindex` does the same
work directly with `search.rebuild.rebuild_catalog`; so does this flow, through `rebuild`.
"""

from __future__ import annotations

import logging

from prefect import flow

from schemas.failures import SohoaFailure
from search import Catalog
from search.rebuild import RebuildReport, rebuild_catalog
from sohoa.settings import Settings, get_settings
from storage import store_from_settings

log = logging.getLogger("sohoa.reindex")


class ReindexIncomplete(SohoaFailure):
    code = "reindex_incomplete"
    vi = "Dựng lại danh mục chưa trọn: có tài liệu trong kho không đọc được"
    en = "The catalog was rebuilt without some documents: their meta.json or ocr.json cannot be read"


def rebuild(settings: Settings | None = None) -> RebuildReport:
    """Rebuild the configured catalog from the configured store (the work of `sohoa reindex`)."""
    settings = settings or get_settings()
    catalog = Catalog.from_settings(settings)
    try:
        return rebuild_catalog(store_from_settings(settings), catalog)
    finally:
        catalog.close()


def summary(report: RebuildReport) -> dict:
    """What a run did, small enough for the Prefect UI: counts, and the keys removed or skipped."""
    return {
        "documents": report.documents,
        "pages": report.pages,
        "audits": report.audits,
        "dossiers": report.dossiers,
        "removed": list(report.removed),
        "skipped": [dict(skipped) for skipped in report.skipped],
    }


@flow(name="reindex", flow_run_name="reindex", log_prints=True)
def reindex_archive() -> dict:
    """Prefect flow: rebuild the catalog from the store; returns what it did (JSON).

    Like `sohoa reindex` (exit status 1), a rebuild that had to skip unreadable documents ends Failed, naming
    them, so Prefect's notifications can tell someone; everything readable is in the catalog all the same."""
    outcome = summary(rebuild())
    print(
        f"reindex: {outcome['documents']} documents, {outcome['pages']} pages, {outcome['audits']} audits, "
        f"{outcome['dossiers']} dossier records; {len(outcome['removed'])} removed from the catalog (no longer in "
        f"the store); {len(outcome['skipped'])} skipped (unreadable in the store)"
    )
    for skipped in outcome["skipped"]:
        print(f"skipped {skipped['key']}: {skipped['error']}")
    if outcome["skipped"]:
        raise ReindexIncomplete(", ".join(skipped["key"] for skipped in outcome["skipped"]))
    return outcome
