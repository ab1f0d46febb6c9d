"""Where a file dropped in the inbox belongs: its agency and dossier, read from the folders it lies in and its name.

The convention clerks follow (README, "Thư mục nhận hồ sơ / The inbox"):

    INBOX/<agency code>/<dossier code>/<files>     a dossier folder: its files are the documents of that dossier
    INBOX/<agency code>/<dossier code>…<ext>       a loose file whose name starts with a dossier code
    INBOX/<dossier code>/<files>                   a dossier folder put straight in the inbox: that dossier, of the
                                                   agency its code starts with
    anything else                                  a new dossier of its own, with an id made from the file's bytes

The agency comes from the folder, and only the folder's agency writes into a dossier: inside
`INBOX/<agency>/`, a file or folder whose dossier code starts with another agency's code is refused
(`AgencyMismatch`, quarantined), never joined to that dossier.

Names a scanner or an office program leaves while it is still writing, or keeps for itself, are never taken.
Pure functions of paths: nothing here touches the disk, so the rules are tested on their own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePath

from schemas.failures import SohoaFailure

# Agency codes are 13 characters, e.g. 000.00.00.H30 (UBND tỉnh Hậu Giang), 000.00.04.G14.
_AGENCY = r"\d{3}\.\d{2}\.\d{2}\.[A-Za-z]\d{2}"
AGENCY_CODE = re.compile(_AGENCY)
# Thông tư 01/2018/TT-VPCP, Điều 19: <agency code>-<YYMMDD received>-<4-digit sequence of the day>. A digit right
# after it would make it a different (longer) sequence number, so the code must end there.
DOSSIER_CODE_AT_START = re.compile(rf"({_AGENCY}-\d{{6}}-\d{{4}})(?!\d)")

# Hidden files (and so our own .processing, .done, .quarantine folders), Office lock files (~$name.docx).
_IGNORED_PREFIXES = (".", "~$")
# Still being written by a scanner, a copy program or a browser download.
_IN_PROGRESS_SUFFIXES = (".part", ".tmp", ".crdownload")
# What Windows Explorer drops into every folder of a share it has shown; never a document.
_IGNORED_NAMES = frozenset({"thumbs.db", "desktop.ini"})

GENERATED_PREFIX = "auto-"


class AgencyMismatch(SohoaFailure):
    code = "agency_mismatch"
    vi = (
        "Mã hồ sơ thuộc cơ quan khác với thư mục cơ quan chứa tệp; không ghép vào hồ sơ đó. Chuyển tệp vào thư mục "
        "của đúng cơ quan, hoặc sửa tên"
    )
    en = (
        "The dossier code belongs to another agency than the agency folder holding the file; it is not joined to "
        "that dossier. Move the file to the right agency's folder, or fix its name"
    )


def is_ignored(path: PurePath | str) -> bool:
    """A name the inbox never takes: hidden, an Office lock file, a file still being written, Windows' own."""
    name = PurePath(path).name
    lowered = name.lower()
    return name.startswith(_IGNORED_PREFIXES) or lowered.endswith(_IN_PROGRESS_SUFFIXES) or lowered in _IGNORED_NAMES


def in_ignored_folder(relative: PurePath) -> bool:
    """True if a folder on the way to the file is ignored (our own .processing/.done/.quarantine among them)."""
    return any(is_ignored(part) for part in relative.parts[:-1])


def agency_code(name: str) -> str | None:
    """The folder name as an agency code (upper case), or None if it is not one."""
    return name.upper() if AGENCY_CODE.fullmatch(name) else None


def dossier_code_prefix(name: str) -> str | None:
    """The procedure dossier code a file name starts with (upper case), or None."""
    found = DOSSIER_CODE_AT_START.match(name)
    return found.group(1).upper() if found else None


def generated_dossier_id(sha256: str) -> str:
    """The dossier id of a file that follows no convention: made from its bytes, so that a retry, a reclaim after
    a crash or the same scan dropped twice gives the same dossier (and the archive sees a duplicate)."""
    return f"{GENERATED_PREFIX}{sha256[:16]}"


@dataclass(frozen=True)
class Placement:
    """Where one inbox file belongs. `dossier` None means a new dossier whose id comes from the file's bytes."""

    agency: str | None
    dossier: str | None
    # Files with the same group are ingested together, in name order, so their ordinals follow that order.
    group: tuple[str, ...]
    ignored: bool = False
    # Set when the file must not be taken into any dossier at all: it is quarantined with this failure.
    refusal: type[SohoaFailure] | None = None


def _underlying_name(name: str) -> str:
    """The name a file will have once written: `003.pdf.part` -> `003.pdf`, `.003.pdf.x1Yz` (rsync) -> `003.pdf…`."""
    for prefix in _IGNORED_PREFIXES:
        if name.startswith(prefix):
            name = name[len(prefix) :]
    lowered = name.lower()
    for suffix in _IN_PROGRESS_SUFFIXES:
        if lowered.endswith(suffix):
            return name[: -len(suffix)]
    return name


def _canonical_dossier(folder: str) -> str:
    """A folder named with a procedure dossier code is that code in upper case, like the same code in a file name;
    any other folder name is the dossier code as the clerk wrote it."""
    code = dossier_code_prefix(folder)
    return code if code is not None and len(code) == len(folder) else folder


def place(relative: PurePath | str) -> Placement:
    """Where a file at `relative` (a path inside the inbox) belongs.

    An ignored file is placed too (`ignored=True`) as if it were the file it will become: a dossier whose
    `.part` file is still growing is not complete, so the watcher waits for the whole group."""
    relative = PurePath(relative)
    parts = relative.parts
    ignored = is_ignored(relative)
    name = _underlying_name(parts[-1]) if ignored else parts[-1]
    agency = agency_code(parts[0]) if len(parts) >= 2 else None
    if agency and len(parts) >= 3:
        dossier = _canonical_dossier(parts[1])
        return _dossier_placement(agency, dossier, relative, name, ignored)
    if agency and len(parts) == 2 and (named := dossier_code_prefix(name)):
        return _dossier_placement(agency, named, relative, name, ignored)
    if len(parts) >= 2 and (root_dossier := _canonical_dossier(parts[0])) == dossier_code_prefix(parts[0]):
        # A dossier folder straight in the inbox: its code names its agency (README, the inbox).
        root_agency = root_dossier[:_AGENCY_LENGTH]
        return Placement(root_agency, root_dossier, ("dossier", root_agency, root_dossier), ignored)
    # Anything else is a dossier of its own; the agency is kept when the folder gave one.
    return Placement(agency, None, ("file", *parts[:-1], name), ignored)


_AGENCY_LENGTH = len("000.00.00.H33")


def _dossier_placement(agency: str, dossier: str, relative: PurePath, name: str, ignored: bool) -> Placement:
    """The file joins `dossier`, unless that code starts with another agency's code than its folder's: then it
    is refused on its own (each such file is quarantined, none joins the other agency's dossier)."""
    named = dossier_code_prefix(dossier)
    if named is not None and named[:_AGENCY_LENGTH] != agency:
        return Placement(agency, dossier, ("refused", *relative.parts[:-1], name), ignored, AgencyMismatch)
    return Placement(agency, dossier, ("dossier", agency, dossier), ignored)
