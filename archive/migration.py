"""The catalog's schema brought up to this version (`sohoa migrate`), and an office's catalog moved into the
province's (`sohoa migrate-catalog`).

Moving copies what a catalog holds and the store cannot give back (`sohoa reindex` rebuilds documents, pages,
dossiers and audits from the store alone, never accounts or the access log): documents with their pages (indexed
anew in the target: search keys are the target's), dossiers, ordinals, audits, agencies and their mergers,
users and their agencies, API tokens, and the access log. Each kind is then counted on both sides: the move
passes only when every record of the source is in the target.

It can be run again (after a failure, or to take what the office added since): what the target already holds is
left as it is. The access log is appended to the target's own chain, oldest first, each entry keeping its time,
actor, action and records, its detail noting where it came from (`migrated_from`: the source's label and seq);
entries already moved are recognised by that note. A username or agency the target already holds with other
values is not overwritten: it is reported as a conflict, for an administrator to settle.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from pydantic import BaseModel, Field
from sqlalchemy import Connection, Table, select

from catalog import Catalog
from catalog import schema as catalog_schema
from catalog.identity import (
    access_log,
    agencies,
    agency_successors,
    append_access,
    token_agencies,
    tokens,
    user_agencies,
    users,
    verify_access_log,
)
from catalog.records import open_engine
from catalog.tables import audit_runs, documents, dossiers, insert_into, ordinals
from schemas import Document
from schemas.failures import SohoaFailure
from schemas.settings import Settings


class MigrationReport(BaseModel):
    before: str | None
    after: str


class KindCount(BaseModel):
    kind: str
    source: int
    copied: int = 0
    already: int = 0  # in the target before this run
    missing: int = 0  # in the source, not in the target after the run
    conflicts: list[str] = Field(default_factory=list)  # keys the target holds with other values (not overwritten)


class MoveReport(BaseModel):
    source: str
    target: str
    kinds: list[KindCount]

    @property
    def ok(self) -> bool:
        return all(kind.missing == 0 for kind in self.kinds)


class SourceAccessLogBroken(SohoaFailure):
    code = "source_access_log_broken"
    vi = "Nhật ký truy cập của danh mục nguồn không còn nguyên vẹn (sohoa accesslog verify): không chuyển"
    en = "The source catalog's access log is not intact (sohoa accesslog verify): nothing moved"
    retryable = False


class SameCatalog(SohoaFailure):
    code = "same_catalog"
    vi = "Danh mục nguồn và đích là một"
    en = "The source and target catalogs are the same"
    retryable = False


def migrate(settings: Settings) -> MigrationReport:
    """Bring the configured catalog to this version's schema (idempotent)."""
    engine = open_engine(settings.resolved_catalog_url)
    try:
        before, after = catalog_schema.migrate(engine)
    finally:
        engine.dispose()
    return MigrationReport(before=before, after=after)


