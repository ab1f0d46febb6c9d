"""Several workers on one inbox, and a worker that dies: every file is archived exactly once, none is lost."""

import shutil
from collections import Counter

from _watch_helpers import (  # noqa: F401  (watchers is a fixture)
    AGENCY,
    archived_documents,
    claimed_files,
    dossier_code,
    drop,
    files_under,
    inbox_files,
    sha256,
    stored_documents,
    tiny_png,
    wait_until,
    watchers,
)


def _thirty_files(inbox):
    """30 files laid out every way the convention allows: 5 dossier folders of 3, 10 loose files named after
    their dossier, 5 files straight in the inbox. Returns sha256 -> dossier expected (None: generated)."""
    expected = {}
    for folder in range(1, 6):
        for page in range(1, 4):
            data = tiny_png(f"Hồ sơ {folder} trang {page}")
            drop(inbox / AGENCY / dossier_code(folder) / f"{page:02d}.png", data)
            expected[sha256(data)] = dossier_code(folder)
    for loose in range(11, 21):
        data = tiny_png(f"Tờ khai kèm hồ sơ {loose}")
        drop(inbox / AGENCY / f"{dossier_code(loose)}-to-khai.png", data)
        expected[sha256(data)] = dossier_code(loose)
    for stray in range(1, 6):
        data = tiny_png(f"Bản quét không rõ hồ sơ {stray}")
        drop(inbox / f"scan-{stray:02d}.png", data)
        expected[sha256(data)] = None
    return expected


def _each_archived_once(home, expected):
    documents = archived_documents(home)
    assert len(documents) == len(expected) == stored_documents(home)
    assert Counter(document.sha256 for document in documents) == Counter(expected.keys())  # each once, none missing
    for document in documents:
        if expected[document.sha256] is None:
            assert document.dossier == "auto-" + document.sha256[:16]
        else:
            assert document.dossier == expected[document.sha256]
    return documents


def test_two_watchers_on_one_inbox_archive_each_of_30_files_exactly_once(tmp_path, sohoa_home, watchers):
    inbox = tmp_path / "inbox"
    first, second = watchers.start(inbox), watchers.start(inbox)
    first.wait_log("Đang theo dõi")
    second.wait_log("Đang theo dõi")
    expected = _thirty_files(inbox)
    wait_until(lambda: len(files_under(inbox / ".done")) == 30, 240, "30 files in .done")
    assert first.stop() == 0 and second.stop() == 0

    documents = _each_archived_once(sohoa_home, expected)
    assert inbox_files(inbox) == [] and claimed_files(inbox) == []
    assert not (inbox / ".quarantine").exists()
    assert not list((inbox / ".processing").iterdir())  # both workers' folders are gone
    # Each dossier was ingested by one watcher, whole: its folder's files got ordinals 1, 2, 3 in name order.
    # (An ingest that failed whole, e.g. both watchers creating a new catalog at once, gave its files back and
    # is not counted: only completed dossiers are.)
    groups = 5 + 10 + 5
    assert first.log().count("Xong hồ sơ") + second.log().count("Xong hồ sơ") == groups
    for folder in range(1, 6):
        ordinals = sorted(
            (document.source, document.ordinal) for document in documents if document.dossier == dossier_code(folder)
        )
        assert ordinals == [("01.png", 1), ("02.png", 2), ("03.png", 3)]


def test_after_a_worker_is_killed_mid_document_every_file_is_archived_once(
    tmp_path, sohoa_home, sample_dossier, watchers
):
    inbox = tmp_path / "inbox"
    source_folder, _ = sample_dossier
    folder = inbox / AGENCY / dossier_code(30)
    expected = {}
    for name in ("01.png", "02.png"):
        data = tiny_png(f"Hồ sơ ba mươi, {name}")
        expected[sha256(drop(folder / name, data).read_bytes())] = dossier_code(30)
    # A full page takes seconds to read: the worker is killed while it reads it.
    shutil.copy2(source_folder / "001-quyet-dinh.jpg", folder / "03-quyet-dinh.jpg")
    expected[sha256((folder / "03-quyet-dinh.jpg").read_bytes())] = dossier_code(30)
    expected[sha256(drop(folder / "04.png", tiny_png("Hồ sơ ba mươi, trang cuối")).read_bytes())] = dossier_code(30)

    doomed = watchers.start(inbox, SOHOA_CLAIM_TIMEOUT_SECONDS="2")
    wait_until(lambda: len(archived_documents(sohoa_home)) == 2, 120, "the first two documents archived", interval=0.05)
    doomed.kill()  # SIGKILL, its OCR processes too
    assert len(archived_documents(sohoa_home)) == 2 and stored_documents(home=sohoa_home) == 2
    assert len(claimed_files(inbox)) == 4  # still claimed by the dead worker: nothing lost, nothing moved on
    assert files_under(inbox / ".done") == []

    successor = watchers.start(inbox, SOHOA_CLAIM_TIMEOUT_SECONDS="2")
    wait_until(lambda: len(files_under(inbox / ".done")) == 4, 120, "all four files in .done")
    assert successor.stop() == 0
    assert "Thu hồi 4 tệp" in successor.log()
    _each_archived_once(sohoa_home, expected)
    assert inbox_files(inbox) == [] and claimed_files(inbox) == []
    assert not list((inbox / ".processing").iterdir())  # the dead worker's folder is gone too
    # The two documents the dead worker had archived were found in the archive, not archived again.
    assert "2 đã lưu, 2 trùng" in successor.log()
