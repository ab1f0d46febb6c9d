"""Header fields on handwritten blanks measured (issue 14 item 2): precision and recall of number, notation and
issued date, the extractor before (the commit named by --before) and after (this tree).

The set (`samples.handwritten`): one-page colour scans at 150 dpi whose number, day and month (sometimes the
year's end) are written in blue into the printed blanks, in one of four hands (a tidy italic font, careful pen
strokes, a hurried scrawl nobody can read, or never filled), and whose body cites another document
("Căn cứ Quyết định số 45/2019/QĐ-UBND ngày 12 tháng 3 năm 2019 ...") and a Tờ trình with its own date.
The pages are read once with the project's OCR (`ocr.document.ocr_file`, `vie`) and committed with their words as
bench/fields_set/handwritten-150dpi.jsonl.gz, so the evaluation needs no Tesseract.

Precision = right among given; recall = right among documents whose truth has the field. Number and notation
compare without spaces; a date compares as a day. "before" runs classify/metadata.py of the --before commit
(`git show`, imported from a temporary copy) on the page's text, as the old classify_document did; "after" runs
`classify.classify_document` with the default SOHOA_FIELD_MIN_CONFIDENCE.

Usage:
    .venv/bin/python bench/fields_bench.py                 evaluate on the committed set
    .venv/bin/python bench/fields_bench.py --build [--n 80]  re-render and re-OCR the set (~3 s a page)
"""

from __future__ import annotations

import argparse
import gzip
import importlib.util
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from schemas import OcrResult  # noqa: E402

SET = ROOT / "bench" / "fields_set" / "handwritten-150dpi.jsonl.gz"
FIELDS = ("number", "notation", "issued_date")
BEFORE = "02cd74c~1"  # the last commit with the old extractor


def build(n: int) -> None:
    from ocr.document import OcrOptions, ocr_file
    from samples.handwritten import HANDS, render_handwritten

    rows = []
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="sohoa-fields-") as tmp:
        for index in range(n):
            image, truth = render_handwritten(1000 + index, 150, HANDS[index % len(HANDS)])
            path = Path(tmp) / f"{index:03d}.jpg"
            image.save(path, "JPEG", quality=80, dpi=(150, 150))
            result = ocr_file(path, OcrOptions(lang="vie", workers=2))
            rows.append(
                {
                    "id": f"{index:03d}-{truth.hand}",
                    "hand": truth.hand,
                    "truth": {
                        "number": truth.number,
                        "notation": truth.notation,
                        "issued_date": truth.issued_date.isoformat() if truth.issued_date else None,
                        "cited": truth.cited,
                    },
                    "ocr": result.model_dump(mode="json"),
                }
            )
            print(f"{index + 1}/{n} {time.monotonic() - started:.0f} s", file=sys.stderr)
    SET.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(SET, "wt", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")


def _old_extractor(commit: str):
    source = subprocess.run(
        ["git", "show", f"{commit}:classify/metadata.py"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    path = Path(tempfile.mkdtemp(prefix="sohoa-old-")) / "old_metadata.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("old_metadata", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.extract_metadata


def _value(metadata, field: str) -> str | None:
    value = getattr(metadata, field)
    if value is None:
        return None
    return value.isoformat() if field == "issued_date" else str(value).replace(" ", "")


def evaluate(before: str) -> dict:
    from classify import classify_document

    old = _old_extractor(before)
    rows = [json.loads(line) for line in gzip.open(SET, "rt", encoding="utf-8")]
    counts = {which: Counter() for which in ("before", "after")}
    per_hand: dict[str, Counter] = {}
    review = 0
    for row in rows:
        result = OcrResult.model_validate(row["ocr"])
        page = result.pages[0]
        classification = classify_document(result)
        review += classification.needs_review
        outputs = {"before": old(page.text), "after": classification.metadata}
        for which, metadata in outputs.items():
            for field in FIELDS:
                truth = row["truth"][field]
                truth = truth.replace(" ", "") if truth else None
                got = _value(metadata, field)
                c = counts[which]
                c[f"{field}.truth"] += truth is not None
                c[f"{field}.given"] += got is not None
                c[f"{field}.right"] += got is not None and got == truth
                if which == "after":
                    h = per_hand.setdefault(row["hand"], Counter())
                    h["docs"] += field == "number"
                    h[f"{field}.given"] += got is not None
                    h[f"{field}.right"] += got is not None and got == truth
    return {"rows": len(rows), "counts": counts, "per_hand": per_hand, "review": review}


def _ratio(a: int, b: int) -> str:
    return f"{a}/{b} {a / b:.2f}" if b else f"{a}/0 -"


def report(figures: dict, before: str) -> None:
    print(f"# Header fields on handwritten blanks: {figures['rows']} pages (bench/fields_bench.py)\n")
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}; before = classify/metadata.py at {before}\n"
    )
    print("| field | before precision | before recall | after precision | after recall | target |")
    print("|---|---:|---:|---:|---:|---|")
    for field in FIELDS:
        cells = []
        for which in ("before", "after"):
            c = figures["counts"][which]
            cells += [
                _ratio(c[f"{field}.right"], c[f"{field}.given"]),
                _ratio(c[f"{field}.right"], c[f"{field}.truth"]),
            ]
        target = "precision ≥ 0.95" + (", recall ≥ 0.8" if field == "notation" else "")
        print(f"| {field} | {' | '.join(cells)} | {target} |")
    print(f"\nafter: {figures['review']} of {figures['rows']} documents flagged for review\n")
    print("| hand (after) | documents | number right/given | notation right/given | date right/given |")
    print("|---|---:|---:|---:|---:|")
    for hand, h in sorted(figures["per_hand"].items()):
        cells = [f"{h[f'{f}.right']}/{h[f'{f}.given']}" for f in FIELDS]
        print(f"| {hand} | {h['docs']} | {' | '.join(cells)} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", action="store_true")
    parser.add_argument("--n", type=int, default=80)
    parser.add_argument("--before", default=BEFORE)
    args = parser.parse_args()
    if args.build:
        build(args.n)
    report(evaluate(args.before), args.before)


if __name__ == "__main__":
    main()
