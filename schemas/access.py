"""Who is asking: a user (signed in) or an API token (another system), with a role and the agencies whose records
they may see. Every read and write of records takes the caller's `Principal`, and the catalog narrows its query
with `Principal.agencies` (its granted agencies and, after a merger, their predecessors): scoping lives in the
query, never in a filter applied afterwards."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from schemas.failures import SohoaFailure


class Role(StrEnum):
    clerk = "clerk"  # uploads to and reads their own agencies
    archivist = "archivist"  # searches, reads, corrects metadata and types for the agencies granted
    admin = "admin"  # users, tokens, the access log, settings


class PrincipalKind(StrEnum):
    user = "user"
    token = "token"


class Principal(BaseModel):
    """A caller, as resolved at sign-in or from a token. `agencies` is what the catalog may show them: the codes
    granted, plus every predecessor of those agencies (records keep the code they were filed under)."""

    model_config = ConfigDict(frozen=True)

    kind: PrincipalKind
    name: str
    role: Role
    granted: frozenset[str]  # the agency codes as granted
    agencies: frozenset[str]  # granted + predecessors: the scope of every query
    pii: bool = False  # may see citizen ID numbers unmasked

    def may(self, *roles: Role) -> bool:
        return self.role in roles


class NotSignedIn(SohoaFailure):
    code = "not_signed_in"
    vi = "Chưa đăng nhập hoặc phiên đã hết hạn"
    en = "Not signed in, or the session has expired"


class Forbidden(SohoaFailure):
    code = "forbidden"
    vi = "Tài khoản không có quyền làm việc này"
    en = "This account may not do that"


class NotFound(SohoaFailure):
    """Unknown, or another agency's: the two are never told apart."""

    code = "not_found"
    vi = "Không tìm thấy"
    en = "Not found"


# --- The registry, accounts and the access log as data (catalog.identity keeps them; the API shows them). ---


class AccessAction(StrEnum):
    """What an access-log entry records. Reads of records (search, view, download, export) name the records;
    changes to accounts and agencies name the account, token or agency in `records`."""

    search = "search"
    view = "view"
    download = "download"
    export = "export"
    upload = "upload"
    label = "label"
    update = "update"  # archival fields of a dossier or a document
    login = "login"
    login_failed = "login_failed"
    logout = "logout"
    user_add = "user_add"
    user_passwd = "user_passwd"
    user_disable = "user_disable"
    user_enable = "user_enable"
    user_update = "user_update"  # role, agencies or personal-data right changed
    token_create = "token_create"
    token_revoke = "token_revoke"
    agency_add = "agency_add"
    agency_merge = "agency_merge"
    agency_import = "agency_import"
    accesslog_read = "accesslog_read"
    accesslog_export = "accesslog_export"


class AgencyInfo(BaseModel):
    """An agency of the registry: code (13 characters), name, parent, validity, and the merger links."""

    code: str
    name: str
    parent: str | None = None
    valid_from: date | None = None
    valid_to: date | None = None
    successors: list[str] = []  # the agencies it merged into
    predecessors: list[str] = []  # the agencies merged into it (direct ones)


class UserInfo(BaseModel):
    """An account as shown to an admin: never its password hash."""

    username: str
    role: Role
    agencies: list[str]  # as granted
    pii: bool = False
    disabled: bool = False
    created_at: datetime
    password_changed_at: datetime | None = None


class TokenInfo(BaseModel):
    """An API token as shown to an admin: never its secret nor its hash."""

    id: str
    name: str
    role: Role
    agencies: list[str]
    created_at: datetime
    revoked_at: datetime | None = None


class AccessEntry(BaseModel):
    """One access-log entry. `hash` = sha256 of the previous entry's hash and this entry's canonical JSON
    (catalog.identity.entry_hash): an edited or deleted entry breaks the chain."""

    seq: int
    at: str  # UTC, ISO 8601 with microseconds
    actor_kind: str  # user | token | cli | anonymous
    actor: str
    address: str | None = None
    action: str
    records: list[str] = []
    detail: dict = {}
    prev_hash: str
    hash: str


class AccessLogProblem(BaseModel):
    """What `sohoa accesslog verify` found: `edited` (an entry's hash does not match its fields), `missing`
    (sequence numbers absent: deleted entries), `chain_broken` (an entry does not follow the one before it),
    `copy_differs` (a day's entries no longer match their locked copy in the store)."""

    seq: int
    problem: str
    detail: str = ""


class LoginFailed(SohoaFailure):
    """One message for an unknown user, a wrong password and a disabled account: no user enumeration."""

    code = "login_failed"
    vi = "Sai tên đăng nhập hoặc mật khẩu"
    en = "Wrong username or password"
