"""Who is calling, for the web app and the API: a signed session cookie (a user who signed in) or a bearer token
(another system), resolved to a `Principal`; CSRF protection on every state-changing request made with a cookie;
sign-in attempts limited per user and per address.

Sessions are stateless signed cookies (itsdangerous): `{user, issued, seen, csrf}`, HttpOnly, SameSite=Lax,
Secure behind TLS. A session ends after `SOHOA_SESSION_IDLE_MINUTES` unused or `SOHOA_SESSION_MAX_HOURS` after
sign-in; each request re-signs it with a new `seen`. The account is looked up on every request, so disabling a user
ends their sessions at once.
"""

from __future__ import annotations

import hmac
import os
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path

from fastapi import Request, Response
from itsdangerous import BadSignature, URLSafeSerializer

from schemas.access import NotSignedIn, Principal
from schemas.failures import SohoaFailure
from schemas.settings import Settings

SESSION_COOKIE = "sohoa_session"
CSRF_COOKIE = "sohoa_csrf"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
ATTEMPT_WINDOW_SECONDS = 15 * 60


class CsrfRefused(SohoaFailure):
    code = "csrf_refused"
    vi = "Thiếu hoặc sai mã chống giả mạo yêu cầu (CSRF); tải lại trang rồi thử lại"
    en = "Missing or wrong anti-forgery (CSRF) token; reload the page and try again"


class TooManyAttempts(SohoaFailure):
    code = "too_many_attempts"
    vi = "Đăng nhập sai quá nhiều lần; hãy thử lại sau ít phút"
    en = "Too many failed sign-ins; try again in a few minutes"


def secret_key(settings: Settings) -> str:
    """SOHOA_SECRET_KEY, or a key made once and kept beside the data (readable by its owner only)."""
    if settings.secret_key:
        return settings.secret_key
    path = settings.home_dir / "secret.key"
    try:
        return path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        partial = Path(f"{path}.{os.getpid()}")
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="ascii") as out:
            out.write(key)
        try:
            os.link(partial, path)  # the first process to make it wins; the others read its key
        except FileExistsError:
            pass
        partial.unlink()
        return path.read_text(encoding="ascii").strip()


@dataclass
class Session:
    user: str
    issued: float
    seen: float
    csrf: str


class Sessions:
    def __init__(self, settings: Settings):
        self.serializer = URLSafeSerializer(secret_key(settings), salt="sohoa-session")
        self.idle = settings.session_idle_minutes * 60
        self.lifetime = settings.session_max_hours * 3600
        self.secure = settings.cookie_secure

    def start(self, response: Response, user: str) -> Session:
        now = time.time()
        session = Session(user=user, issued=now, seen=now, csrf=secrets.token_urlsafe(24))
        self._write(response, session)
        return session

    def read(self, request: Request) -> Session | None:
        raw = request.cookies.get(SESSION_COOKIE)
        if not raw:
            return None
        try:
            data = self.serializer.loads(raw)
            session = Session(user=str(data["u"]), issued=float(data["i"]), seen=float(data["s"]), csrf=str(data["c"]))
        except (BadSignature, KeyError, TypeError, ValueError):
            return None
        now = time.time()
        if now - session.seen > self.idle or now - session.issued > self.lifetime:
            return None
        return session

    def refresh(self, response: Response, session: Session) -> None:
        session.seen = time.time()
        self._write(response, session)

    def end(self, response: Response) -> None:
        response.delete_cookie(SESSION_COOKIE, path="/")
        response.delete_cookie(CSRF_COOKIE, path="/")

    def _write(self, response: Response, session: Session) -> None:
        value = self.serializer.dumps({"u": session.user, "i": session.issued, "s": session.seen, "c": session.csrf})
        max_age = int(self.lifetime)
        response.set_cookie(
            SESSION_COOKIE, value, max_age=max_age, path="/", httponly=True, samesite="lax", secure=self.secure
        )
        # Readable by the page's own script, which sends it back in X-CSRF-Token (double submit).
        response.set_cookie(
            CSRF_COOKIE, session.csrf, max_age=max_age, path="/", httponly=False, samesite="lax", secure=self.secure
        )


def check_csrf(request: Request, session: Session, form_token: str | None = None) -> None:
    """A state-changing request made with a session cookie must carry the session's token (header or form)."""
    if request.method in SAFE_METHODS:
        return
    sent = request.headers.get(CSRF_HEADER) or form_token or ""
    if not hmac.compare_digest(sent.encode(), session.csrf.encode()):
        raise CsrfRefused()


class AttemptLimiter:
    """Failed sign-ins per user and per address in a sliding window (in this process)."""

    def __init__(self, per_user: int, per_address: int, window: float = ATTEMPT_WINDOW_SECONDS):
        self.per_user, self.per_address, self.window = per_user, per_address, window
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        found = self._failures.setdefault(key, deque())
        while found and now - found[0] > self.window:
            found.popleft()
        return found

    def check(self, user: str, address: str) -> None:
        now = time.time()
        with self._lock:
            if (
                len(self._recent(f"u:{user.lower()}", now)) >= self.per_user
                or len(self._recent(f"a:{address}", now)) >= self.per_address
            ):
                raise TooManyAttempts()

    def failed(self, user: str, address: str) -> None:
        now = time.time()
        with self._lock:
            self._recent(f"u:{user.lower()}", now).append(now)
            self._recent(f"a:{address}", now).append(now)

    def succeeded(self, user: str) -> None:
        with self._lock:
            self._failures.pop(f"u:{user.lower()}", None)


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def require(principal: Principal | None) -> Principal:
    if principal is None:
        raise NotSignedIn()
    return principal
