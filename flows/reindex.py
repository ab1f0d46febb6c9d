"""The `reindex` flow: rebuild the catalog, the search index and the audit history from the store alone
(`archive.reindex`). prefect.yaml deploys it with no schedule: run it on demand
(`prefect deployment run reindex/reindex`) after losing or replacing the catalog."""

from __future__ import annotations

from prefect import flow

from archive.reindex import ReindexIncomplete, rebuild, summary


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
