"""Helpers of the inbox watcher tests: tiny pages that OCR in a fraction of a second, `sohoa watch` as a real
child process (in its own session, so a SIGKILL takes its OCR workers too), and what the archive holds."""

from __future__ import annotations

import hashlib
import io
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from conftest import sohoa_command
from PIL import Image, ImageDraw, ImageFont

from catalog import Catalog
from schemas import Document

AGENCY = "000.00.00.H33"


def dossier_code(sequence: int) -> str:
    return f"{AGENCY}-230607-{sequence:04d}"


def tiny_png(text: str) -> bytes:
    """One line of text on a small page: Tesseract reads it in a fraction of a second."""
    from samples.dossier import _font_files

    image = Image.new("L", (640, 60), 255)
    ImageDraw.Draw(image).text((10, 12), text, font=ImageFont.truetype(_font_files()["regular"], 28), fill=0)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", dpi=(150, 150))
    return buffer.getvalue()


def drop(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def files_under(folder: Path) -> list[Path]:
    """Regular files under `folder` (none if it does not exist)."""
    return sorted(path for path in folder.rglob("*") if path.is_file()) if folder.exists() else []


def inbox_files(inbox: Path) -> list[Path]:
    """Files still waiting in the inbox itself (not in .processing, .done or .quarantine)."""
    return [path for path in files_under(inbox) if not path.relative_to(inbox).parts[0].startswith(".")]


def claimed_files(inbox: Path) -> list[Path]:
    return [path for path in files_under(inbox / ".processing") if path.name != ".heartbeat"]


def archived_documents(home: Path) -> list[Document]:
    catalog = Catalog(f"sqlite:///{home / 'catalog.db'}")
    try:
        return [catalog.get(doc_id) for doc_id in sorted(catalog.ids())]
    finally:
        catalog.close()


def stored_documents(home: Path) -> int:
    """Documents complete in the folder store: meta.json is written last."""
    return len(list((home / "store").rglob("meta.json")))


def wait_until(predicate, timeout: float, what: str, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def watch_env(**settings: str) -> dict[str, str]:
    """Quick settings for tests: files settle in half a second, one OCR process per watcher."""
    env = {
        "SOHOA_OCR_WORKERS": "1",
        "SOHOA_STABLE_SECONDS": "0.5",
        "SOHOA_RESCAN_SECONDS": "1",
        "SOHOA_CLAIM_TIMEOUT_SECONDS": "30",
    }
    env.update(settings)
    return env


class Watcher:
    """`sohoa watch INBOX` in a child process; its log (stderr) goes to a file the test reads."""

    def __init__(self, inbox: Path, log_path: Path, env: dict[str, str], *args: str):
        self.log_path = log_path
        self._log = log_path.open("w")
        self.process = subprocess.Popen(
            [*sohoa_command(), "watch", str(inbox), *args],
            stdout=subprocess.DEVNULL,
            stderr=self._log,
            env={**os.environ, **env},
            start_new_session=True,
        )

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def wait_log(self, text: str, timeout: float = 60, count: int = 1) -> str:
        wait_until(
            lambda: self.log().count(text) >= count or self.process.poll() is not None,
            timeout,
            f"{text!r} in the watcher's log",
        )
        assert self.log().count(text) >= count, self.log()
        return self.log()

    def stop(self, timeout: float = 60) -> int:
        """SIGTERM to the watcher alone (as systemd's KillMode=mixed does) and its exit status."""
        self.process.send_signal(signal.SIGTERM)
        return self.wait(timeout)

    def wait(self, timeout: float = 60) -> int:
        code = self.process.wait(timeout=timeout)
        self._log.close()
        assert "Traceback" not in self.log(), self.log()
        return code

    def leftovers(self) -> list[int]:
        """Processes of the watcher's session still running (it runs in its own): what it left behind."""
        left = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[3]) == self.process.pid and fields[0] != "Z":  # field 6 of stat: the session id
                left.append(int(stat.parent.name))
        return left

    def kill(self) -> None:
        """SIGKILL the watcher and every process it started: a crash, a power cut."""
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(timeout=30)
        self._log.close()


@pytest.fixture
def watchers(tmp_path):
    """Start watchers with `watchers.start(inbox, **settings)`; any still running at the end is killed."""
    started: list[Watcher] = []

    class Start:
        def start(self, inbox: Path, *args: str, **settings: str) -> Watcher:
            watcher = Watcher(inbox, tmp_path / f"watch-{len(started) + 1}.log", watch_env(**settings), *args)
            started.append(watcher)
            return watcher

    yield Start()
    for watcher in started:
        if watcher.process.poll() is None:
            watcher.kill()
