"""Who may read the archive, kept in the catalog: the agency registry (with mergers), user accounts, API tokens and
the access log. Functions take the `Catalog`; the application layer (`archive.access`) hashes passwords, checks
input and decides; this module only keeps records.

Secrets never reach this module: a user's argon2 hash and a token's sha256 are stored, never a password or a
token. Account listings (`UserInfo`, `TokenInfo`) carry neither hash.

The access log is append-only and chained: each entry's `hash` is the sha256 of the previous entry's hash and this
entry's canonical JSON (`entry_hash`), so an edited entry no longer matches its hash and a deleted one leaves a gap
in `seq` (or, at the end, a `seq` lower than SQLite's AUTOINCREMENT counter or PostgreSQL's sequence). Appends take
the write lock first (BEGIN IMMEDIATE; an advisory lock on PostgreSQL), read the last entry and insert the next in
the same transaction, so processes appending at once take turns and the chain stays one line.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Connection,
    Date,
    DateTime,
    Integer,
    String,
    Table,
    Text,
    exists,
    func,
    or_,
    select,
    text,
)
from sqlalchemy.exc import IntegrityError

from catalog.tables import insert_into, metadata, take_write_lock
from schemas.access import AccessEntry, AccessLogProblem, AgencyInfo, Role, TokenInfo, UserInfo
from schemas.failures import SohoaFailure

if TYPE_CHECKING:
    from catalog.records import Catalog

GENESIS_HASH = "0" * 64  # the `prev_hash` of the first entry
HASHED_FIELDS = ("seq", "at", "actor_kind", "actor", "address", "action", "records", "detail")

agencies = Table(
    "agencies",
    metadata,
    Column("code", String(16), primary_key=True),
    Column("name", Text, nullable=False),
    Column("parent", String(16)),
    Column("valid_from", Date),
    Column("valid_to", Date),
)

# A merger: `predecessor`'s records belong, from `on_date`, to `successor` too (they keep the code they were filed
# under). One agency may merge into several (a split) and several into one.
agency_successors = Table(
    "agency_successors",
    metadata,
    Column("predecessor", String(16), primary_key=True),
    Column("successor", String(16), primary_key=True, index=True),
    Column("on_date", Date),
)

users = Table(
    "users",
    metadata,
    Column("username", String(64), primary_key=True),
    Column("role", String(16), nullable=False),
    Column("password_hash", Text, nullable=False),  # argon2 (archive.access); never the password
    Column("pii", Boolean, nullable=False, default=False),
    Column("disabled", Boolean, nullable=False, default=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("password_changed_at", DateTime(timezone=True)),
)

user_agencies = Table(
    "user_agencies",
    metadata,
    Column("username", String(64), primary_key=True),
    Column("agency", String(16), primary_key=True),
)

tokens = Table(
    "tokens",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("name", Text, nullable=False),
    Column("role", String(16), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),  # sha256 of the secret; never the secret
    Column("pii", Boolean, nullable=False, default=False),  # systems never see citizen IDs unmasked
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True)),
)

token_agencies = Table(
    "token_agencies",
    metadata,
    Column("token_id", String(32), primary_key=True),
    Column("agency", String(16), primary_key=True),
)

access_log = Table(
    "access_log",
    metadata,
    Column("seq", Integer, primary_key=True),
    Column("at", String(32), nullable=False, index=True),  # UTC ISO 8601: sorts as it reads
    Column("actor_kind", String(16), nullable=False),
    Column("actor", String(128), nullable=False, index=True),
    Column("address", String(64)),
    Column("action", String(32), nullable=False),
    Column("records", JSON, nullable=False),
    Column("detail", JSON, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    sqlite_autoincrement=True,  # sqlite_sequence remembers the highest seq: a deleted last entry shows
)


class UserExists(SohoaFailure):
    code = "user_exists"
    vi = "Tên đăng nhập này đã có"
    en = "This username is already taken"


class UnknownUser(SohoaFailure):
    code = "unknown_user"
    vi = "Không có tài khoản này"
    en = "No such account"


class UnknownToken(SohoaFailure):
    code = "unknown_token"
    vi = "Không có mã truy cập (token) này"
    en = "No such API token"


class AgencyExists(SohoaFailure):
    code = "agency_exists"
    vi = "Mã cơ quan này đã có trong danh mục cơ quan"
    en = "This agency code is already in the registry"


class UnknownAgency(SohoaFailure):
    code = "unknown_agency"
    vi = "Mã cơ quan chưa có trong danh mục cơ quan (thêm bằng `sohoa agency add` hoặc `sohoa agency import`)"
    en = "This agency code is not in the registry (add it with `sohoa agency add` or `sohoa agency import`)"


class AgencyMergeCycle(SohoaFailure):
    code = "agency_merge_cycle"
    vi = "Sáp nhập vòng: cơ quan không thể sáp nhập vào chính nó hoặc vào cơ quan đã sáp nhập vào nó"
    en = "A circular merger: an agency cannot merge into itself or into an agency already merged into it"


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(moment: datetime | None) -> datetime | None:
    """SQLite gives back naive datetimes: they were written in UTC."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


