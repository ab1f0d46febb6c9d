#!/usr/bin/python3 -S
"""A stand-in for `tesseract` that dies as a real one can (killed by a signal) when asked to read a page, and
answers `--version` / `--list-langs` as the real one does: faults injected through the real interface
(SOHOA_TESSERACT_CMD), as OCRmyPDF's tests/plugins/tesseract_crash.py does."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

REAL = os.environ.get("SOHOA_REAL_TESSERACT", "/usr/bin/tesseract")

if __name__ == "__main__":
    if len(sys.argv) < 3 or sys.argv[1].startswith("-"):
        sys.exit(subprocess.run([REAL, *sys.argv[1:]]).returncode)
    sys.stderr.write("Segmentation fault (stand-in)\n")
    os.kill(os.getpid(), signal.SIGSEGV)
