"""Who is asking: a user (signed in) or an API token (another system), with a role and the agencies whose records
they may see. Every read and write of records takes the caller's `Principal`, and the catalog narrows its query
with `Principal.agencies` (its granted agencies and, after a merger, their predecessors): scoping lives in the
query, never in a filter applied afterwards."""

from __future__ import annotations

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
