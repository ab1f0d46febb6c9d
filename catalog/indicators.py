"""What the digitisation indicators (Quyết định 766/QĐ-TTg group 4) are computed from, read in SQL: one row of
facts per dossier (its register entry from the one-stop shop, and what of it is archived) and the documents reused
from an applicant's earlier dossiers. Reads are narrowed to the caller's agencies in the queries themselves.

Nothing here loads a document's stored model: the per-document columns (`dossier`, `status`, `agency`, `role`,
`received_at`; an index covers them) and the dossiers' register fields (`json_extract` over the small `dossiers`
table) are enough. A dossier is in the figures when it is registered or has at least one archived document.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Engine, case, func, select, text

from catalog.tables import documents, dossiers
from schemas.codes import NATIONAL_DOSSIER_CODE
from schemas.models import Document, DocumentRole, DocumentStatus

_ARCHIVED = DocumentStatus.archived.value
_COMPONENT = DocumentRole.component.value
_RESULT = DocumentRole.result.value


def _field(name: str):
    # SQLite's json_extract or PostgreSQL's ->> (text there: the callers read numbers and booleans either way).
    return dossiers.c.dossier[name].as_string()


@dataclass(frozen=True)
class DossierFacts:
    """One dossier as the indicators see it."""

    code: str
    agency: str | None
    procedure: str | None
    channel: int | None
    received_date: date | None  # as registered, else the day in a national dossier code (Thông tư 01/2018)
    requires_result: bool | None  # None: unknown
    registered: bool
    registered_on: date | None  # the day it was registered in sohoa
    first_arrival: datetime | None  # of its first archived document
    documents: int  # archived, in scope
    has_component: bool
    has_result: bool
    applicant: bool  # an applicant ID is known (the ID itself never leaves this module)

    @property
    def day(self) -> date | None:
        """The day the dossier counts on for 4.1 and 4.2: received, else its first file's arrival, else the day it
        was registered."""
        if self.received_date is not None:
            return self.received_date
        return self.first_arrival.date() if self.first_arrival is not None else self.registered_on


def received_date_of(code: str, registered: Any) -> date | None:
    """The registered received date, else the YYMMDD of a national dossier code (`000.00.00.H33-230607-0001`)."""
    if registered:
        try:
            return date.fromisoformat(str(registered)[:10])
        except ValueError:
            pass
    if NATIONAL_DOSSIER_CODE.fullmatch(code or ""):
        day = code.split("-")[1]
        try:
            return date(2000 + int(day[:2]), int(day[2:4]), int(day[4:6]))
        except ValueError:
            return None
    return None


def _moment(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        return None


def _day_of(value: Any) -> date | None:
    moment = _moment(value)
    return moment.date() if moment is not None else None


def _bool(value: Any) -> bool | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value.lower() in ("1", "true")
    return bool(value)


def dossier_facts(
    engine: Engine,
    agencies: Collection[str] | None,
    *,
    procedure: str | None = None,
) -> list[DossierFacts]:
    """Every dossier in scope (registered, or with an archived document), with what the indicators need.

    `agencies` None is the server's unrestricted view; a set is a scope: a dossier whose agency is outside it, and
    a document of an agency outside it, are never read."""
    scope = sorted(agencies) if agencies is not None else None
    in_docs = [documents.c.status == _ARCHIVED, documents.c.dossier.is_not(None)]
    if scope is not None:
        in_docs.append(documents.c.agency.in_(scope))
    by_dossier = (
        select(
            documents.c.dossier,
            func.min(documents.c.agency).label("agency"),
            func.min(documents.c.received_at).label("first_arrival"),
            func.count().label("documents"),
            func.max(case((documents.c.role == _COMPONENT, 1), else_=0)).label("has_component"),
            func.max(case((documents.c.role == _RESULT, 1), else_=0)).label("has_result"),
        )
        .where(*in_docs)
        .group_by(documents.c.dossier)
    )
    agency = _field("agency")
    register = select(
        dossiers.c.code,
        agency.label("agency"),
        _field("procedure_code").label("procedure"),
        _field("channel").label("channel"),
        _field("received_date").label("received_date"),
        _field("requires_result").label("requires_result"),
        _field("registered_at").label("registered_at"),
        (_field("applicant_id").is_not(None)).label("applicant"),
    )
    if scope is not None:  # a register entry without an agency takes its documents' (in scope, or none)
        register = register.where(agency.in_(scope) | agency.is_(None))
    with engine.connect() as connection:
        archived = {row.dossier: row for row in connection.execute(by_dossier)}
        registered = {row.code: row for row in connection.execute(register)}
    found = []
    for code in sorted(set(archived) | set(registered)):
        files, entry = archived.get(code), registered.get(code)
        owner = (entry.agency if entry is not None else None) or (files.agency if files is not None else None)
        if owner is None or (scope is not None and owner not in scope):
            continue
        is_registered = entry is not None and entry.registered_at is not None
        if files is None and not is_registered:
            continue  # archival fields typed for a dossier that has nothing yet: not a dossier the shop received
        dossier_procedure = entry.procedure if entry is not None else None
        if procedure is not None and dossier_procedure != procedure:
            continue
        found.append(
            DossierFacts(
                code=code,
                agency=owner,
                procedure=dossier_procedure,
                channel=int(entry.channel) if entry is not None and entry.channel is not None else None,
                received_date=received_date_of(code, entry.received_date if entry is not None else None),
                requires_result=_bool(entry.requires_result) if entry is not None else None,
                registered=is_registered,
                registered_on=_day_of(entry.registered_at) if entry is not None else None,
                first_arrival=_moment(files.first_arrival) if files is not None else None,
                documents=int(files.documents) if files is not None else 0,
                has_component=bool(files is not None and files.has_component),
                has_result=bool(files is not None and files.has_result),
                applicant=bool(entry is not None and entry.applicant),
            )
        )
    return found


@dataclass(frozen=True)
class Reuse:
    """A component document found already archived in an earlier dossier of the same applicant."""

    doc_id: str
    dossier: str
    from_dossier: str
    from_agency: str | None
    by: str  # "sha256" (the same bytes) or "number_notation" (an earlier result's number and notation)


# Every component document of a dossier with an applicant ID, paired with each archived document of ANOTHER dossier of
# the same applicant that has its bytes, or (a result) its number and notation. CROSS JOIN fixes SQLite's join
# order: the dossiers (small), their documents (by dossier), the matches (by the sha256 / number index), their
# dossiers (by code): work in proportion to the matches, never dossiers × dossiers.
_PAIRS = """
SELECT mine.id AS doc_id, mine.dossier AS dossier, other.dossier AS from_dossier, other.agency AS from_agency,
       {how} AS how
