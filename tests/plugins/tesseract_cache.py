#!/usr/bin/python3 -S
"""A stand-in for `tesseract` that replays recorded output (SOHOA_TESSERACT_CMD points here in the tests).

The key of a run is the input image's bytes, the arguments other than the file names, and the real Tesseract's
version: the same page read the same way gives the same recorded .txt/.tsv/.osd files, copied where Tesseract
would have written them. A miss runs the real program and records what it wrote (into SOHOA_TESSERACT_CACHE,
default ~/.cache/sohoa-tesseract). Anything else (`--version`, `--list-langs`) goes straight to the real one.
Like OCRmyPDF's tests/plugins/tesseract_cache.py, it sits behind the real interface, so the code under test
cannot tell.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

REAL = os.environ.get("SOHOA_REAL_TESSERACT", "/usr/bin/tesseract")
OUTPUT_SUFFIXES = (".txt", ".tsv", ".osd")


def _version(cache: Path) -> str:
    """The real program's version line, remembered per binary (its size and time) to spare a run per page."""
    binary = os.stat(REAL)
    remembered = cache / f".version-{binary.st_size}-{binary.st_mtime_ns}"
    try:
        return remembered.read_text()
    except OSError:
        line = subprocess.run([REAL, "--version"], capture_output=True, text=True).stdout.splitlines()[0]
        cache.mkdir(parents=True, exist_ok=True)
        remembered.write_text(line)
        return line


def main(args: list[str]) -> int:
    if len(args) < 2 or args[0].startswith("-"):
        return subprocess.run([REAL, *args]).returncode
    image, output_base, options = Path(args[0]), Path(args[1]), args[2:]
    cache = Path(os.environ.get("SOHOA_TESSERACT_CACHE") or Path.home() / ".cache" / "sohoa-tesseract")
    digest = hashlib.sha256()
    digest.update(_version(cache).encode())
    digest.update("\0".join(options).encode())
    digest.update(image.read_bytes())
    entry = cache / digest.hexdigest()
    if not entry.is_dir():
        completed = subprocess.run([REAL, *args], capture_output=True)
        sys.stderr.buffer.write(completed.stderr)
        if completed.returncode != 0:
            return completed.returncode  # failures are not recorded: the next run tries for real again
        partial = cache / f".{entry.name}.{os.getpid()}"
        partial.mkdir(parents=True, exist_ok=True)
        for suffix in OUTPUT_SUFFIXES:
            written = output_base.with_suffix(suffix)
            if written.exists():
                shutil.copyfile(written, partial / suffix.lstrip("."))
        try:
            partial.rename(entry)
        except OSError:  # another process recorded the same run meanwhile
            shutil.rmtree(partial, ignore_errors=True)
        return 0
    for recorded in entry.iterdir():
        shutil.copyfile(recorded, output_base.with_suffix("." + recorded.name))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
