"""Classification and field extraction measured (issue 5): type accuracy, confusions, field exact-match rates.

The labelled set (`samples.labelled`: every document type, generated and laid out like the OCR samples) is
committed already OCR'd under bench/eval_set/ as JSON Lines, one document a line, so the evaluation itself
needs no Tesseract and takes seconds:
    clean-200dpi.jsonl     rendered at 200 dpi, not degraded
    degraded-150dpi.jsonl  rendered at 150 dpi, skewed, unevenly lit, blurred, noisy, JPEG 70
Each line: id, set, doc_type, fields (number, notation, issued_date, issuer, subject, dossier_code,
procedure_code, citizen_ids; citizen ids are synthetic), text (OCR, `ocr_file(..., lang="vie+eng")`).

Usage:
    .venv/bin/python bench/classify_eval.py             evaluate `classify.classify_text` on the committed sets
    .venv/bin/python bench/classify_eval.py --corpus    also OCR and classify ../shared/corpus files of evident type
    .venv/bin/python bench/classify_eval.py --build     re-render and re-OCR the sets (~3 s a page; 150 pages)

Targets (issue 5): type accuracy >= 95% clean, >= 90% degraded; exact match >= 85% for number, notation and
issued date. Comparison: number and notation ignore spaces (a filled-in blank prints "12 /BC-UBND"); dates are
compared as YYYY-MM-DD; citizen ids as a set. A field's rate counts the documents whose truth has the field;
"spurious" counts documents with no such field where the classifier returned one anyway.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
import unicodedata
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script from anywhere

from classify import classify_text  # noqa: E402
from schemas.doctypes import DocType  # noqa: E402

EVAL_DIR = ROOT / "bench" / "eval_set"
CORPUS = ROOT.parent / "shared" / "corpus"
SETS = {"clean-200dpi": (200, False), "degraded-150dpi": (150, True)}
TYPE_TARGETS = {"clean-200dpi": 0.95, "degraded-150dpi": 0.90}
FIELD_TARGET = 0.85
TARGET_FIELDS = ("number", "notation", "issued_date")
INFO_FIELDS = ("issuer", "subject", "dossier_code", "procedure_code", "citizen_ids")
SEED, PER_TYPE = 0, 3

# Corpus files whose type is evident: none is a Vietnamese administrative document (English test pages, a
# book page, literary Vietnamese), so each is evidently "khac". The README says what every file is.
CORPUS_KHAC = (
    "tesseract/phototest.tif",
    "tesseract/eurotext.tif",
    "ocrmypdf/c02-22.pdf",
    "ocrmypdf/francais.pdf",
    "vietocr/vietsample.tif",
    "vietocr/vietsample2.png",
)


# ----------------------------------------------------------------------------------------------- build
def _ocr_one(path: Path) -> str:
    from ocr.document import OcrOptions, ocr_file

    # One worker per page: the pool of two documents at a time already fills the 2 cores.
    return ocr_file(path, OcrOptions(lang="vie+eng", workers=1)).text


def build(jobs: int) -> None:
    from samples.labelled import render_labelled_set

    EVAL_DIR.mkdir(parents=True, exist_ok=True)
    for name, (dpi, degrade) in SETS.items():
        started = time.monotonic()
        with tempfile.TemporaryDirectory(prefix="sohoa-eval-") as tmp:
            documents = render_labelled_set(Path(tmp), dpi=dpi, degrade=degrade, seed=SEED, per_type=PER_TYPE)
            with ThreadPoolExecutor(max_workers=jobs) as pool:
                texts = list(pool.map(lambda d: _ocr_one(d.path), documents))
        lines = [
            json.dumps(
                {
                    "id": d.id,
                    "set": name,
                    "dpi": dpi,
                    "degraded": degrade,
                    "seed": SEED,
                    "doc_type": d.doc_type,
                    "fields": d.fields(),
                    "text": text,
                },
                ensure_ascii=False,
            )
            for d, text in zip(documents, texts)
        ]
        (EVAL_DIR / f"{name}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
        print(f"{name}: {len(lines)} documents OCR'd in {time.monotonic() - started:.0f} s", flush=True)


# -------------------------------------------------------------------------------------------- evaluate
def load(name: str) -> list[dict]:
    path = EVAL_DIR / f"{name}.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _norm(field: str, value) -> object:
    """The form two values of a field are compared in."""
    if value is None or value == []:
        return None
    if field == "citizen_ids":
        return frozenset(value)
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()[:10]
    text = unicodedata.normalize("NFC", str(value))
    if field in ("number", "notation", "dossier_code", "procedure_code"):
        return "".join(text.split())
    if field == "subject":  # "V/v" / "Về việc" is how the trích yếu is introduced, not part of it
        text = _SUBJECT_PREFIX.sub("", text)
    return " ".join(text.split())


_SUBJECT_PREFIX = re.compile(r"^\s*(?:v\s*/\s*v|về việc)\s*", re.IGNORECASE)


def _predicted_fields(classification) -> dict:
    metadata = getattr(classification, "metadata", None)
    return {f: getattr(metadata, f, None) if metadata is not None else None for f in TARGET_FIELDS + INFO_FIELDS}


def evaluate(name: str, rows: list[dict]) -> dict:
    per_type: dict[str, list[int]] = defaultdict(lambda: [0, 0])  # slug -> [correct, total]
    confusion: Counter = Counter()
    fields = {f: Counter() for f in TARGET_FIELDS + INFO_FIELDS}  # hit, total, spurious
    review, methods, misses = 0, Counter(), []
    for row in rows:
        result = classify_text(row["text"])
        predicted = str(result.doc_type.value if hasattr(result.doc_type, "value") else result.doc_type)
        per_type[row["doc_type"]][1] += 1
        if predicted == row["doc_type"]:
            per_type[row["doc_type"]][0] += 1
        else:
            confusion[(row["doc_type"], predicted)] += 1
        review += bool(getattr(result, "needs_review", False))
        methods[str(getattr(result, "method", "?"))] += 1
        got = _predicted_fields(result)
        for field, counts in fields.items():
            truth, guess = _norm(field, row["fields"].get(field)), _norm(field, got[field])
            if truth is None:
                counts["spurious"] += guess is not None
                continue
            counts["total"] += 1
            counts["hit"] += truth == guess
            if truth != guess and field in TARGET_FIELDS:
                misses.append((row["id"], field, row["fields"].get(field), got[field]))
    correct = sum(c for c, _ in per_type.values())
    return {
        "name": name,
        "n": len(rows),
        "correct": correct,
        "per_type": per_type,
        "confusion": confusion,
        "fields": fields,
        "review": review,
        "methods": methods,
        "misses": misses,
    }


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:5.1f}%" if whole else "    -"


def report(results: list[dict], show_misses: bool = False) -> None:
    names = [r["name"] for r in results]
    print("\n## Type accuracy per type\n")
    print("| type | " + " | ".join(names) + " |")
    print("|---|" + "---:|" * len(names))
    for slug in (t.value for t in DocType):
        cells = []
        for r in results:
            c, n = r["per_type"].get(slug, [0, 0])
            cells.append(f"{c}/{n} {_pct(c, n).strip()}" if n else "-")
        print(f"| {slug} | " + " | ".join(cells) + " |")
    print("\n## Overall\n")
    for r in results:
        target = TYPE_TARGETS.get(r["name"])
        verdict = (
            ""
            if target is None
            else (" (target " + f"{target:.0%}: " + ("met" if r["correct"] >= target * r["n"] else "NOT met") + ")")
        )
        print(
            f"- {r['name']}: {r['correct']}/{r['n']} = {_pct(r['correct'], r['n']).strip()}{verdict}; "
            f"needs_review flagged on {r['review']}; methods: "
            + ", ".join(f"{m} {n}" for m, n in r["methods"].most_common())
        )
    print("\n## Confusions (true -> predicted, non-zero off-diagonal cells only)\n")
    for r in results:
        cells = ", ".join(f"{t} -> {p}: {n}" for (t, p), n in sorted(r["confusion"].items(), key=lambda x: -x[1]))
        print(f"- {r['name']}: {cells or 'none'}")
    print("\n## Field exact match (over documents whose truth has the field)\n")
    print("| field | " + " | ".join(names) + " | target |")
    print("|---|" + "---:|" * len(names) + "---:|")
    for field in TARGET_FIELDS + INFO_FIELDS:
        cells = []
        for r in results:
            counts = r["fields"][field]
            spurious = f", {counts['spurious']} spurious" if counts["spurious"] else ""
            cells.append(f"{counts['hit']}/{counts['total']} {_pct(counts['hit'], counts['total']).strip()}{spurious}")
        target = f"{FIELD_TARGET:.0%}" if field in TARGET_FIELDS else "(info)"
        print(f"| {field} | " + " | ".join(cells) + f" | {target} |")
    if show_misses:
        print("\n## Target-field misses (id, field, truth, got)\n")
        for r in results:
            for doc_id, field, truth, got in r["misses"]:
                print(f"- {r['name']} {doc_id} {field}: {truth!r} -> {got!r}")


def corpus_rows(jobs: int) -> list[dict]:
    if not CORPUS.is_dir():
        print(f"\n{CORPUS} is absent: no corpus rows.")
        return []
    print(
        f"\nCorpus ({CORPUS}): no file there is a Vietnamese administrative document, so none qualifies for a "
        "typed row; the files whose type is evident are scored as 'khac':"
    )
    paths = [CORPUS / p for p in CORPUS_KHAC if (CORPUS / p).is_file()]
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        texts = list(pool.map(_ocr_one, paths))
    for path in paths:
        print(f"  - {path.relative_to(CORPUS)}")
    return [{"id": p.name, "doc_type": "khac", "fields": {}, "text": t} for p, t in zip(paths, texts)]


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        tesseract = subprocess.run(["tesseract", "--version"], capture_output=True, text=True).stdout.split("\n")[0]
    except OSError:
        tesseract = "tesseract not found"
    return f"{platform.node()}, {cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, {tesseract}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--build", action="store_true", help="re-render and re-OCR bench/eval_set/*.jsonl")
    parser.add_argument("--corpus", action="store_true", help="add rows for ../shared/corpus files (runs OCR)")
    parser.add_argument("--misses", action="store_true", help="list each number/notation/date miss")
    parser.add_argument("--jobs", type=int, default=2, help="documents OCR'd at a time (default 2)")
    args = parser.parse_args(argv)
    print(f"# Classification eval — {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC")
    print(f"Machine: {machine()}")
    if args.build:
        build(args.jobs)
    print(f"Set: samples.labelled seed {SEED}, {PER_TYPE} per type + 4 khac; classifier classify.classify_text")
    results = []
    for name in SETS:
        if not (EVAL_DIR / f"{name}.jsonl").is_file():
            print(f"{EVAL_DIR / name}.jsonl missing: run with --build first", file=sys.stderr)
            return 2
        results.append(evaluate(name, load(name)))
    if args.corpus:
        rows = corpus_rows(args.jobs)
        if rows:
            results.append(evaluate("corpus", rows))
    report(results, show_misses=args.misses)
    return 0


if __name__ == "__main__":
    sys.exit(main())
