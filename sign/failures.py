"""The named failures of signing and verifying a certified copy (code, vi, en, retryable). Their messages never hold
a PIN, a passphrase or a key; the detail names at most a setting, a label or a certificate's serial number."""

from __future__ import annotations

from schemas.failures import SohoaFailure


class SigningFailure(SohoaFailure):
    code = "signing_failed"
    vi = "Không ký số được bản sao điện tử"
    en = "The electronic copy could not be signed"


class SigningKeyMissing(SigningFailure):
    code = "signing_key_missing"
    vi = "Không tìm thấy khoá ký số của cơ quan (SOHOA_SIGN_PKCS12, hoặc SOHOA_SIGN_PKCS11_LIB với nhãn token và khoá)"
    en = (
        "The agency's signing key was not found (SOHOA_SIGN_PKCS12, or SOHOA_SIGN_PKCS11_LIB with token and key labels)"
    )


class SigningPinWrong(SigningFailure):
    code = "signing_pin_wrong"
    vi = "Mã PIN hoặc mật khẩu của khoá ký số không đúng (SOHOA_SIGN_PIN_FILE hoặc SOHOA_SIGN_PIN)"
    en = "Wrong PIN or passphrase for the signing key (SOHOA_SIGN_PIN_FILE or SOHOA_SIGN_PIN)"


class CertificateRevoked(SigningFailure):
    code = "certificate_revoked"
    vi = "Chứng thư số đã bị thu hồi"
    en = "The certificate has been revoked"


class CertificateExpired(SigningFailure):
    code = "certificate_expired"
    vi = "Chứng thư số đã hết hạn hoặc chưa có hiệu lực"
    en = "The certificate has expired or is not yet valid"


class CertificateUntrusted(SigningFailure):
    code = "certificate_untrusted"
    vi = "Chứng thư số không dẫn tới chứng thư gốc tin cậy (SOHOA_TRUST_ROOTS) hoặc không kiểm tra được trạng thái"
    en = "The certificate does not chain to a trusted root (SOHOA_TRUST_ROOTS) or its status could not be checked"


class WrongAgency(SigningFailure):
    code = "wrong_agency"
    vi = "Cơ quan chỉ được ký số tài liệu của chính mình (khoá, SOHOA_SIGN_AGENCY và tài liệu phải cùng một cơ quan)"
    en = "An agency signs only its own documents (the key, SOHOA_SIGN_AGENCY and the document must name one agency)"


class TsaUnreachable(SigningFailure):
    code = "tsa_unreachable"
    vi = "Không kết nối được máy chủ cấp dấu thời gian (SOHOA_TSA_URL)"
    en = "The time-stamping authority could not be reached (SOHOA_TSA_URL)"
    retryable = True


class TrustRootsMissing(SigningFailure):
    code = "trust_roots_missing"
    vi = "Chưa cấu hình chứng thư gốc tin cậy (SOHOA_TRUST_ROOTS: tệp PEM)"
    en = "No trusted root certificates configured (SOHOA_TRUST_ROOTS: a PEM file)"


class StampFontMissing(SigningFailure):
    code = "stamp_font_missing"
    vi = "Thiếu phông chữ cho dấu chữ ký (gói fonts-liberation2: LiberationSerif-Regular.ttf)"
    en = "The stamp's font is missing (package fonts-liberation2: LiberationSerif-Regular.ttf)"


class NotAPdf(SigningFailure):
    code = "certify_not_pdf"
    vi = "Bản lưu trữ không đọc được dưới dạng PDF để ký số"
    en = "The archival copy cannot be read as a PDF to sign"
