"""The agency's signing key, where the agency keeps it: a PKCS#12 file, or a PKCS#11 token / HSM (a USB token from its
CA, SoftHSM2 in tests), chosen by the settings. The PIN (or passphrase) comes from SOHOA_SIGN_PIN_FILE or
SOHOA_SIGN_PIN, is handed to the key's library and to nothing else: never printed, logged or put in a failure."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from asn1crypto import pem, x509

from schemas.settings import Settings
from sign.failures import SigningFailure, SigningKeyMissing, SigningPinWrong, TrustRootsMissing


@dataclass
class AgencyKey:
    """A signer ready to sign, its certificate and the certificates that came with it (its chain)."""

    signer: Any  # pyhanko.sign.signers.Signer (a SimpleSigner or a PKCS11Signer)
    certificate: x509.Certificate
    chain: list[x509.Certificate] = field(default_factory=list)
    where: str = ""  # "PKCS#12 file" / "PKCS#11 token <label>", for messages


def read_pin(settings: Settings) -> str | None:
    """The PIN from its file (first line), else SOHOA_SIGN_PIN; None when neither is set."""
    if settings.sign_pin_file:
        path = Path(settings.sign_pin_file).expanduser()
        try:
            text = path.read_text(encoding="utf-8")
        except OSError:
            raise SigningPinWrong("SOHOA_SIGN_PIN_FILE cannot be read") from None
        return text.splitlines()[0] if text.strip() else ""
    secret = settings.sign_pin.get_secret_value()
    return secret or None


def is_configured(settings: Settings) -> bool:
    return bool(settings.sign_pkcs12 or settings.sign_pkcs11_lib)


@contextmanager
def open_key(settings: Settings) -> Iterator[AgencyKey]:
    """The key the settings name, open for the time of the `with` (a token session is closed after)."""
    if settings.sign_pkcs12:
        yield _pkcs12_key(settings)
    elif settings.sign_pkcs11_lib:
        with _pkcs11_key(settings) as key:
            yield key
    else:
        raise SigningKeyMissing("neither SOHOA_SIGN_PKCS12 nor SOHOA_SIGN_PKCS11_LIB is set")


def _pkcs12_key(settings: Settings) -> AgencyKey:
    from pyhanko.sign.signers import SimpleSigner

    path = Path(settings.sign_pkcs12).expanduser()
    try:
        data = path.read_bytes()
    except OSError:
        raise SigningKeyMissing("SOHOA_SIGN_PKCS12: the file cannot be read") from None
    pin = read_pin(settings)
    try:
        signer = SimpleSigner.load_pkcs12_data(data, other_certs=[], passphrase=pin.encode() if pin else None)
    except ValueError:
        # cryptography says only that it could not decrypt: a wrong passphrase, or not a PKCS#12 file at all
        raise SigningPinWrong("SOHOA_SIGN_PKCS12") from None
    certificate = signer.signing_cert
    chain = [cert for cert in signer.cert_registry if cert.dump() != certificate.dump()]
    return AgencyKey(signer, certificate, chain, "PKCS#12")


@contextmanager
def _pkcs11_key(settings: Settings) -> Iterator[AgencyKey]:
    try:
        import pkcs11.exceptions as p11_errors
        from pyhanko.config.pkcs11 import TokenCriteria
        from pyhanko.sign.pkcs11 import PKCS11Signer, open_pkcs11_session
    except ImportError:  # pragma: no cover - the pkcs11 extra is a dependency
        raise SigningKeyMissing("python-pkcs11 is not installed") from None
    if not Path(settings.sign_pkcs11_lib).is_file():
        raise SigningKeyMissing("SOHOA_SIGN_PKCS11_LIB: no such module")
    if not settings.sign_key_label:
        raise SigningKeyMissing("SOHOA_SIGN_KEY_LABEL is not set")
    pin = read_pin(settings)
    criteria = TokenCriteria(label=settings.sign_token_label) if settings.sign_token_label else None
    try:
        session = open_pkcs11_session(settings.sign_pkcs11_lib, token_criteria=criteria, user_pin=pin)
    except (p11_errors.PinIncorrect, p11_errors.PinInvalid, p11_errors.PinLenRange):
        raise SigningPinWrong(f"PKCS#11 token {settings.sign_token_label}") from None
    except p11_errors.PinLocked:
        raise SigningPinWrong(f"PKCS#11 token {settings.sign_token_label}: PIN locked") from None
    except p11_errors.PKCS11Error as error:
        raise SigningKeyMissing(f"PKCS#11 token {settings.sign_token_label}: {type(error).__name__}") from None
    except Exception as error:  # pyhanko's own PKCS11Error: no token with that label
        if type(error).__name__ == "PKCS11Error":
            raise SigningKeyMissing(f"PKCS#11 token {settings.sign_token_label!r} not found") from None
        raise
    try:
        signer = PKCS11Signer(session, key_label=settings.sign_key_label, cert_label=settings.sign_key_label)
        try:
            certificate = signer.signing_cert
            chain = list(signer.cert_registry)
        except Exception as error:  # the certificate or key is not on the token
            raise SigningKeyMissing(
                f"PKCS#11 key/certificate {settings.sign_key_label!r}: {type(error).__name__}"
            ) from None
        chain = [cert for cert in chain if cert.dump() != certificate.dump()]
        yield AgencyKey(signer, certificate, chain, f"PKCS#11 token {settings.sign_token_label}")
    finally:
        session.close()


def load_certificates(path: str | Path) -> list[x509.Certificate]:
    """Every certificate of a PEM (or DER) file."""
    data = Path(path).expanduser().read_bytes()
    if pem.detect(data):
        return [x509.Certificate.load(der) for _, _, der in pem.unarmor(data, multiple=True)]
    return [x509.Certificate.load(data)]


def trust_roots(settings: Settings) -> list[x509.Certificate]:
    """The roots SOHOA_TRUST_ROOTS names (TrustRootsMissing when unset or unreadable)."""
    if not settings.trust_roots:
        raise TrustRootsMissing()
    try:
        roots = load_certificates(settings.trust_roots)
    except (OSError, ValueError):
        raise TrustRootsMissing("SOHOA_TRUST_ROOTS cannot be read as PEM certificates") from None
    if not roots:
        raise TrustRootsMissing("SOHOA_TRUST_ROOTS holds no certificate")
    return roots


def subject_text(certificate: x509.Certificate) -> str:
    return certificate.subject.human_friendly


def describe_failure(error: Exception) -> SigningFailure:
    return error if isinstance(error, SigningFailure) else SigningFailure(type(error).__name__)
