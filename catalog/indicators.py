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

from sqlalchemy import Engine, and_, func, literal_column, select, union_all

from catalog.tables import documents, dossiers
from schemas.codes import NATIONAL_DOSSIER_CODE
from schemas.models import Document, DocumentRole, DocumentStatus

_ARCHIVED = DocumentStatus.archived.value
_COMPONENT = DocumentRole.component.value
_RESULT = DocumentRole.result.value


def _field(name: str):
    return func.json_extract(dossiers.c.dossier, f"$.{name}")


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
            func.max(documents.c.role == _COMPONENT).label("has_component"),
            func.max(documents.c.role == _RESULT).label("has_result"),
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


def _pairs(engine: Engine, dossier_codes: Collection[str] | None) -> list[Any]:
    """(doc id, its dossier, the earlier document's dossier and agency, how) for every component document of a
    dossier with an applicant ID (of `dossier_codes`, if given) whose bytes, or number and notation as an archived
    result, are in another dossier of the same applicant. Either side's order is decided by the caller."""
    own_dossier = dossiers.alias("own_dossier")
    other_dossier = dossiers.alias("other_dossier")
    mine = documents.alias("mine")
    other = documents.alias("other")
    own_applicant = func.json_extract(own_dossier.c.dossier, "$.applicant_id")
    other_applicant = func.json_extract(other_dossier.c.dossier, "$.applicant_id")

    def pairs_by(match, how: str):
        statement = (
            select(
                mine.c.id.label("doc_id"),
                mine.c.dossier.label("dossier"),
                other.c.dossier.label("from_dossier"),
                other.c.agency.label("from_agency"),
                literal_column(f"'{how}'").label("how"),
            )
            .select_from(mine)
            .join(own_dossier, own_dossier.c.code == mine.c.dossier)
            .join(other, match)
            .join(
                other_dossier,
                and_(
                    other_dossier.c.code == other.c.dossier,
                    other_dossier.c.code != own_dossier.c.code,
                    other_applicant == own_applicant,
                ),
            )
            .where(
                mine.c.status == _ARCHIVED,
                mine.c.role == _COMPONENT,
                other.c.status == _ARCHIVED,
                own_applicant.is_not(None),
            )
        )
        if dossier_codes is not None:
            statement = statement.where(mine.c.dossier.in_(sorted(dossier_codes)))
        return statement

    by_bytes = pairs_by(other.c.sha256 == mine.c.sha256, "sha256")
    by_number = pairs_by(
        and_(
            other.c.role == _RESULT,
            other.c.number == mine.c.number,
            other.c.notation == mine.c.notation,
        ),
        "number_notation",
    )
    with engine.connect() as connection:
        return list(connection.execute(union_all(by_bytes, by_number)))


def _order_keys(engine: Engine, codes: Iterable[str]) -> dict[str, tuple]:
    """Each dossier's place in time: (received date, else first arrival's day; first arrival; code)."""
    wanted = sorted(set(codes))
    if not wanted:
        return {}
    with engine.connect() as connection:
        arrivals: dict[str, Any] = {
            row[0]: row[1]
            for row in connection.execute(
                select(documents.c.dossier, func.min(documents.c.received_at))
                .where(documents.c.dossier.in_(wanted), documents.c.status == _ARCHIVED)
                .group_by(documents.c.dossier)
            )
        }
        received: dict[str, Any] = {
            row[0]: row[1]
            for row in connection.execute(
                select(dossiers.c.code, _field("received_date")).where(dossiers.c.code.in_(wanted))
            )
        }
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
    found: dict[str, Reuse] = {}
    for row in sorted(pairs, key=lambda item: (keys[item.from_dossier], item.how != "sha256")):
        if keys[row.from_dossier] >= keys[row.dossier] or row.doc_id in found:
            continue
        found[row.doc_id] = Reuse(row.doc_id, row.dossier, row.from_dossier, row.from_agency, row.how)
    return found


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
        func.json_extract(documents.c.document, "$.role_set_by").is_(None),
    )
    with engine.connect() as connection:
        return list(connection.execute(statement.order_by(documents.c.id)).scalars())
