"""Thời hạn bảo quản (retention) of an archived original, as a lock the store enforces.

    N years     -> Object Lock retention in SOHOA_LOCK_MODE (GOVERNANCE by default) until archiving time + N years
                   (same day and month; 29 February becomes 28 February)
    vĩnh viễn   -> a legal hold, which has no end date and stays until someone with the right lifts it

Only the original is locked: archive.pdf, ocr.json and meta.json are derived or descriptive and may be rebuilt
or corrected (meta.json records later events, such as repairs).

GOVERNANCE lets an account with s3:BypassGovernanceRetention delete a locked version early (a documented
exception, e.g. a court order); COMPLIANCE lets nobody, not even the root account, until the date: choose it only
when the retention periods are certain.
"""

from __future__ import annotations

from datetime import UTC, datetime

from schemas.models import LockMode, ObjectLock, Retention

DEFAULT_LOCK_MODE = LockMode.governance


def parse_retention(value: str | int | Retention) -> Retention:
    """ "10", 10, "10 năm", "vĩnh viễn", "vinh-vien", "permanent" -> Retention (ValueError otherwise)."""
    return Retention.model_validate(value)


def check_lock_mode(mode: str | LockMode) -> LockMode:
    return LockMode.parse(mode)


def add_years(moment: datetime, years: int) -> datetime:
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:  # 29 February in a year that has none
        return moment.replace(year=moment.year + years, day=28)


def lock_for(
    retention: Retention | None, mode: str = DEFAULT_LOCK_MODE, now: datetime | None = None
) -> ObjectLock | None:
    """The lock an original gets for its retention period, counted from `now` (archiving time)."""
    if retention is None:
        return None
    if retention.permanent:
        return ObjectLock(legal_hold=True)
    # Whole seconds: S3 keeps the date to the second, so what meta.json records is what the server reports.
    start = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    assert retention.years is not None  # a retention is permanent or a number of years
    return ObjectLock(mode=check_lock_mode(mode), retain_until=add_years(start, retention.years))
