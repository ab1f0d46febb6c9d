"""The `fixity-audit` flow: one audit of the archive (`archive.audit`), deployed weekly by prefect.yaml.
A run that leaves problems unrepaired ends Failed, so Prefect's notifications can tell someone."""

from __future__ import annotations

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from archive.audit import FixityProblems, run_audit, summary
from flows._runner import retry_transient


@task(
    name="verify-store",
    cache_policy=NO_CACHE,
    retries=3,
    retry_delay_seconds=[10, 60, 300],
    retry_condition_fn=retry_transient,
)
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
