"""Named failures: every way an input can fail ends as one of these, never as a traceback.

Each carries a stable code (for programs), and a message in Vietnamese and English (for clerks). Messages
never include file contents or personal data; the caller knows which file it was.
"""

from __future__ import annotations

from pydantic import BaseModel


class Failure(BaseModel):
    """A failure as data: what a report, an HTTP response and `error.json` carry, read by fields, never parsed.
    `retryable`: not the file's fault (the archive unreachable, the file still being written): take it again
    later instead of quarantining it."""

    code: str
    vi: str
    en: str
    detail: str = ""
    retryable: bool = False

    def text(self) -> str:
        """`code: vi / en (detail)`, for people and logs."""
        text = f"{self.code}: {self.vi} / {self.en}"
        return f"{text} ({self.detail})" if self.detail else text


class SohoaFailure(Exception):
    code = "failure"
    vi = "Lỗi không xác định"
    en = "Unknown failure"
    # Worth retrying the same step now (a stage's retries): a server hiccup, not bad input.
    retryable = False
    # Worth taking the file again later (None: the same as `retryable`); e.g. a file that changed while stored.
    retry_later: bool | None = None

    def __init__(self, detail: str = ""):
        self.detail = detail
        # args holds only the detail, so a failure pickled from a worker process comes back the same.
        super().__init__(detail)

    def __str__(self) -> str:
        return self.as_data().text()

    def as_data(self, detail: str | None = None) -> Failure:
        later = self.retryable if self.retry_later is None else self.retry_later
        return Failure(
            code=self.code, vi=self.vi, en=self.en, detail=self.detail if detail is None else detail, retryable=later
        )


class InvalidSetting(SohoaFailure, ValueError):
    """A setting (an environment variable) that cannot work as written: said before anything runs. Also a
    ValueError, which is what it is to code that checks a value."""

    code = "invalid_setting"
    vi = "Cấu hình không hợp lệ (biến môi trường SOHOA_*)"
    en = "Invalid configuration (a SOHOA_* environment variable)"


class InternalError(SohoaFailure):
    """A bug or an unexpected condition: named by the exception's type only (its text may hold SQL or paths)."""

    code = "internal_error"
    vi = "Lỗi nội bộ của hệ thống khi xử lý tệp"
    en = "Internal error while processing the file"


class FileMissing(SohoaFailure):
    code = "file_missing"
    vi = "Không tìm thấy tệp"
    en = "File not found"


class EmptyFile(SohoaFailure):
    code = "empty_file"
    vi = "Tệp rỗng (0 byte)"
    en = "The file is empty (0 bytes)"


class UnsupportedFormat(SohoaFailure):
    code = "unsupported_format"
    vi = "Định dạng không được hỗ trợ (chỉ nhận PDF, TIFF, JPEG, PNG)"
    en = "Unsupported format (only PDF, TIFF, JPEG and PNG are accepted)"


class CorruptFile(SohoaFailure):
    code = "corrupt_file"
    vi = "Tệp bị hỏng, không đọc được"
    en = "The file is corrupt and cannot be read"


class EncryptedFile(SohoaFailure):
    code = "encrypted_file"
    vi = "Tệp PDF có mật khẩu, không mở được"
    en = "The PDF is password-protected"


class FileTooLarge(SohoaFailure):
    code = "file_too_large"
    vi = "Tệp quá lớn"
    en = "The file is too large"


class ImageTooLarge(SohoaFailure):
    code = "image_too_large"
    vi = "Trang ảnh quá lớn (vượt giới hạn số điểm ảnh)"
    en = "A page image is too large (over the pixel limit)"


class TooManyPages(SohoaFailure):
    code = "too_many_pages"
    vi = "Tài liệu có quá nhiều trang"
    en = "The document has too many pages"


class OcrTimeout(SohoaFailure):
    code = "ocr_timeout"
    vi = "Nhận dạng chữ (OCR) quá thời gian cho phép"
    en = "Text recognition (OCR) timed out"


class OcrCrashed(SohoaFailure):
    code = "ocr_crashed"
    vi = "Chương trình nhận dạng chữ (Tesseract) bị lỗi"
    en = "The text recognition program (Tesseract) failed"