FROM dossiers AS own
{join} documents AS mine ON mine.dossier = own.code
{join} documents AS other ON {match}
{join} dossiers AS theirs ON theirs.code = other.dossier
WHERE {own_applicant} IS NOT NULL {only}
  AND mine.status = :archived AND mine.role = :component AND other.status = :archived
  AND theirs.code != own.code
  AND {their_applicant} = {own_applicant}
"""
# The dialects' spellings in _PAIRS: SQLite keeps the written join order with CROSS JOIN (PostgreSQL plans its own
# and has no CROSS JOIN ... ON); a register field is json_extract there, ->> here.
_PAIRS_SQL = {
    "sqlite": {
        "join": "CROSS JOIN",
        "own_applicant": "json_extract(own.dossier, '$.applicant_id')",
        "their_applicant": "json_extract(theirs.dossier, '$.applicant_id')",
    },
    "postgresql": {
        "join": "JOIN",
        "own_applicant": "(own.dossier ->> 'applicant_id')",
        "their_applicant": "(theirs.dossier ->> 'applicant_id')",
    },
}
_BY_BYTES = "other.sha256 = mine.sha256"
_BY_NUMBER = "other.number = mine.number AND other.notation = mine.notation AND other.role = :result"
_CHUNK = 500  # codes per IN (...): SQLite caps the parameters of one statement


def _chunks(codes: Collection[str] | None) -> list[list[str] | None]:
    if codes is None:
        return [None]
    wanted = sorted(set(codes))
    return [wanted[start : start + _CHUNK] for start in range(0, len(wanted), _CHUNK)]


def _pairs(engine: Engine, dossier_codes: Collection[str] | None) -> list[Any]:
    """(doc id, its dossier, the other document's dossier and agency, how) for each component document (of
    `dossier_codes`, if given) whose bytes, or number and notation as an archived result, are in another dossier of
    the same applicant. Which of the two is earlier is decided by the caller."""
    found: list[Any] = []
    with engine.connect() as connection:
        for chunk in _chunks(dossier_codes):
            if chunk == []:
                continue
            names = {f"code{position}": code for position, code in enumerate(chunk or [])}
            only = f"AND own.code IN ({', '.join(':' + name for name in names)})" if chunk is not None else ""
            for how, match in (("sha256", _BY_BYTES), ("number_notation", _BY_NUMBER)):
                spelling = _PAIRS_SQL[connection.dialect.name]
                statement = text(_PAIRS.format(how=f"'{how}'", match=match, only=only, **spelling))
                parameters = {"archived": _ARCHIVED, "component": _COMPONENT, "result": _RESULT, **names}
                found += list(connection.execute(statement, parameters))
    return found


def _order_keys(engine: Engine, codes: Iterable[str]) -> dict[str, tuple]:
    """Each dossier's place in time: (received date, else first arrival's day; first arrival; code)."""
    wanted = sorted(set(codes))
    arrivals: dict[str, Any] = {}
    received: dict[str, Any] = {}
    # A few dossiers by their codes; many by one pass over all (cheaper than thousands of lookups).
    chunks: list[list[str] | None] = [None] if len(wanted) > 20 * _CHUNK else list(_chunks(wanted))
    with engine.connect() as connection:
        for chunk in chunks:
            if chunk == []:
                continue
            earliest = select(documents.c.dossier, func.min(documents.c.received_at)).where(
                documents.c.status == _ARCHIVED, documents.c.dossier.is_not(None)
            )
            entries = select(dossiers.c.code, _field("received_date"))
            if chunk is not None:
                earliest = earliest.where(documents.c.dossier.in_(chunk))
                entries = entries.where(dossiers.c.code.in_(chunk))
            for row in connection.execute(earliest.group_by(documents.c.dossier)):
                arrivals[row[0]] = row[1]
            for row in connection.execute(entries):
                received[row[0]] = row[1]
    keys = {}
    for code in wanted:
        first = _moment(arrivals.get(code))
        day = received_date_of(code, received.get(code)) or (first.date() if first else date.max)
        keys[code] = (day, (first.isoformat() if first else "~"), code)
    return keys


def reused_documents(engine: Engine, dossier_codes: Collection[str] | None = None) -> dict[str, Reuse]:
    """The component documents (of `dossier_codes`, or of every dossier) already archived in an EARLIER dossier of
    the same applicant: the same bytes (SHA-256), or the number and notation of an earlier result. Earlier: by
    received date, else the first file's arrival (then the code, so two dossiers are never each other's earlier).
    The earlier dossier may be another agency's (the citizen's data is reused wherever it was digitised)."""
    pairs = _pairs(engine, dossier_codes)
    keys = _order_keys(engine, {row.dossier for row in pairs} | {row.from_dossier for row in pairs})
    best: dict[str, tuple[tuple, bool, Any]] = {}  # doc id -> the earliest earlier dossier (bytes first on a tie)
    for row in pairs:
        earlier = keys[row.from_dossier]
        if earlier >= keys[row.dossier]:
            continue
        rank = (earlier, row.how != "sha256")
        held = best.get(row.doc_id)
        if held is None or rank < held[:2]:
            best[row.doc_id] = (*rank, row)
    return {
        doc_id: Reuse(row.doc_id, row.dossier, row.from_dossier, row.from_agency, row.how)
        for doc_id, (_, _, row) in best.items()
    }


def set_document_role(engine: Engine, document: Document) -> None:
    """A document's role changed: its stored model and its `role` column."""
    with engine.begin() as connection:
        connection.execute(
            documents.update()
            .where(documents.c.id == document.id)
            .values(
                document=json.loads(document.model_dump_json()), role=document.role.value if document.role else None
            )
        )


def documents_without_role(engine: Engine, role_types: Collection[str]) -> list[str]:
    """Archived documents with no role, of the types given, that no person gave a role (to get their default)."""
    statement = select(documents.c.id).where(
        documents.c.status == _ARCHIVED,
        documents.c.role.is_(None),
        documents.c.doc_type.in_(sorted(role_types)),
        documents.c.document["role_set_by"].as_string().is_(None),
    )
    with engine.connect() as connection:
        return list(connection.execute(statement.order_by(documents.c.id)).scalars())