# --- agencies ---


def get_agency(catalog: Catalog, code: str) -> AgencyInfo | None:
    found = list_agencies(catalog, [code])
    return found[0] if found else None


def list_agencies(catalog: Catalog, codes: Iterable[str] | None = None) -> list[AgencyInfo]:
    """The registry (or the agencies `codes` names), by code, each with its direct successors and predecessors."""
    query = select(agencies).order_by(agencies.c.code)
    if codes is not None:
        query = query.where(agencies.c.code.in_(list(codes)))
    with catalog.engine.connect() as connection:
        rows = connection.execute(query).all()
        links = connection.execute(select(agency_successors.c.predecessor, agency_successors.c.successor)).all()
    successors: dict[str, list[str]] = {}
    predecessors: dict[str, list[str]] = {}
    for old, new in sorted(links):
        successors.setdefault(old, []).append(new)
        predecessors.setdefault(new, []).append(old)
    return [
        AgencyInfo(
            code=row.code,
            name=row.name,
            parent=row.parent,
            valid_from=row.valid_from,
            valid_to=row.valid_to,
            successors=successors.get(row.code, []),
            predecessors=predecessors.get(row.code, []),
        )
        for row in rows
    ]


def add_agency(
    catalog: Catalog,
    code: str,
    name: str,
    parent: str | None = None,
    valid_from: date | None = None,
    valid_to: date | None = None,
    *,
    replace: bool = False,
) -> AgencyInfo:
    """Add an agency (codes already checked by the caller); `replace` updates one already there (an import)."""
    values = {"code": code, "name": name, "parent": parent, "valid_from": valid_from, "valid_to": valid_to}
    with catalog.engine.begin() as connection:
        statement = insert_into(connection, agencies).values(**values)
        if replace:
            statement = statement.on_conflict_do_update(
                index_elements=[agencies.c.code], set_={key: statement.excluded[key] for key in values if key != "code"}
            )
        try:
            connection.execute(statement)
        except IntegrityError:
            raise AgencyExists(code) from None
    found = get_agency(catalog, code)
    assert found is not None
    return found


def _reachable(connection: Connection, codes: Iterable[str], *, backwards: bool) -> set[str]:
    """Every agency reached from `codes` through merger links (backwards: predecessors; else successors), not
    counting `codes` themselves unless a link leads back to them."""
    source, target = (
        (agency_successors.c.successor, agency_successors.c.predecessor)
        if backwards
        else (agency_successors.c.predecessor, agency_successors.c.successor)
    )
    found: set[str] = set()
    frontier = set(codes)
    while frontier:
        step = set(connection.execute(select(target).where(source.in_(sorted(frontier)))).scalars())
        frontier = step - found
        found |= step
    return found


def predecessors_of(catalog: Catalog, codes: Iterable[str]) -> set[str]:
    """Every agency merged, directly or through others, into one of `codes` (A->B->C: C's are A and B)."""
    with catalog.engine.connect() as connection:
        return _reachable(connection, codes, backwards=True)


