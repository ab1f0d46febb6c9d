"""Settings: every one an environment variable (SOHOA_*), each documented on its own line.

With nothing set, sohoa runs on one machine: a folder object store and a SQLite catalog under SOHOA_HOME.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from schemas.doctypes import DocType
from schemas.models import DocumentRole, LockMode, Retention

# The role a document of each type has in its dossier unless a person says otherwise (Quyết định 766/QĐ-TTg group 4:
# results, components, one-stop-shop forms). A type not listed (khac, or one that is a component in one procedure and
# a result in another, like giay_khai_sinh) gets no role: never a guess.
DEFAULT_ROLE_MAP: dict[DocType, DocumentRole] = {
    DocType.quyet_dinh: DocumentRole.result,
    DocType.giay_phep: DocumentRole.result,
    DocType.gcn_quyen_su_dung_dat: DocumentRole.result,  # the giấy chứng nhận types
    DocType.gcn_dang_ky_kinh_doanh: DocumentRole.result,
    DocType.don: DocumentRole.component,
    DocType.to_khai: DocumentRole.component,
    DocType.giay_tiep_nhan: DocumentRole.form,
}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SOHOA_", extra="ignore")

    home: Path = Field(Path("./sohoa-data"), description="Data folder; the embedded defaults live under it.")
    store_url: str = Field("", description="file:///abs/path (default SOHOA_HOME/store) or s3://BUCKET.")
    s3_endpoint: str = Field("", description="host:port of the S3 server when SOHOA_STORE_URL is s3://.")
    s3_access_key: str = Field("", description="S3 access key.")
    s3_secret_key: str = Field("", description="S3 secret key.")
    s3_secure: bool = Field(False, description="1 to talk to the S3 server over TLS.")
    s3_region: str = Field("", description="S3 region, if the server wants one.")
    s3_sse: bool = Field(
        False, description="1 to ask the S3 server to encrypt objects at rest (SSE-S3); the server needs a key."
    )
    retention: str = Field(
        "10", description="Thời hạn bảo quản of originals: years (e.g. 10) or vinh-vien (permanent: legal hold)."
    )
    lock_mode: LockMode = Field(
        LockMode.governance, description="S3 Object Lock mode of originals: GOVERNANCE (admin may lift) or COMPLIANCE."
    )
    replica_url: str = Field(
        "", description="Second copy of every object: file:///abs/path or s3://BUCKET (empty: no replica)."
    )
    replica_s3_endpoint: str = Field("", description="Replica S3 host:port (default SOHOA_S3_ENDPOINT).")
    replica_s3_access_key: str = Field("", description="Replica S3 access key (default SOHOA_S3_ACCESS_KEY).")
    replica_s3_secret_key: str = Field("", description="Replica S3 secret key (default SOHOA_S3_SECRET_KEY).")
    replica_s3_secure: bool | None = Field(None, description="1/0: TLS to the replica (default SOHOA_S3_SECURE).")
    replica_s3_region: str = Field("", description="Replica S3 region (default SOHOA_S3_REGION).")
    catalog_url: str = Field(
        "", description="sqlite:///abs/path.db (default SOHOA_HOME/catalog.db) or postgresql://user@host:5432/db."
    )
    ocr_lang: str = Field("vie", description="Tesseract languages (vie read Vietnamese best in bench/ocr_bench.py).")
    tesseract_cmd: str = Field(
        "", description="The Tesseract program (default `tesseract` on PATH); read by ocr.tesseract for each run."
    )
    tesseract_timeout: float = Field(120, description="Seconds one page may take in Tesseract before it is stopped.")
    max_file_mb: int = Field(500, description="Largest input file accepted, in MiB.")
    max_page_pixels: int = Field(
        200_000_000, description="Largest page accepted, in pixels (refuses decompression bombs)."
    )
    max_pages: int = Field(2000, description="Most pages accepted in one document.")
    rasterize_dpi_max: int = Field(400, description="Highest resolution a PDF page is rasterised at.")
    agency: str = Field("", description="Agency code used when an ingest names none (e.g. 000.00.00.H30).")
    ocr_workers: int = Field(0, description="Processes that OCR pages in parallel; 0 = one per core.")
    classify_threshold: float = Field(
        0.5, ge=0, le=1, description="Below this combined confidence a document is 'khac' and needs review."
    )
    field_min_confidence: float = Field(
        0.6,
        ge=0,
        le=1,
        description="Below this confidence (0-1) a number, notation or issued date read from a page is left empty "
        "and the document flagged for review; the confidence is kept with the document.",
    )
    role_map: dict[DocType, DocumentRole] = Field(
        default_factory=lambda: dict(DEFAULT_ROLE_MAP),
        description="Default role of each document type in its dossier, as JSON "
        '{"quyet_dinh": "result", "don": "component", ...} (component, result or form); a type not listed gets none.',
    )
    # The watched inbox (`sohoa watch`, the `ingest-inbox` and `nightly-backlog` flows; README "The inbox").
    inbox: Path | None = Field(None, description="Watched inbox folder (default SOHOA_HOME/inbox).")
    backlog: Path | None = Field(
        None,
        description="Backlog folder the nightly-backlog flow sweeps, same layout as the inbox "
        "(default SOHOA_HOME/backlog).",
    )
    stable_seconds: float = Field(
        10, ge=0, description="Seconds a file's size and modification time must stay unchanged before it is taken."
    )
    rescan_seconds: float = Field(
        60, gt=0, description="Seconds between full rescans of the inbox (network shares send no change events)."
    )
    claim_timeout_seconds: float = Field(
        600,
        gt=0,
        description="Seconds without a heartbeat after which another worker's claimed files go back to the inbox.",
    )
    done_action: Literal["move", "delete"] = Field(
        "move", description="What happens to a file once archived: move (to INBOX/.done/<date>/) or delete."
    )
    worker_name: str = Field(
        "",
        description="Name of this watcher's claim folder INBOX/.processing/<name>/; unique per running "
        "watcher (default <host>-<pid>).",
    )

    # The web app and API (`sohoa serve`).
    secret_key: str = Field(
        "", description="Key that signs session cookies (default: made once, kept in SOHOA_HOME/secret.key, mode 600)."
    )
    cookie_secure: bool = Field(False, description="1 behind TLS: session cookies are sent over HTTPS only.")
    session_idle_minutes: float = Field(30, gt=0, description="A session unused this long ends.")
    session_max_hours: float = Field(10, gt=0, description="A session ends this long after sign-in, used or not.")
    login_attempts: int = Field(
        5, ge=1, description="Failed sign-ins allowed per user (and 4x per address) in 15 minutes, then 429."
    )

    # Certified electronic copies (`sohoa certify`, the `certify` and `renew-timestamps` flows; README "Certified
    # copies"). The key is a PKCS#12 file or a PKCS#11 token; its PIN is never on a command line, in output or a log.
    sign_pkcs12: str = Field("", description="PKCS#12 file (.p12/.pfx) holding the agency's signing key and chain.")
    sign_pkcs11_lib: str = Field(
        "", description="PKCS#11 module of the agency's USB token or HSM (e.g. /usr/lib/softhsm/libsofthsm2.so)."
    )
    sign_token_label: str = Field("", description="Label of the PKCS#11 token holding the key.")
    sign_key_label: str = Field("", description="Label of the signing key (and its certificate) on the token.")
    sign_pin_file: str = Field(
        "", description="File holding the token PIN or the PKCS#12 passphrase (mode 600); preferred to SOHOA_SIGN_PIN."
    )
    sign_pin: SecretStr = Field(
        SecretStr(""), description="The token PIN or PKCS#12 passphrase itself, when no SOHOA_SIGN_PIN_FILE is given."
    )
    sign_agency: str = Field(
        "", description="Agency code the signing key signs for (e.g. 000.00.00.H33); it certifies only its documents."
    )
    tsa_url: str = Field(
        "", description="RFC 3161 time-stamping authority URL; empty: signatures are PAdES B-B (no trusted time)."
    )
    trust_roots: str = Field(
        "", description="PEM file of the root certificates `sohoa verify` trusts for certified copies (national root)."
    )
    certify_after_ingest: list[DocType] = Field(
        default_factory=list,
        description='Document types certified right after ingest, as JSON ["quyet_dinh", "giay_phep", ...] '
        "(default none).",
    )

    @field_validator("retention")
    @classmethod
    def _check_retention(cls, value: str) -> str:
        Retention.model_validate(value)  # its ValueError says what is accepted
        return value

    @field_validator("replica_s3_secure", mode="before")
    @classmethod
    def _unset_when_empty(cls, value):
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("inbox", "backlog", mode="before")
    @classmethod
    def _default_folder_when_empty(cls, value):
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("done_action", mode="before")
    @classmethod
    def _lower_done_action(cls, value):
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("lock_mode", mode="before")
    @classmethod
    def _check_lock_mode(cls, value):
        return LockMode.parse(value)

    @cached_property
    def home_dir(self) -> Path:
        return self.home.expanduser().resolve()

    @property
    def resolved_store_url(self) -> str:
        return self.store_url or (self.home_dir / "store").as_uri()

    @property
    def resolved_catalog_url(self) -> str:
        return self.catalog_url or f"sqlite:///{self.home_dir / 'catalog.db'}"

    @property
    def inbox_dir(self) -> Path:
        return self.inbox.expanduser().resolve() if self.inbox else self.home_dir / "inbox"

    @property
    def backlog_dir(self) -> Path:
        return self.backlog.expanduser().resolve() if self.backlog else self.home_dir / "backlog"


def get_settings() -> Settings:
    """Fresh settings from the environment (cheap; tests change the environment between calls)."""
    return Settings()
