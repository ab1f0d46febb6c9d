"""Where an inbox file belongs (agency, dossier) and which names are never taken: plain functions of paths."""

from pathlib import PurePosixPath as P

import pytest

from inbox.convention import generated_dossier_id, is_ignored, place
from inbox.watch import group_files

AGENCY = "000.00.00.H33"
DOSSIER = "000.00.00.H33-230607-0001"


def test_a_dossier_folder_under_an_agency_folder_names_both():
    placement = place(f"{AGENCY}/{DOSSIER}/002-don.pdf")
    assert (placement.agency, placement.dossier, placement.ignored) == (AGENCY, DOSSIER, False)
    # A subfolder of the dossier folder is still that dossier; any folder name is the dossier's code.
    assert place(f"{AGENCY}/{DOSSIER}/phu-luc/a.jpg").dossier == DOSSIER
    assert place(f"{AGENCY}/HS-2024-17/a.jpg").dossier == "HS-2024-17"
    # Codes written in lower case are the same codes.
    lower = place(f"{AGENCY.lower()}/{DOSSIER.lower()}/a.jpg")
    assert (lower.agency, lower.dossier) == (AGENCY, DOSSIER)


@pytest.mark.parametrize(
    "name", [f"{DOSSIER}.pdf", f"{DOSSIER}-to-khai.pdf", f"{DOSSIER}_02.jpg", f"{DOSSIER} giay hen.png"]
)
def test_a_loose_file_named_after_its_dossier_belongs_to_it(name):
    placement = place(f"{AGENCY}/{name}")
    assert (placement.agency, placement.dossier) == (AGENCY, DOSSIER)
    # ... and is ingested together with the dossier's folder, if there is one.
    assert placement.group == place(f"{AGENCY}/{DOSSIER}/001.pdf").group


@pytest.mark.parametrize(
    "relative, agency",
    [
        ("scan-0001.pdf", None),  # straight in the inbox
        (f"{AGENCY}/scan-0001.pdf", AGENCY),  # in an agency folder, not named after a dossier
        (f"{AGENCY}/{DOSSIER}9.pdf", AGENCY),  # a longer sequence number is not this dossier code
        ("may-quet-tang-2/ho-so/a.pdf", None),  # a folder that is not an agency code
    ],
)
def test_anything_else_is_a_new_dossier_of_its_own(relative, agency):
    placement = place(relative)
    assert placement.dossier is None and placement.agency == agency
    assert placement.group != place(P(relative).with_name("other.pdf")).group


def test_the_generated_dossier_id_comes_from_the_bytes():
    digest = "ab" * 32
    assert generated_dossier_id(digest) == generated_dossier_id(digest) == "auto-" + digest[:16]
    assert generated_dossier_id("cd" * 32) != generated_dossier_id(digest)


@pytest.mark.parametrize(
    "name",
    [
        ".hidden.pdf",
        ".DS_Store",
        "~$to-khai.docx",
        "scan.pdf.part",
        "SCAN.PDF.TMP",
        "download.pdf.crdownload",
        "Thumbs.db",
        "desktop.ini",
    ],
)
def test_names_never_taken(name):
    assert is_ignored(name)
    assert place(f"{AGENCY}/{DOSSIER}/{name}").ignored


@pytest.mark.parametrize("name", ["scan.pdf", "hồ sơ số 1.jpg", "a.partial.pdf", "tmp.pdf", "bao-cao.tiff"])
def test_ordinary_names_are_taken(name):
    assert not is_ignored(name)


def test_a_file_still_being_written_counts_in_the_dossier_it_will_join():
    growing = place(f"{AGENCY}/{DOSSIER}/003.pdf.part")
    assert growing.ignored and growing.group == place(f"{AGENCY}/{DOSSIER}/001.pdf").group
    download = place(f"{AGENCY}/{DOSSIER}-to-khai.pdf.crdownload")
    assert download.ignored and download.dossier == DOSSIER
    assert place("scan.pdf.part").group == place("scan.pdf").group


def test_groups_wait_for_every_file_of_the_dossier_and_take_only_real_files():
    files = [
        P(f"{AGENCY}/{DOSSIER}/002.jpg"),
        P(f"{AGENCY}/{DOSSIER}/001.jpg"),
        P(f"{AGENCY}/{DOSSIER}/003.jpg.part"),
        P(f"{AGENCY}/000.00.00.H33-230607-0002-don.png"),
        P("loose.pdf"),
        P("other.pdf"),
        P("only.pdf.part"),
    ]
    settled = set(files) - {P(f"{AGENCY}/{DOSSIER}/003.jpg.part")}
    groups = {group.dossier or group.files[0].name: group for group in group_files(files, settled.__contains__)}
    dossier = groups[DOSSIER]
    assert dossier.files == [P(f"{AGENCY}/{DOSSIER}/001.jpg"), P(f"{AGENCY}/{DOSSIER}/002.jpg")]  # name order
    assert dossier.waiting  # its third file is still arriving
    assert not groups["000.00.00.H33-230607-0002"].waiting
    assert groups["loose.pdf"].files == [P("loose.pdf")] and groups["loose.pdf"].dossier is None
    assert "only.pdf" not in groups  # nothing to take yet
    assert len(groups) == 4