def successors_of(catalog: Catalog, codes: Iterable[str]) -> set[str]:
    """Every agency `codes` merged into, directly or through others."""
    with catalog.engine.connect() as connection:
        return _reachable(connection, codes, backwards=False)


def current_agencies(catalog: Catalog, code: str) -> set[str]:
    """Today's agencies for a code records were filed under: the last successors of its mergers, or itself."""
    with catalog.engine.connect() as connection:
        later = _reachable(connection, [code], backwards=False)
        if not later:
            return {code}
        still_merging = set(
            connection.execute(
                select(agency_successors.c.predecessor).where(agency_successors.c.predecessor.in_(sorted(later)))
            ).scalars()
        )
    return later - still_merging


def merge_agencies(catalog: Catalog, predecessors: Iterable[str], successor: str, on_date: date) -> None:
    """`predecessors` merge into `successor` on `on_date`: each gets the link and, if it had no end yet, is valid
    until the day before. All must be in the registry; a merger that would make a circle is refused."""
    olds = sorted(set(predecessors))
    with catalog.engine.connect() as connection:
        take_write_lock(connection)
        named = select(agencies.c.code).where(agencies.c.code.in_([*olds, successor]))
        known = set(connection.execute(named).scalars())
        missing = sorted({*olds, successor} - known)
        if missing:
            connection.rollback()
            raise UnknownAgency(", ".join(missing))
        if successor in olds or successor in _reachable(connection, olds, backwards=True):
            connection.rollback()
            raise AgencyMergeCycle(successor)
        for old in olds:
            connection.execute(
                insert_into(connection, agency_successors)
                .values(predecessor=old, successor=successor, on_date=on_date)
                .on_conflict_do_update(
                    index_elements=[agency_successors.c.predecessor, agency_successors.c.successor],
                    set_={"on_date": on_date},
                )
            )
            connection.execute(
                agencies.update()
                .where(agencies.c.code == old, agencies.c.valid_to.is_(None))
                .values(valid_to=on_date - timedelta(days=1))
            )
        connection.commit()


# --- users ---


def add_user(
    catalog: Catalog, username: str, role: Role, agency_codes: Iterable[str], password_hash: str, pii: bool = False
) -> UserInfo:
    now = _now()
    with catalog.engine.begin() as connection:
        try:
            connection.execute(
                users.insert().values(
                    username=username,
                    role=role.value,
                    password_hash=password_hash,
                    pii=pii,
                    disabled=False,
                    created_at=now,
                    password_changed_at=now,
                )
            )
        except IntegrityError:
            raise UserExists() from None  # the name is the caller's to say
        codes = sorted(set(agency_codes))
        if codes:
            connection.execute(user_agencies.insert(), [{"username": username, "agency": code} for code in codes])
    found = get_user(catalog, username)
    assert found is not None
    return found


def _user_infos(connection: Connection, names: list[str] | None) -> list[UserInfo]:
    query = select(users).order_by(users.c.username)
    grants = select(user_agencies.c.username, user_agencies.c.agency).order_by(user_agencies.c.agency)
    if names is not None:
        query = query.where(users.c.username.in_(names))
        grants = grants.where(user_agencies.c.username.in_(names))
    granted: dict[str, list[str]] = {}
    for name, code in connection.execute(grants):
        granted.setdefault(name, []).append(code)
    return [
        UserInfo(
            username=row.username,
            role=Role(row.role),
            agencies=granted.get(row.username, []),
            pii=row.pii,
            disabled=row.disabled,
            created_at=_aware(row.created_at),
            password_changed_at=_aware(row.password_changed_at),
        )
        for row in connection.execute(query)
    ]


def get_user(catalog: Catalog, username: str) -> UserInfo | None:
    with catalog.engine.connect() as connection:
        found = _user_infos(connection, [username])
    return found[0] if found else None


def list_users(catalog: Catalog) -> list[UserInfo]:
    with catalog.engine.connect() as connection:
        return _user_infos(connection, None)


def password_hash_of(catalog: Catalog, username: str) -> str | None:
    """The stored argon2 hash (for sign-in only; never shown)."""
    with catalog.engine.connect() as connection:
        return connection.execute(select(users.c.password_hash).where(users.c.username == username)).scalar()


