"""The invisible text layer drawn from word boxes: the words come back out, in their lines, where they were read."""

from __future__ import annotations

import re
import subprocess

import pytest

from ocr.text_page import text_only_page
from schemas import Word

DPI = 200


def words() -> list[Word]:
    # Two lines as Tesseract's TSV gives them: boxes in pixels of a 200 dpi page (left, top, width, height).
    return [
        Word(text="QUYẾT", confidence=96, box=(200, 300, 180, 40), line=10101),
        Word(text="ĐỊNH", confidence=95, box=(400, 298, 150, 42), line=10101),
        Word(text="Số:", confidence=93, box=(200, 400, 70, 30), line=10102),
        Word(text="125/QĐ-UBND", confidence=91, box=(290, 400, 260, 30), line=10102),
    ]


def test_the_words_come_back_out_line_by_line(tmp_path):
    path = tmp_path / "text.pdf"
    path.write_bytes(text_only_page(words(), width_px=1654, height_px=2339, dpi=DPI))
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    lines = [re.sub(r"\s+", " ", line).strip() for line in text.splitlines() if line.strip()]
    assert lines == ["QUYẾT ĐỊNH", "Số: 125/QĐ-UBND"]


def test_each_word_is_where_it_was_read(tmp_path):
    path = tmp_path / "text.pdf"
    path.write_bytes(text_only_page(words(), width_px=1654, height_px=2339, dpi=DPI))
    boxes = subprocess.run(["pdftotext", "-bbox", str(path), "-"], capture_output=True, text=True, check=True).stdout
    found = {
        m.group(5): [float(v) for v in m.group(1, 2, 3, 4)]
        for m in re.finditer(
            r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]+)</word>', boxes
        )
    }
    points = 72 / DPI
    for word in words():
        left, top, width, height = word.box
        x0, y0, x1, y1 = found[word.text]
        assert x0 == pytest.approx(left * points, abs=0.5), word.text
        assert x1 == pytest.approx((left + width) * points, abs=1.0), word.text
        assert top * points - 1.5 <= (y0 + y1) / 2 <= (top + height) * points + 1.5, word.text


def test_a_page_without_words_is_an_empty_page(tmp_path):
    path = tmp_path / "empty.pdf"
    path.write_bytes(text_only_page([], width_px=1654, height_px=2339, dpi=DPI))
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert text.strip() == ""
