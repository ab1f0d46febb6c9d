"""The codes printed on a page: QR codes and 1-D barcodes, and what a one-stop-shop code says.

Since Thông tư 01/2023/TT-VPCP, papers printed from a provincial one-stop-shop system carry a QR code (TCVN
7322:2009, top left) holding at least the dossier code, the procedure code, the applicant's ID number and the
document's name; receipts often carry a barcode (Code 128) of the dossier code.

Reading (`read_codes`): QR codes and 1-D barcodes (Code 128, Code 39, Code 93, Codabar, ITF, EAN/UPC) with
zxing-cpp (a pip wheel). The OpenCV in use (5.0) reads QR codes (`QRCodeDetectorAruco`; the classic detector
missed the 150 dpi test page) but its barcode reader knows only EAN/UPC, not the receipts' Code 128; measured on
36 small QR codes (150 dpi, 2-4 px modules, turned 0 or ±3°, blurred or not, JPEG quality 95 or 40) zxing-cpp read
35 and OpenCV 21, in about a tenth of the time (QR alone 5-15 ms against 50-100 ms per A4 page). OpenCV's QR reader is
kept for a machine without the wheel. The page as scanned is read first; the straightened page
(`ocr.preprocess`) only when the scan showed a code it could not read. Each code's box is
on the upright page (the page shown, as the archival PDF shows it).

Payloads (`parse_payload`). No published layout of the TT 01/2023 QR content was found, so these are accepted:

- JSON: an object (nested objects are looked into), keys named as below;
- a URL whose query names the fields (`https://dichvucong…/tra-cuu?maHoSo=…&maTTHC=…`);
- key-value lines or fields: `Mã hồ sơ: 000.00.00.H30-230607-0001`, `MaTTHC=1.001234`, one per line or separated
  by `|` or `;`;
- unlabelled fields separated by `|`, `;` or new lines (`000.00.00.H30-230607-0001|1.001234|079203001234|Giấy
  tiếp nhận`), each told by its form: a national dossier code, a procedure code, 9 or 12 digits (the applicant's
  ID), anything else with letters (the document's name); a barcode holding just a dossier code is the simplest case.

Keys are matched without case, diacritics, spaces or punctuation: dossier code `Mã hồ sơ`, `MaHoSo`, `SoHoSo`,
`dossierCode`, `dossierNo`; procedure code `Mã thủ tục`, `MaTTHC`, `procedureCode`, `serviceCode`; applicant ID
`Số giấy tờ`, `CCCD`, `CMND`, `Số định danh`, `applicantIdNo`; document name `Tên giấy tờ`, `Tên văn bản`,
`documentName`, `deliverableName`. The values are returned as found (trimmed): the caller checks each against the
code rules (`schemas.codes`, the procedure code pattern) before using it. The applicant ID is personal data: it is
left out of the payload's repr, and nothing here logs a payload or a code's text.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlsplit

import cv2
import numpy as np
from PIL import Image

from ocr import geometry
from schemas.codes import NATIONAL_DOSSIER_CODE
from schemas.models import PageCode
from schemas.text import fold

log = logging.getLogger(__name__)

try:  # a pip wheel (zxing-cpp); without it QR codes are still read, 1-D barcodes are not
    import zxingcpp
except ImportError:  # pragma: no cover - the dependency is in pyproject
    zxingcpp = None

# ------------------------------------------------------------------------------------------------ reading


def _gray(image: Image.Image | np.ndarray) -> np.ndarray:
    array = np.asarray(image)
    if array.ndim == 3:
        array = cv2.cvtColor(array, cv2.COLOR_RGBA2GRAY if array.shape[2] == 4 else cv2.COLOR_RGB2GRAY)
    if array.dtype != np.uint8:  # a 1-bit page comes as booleans
        array = array.astype(np.uint8) * 255 if array.dtype == bool else array.astype(np.uint8)
    return np.ascontiguousarray(array)


def _box(points) -> tuple[float, float, float, float]:
    xs = [float(x) for x, _ in points]
    ys = [float(y) for _, y in points]
    return min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)


_FORMATS = (
    ("qr", ("QRCode", "MicroQRCode")),
    ("barcode", ("Code128", "Code39", "Code93", "Codabar", "ITF", "EAN13", "EAN8", "UPCA", "UPCE")),
)
# zxing-cpp's format -> (kind, name as recorded)
_ZXING_FORMATS = (
    {getattr(zxingcpp.BarcodeFormat, name): (kind, name) for kind, names in _FORMATS for name in names}
    if zxingcpp
    else {}
)
_qr_detector = None


_Read = list[tuple[str, str, str, tuple[float, float, float, float]]]  # kind, symbology, text, box


def _zxing_codes(gray: np.ndarray) -> tuple[_Read, bool]:
    """QR codes and 1-D barcodes in one pass (measured: about ten times faster than OpenCV's QR detector on an A4
    page, and it read more of the small, blurred, turned QR codes of 150 dpi JPEG scans), and whether anything
    like a code was seen that could not be read (the cheap test that decides a second try)."""
    read: _Read = []
    seen = False
    for result in zxingcpp.read_barcodes(gray, formats=tuple(_ZXING_FORMATS), try_invert=False, return_errors=True):
        if not result.valid or not result.text:
            seen = True
            continue
        kind, symbology = _ZXING_FORMATS.get(result.format, ("barcode", str(result.format)))
        position = result.position
        corners = [
            (point.x, point.y)
            for point in (position.top_left, position.top_right, position.bottom_right, position.bottom_left)
        ]
        read.append((kind, symbology, result.text, _box(corners)))
    return read, seen


def _opencv_qr_codes(gray: np.ndarray) -> tuple[_Read, bool]:
    """QR codes with OpenCV alone: where the zxing-cpp wheel is missing."""
    global _qr_detector
    if _qr_detector is None:  # one per process (the page workers read many pages)
        _qr_detector = cv2.QRCodeDetectorAruco()
    try:
        found, texts, points, _ = _qr_detector.detectAndDecodeMulti(gray)
    except cv2.error:
        return [], True
    if not found or points is None:
        return [], True
    return [("qr", "QRCode", text, _box(corners)) for text, corners in zip(texts, points) if text], True


def _codes_on(gray: np.ndarray, to_page: geometry.Affine) -> tuple[list[PageCode], bool]:
    read, seen = _zxing_codes(gray) if zxingcpp else _opencv_qr_codes(gray)
    codes = []
    for kind, symbology, text, box in read:
        left, top, width, height = geometry.map_box(to_page, box)
        codes.append(
            PageCode(kind=kind, format=symbology, text=text, box=(round(left), round(top), round(width), round(height)))
        )
    # QR codes first (they say most), then top to bottom.
    return sorted(codes, key=lambda code: (code.kind != "qr", code.box[1], code.box[0])), seen


def turn_map(width: int, height: int, rotation: int) -> geometry.Affine:
    """The map from a `width` x `height` scan to the same page turned clockwise by `rotation` degrees."""
    turns: dict[int, geometry.Affine] = {
        90: (0.0, -1.0, float(height), 1.0, 0.0, 0.0),
        180: (-1.0, 0.0, float(width), 0.0, -1.0, float(height)),
        270: (0.0, 1.0, 0.0, -1.0, 0.0, float(width)),
    }
    return turns.get(rotation % 360, geometry.IDENTITY)


def read_codes(
    scan: Image.Image,
    prepared: Image.Image | None = None,
    *,
    rotation: int = 0,
    to_shown: geometry.Affine = geometry.IDENTITY,
) -> list[PageCode]:
    """The QR codes and barcodes on a page, boxes on the upright page. `scan` is the page as scanned (turned
    clockwise by `rotation` to be upright); `prepared` its straightened copy (`PreparedPage.ocr_image`, mapped
    to the upright page by `to_shown`), tried only when the scan showed a code it could not read: a page with no
    code at all (most pages) costs one pass."""
    codes, seen = _codes_on(_gray(scan), turn_map(scan.width, scan.height, rotation))
    if not codes and seen and prepared is not None and prepared is not scan:
        codes, _ = _codes_on(_gray(prepared), to_shown)
    return codes


# ------------------------------------------------------------------------------------------------ payloads


@dataclass(frozen=True)
class CodePayload:
    """What a one-stop-shop code holds, as found (not yet checked)."""

    dossier_code: str | None = None
    procedure_code: str | None = None
    applicant_id: str | None = field(default=None, repr=False)  # personal data
    document_name: str | None = None

    def __bool__(self) -> bool:
        return any((self.dossier_code, self.procedure_code, self.applicant_id, self.document_name))


_KEYS = {
    "dossier_code": {"mahoso", "mahs", "sohoso", "hoso", "dossiercode", "dossierno", "dossiernumber"},
    "procedure_code": {
        "mathutuc",
        "mathutuchanhchinh",
        "matthc",
        "mathutuchc",
        "thutuc",
        "procedurecode",
        "procedureno",
        "servicecode",
        "serviceinfocode",
    },
    "applicant_id": {
        "sogiayto",
        "sogiaytotuythan",
        "giaytotuythan",
        "cccd",
        "socccd",
        "cmnd",
        "socmnd",
        "sodinhdanh",
        "madinhdanh",
        "sodinhdanhcanhan",
        "applicantidno",
        "applicantid",
        "citizenid",
        "idno",
    },
    "document_name": {
        "tengiayto",
        "tenvanban",
        "tentailieu",
        "tenketqua",
        "tengiaytoketqua",
        "documentname",
        "deliverablename",
        "documenttitle",
    },
}
_FIELD_OF_KEY = {key: name for name, keys in _KEYS.items() for key in keys}
_PROCEDURE_LIKE = re.compile(r"[0-9]\.[0-9]{6}(\.[0-9]{3}\.[0-9]{2}\.[0-9]{2}\.[A-Za-z][0-9]{2})?")
_ID_LIKE = re.compile(r"[0-9]{9}|[0-9]{12}")
_SEPARATORS = re.compile(r"[\r\n|;]+")
_KEY_VALUE = re.compile(r"^\s*([^:=]{1,40}?)\s*[:=]\s*(.*?)\s*$", re.DOTALL)


def _field_of(key: str) -> str | None:
    return _FIELD_OF_KEY.get(re.sub(r"[^a-z0-9]", "", fold(key)))


def _unlabelled_field(value: str) -> str | None:
    if NATIONAL_DOSSIER_CODE.fullmatch(value):
        return "dossier_code"
    if _PROCEDURE_LIKE.fullmatch(value):
        return "procedure_code"
    if _ID_LIKE.fullmatch(value):
        return "applicant_id"
    if any(char.isalpha() for char in value):
        return "document_name"
    return None


def _pairs_of_json(value, depth: int = 0) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    if isinstance(value, dict) and depth < 4:
        for key, inner in value.items():
            if isinstance(inner, (dict, list)):
                pairs += _pairs_of_json(inner, depth + 1)
            elif isinstance(inner, (str, int)) and not isinstance(inner, bool):
                pairs.append((str(key), str(inner)))
    elif isinstance(value, list) and depth < 4:
        for inner in value:
            pairs += _pairs_of_json(inner, depth + 1)
    return pairs


def _labelled(pairs: list[tuple[str, str]]) -> dict[str, str]:
    found: dict[str, str] = {}
    for key, value in pairs:
        name, value = _field_of(key), value.strip()
        if name and value and name not in found:
            found[name] = value
    return found


def parse_payload(text: str) -> CodePayload:
    """The fields a code's text holds, in any of the formats the module's docstring lists; empty if none."""
    text = text.strip().lstrip("\ufeff")
    if not text:
        return CodePayload()
    found: dict[str, str] = {}
    if text.startswith(("{", "[")):
        try:
            found = _labelled(_pairs_of_json(json.loads(text)))
        except ValueError:
            found = {}
        return CodePayload(**found)
    if re.match(r"https?://", text, re.IGNORECASE):
        found = _labelled(parse_qsl(urlsplit(text).query))
        return CodePayload(**found)
    for part in _SEPARATORS.split(text):
        part = part.strip()
        if not part:
            continue
        pair = _KEY_VALUE.match(part)
        name = _field_of(pair.group(1)) if pair else None
        if pair and name:
            value = pair.group(2).strip()
        else:
            value, name = part, _unlabelled_field(part)
        if name and value and name not in found:
            found[name] = value
    return CodePayload(**found)


def payload_of_codes(codes: list[PageCode]) -> list[CodePayload]:
    """The payload of each code that holds one, in reading order (QR codes before barcodes on each page)."""
    return [payload for payload in (parse_payload(code.text) for code in codes) if payload]