def set_password_hash(catalog: Catalog, username: str, password_hash: str, *, rehash_only: bool = False) -> None:
    """A new password's hash (or, with `rehash_only`, the same password under newer argon2 parameters)."""
    values: dict[str, Any] = {"password_hash": password_hash}
    if not rehash_only:
        values["password_changed_at"] = _now()
    with catalog.engine.begin() as connection:
        changed = connection.execute(users.update().where(users.c.username == username).values(**values)).rowcount
    if not changed:
        raise UnknownUser()


def set_disabled(catalog: Catalog, username: str, disabled: bool = True) -> None:
    with catalog.engine.begin() as connection:
        changed = connection.execute(
            users.update().where(users.c.username == username).values(disabled=disabled)
        ).rowcount
    if not changed:
        raise UnknownUser()


def set_grants(catalog: Catalog, username: str, role: Role, agency_codes: Iterable[str], pii: bool) -> None:
    """A user's role, agencies and personal-data right, replaced together in one transaction."""
    codes = sorted(set(agency_codes))
    with catalog.engine.begin() as connection:
        changed = connection.execute(
            users.update().where(users.c.username == username).values(role=role.value, pii=pii)
        ).rowcount
        if not changed:
            raise UnknownUser()
        connection.execute(user_agencies.delete().where(user_agencies.c.username == username))
        if codes:
            connection.execute(user_agencies.insert(), [{"username": username, "agency": code} for code in codes])


# --- tokens ---


def add_token(
    catalog: Catalog, token_id: str, name: str, role: Role, agency_codes: Iterable[str], token_hash: str
) -> TokenInfo:
    with catalog.engine.begin() as connection:
        connection.execute(
            tokens.insert().values(
                id=token_id, name=name, role=role.value, token_hash=token_hash, pii=False, created_at=_now()
            )
        )
        codes = sorted(set(agency_codes))
        if codes:
            connection.execute(token_agencies.insert(), [{"token_id": token_id, "agency": code} for code in codes])
    found = get_token(catalog, token_id)
    assert found is not None
    return found


def _token_infos(connection: Connection, ids: list[str] | None) -> list[TokenInfo]:
    query = select(tokens).order_by(tokens.c.created_at, tokens.c.id)
    grants = select(token_agencies.c.token_id, token_agencies.c.agency).order_by(token_agencies.c.agency)
    if ids is not None:
        query = query.where(tokens.c.id.in_(ids))
        grants = grants.where(token_agencies.c.token_id.in_(ids))
    granted: dict[str, list[str]] = {}
    for token_id, code in connection.execute(grants):
        granted.setdefault(token_id, []).append(code)
    return [
        TokenInfo(
            id=row.id,
            name=row.name,
            role=Role(row.role),
            agencies=granted.get(row.id, []),
            created_at=_aware(row.created_at),
            revoked_at=_aware(row.revoked_at),
        )
        for row in connection.execute(query)
    ]


def get_token(catalog: Catalog, token_id: str) -> TokenInfo | None:
    with catalog.engine.connect() as connection:
        found = _token_infos(connection, [token_id])
    return found[0] if found else None


def token_hash_of(catalog: Catalog, token_id: str) -> str | None:
    with catalog.engine.connect() as connection:
        return connection.execute(select(tokens.c.token_hash).where(tokens.c.id == token_id)).scalar()


def find_token(catalog: Catalog, token_hash: str) -> TokenInfo | None:
    """The token whose secret hashes to `token_hash` (revoked or not: the caller checks `revoked_at`)."""
    with catalog.engine.connect() as connection:
        token_id = connection.execute(select(tokens.c.id).where(tokens.c.token_hash == token_hash)).scalar()
        found = _token_infos(connection, [token_id]) if token_id else []
    return found[0] if found else None


def list_tokens(catalog: Catalog) -> list[TokenInfo]:
    with catalog.engine.connect() as connection:
        return _token_infos(connection, None)


