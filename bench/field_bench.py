"""`bench/ocr_bench.py --field` (issue 14): field-like degradations and English pages beside the sample pages.

Every page is a one-page JPEG/PNG file (a counter's batch of one-page scans). Classes: the six kinds of
bench/degrade_field.py (3 pages each), English pages, and the sample dossier's pages at 200 dpi, degraded and
clean (the classes the project was tuned on: no class may get worse).
"""

from __future__ import annotations

import subprocess
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from _cer import Score
from degrade_field import english_pages, field_pages, write_pages
from ocr_bench import BARE, DEFAULT_LANG, Doc, Engines, PageFile, Report, find_ocrmypdf, log, render_set, verdict

SAUVOLA = "tesseract sauvola"
OCRMYPDF = "ocrmypdf"
SPEED_SEEDS = (7, 8)


def one_page_docs(docs: list[Doc]) -> list[Doc]:
    return [Doc(page.image, [page]) for doc in docs for page in doc.pages]


def classes(work: Path) -> dict[str, list[Doc]]:
    out: dict[str, list[Doc]] = defaultdict(list)
    pages = field_pages() + english_pages()
    for page, path in zip(pages, write_pages(pages, work / "field")):
        out[page.kind].append(Doc(path, [PageFile(page.key, path, page.truth)]))
    out["samples degraded"] = one_page_docs(render_set(work, 200, True, 7))
    out["samples clean"] = one_page_docs(render_set(work, 200, False, 7))
    return dict(out)


def project_pages(docs: list[Doc], lang: str) -> tuple[dict, float]:
    """The project's pages (kept whole: text, binarisation, language) and the seconds taken."""
    from ocr import OcrOptions, ocr_files

    started = time.perf_counter()
    outcomes = list(ocr_files([doc.path for doc in docs], OcrOptions(lang=lang)))
    elapsed = time.perf_counter() - started
    pages = {}
    for doc, outcome in zip(docs, outcomes, strict=True):
        if outcome.failure is not None:
            raise RuntimeError(f"{doc.path}: {outcome.failure}")
        pages[doc.pages[0].key] = (outcome.result.pages[0], outcome.result.language)
    return pages, elapsed


def ocrmypdf_texts(command: str, pages: list[PageFile], jobs: int, outdir: Path) -> dict[str, str]:
    """OCRmyPDF on each page image (its own image-to-PDF step), the text from its sidecar; `jobs` at once."""
    outdir.mkdir(exist_ok=True)

    def read(page: PageFile) -> str:
        stem = outdir / page.key.replace("/", "_")
        subprocess.run(
            [command, "--jobs", "1", "-l", "vie", "--rotate-pages", "--deskew", "--image-dpi", "200"]
            + ["--output-type", "pdf", "--sidecar", f"{stem}.txt", str(page.image), f"{stem}.pdf"],
            check=True,
            capture_output=True,
        )
        return Path(f"{stem}.txt").read_text(encoding="utf-8")

    with ThreadPoolExecutor(jobs) as pool:
        return dict(zip((p.key for p in pages), pool.map(read, pages)))


def field(report: Report, engines: Engines, args, work: Path) -> None:
    if not args.skip_accuracy:
        field_accuracy(report, engines, args, work)
    field_speed(report, engines, args, work)