def _label(url: str) -> str:
    """A catalog's name without its password (what reports and the moved log entries say)."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def _rows(connection: Connection, table: Table) -> list[dict]:
    return [row._asdict() for row in connection.execute(select(table))]


def _copy_rows(
    source: Connection, target: Connection, table: Table, key: Callable[[dict], tuple], kind: str
) -> KindCount:
    """Rows of `table` the target lacks inserted as they are; ones it holds with other values reported."""
    rows = _rows(source, table)
    held = {key(row): row for row in _rows(target, table)}
    count = KindCount(kind=kind, source=len(rows))
    for row in rows:
        there = held.get(key(row))
        if there is None:
            target.execute(insert_into(target, table).values(**row).on_conflict_do_nothing())
            count.copied += 1
        elif there != row:
            count.already += 1
            count.conflicts.append("/".join(str(part) for part in key(row)))
        else:
            count.already += 1
    after = {key(row) for row in _rows(target, table)}
    count.missing = sum(1 for row in rows if key(row) not in after)
    return count


def move_catalog(
    source_url: str, target_url: str, progress: Callable[[str, int, int], None] | None = None
) -> MoveReport:
    """Copy everything the source catalog holds into the target (created if empty; both must be at this
    version's schema) and count each kind on both sides. See the module's docstring."""
    if _label(source_url) == _label(target_url):
        raise SameCatalog(_label(source_url))
    source, target = Catalog(source_url), Catalog(target_url)
    try:
        if verify_access_log(source):
            raise SourceAccessLogBroken(_label(source_url))
        kinds = []
        with source.engine.connect() as read, target.engine.begin() as write:
            kinds.append(_copy_rows(read, write, agencies, lambda row: (row["code"],), "agencies"))
            kinds.append(
                _copy_rows(
                    read, write, agency_successors, lambda row: (row["predecessor"], row["successor"]), "mergers"
                )
            )
            kinds.append(_copy_rows(read, write, users, lambda row: (row["username"],), "users"))
            kinds.append(
                _copy_rows(read, write, user_agencies, lambda row: (row["username"], row["agency"]), "user_agencies")
            )
            kinds.append(_copy_rows(read, write, tokens, lambda row: (row["id"],), "tokens"))
            kinds.append(
                _copy_rows(read, write, token_agencies, lambda row: (row["token_id"], row["agency"]), "token_agencies")
            )
            kinds.append(_copy_rows(read, write, dossiers, lambda row: (row["code"],), "dossiers"))
            kinds.append(_copy_rows(read, write, audit_runs, lambda row: (row["id"],), "audits"))
        kinds.append(_move_documents(source, target, progress))
        with source.engine.connect() as read, target.engine.begin() as write:
            kinds.append(_copy_rows(read, write, ordinals, lambda row: (row["dossier"], row["ordinal"]), "ordinals"))
        kinds.append(_move_access_log(source, target, _label(source_url), progress))
    finally:
        source.close()
        target.close()
    return MoveReport(source=_label(source_url), target=_label(target_url), kinds=kinds)


def _move_documents(source: Catalog, target: Catalog, progress) -> KindCount:
    with source.engine.connect() as read:
        wanted = list(read.execute(select(documents.c.id).order_by(documents.c.received_at, documents.c.id)).scalars())
    held = target.ids()
    count = KindCount(kind="documents", source=len(wanted), already=len(set(wanted) & held))
    for done, doc_id in enumerate(wanted, start=1):
        if doc_id not in held:
            with source.engine.connect() as read:
                row = read.execute(
                    select(documents.c.document, documents.c["keys"], documents.c.status).where(
                        documents.c.id == doc_id
                    )
                ).one()
            document = Document.model_validate(row.document)
            target.record(document, dict(row.keys), source.page_texts(doc_id))
            if row.status != "archived":  # (record writes an archived document; keep what the source said)
                with target.engine.begin() as write:
                    write.execute(documents.update().where(documents.c.id == doc_id).values(status=row.status))
            count.copied += 1
        if progress is not None and (done % 100 == 0 or done == len(wanted)):
            progress("documents", done, len(wanted))
    count.missing = len(set(wanted) - target.ids())
    return count


def _move_access_log(source: Catalog, target: Catalog, label: str, progress) -> KindCount:
    with source.engine.connect() as read:
        entries = [row._asdict() for row in read.execute(select(access_log).order_by(access_log.c.seq))]
    moved = _moved_entries(target, label)
    count = KindCount(kind="access_log", source=len(entries), already=len(moved))
    for done, entry in enumerate(entries, start=1):
        if entry["seq"] in moved:
            continue
        append_access(
            target,
            actor_kind=entry["actor_kind"],
            actor=entry["actor"],
            action=entry["action"],
            records=entry["records"],
            address=entry["address"],
            detail={**(entry["detail"] or {}), "migrated_from": {"catalog": label, "seq": entry["seq"]}},
            at=datetime.fromisoformat(entry["at"]),
        )
        count.copied += 1
        if progress is not None and (done % 500 == 0 or done == len(entries)):
            progress("access_log", done, len(entries))
    count.missing = len({entry["seq"] for entry in entries} - _moved_entries(target, label))
    return count


def _moved_entries(target: Catalog, label: str) -> set[int]:
    """The source seqs of the entries already moved from the catalog `label` into `target`."""
    found = set()
    with target.engine.connect() as read:
        for (detail,) in read.execute(select(access_log.c.detail)):
            origin = (detail or {}).get("migrated_from") or {}
            if origin.get("catalog") == label:
                found.add(int(origin["seq"]))
    return found