def revoke_token(catalog: Catalog, token_id: str) -> TokenInfo:
    """Revoke a token (revoking it again keeps the first date)."""
    with catalog.engine.begin() as connection:
        connection.execute(
            tokens.update().where(tokens.c.id == token_id, tokens.c.revoked_at.is_(None)).values(revoked_at=_now())
        )
    found = get_token(catalog, token_id)
    if found is None:
        raise UnknownToken()
    return found


# --- the access log ---


def _canonical(value: Any) -> Any:
    """JSON-safe, as it will read back from the catalog (dates as text, tuples as lists)."""
    return json.loads(json.dumps(value, ensure_ascii=False, default=str))


def entry_hash(fields: dict[str, Any], prev_hash: str) -> str:
    """sha256 over the previous hash and the entry's fields as canonical JSON (sorted keys, no spaces)."""
    body = {name: fields[name] for name in HASHED_FIELDS}
    canonical = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(f"{prev_hash}\n{canonical}".encode()).hexdigest()


def _entry(row: Any) -> AccessEntry:
    return AccessEntry(
        seq=row.seq,
        at=row.at,
        actor_kind=row.actor_kind,
        actor=row.actor,
        address=row.address,
        action=row.action,
        records=list(row.records or []),
        detail=dict(row.detail or {}),
        prev_hash=row.prev_hash,
        hash=row.hash,
    )


def append_access(
    catalog: Catalog,
    *,
    actor_kind: str,
    actor: str,
    action: str,
    records: Iterable[str] = (),
    address: str | None = None,
    detail: dict | None = None,
    at: datetime | None = None,
) -> AccessEntry:
    """Append one entry, chained to the last one, under the write lock (one writer at a time, across processes).
    `at` is now unless given (a test writing yesterday's entries)."""
    moment = (at or _now()).astimezone(UTC).isoformat(timespec="microseconds")
    fields: dict[str, Any] = {
        "at": moment,
        "actor_kind": actor_kind,
        "actor": actor,
        "address": address,
        "action": action,
        "records": _canonical([str(record) for record in records]),
        "detail": _canonical(detail or {}),
    }
    with catalog.engine.connect() as connection:
        take_write_lock(connection, "access_log")
        last = connection.execute(
            select(access_log.c.seq, access_log.c.hash).order_by(access_log.c.seq.desc()).limit(1)
        ).first()
        fields["seq"] = (last.seq if last else 0) + 1
        prev_hash = last.hash if last else GENESIS_HASH
        fields["prev_hash"] = prev_hash
        fields["hash"] = entry_hash(fields, prev_hash)
        connection.execute(access_log.insert().values(**fields))
        if connection.dialect.name == "postgresql":  # its counter, like SQLite's AUTOINCREMENT one (see verify)
            connection.execute(text(f"SELECT setval(pg_get_serial_sequence('{access_log.name}', 'seq'), :seq)"), fields)
        connection.commit()
    return AccessEntry.model_validate(fields)


