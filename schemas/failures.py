"""Named failures: every way an input can fail ends as one of these, never as a traceback.

Each carries a stable code (for programs), and a message in Vietnamese and English (for clerks). Messages
never include file contents or personal data; the caller knows which file it was.
"""

from __future__ import annotations


class SohoaFailure(Exception):
    code = "failure"
    vi = "Lỗi không xác định"
    en = "Unknown failure"
    retryable = False

    def __init__(self, detail: str = ""):
        self.detail = detail
        # args holds only the detail, so a failure pickled from a worker process comes back the same.
        super().__init__(detail)

    def __str__(self) -> str:
        text = f"{self.code}: {self.vi} / {self.en}"
        return f"{text} ({self.detail})" if self.detail else text


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
