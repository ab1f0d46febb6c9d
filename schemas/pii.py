"""Personal data in text: citizen ID numbers (CCCD, 12 digits; the old CMND, 9 digits), masked for whoever lacks the
right to see them (Nghị định 13/2023/NĐ-CP): `079203001234` -> `079******234`, `123456789` -> `123***789`.

A number is taken for an ID only where it stands alone (no digit, letter, `.` or `/` joined to it), so dates,
notations (`12/QĐ-UBND`), procedure codes (`1.001234`) and dossier codes are left as they are.
"""

from __future__ import annotations

import re

_CITIZEN_ID = re.compile(r"(?<![\w./-])(\d{3})(\d{6}|\d{3})(\d{3})(?![\w./-])")


def mask_citizen_ids(text: str) -> str:
    """`text` with every 12- or 9-digit citizen ID masked but its first and last three digits."""
    return _CITIZEN_ID.sub(lambda found: found.group(1) + "*" * len(found.group(2)) + found.group(3), text)


def has_citizen_id(text: str) -> bool:
    return _CITIZEN_ID.search(text) is not None