def _bound(value: date | datetime | str | None, *, end: bool) -> str | None:
    """An `at` bound as text: a date means the whole day (until: up to the end of it), in UTC."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value) if "T" in value or " " in value else date.fromisoformat(value)
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return moment.astimezone(UTC).isoformat(timespec="microseconds")
    day = value + timedelta(days=1) if end else value
    return datetime(day.year, day.month, day.day, tzinfo=UTC).isoformat(timespec="microseconds")


def read_access(
    catalog: Catalog,
    user: str | None = None,
    record: str | None = None,
    since: date | datetime | str | None = None,
    until: date | datetime | str | None = None,
    *,
    action: str | None = None,
    address: str | None = None,
    limit: int | None = None,
    offset: int = 0,
    newest_first: bool = False,
) -> list[AccessEntry]:
    """Entries by actor (a username or token id), by a record they name, by action or address, in a time range
    (`since` inclusive; `until` a date includes its whole day, a datetime is exclusive)."""
    query = select(access_log)
    if user is not None:
        query = query.where(access_log.c.actor == user)
    if record is not None:
        query = query.where(_names_record(record, catalog.engine.dialect.name))
    if action is not None:
        query = query.where(access_log.c.action == action)
    if address is not None:
        query = query.where(access_log.c.address == address)
    start, end = _bound(since, end=False), _bound(until, end=True)
    if start is not None:
        query = query.where(access_log.c.at >= start)
    if end is not None:
        query = query.where(access_log.c.at < end)
    query = query.order_by(access_log.c.seq.desc() if newest_first else access_log.c.seq).offset(offset)
    if limit is not None:
        query = query.limit(limit)
    with catalog.engine.connect() as connection:
        return [_entry(row) for row in connection.execute(query)]


def _names_record(record: str, dialect_name: str):
    """The entry's `records` list holds `record` (a JSON array: SQLite's json_each, PostgreSQL's
    json_array_elements_text; bound as a parameter either way)."""
    unnest = func.json_array_elements_text if dialect_name == "postgresql" else func.json_each
    named = unnest(access_log.c.records).table_valued("value")
    return exists(select(named.c.value).where(named.c.value == record))


def count_access(
    catalog: Catalog,
    action: str,
    since: datetime,
    *,
    actor: str | None = None,
    address: str | None = None,
) -> int:
    """How many `action` entries since a moment, by an actor or from an address (or either: both given means
    entries matching one of them); what a login rate limit shared by every process reads."""
    query = (
        select(func.count())
        .select_from(access_log)
        .where(access_log.c.action == action, access_log.c.at >= _bound(since, end=False))
    )
    who = [
        condition
        for condition in (
            access_log.c.actor == actor if actor is not None else None,
            access_log.c.address == address if address is not None else None,
        )
        if condition is not None
    ]
    if who:
        query = query.where(or_(*who))
    with catalog.engine.connect() as connection:
        return int(connection.execute(query).scalar() or 0)


def count_entries(catalog: Catalog) -> int:
    with catalog.engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(access_log)).scalar() or 0)


def verify_access_log(catalog: Catalog) -> list[AccessLogProblem]:
    """What is wrong with the chain (empty: intact): an entry whose hash does not match its fields (edited),
    sequence numbers absent (deleted entries, the last ones included), an entry whose `prev_hash` is not the
    previous entry's hash."""
    problems: list[AccessLogProblem] = []
    expected_seq, expected_prev = 1, GENESIS_HASH
    with catalog.engine.connect() as connection:
        for row in connection.execute(select(access_log).order_by(access_log.c.seq)):
            fields = row._asdict()
            if row.seq != expected_seq:
                gap = f"{expected_seq}" if row.seq == expected_seq + 1 else f"{expected_seq}..{row.seq - 1}"
                problems.append(AccessLogProblem(seq=expected_seq, problem="missing", detail=f"seq {gap} absent"))
            if row.prev_hash != expected_prev:
                problems.append(
                    AccessLogProblem(seq=row.seq, problem="chain_broken", detail="prev_hash is not the hash before")
                )
            if entry_hash(fields, row.prev_hash) != row.hash:
                problems.append(
                    AccessLogProblem(seq=row.seq, problem="edited", detail="the entry does not match its hash")
                )
            expected_seq, expected_prev = row.seq + 1, row.hash
        highest = _highest_seq_ever(connection)
    if highest is not None and int(highest) >= expected_seq:
        gap = f"{expected_seq}" if int(highest) == expected_seq else f"{expected_seq}..{highest}"
        problems.append(AccessLogProblem(seq=expected_seq, problem="missing", detail=f"seq {gap} absent (the last)"))
    return problems


def _highest_seq_ever(connection) -> int | None:
    """The highest `seq` ever appended, deleted or not: SQLite's AUTOINCREMENT counter, or the PostgreSQL sequence
    `append_access` advances."""
    if connection.dialect.name == "postgresql":
        sequence = connection.execute(text(f"SELECT pg_get_serial_sequence('{access_log.name}', 'seq')")).scalar()
        return connection.execute(text(f"SELECT last_value FROM {sequence}")).scalar()
    return connection.execute(
        text("SELECT seq FROM sqlite_sequence WHERE name = :name"), {"name": access_log.name}
    ).scalar()


def access_day(catalog: Catalog, day: date) -> list[AccessEntry]:
    """One UTC day's entries, in order (what the daily copy to the store holds)."""
    return read_access(catalog, since=day, until=day)
