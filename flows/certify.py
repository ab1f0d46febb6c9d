"""The `certify` and `renew-timestamps` flows: certified electronic copies (`archive.certify`) on a Prefect worker.
`certify` runs on demand (`prefect deployment run certify/certify -p doc_ids='[...]'` or `-p dossier=CODE`);
`renew-timestamps` runs yearly and adds document timestamps (PAdES B-LTA) to copies whose last timestamp's
certificate ends within `within_days`. The worker's environment holds the key's settings and its PIN file."""

from __future__ import annotations

from prefect import flow

from archive.certify import certify, renew_timestamps
from schemas.failures import SohoaFailure


class CertifyRefused(SohoaFailure):
    code = "certify_refused"
    vi = "Có tài liệu bị từ chối ký số bản sao điện tử"
    en = "Some documents were refused a certified copy"


@flow(name="certify", log_prints=True)
def certify_documents(
    doc_ids: list[str] | None = None, dossier: str | None = None, copy_form: str = "SAO Y", who: str = "prefect"
) -> list[dict]:
    """Prefect flow: certify documents (and every document of `dossier`); Failed if any is refused."""
    reports = [
        report.model_dump(mode="json")
        for report in certify(doc_ids or [], dossier=dossier, copy_form=copy_form, who=who)
    ]
    for report in reports:
        reason = f" ({report['failure']['code']})" if report["failure"] else ""
        print(f"{report['status']} {report['id']}{reason}")
    refused = [report["id"] for report in reports if report["status"] == "refused"]
    if refused:
        raise CertifyRefused(", ".join(refused))
    return reports


@flow(name="renew-timestamps", log_prints=True)
def renew_certified_timestamps(within_days: int = 365) -> list[dict]:
    """Prefect flow: renew the timestamps of certified copies that need it; Failed if one could not be renewed."""
    reports = [report.model_dump(mode="json") for report in renew_timestamps(within_days=within_days, who="prefect")]
    renewed = sum(report["status"] == "renewed" for report in reports)
    failed = [report["id"] for report in reports if report["status"] == "failed"]
    print(f"renew-timestamps: {renewed} renewed, {len(reports) - renewed - len(failed)} not due, {len(failed)} failed")
    if failed:
        raise CertifyRefused(", ".join(failed))
    return reports
