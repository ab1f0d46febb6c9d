"""A throwaway PKI for the certified-copy tests, built once per session with certomancer and served on loopback.

    root CA (trusted: SOHOA_TRUST_ROOTS)
    ├── ocsp        the OCSP responder's certificate (OCSP signing, no-check)
    ├── tsa         the time-stamping authority (RFC 3161, time stamping EKU)
    ├── agency      UBND tỉnh Hậu Giang's signing certificate (OU = its agency code)
    ├── other       a second agency's signing certificate
    ├── expired     an agency certificate that ended last year
    └── revoked     an agency certificate revoked yesterday (the OCSP responder says so)

Keys are made here with `cryptography` (certomancer reads them from files). The OCSP responder and the TSA are
certomancer's own services in an aiohttp application on 127.0.0.1, on a port the system chose.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

AGENCY_CODE = "000.00.00.H33"
AGENCY_NAME = "UBND tỉnh Hậu Giang"
OTHER_CODE = "000.00.00.H30"
OTHER_NAME = "Sở Tư pháp tỉnh Cần Thơ"
ARCH = "sohoa-test"
KEY_PASSWORD = "khoá-thử"
LABELS = ("root", "ocsp", "tsa", "agency", "other", "expired", "revoked")


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def _write_keys(folder: Path) -> None:
    for label in LABELS:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(KEY_PASSWORD.encode()),
        )
        (folder / f"{label}.key.pem").write_bytes(pem)


def _signer_cert(validity: tuple[datetime, datetime], **extra) -> dict:
    return {
        "issuer": "root",
        "validity": {"valid-from": _iso(validity[0]), "valid-to": _iso(validity[1])},
        "extensions": [
            {
                "id": "key_usage",
                "critical": True,
                "smart-value": {"schema": "key-usage", "params": ["digital_signature", "non_repudiation"]},
            },
            {
                "id": "authority_information_access",
                "smart-value": {"schema": "aia-urls", "params": {"ocsp-responder-names": ["root-ocsp"]}},
            },
        ],
        **extra,
    }


def _config(folder: Path, url: str, now: datetime) -> dict:
    day, year = timedelta(days=1), timedelta(days=365)
    current = (now - day, now + 5 * year)
    entities = {
        "root": {"common-name": "Sohoa Test Root CA"},
        "ocsp": {"common-name": "Sohoa Test OCSP"},
        "tsa": {"common-name": "Sohoa Test TSA"},
        "agency": {
            "organization-name": AGENCY_NAME,
            "organizational-unit-name": AGENCY_CODE,
            "common-name": AGENCY_NAME,
        },
        "other": {"organization-name": OTHER_NAME, "organizational-unit-name": OTHER_CODE, "common-name": OTHER_NAME},
        "expired": {
            "organization-name": AGENCY_NAME,
            "organizational-unit-name": AGENCY_CODE,
            "common-name": "Hết hạn",
        },
        "revoked": {
            "organization-name": AGENCY_NAME,
            "organizational-unit-name": AGENCY_CODE,
            "common-name": "Thu hồi",
        },
    }
    service_cert_extensions = {
        "ocsp": [
            {
                "id": "key_usage",
                "critical": True,
                "smart-value": {"schema": "key-usage", "params": ["digital_signature"]},
            },
            {"id": "extended_key_usage", "critical": True, "value": ["ocsp_signing"]},
            {"id": "ocsp_no_check"},
        ],
        "tsa": [
            {
                "id": "key_usage",
                "critical": True,
                "smart-value": {"schema": "key-usage", "params": ["digital_signature"]},
            },
            {"id": "extended_key_usage", "critical": True, "value": ["time_stamping"]},
            {
                "id": "authority_information_access",
                "smart-value": {"schema": "aia-urls", "params": {"ocsp-responder-names": ["root-ocsp"]}},
            },
        ],
    }
    certs = {
        "root": {
            "subject": "root",
            "issuer": "root",
            "validity": {"valid-from": _iso(now - 10 * year), "valid-to": _iso(now + 30 * year)},
            "extensions": [
                {"id": "basic_constraints", "critical": True, "value": {"ca": True}},
                {
                    "id": "key_usage",
                    "critical": True,
                    "smart-value": {
                        "schema": "key-usage",
                        "params": ["digital_signature", "key_cert_sign", "crl_sign"],
                    },
                },
            ],
        },
        **{
            label: {
                "issuer": "root",
                "validity": {"valid-from": _iso(now - day), "valid-to": _iso(now + 10 * year)},
                "extensions": extensions,
            }
            for label, extensions in service_cert_extensions.items()
        },
        "agency": _signer_cert(current),
        "other": _signer_cert(current),
        "expired": _signer_cert((now - 2 * year, now - year)),
        "revoked": _signer_cert(
            current, revocation={"revoked-since": _iso(now - timedelta(hours=12)), "reason": "key_compromise"}
        ),
    }
    return {
        "external-url-prefix": url,
        "keysets": {
            "sohoa": {
                "path-prefix": str(folder),
                "keys": {label: {"path": f"{label}.key.pem", "password": KEY_PASSWORD} for label in LABELS},
            }
        },
        "pki-architectures": {
            ARCH: {
                "keyset": "sohoa",
                "entity-defaults": {"country-name": "VN"},
                "entities": entities,
                "certs": certs,
                "services": {
                    "ocsp": {"root-ocsp": {"for-issuer": "root", "responder-cert": "ocsp", "signing-key": "ocsp"}},
                    "time-stamping": {"tsa": {"signing-key": "tsa", "signing-cert": "tsa"}},
                },
            }
        },
    }


class TestPki:
    """The PKI and its services; `close()` stops the server."""

    __test__ = False  # not a test class, whatever its name

    def __init__(self, folder: Path):
        from certomancer.registry import ArchLabel, CertLabel, CertomancerConfig

        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        _write_keys(folder)
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._socket.getsockname()[1]}"
        config = CertomancerConfig(_config(folder, self.url, datetime.now(UTC)), key_search_dir=str(folder))
        self.arch = config.get_pki_arch(ArchLabel(ARCH))
        self._cert_label = CertLabel
        self.tsa_url = f"{self.url}/{ARCH}/tsa/tsa"
        self.root_pem = folder / "roots.pem"
        self.root_pem.write_bytes(self.pem("root"))
        self._serve()

    def cert(self, label: str):
        return self.arch.get_cert(self._cert_label(label))

    def pem(self, label: str) -> bytes:
        from asn1crypto import pem

        return pem.armor("CERTIFICATE", self.cert(label).dump())

    def pkcs12(self, label: str, password: str) -> Path:
        """The certificate `label` with its key and chain, as an agency receives it from its CA."""
        path = self.folder / f"{label}.p12"
        path.write_bytes(self.arch.package_pkcs12(self._cert_label(label), password=password.encode()))
        return path

    def private_key_der(self, label: str) -> bytes:
        from certomancer.registry import KeyLabel

        return self.arch.key_set.get_private_key(KeyLabel(label)).dump()

    def _serve(self) -> None:
        from aiohttp import web
        from certomancer.integrations.aiohttp_animator import build_animator_app
        from certomancer.registry import ArchLabel

        app = build_animator_app({ArchLabel(ARCH): self.arch}, with_web_ui=False, allow_time_override=False)
        self._loop = asyncio.new_event_loop()
        self._runner = web.AppRunner(app, access_log=None)
        self._loop.run_until_complete(self._runner.setup())
        site = web.SockSite(self._runner, self._socket)
        self._loop.run_until_complete(site.start())
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True, name="test-pki")
        self._thread.start()

    def close(self) -> None:
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._socket.close()