def field_accuracy(report: Report, engines: Engines, args, work: Path) -> None:
    sets = classes(work)
    every = [page for docs in sets.values() for doc in docs for page in doc.pages]
    log(f"field: sohoa on {len(every)} pages")
    read, _ = project_pages([doc for docs in sets.values() for doc in docs], DEFAULT_LANG)
    log("field: bare tesseract (Otsu, Sauvola)")
    engines.bare(every, "vie")
    engines.bare(every, "vie", ("-c", "thresholding_method=2"), engine=SAUVOLA)
    engines.bare([p for doc in sets["english"] for p in doc.pages], "eng")
    ocrmypdf, missing = (None, "OCRmyPDF rows skipped (--skip-ocrmypdf)") if args.skip_ocrmypdf else find_ocrmypdf()
    theirs: dict[str, str] = {}
    if ocrmypdf:
        log("field: ocrmypdf")
        theirs = ocrmypdf_texts(ocrmypdf, every, engines.jobs, work / "ocrmypdf-field")

    report("### Field-like degradations and English pages: error rates per class (lower is better)")
    report()
    report(
        "One-page files, 200 dpi. CER as in the accuracy table above (ordered: reading order counts); *words, "
        "order-free*: the order-free word error (multisets of words), which reading order cannot change. "
        "*kept evenly lit*: pages whose second reading (divided by the paper's grey) the quality gate kept; "
        "*language*: pages found in the right language (vie for the samples, eng for the English pages)."
    )
    report()
    report("| class | engine | pages | CER | CER folded | words, order-free | kept evenly lit | language right |")
    report("|---|---|---:|---:|---:|---:|---:|---:|")
    engines_rows = [
        (f"sohoa, {DEFAULT_LANG} (default)", None),
        ("bare tesseract -l vie", (BARE, "vie")),
        ("bare tesseract -l vie, Sauvola", (SAUVOLA, "vie")),
        ("ocrmypdf -l vie", OCRMYPDF),
    ]
    summary: dict[tuple[str, str], float] = {}
    for name, docs in sets.items():
        pages = [p for doc in docs for p in doc.pages]
        rows = list(engines_rows)
        if name == "english":
            rows.insert(1, ("bare tesseract -l eng", (BARE, "eng")))
        for label, source in rows:
            if source == OCRMYPDF and not theirs:
                continue
            score = Score()
            extra = ["", ""]
            if source is None:
                kept, right = 0, 0
                for p in pages:
                    page, _ = read[p.key]
                    score.add(p.truth, page.text)
                    kept += page.binarisation != "otsu"
                    right += page.language == ("eng" if name == "english" else "vie")
                extra = [f"{kept}/{len(pages)}", f"{right}/{len(pages)}"]
            else:
                for p in pages:
                    text = theirs[p.key] if source == OCRMYPDF else engines.texts[source[0], source[1], p.key]
                    score.add(p.truth, text)
            summary[name, label] = score.cer
            report(
                f"| {name} | {label} | {score.pages} | {score.cer:.2%} | {score.cer_folded:.2%} | "
                f"{score.bag_wer:.2%} | {extra[0]} | {extra[1]} |"
            )
    report()
    if missing:
        report(missing)
        report()
    languages = Counter(language for _, language in read.values())
    report(f"Documents' language (OcrResult.language): {dict(languages)}.")
    report()
    for name in sets:
        ours = summary[name, engines_rows[0][0]]
        bare = summary[name, "bare tesseract -l vie"]
        line = f"- {name}: sohoa {ours:.2%}, bare {bare:.2%} (a third: {bare / 3:.2%})"
        if (name, "ocrmypdf -l vie") in summary:
            line += f", OCRmyPDF {summary[name, 'ocrmypdf -l vie']:.2%}"
        if name == "english":
            line += f", tesseract -l eng {summary[name, 'bare tesseract -l eng']:.2%}"
        report(line)
    report()


def field_speed(report: Report, engines: Engines, args, work: Path) -> None:
    # Speed: the ordinary pages (the sample dossier degraded, seeds 7 and 8) as a batch of one-page files.
    docs = [doc for seed in SPEED_SEEDS for doc in one_page_docs(render_set(work, 200, True, seed))]
    pages = [p for doc in docs for p in doc.pages]
    log(f"field: speed on {len(pages)} one-page files")
    engines.project(docs[:2], DEFAULT_LANG, archive=False, keep=False)  # the page workers started, untimed
    sohoa_seconds = engines.project(docs, DEFAULT_LANG, keep=False)
    bare_seconds = engines.bare(pages, "vie")
    ours, bare_rate = len(pages) / sohoa_seconds * 60, len(pages) / bare_seconds * 60
    report(f"### Speed: {len(pages)} one-page files (sample dossier, 200 dpi, degraded, seeds 7, 8), one run each")
    report()
    report("| run | pages | seconds | pages/min |")
    report("|---|---:|---:|---:|")
    report(f"| sohoa OCR stage + archival PDFs, one batch | {len(pages)} | {sohoa_seconds:.1f} | {ours:.1f} |")
    report(f"| bare tesseract -l vie, {engines.jobs} processes | {len(pages)} | {bare_seconds:.1f} | {bare_rate:.1f} |")
    report()
    ratio = ours / bare_rate
    report(f"- sohoa ÷ bare tesseract: **{ratio:.2f}x** pages/min (target ≥ 0.9, {verdict(ratio, 0.9)})")
    report()
