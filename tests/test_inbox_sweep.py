"""A sweep when the archive fails: the files are not the culprits, so they go back to the inbox (never to
quarantine), the sweep stops spending OCR on the next dossiers, and the next sweep archives them."""

from functools import partial

from _fixtures import fast_store_retries
from _watch_helpers import AGENCY, archived_documents, claimed_files, dossier_code, drop, inbox_files, tiny_png

from archive.ingest import ingest_paths
from inbox.watch import InboxWorker, WatchOptions
from schemas.settings import get_settings


def _worker(inbox):
    # The real ingest, with the store stage retrying fast: the production delays add up to 44 s.
    ingest = partial(ingest_paths, settings=get_settings(), run=fast_store_retries(retries=1, delay=0.01))
    return InboxWorker(inbox, ingest, WatchOptions(stable_seconds=0, rescan_seconds=30))


def test_files_the_archive_failed_go_back_to_the_inbox_and_are_archived_next_time(tmp_path, sohoa_home, monkeypatch):
    monkeypatch.setenv("SOHOA_OCR_WORKERS", "1")
    blocked = tmp_path / "not-a-folder"
    blocked.write_bytes(b"the store folder cannot be made under a file")
    monkeypatch.setenv("SOHOA_STORE_URL", (blocked / "store").as_uri())
    inbox = tmp_path / "inbox"
    for sequence in (41, 42):
        drop(inbox / AGENCY / dossier_code(sequence) / "01.png", tiny_png(f"Hồ sơ {sequence}"))

    with _worker(inbox) as worker:
        failed = worker.sweep()
    assert (failed.dossiers, failed.errors, failed.released, failed.quarantined) == (1, 1, 1, 0)  # then paused
    assert len(inbox_files(inbox)) == 2 and claimed_files(inbox) == []
    assert not (inbox / ".quarantine").exists() and not (inbox / ".done").exists()

    monkeypatch.setenv("SOHOA_STORE_URL", (tmp_path / "store").as_uri())  # the archive is back
    with _worker(inbox) as worker:
        swept = worker.sweep()
    assert (swept.dossiers, swept.archived, swept.errors) == (2, 2, 0)
    assert inbox_files(inbox) == [] and claimed_files(inbox) == []
    assert sorted(document.dossier for document in archived_documents(sohoa_home)) == [
        dossier_code(41),
        dossier_code(42),
    ]
