"""The OCR stage measured (issue 3): speed and accuracy of `ocr.ocr_files` against bare Tesseract and OCRmyPDF.

Speed: the same pages (the sample dossier at 200 dpi, degraded, rendered with two seeds: 10 pages in 8 files)
through the project's whole OCR stage with its archival PDFs (the 8 files as one batch, and one 10-page PDF),
through bare `tesseract IMG - -l vie` with one process per core (the practical ceiling of Tesseract alone), and
through `ocrmypdf --jobs N` on the same pages as image PDFs.
Accuracy: character error rates on pages with true text: the sample dossier degraded at 150, 200 and 300 dpi,
clean at 200 dpi, and the two Tesseract test pages of ../shared/corpus (English/European, read with eng).

Field (issue 14, `--field`, instead of the above): the field-like degradations of bench/degrade_field.py
(gradient, vignette, fold, phone shadow, grey recycled paper, red stamp and pen) and English pages, beside the
sample dossier's degraded and clean pages, each a one-page JPEG: CER per class for the project, bare Tesseract
(Otsu and Sauvola), `tesseract -l eng` on the English pages and OCRmyPDF; the language found and the reading kept
by the quality gate; and the speed of a batch of one-page files against bare Tesseract, in one run.

Renders its own pages into a temporary folder; deterministic (fixed seeds, Tesseract on one thread).
Usage: .venv/bin/python bench/ocr_bench.py [--quick] [--skip-ocrmypdf] [--skip-accuracy] [--repeat N] [--jobs N]
       [--field] [--out FILE]   (about 8 minutes in full on 2 cores, 1-2 with --quick, about 6 with --field)
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pikepdf
from _cer import Score
from memory_200_pages import ImagePdfWriter
from PIL import Image

from schemas.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
CORPUS = ROOT.parent / "shared" / "corpus"
CORPUS_PAGES = ("tesseract/phototest.tif", "tesseract/eurotext.tif")  # the corpus files with true text
SPEED_DPI, SPEED_SEEDS, QUICK_SPEED_SEEDS = 200, (7, 8), (7,)
ACCURACY_SEED = 7
ACCURACY_SETS = ((150, True), (200, True), (300, True), (200, False))  # (dpi, degraded)
QUICK_ACCURACY_SETS = ((200, True),)
PROJECT, BARE = "sohoa", "tesseract"
# The project's default language (SOHOA_OCR_LANG unset); its rows come first and carry the targets.
DEFAULT_LANG = Settings.model_fields["ocr_lang"].default
OTHER_LANG = "vie+eng" if DEFAULT_LANG != "vie+eng" else "vie"
# (label, engine, lang) compared on the generated pages.
SAMPLE_TOOLS = (
    (f"sohoa, {DEFAULT_LANG} (default)", PROJECT, DEFAULT_LANG),
    (f"sohoa, {OTHER_LANG}", PROJECT, OTHER_LANG),
    ("bare tesseract -l vie", BARE, "vie"),
    ("bare tesseract -l vie+eng", BARE, "vie+eng"),
)
CORPUS_TOOLS = (("sohoa, eng", PROJECT, "eng"), ("bare tesseract -l eng", BARE, "eng"))


def log(message: str) -> None:
    print(f"[ocr_bench] {message}", file=sys.stderr, flush=True)


@dataclass
class PageFile:
    key: str  # unique across sets: what cached OCR texts are filed under
    image: Path  # this page alone, an image file at its native dpi: what bare tesseract reads
    truth: str


@dataclass
class Doc:
    path: Path  # the file as scanned: what the project reads
    pages: list[PageFile]


# ---------------------------------------------------------------- pages


def page_images(path: Path, outdir: Path) -> list[Path]:
    """Each page of a scan as an image file with its dpi: JPEG/PNG as they are, TIFF frames as PNG, and the
    JPEG embedded in each page of an image PDF, byte for byte (so nobody reads a re-encoded copy)."""
    outdir.mkdir(parents=True, exist_ok=True)
    suffix = path.suffix.lower()
    if suffix in (".jpg", ".jpeg", ".png"):
        return [path]
    files = []
    if suffix in (".tif", ".tiff"):
        with Image.open(path) as image:
            dpi = image.info.get("dpi", (200, 200))
            for number in range(getattr(image, "n_frames", 1)):
                image.seek(number)
                files.append(outdir / f"{path.stem}-p{number + 1}.png")
                image.save(files[-1], "PNG", dpi=dpi, compress_level=1)
        return files
    if suffix == ".pdf":
        with pikepdf.open(path) as pdf:
            for number, page in enumerate(pdf.pages, start=1):
                (raw,) = page.get_images().values()
                if raw.get("/Filter") != pikepdf.Name.DCTDecode:
                    raise ValueError(f"{path} page {number}: expected a JPEG image")
                files.append(outdir / f"{path.stem}-p{number}.jpg")
                files[-1].write_bytes(raw.read_raw_bytes())
        return files
    raise ValueError(f"unknown scan format {path}")


def render_set(work: Path, dpi: int, degrade: bool, seed: int) -> list[Doc]:
    from samples.dossier import render_dossier

    tag = f"{'degraded' if degrade else 'clean'}-{dpi}dpi-seed{seed}"
    outdir = work / tag
    docs = []
    for sample in render_dossier(outdir, dpi=dpi, degrade=degrade, seed=seed):
        truths = sample.truth_path.read_text(encoding="utf-8").split("\f")
        images = page_images(sample.path, outdir / "pages")
        if not len(truths) == len(images) == sample.pages:
            raise RuntimeError(f"{sample.path}: {len(images)} page images, {len(truths)} true pages")
        pages = [
            PageFile(f"{tag}/{sample.path.stem}/p{n}", image, truth)
            for n, (image, truth) in enumerate(zip(images, truths), start=1)
        ]
        docs.append(Doc(sample.path, pages))
    return docs


def corpus_docs() -> list[Doc]:
    return [
        Doc(
            CORPUS / name,
            [
                PageFile(
                    f"corpus/{name}", CORPUS / name, (CORPUS / name).with_suffix(".txt").read_text(encoding="utf-8")
                )
            ],
        )
        for name in CORPUS_PAGES
    ]


def write_pdf(images: list[Path], out: Path) -> Path:
    with ImagePdfWriter(out) as writer:
        for image in images:
            writer.add_file(image)
    return out


# ---------------------------------------------------------------- engines


class Engines:
    """Runs the engines, keeping every page text read so that a page is read only once per engine and lang."""

    def __init__(self, work: Path, jobs: int):
        self.work, self.jobs = work, jobs
        self.texts: dict[tuple[str, str, str], str] = {}

    def project(self, docs: list[Doc], lang: str, archive: bool = True, keep: bool = True) -> float:
        """The whole OCR stage with its archival PDFs over the files as one batch, as `sohoa ingest` and the
        watcher run it (`ocr.ocr_files`: the next files' pages are read while each archival PDF is built).

        In-process: no interpreter start-up or imports, which a `sohoa` call adds (about 1-2 s, see the
        orchestration table); the page workers are started inside the timing on the first call."""
        from ocr import OcrOptions, ocr_files

        outdir = self.work / "archive"
        outdir.mkdir(exist_ok=True)
        started = time.perf_counter()
        outcomes = list(
            ocr_files([doc.path for doc in docs], OcrOptions(lang=lang), archive_dir=outdir if archive else None)
        )
        elapsed = time.perf_counter() - started
        for doc, outcome in zip(docs, outcomes, strict=True):
            if outcome.failure is not None:
                raise RuntimeError(f"{doc.path}: {outcome.failure}")
            if len(outcome.result.pages) != len(doc.pages):
                raise RuntimeError(
                    f"{doc.path}: the project read {len(outcome.result.pages)} of {len(doc.pages)} pages"
                )
            for page, read in zip(doc.pages, outcome.result.pages):
                if keep:  # accuracy is scored on the files as scanned, not on the PDF made of their pages
                    self.texts[PROJECT, lang, page.key] = read.text
        return elapsed

    def bare(self, pages: list[PageFile], lang: str, extra: tuple[str, ...] = (), engine: str = BARE) -> float:
        """`tesseract IMG - -l LANG` over the page images, one process per core, each on one OpenMP thread."""
        env = {**os.environ, "OMP_THREAD_LIMIT": "1"}

        def read(page: PageFile) -> str:
            command = ["tesseract", str(page.image), "-", "-l", lang, *extra]
            return subprocess.run(command, capture_output=True, check=True, env=env, encoding="utf-8").stdout

        started = time.perf_counter()
        with ThreadPoolExecutor(self.jobs) as pool:  # threads only wait: the processes do the work
            texts = list(pool.map(read, pages))
        for page, text in zip(pages, texts):
            self.texts[engine, lang, page.key] = text
        return time.perf_counter() - started

    def read(self, engine: str, lang: str, docs: list[Doc]) -> list[str]:
        """Page texts in page order, reading (without timing) only the files not read before."""
        missing = [doc for doc in docs if any((engine, lang, p.key) not in self.texts for p in doc.pages)]
        if missing and engine == PROJECT:
            self.project(missing, lang, archive=False)
        elif missing:
            self.bare([page for doc in missing for page in doc.pages], lang)
        return [self.texts[engine, lang, page.key] for doc in docs for page in doc.pages]


def find_ocrmypdf() -> tuple[str | None, str]:
    """(the ocrmypdf command, "") or (None, what to install)."""
    command = BIN / "ocrmypdf" if (BIN / "ocrmypdf").exists() else shutil.which("ocrmypdf")
    missing = []
    if command is None:
        missing.append(f"OCRmyPDF (`{BIN / 'pip'} install ocrmypdf`)")
    if shutil.which("gs") is None:
        missing.append("Ghostscript, which OCRmyPDF needs for PDF/A (`apt-get install ghostscript`)")
    if missing:
        return None, "OCRmyPDF rows skipped: install " + " and ".join(missing)
    return str(command), ""


def run_ocrmypdf(command: str, pdfs: list[Path], jobs: int, outdir: Path) -> float:
    outdir.mkdir(exist_ok=True)
    started = time.perf_counter()
    for pdf in pdfs:
        subprocess.run(
            [
                command,
                "--jobs",
                str(jobs),
                "-l",
                "vie",
                "--rotate-pages",
                "--deskew",
                "--output-type",
                "pdfa",
                str(pdf),
                str(outdir / pdf.name),
            ],
            check=True,
            capture_output=True,
        )
    return time.perf_counter() - started


# ---------------------------------------------------------------- report


def tool_version(command: list[str]) -> str:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return "not installed"
    return ((done.stdout or done.stderr).strip().splitlines() or ["?"])[0]


def machine(with_ocrmypdf: bool = True) -> str:
    cpu = "unknown cpu"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    line = (
        f"{cpu}, {os.cpu_count()} cores, {memory:.0f} GiB, {platform.platform()}, "
        f"Python {platform.python_version()}, {tool_version(['tesseract', '--version'])}"
    )
    if with_ocrmypdf:
        ocrmypdf = find_ocrmypdf()[0] or shutil.which("ocrmypdf")
        line += f", OCRmyPDF {tool_version([ocrmypdf, '--version']) if ocrmypdf else 'not installed'}"
        line += f", Ghostscript {tool_version(['gs', '--version'])}"
    return line


def verdict(value: float, target: float) -> str:
    return "met" if value >= target else "**MISSED**"


class Report:
    def __init__(self):
        self.lines: list[str] = []

    def __call__(self, line: str = "") -> None:
        self.lines.append(line)
        print(line, flush=True)


def speed(report: Report, engines: Engines, args, work: Path) -> None:
    docs = [
        doc
        for seed in (QUICK_SPEED_SEEDS if args.quick else SPEED_SEEDS)
        for doc in render_set(work, SPEED_DPI, True, seed)
    ]
    pages = [page for doc in docs for page in doc.pages]
    n = len(pages)
    one_pdf = write_pdf([p.image for p in pages], work / f"all-{n}-pages.pdf")
    # OCRmyPDF reads PDFs only: each file's pages as an image PDF (the sample PDF as it is), same pixels.
    (work / "pdf").mkdir(exist_ok=True)
    doc_pdfs = [
        doc.path
        if doc.path.suffix == ".pdf"
        else write_pdf([p.image for p in doc.pages], work / "pdf" / f"{doc.pages[0].key.replace('/', '-')}.pdf")
        for doc in docs
    ]
    ocrmypdf, missing = (None, "OCRmyPDF rows skipped (--skip-ocrmypdf)") if args.skip_ocrmypdf else find_ocrmypdf()
    jobs = engines.jobs
    cases = {
        f"sohoa OCR stage + archival PDFs, {len(docs)} files as one batch": lambda: engines.project(docs, DEFAULT_LANG),
        f"sohoa OCR stage + archival PDF, one {n}-page PDF": lambda: engines.project(
            [Doc(one_pdf, pages)], DEFAULT_LANG, keep=False
        ),
        f"bare tesseract -l vie, {jobs} processes": lambda: engines.bare(pages, "vie"),
        f"bare tesseract -l vie+eng, {jobs} processes": lambda: engines.bare(pages, "vie+eng"),
    }
    if ocrmypdf:
        cases[f"ocrmypdf --jobs {jobs}, per file ({len(doc_pdfs)} PDFs)"] = lambda: run_ocrmypdf(
            ocrmypdf, doc_pdfs, jobs, work / "ocrmypdf"
        )
        cases[f"ocrmypdf --jobs {jobs}, one {n}-page PDF"] = lambda: run_ocrmypdf(
            ocrmypdf, [one_pdf], jobs, work / "ocrmypdf"
        )
    report(
        f"### Speed: {n} pages (sample dossier, {SPEED_DPI} dpi, degraded, seeds "
        f"{', '.join(map(str, QUICK_SPEED_SEEDS if args.quick else SPEED_SEEDS))}), median of {args.repeat} run(s)"
    )
    report()
    report("| run | pages | seconds (median) | each run, in order | pages/min (median) |")
    report("|---|---:|---:|---:|---:|")
    load_before = os.getloadavg()[0]
    rate: dict[str, float] = {}
    for name, case in cases.items():
        log(f"speed: {name}")
        try:
            runs = [case() for _ in range(args.repeat)]
            seconds = statistics.median(runs)
        except subprocess.CalledProcessError as error:
            tail = (error.stderr or b"").decode(errors="replace").strip().splitlines()[-3:]
            report(f"| {name} | {n} | failed: {' / '.join(tail)} | | |")
            continue
        rate[name] = n / seconds * 60
        report(f"| {name} | {n} | {seconds:.1f} | {', '.join(f'{run:.1f}' for run in runs)} | {rate[name]:.1f} |")
    report()
    # Other work on the machine slows every row, not always alike: say how busy it was.
    report(
        f"Load average (1 min) before the runs {load_before:.2f}, after {os.getloadavg()[0]:.2f}, on "
        f"{os.cpu_count()} cores."
    )
    report()
    report(
        "What each run does: *sohoa*: `ocr.ocr_files` over the files as one batch, as `sohoa ingest` and the "
        "watcher run the OCR stage: triage, rasterise, orientation (OSD), deskew, OCR (TSV and text layer), "
        "archival PDF; called in-process, so without the 1-2 s of interpreter start-up and imports of a "
        "`sohoa` call; its first run includes starting the page workers, which later runs (like a running "
        "watcher or Prefect worker) reuse. *bare tesseract*: OCR of page images prepared beforehand "
        "(TIFF frames as PNG, the JPEG inside each PDF page), text only. *ocrmypdf*: one call per PDF, "
        "start-up included: rasterise, OSD, deskew, OCR, PDF/A through Ghostscript. Tesseract runs on one "
        "OpenMP thread everywhere."
    )
    report()
    if missing:
        report(missing)
        report()
    names = list(cases)
    ratios = [
        (names[0], names[2], 0.8, "target ≥ 0.8"),
        (names[0], names[3], None, "bare with vie+eng"),
        (names[1], names[2], 0.8, "target ≥ 0.8"),
    ]
    if ocrmypdf:
        ratios += [(names[0], names[4], 1.5, "target ≥ 1.5"), (names[1], names[5], 1.5, "target ≥ 1.5")]
    for mine, theirs, target, note in ratios:
        if mine in rate and theirs in rate:
            ratio = rate[mine] / rate[theirs]
            mark = f", {verdict(ratio, target)}" if target else ""
            report(f"- {mine} ÷ {theirs}: **{ratio:.2f}x** pages/min ({note}{mark})")
    report()


def score_row(report: Report, set_label: str, label: str, docs: list[Doc], texts: list[str]) -> Score:
    score = Score()
    for page, text in zip([p for doc in docs for p in doc.pages], texts, strict=True):
        score.add(page.truth, text)
    report(
        f"| {set_label} | {label} | {score.pages} | {score.cer:.2%} | {score.cer_folded:.2%} | "
        f"{score.bag_wer:.2%} | {score.bag_wer_folded:.2%} |"
    )
    return score


def accuracy(report: Report, engines: Engines, args, work: Path) -> None:
    report("### Accuracy: error rates against the true text (lower is better)")
    report()
    report(
        "CER: character edits over true characters, after NFC and whitespace collapsing; *folded*: after "
        "lower-casing and removing diacritics (đ→d), so CER minus folded CER is about what diacritics cost. "
        "*Words, order-free*: words and punctuation compared as multisets (max(true, read) − common, over "
        "true), which reading order cannot change. CER does depend on it: a block read in another order than "
        "the true text lists it (side-by-side header and signature blocks, left block first) costs about "
        "twice its length, for every engine alike. Rates are total errors over the set's total length."
    )
    report()
    report("| page set | engine | pages | CER | CER folded | words, order-free | words folded, order-free |")
    report("|---|---|---:|---:|---:|---:|---:|")
    scores: dict[tuple[str, str], Score] = {}
    for dpi, degrade in QUICK_ACCURACY_SETS if args.quick else ACCURACY_SETS:
        docs = render_set(work, dpi, degrade, ACCURACY_SEED)
        set_label = f"samples, {dpi} dpi, {'degraded' if degrade else 'clean'}"
        for label, engine, lang in SAMPLE_TOOLS:
            log(f"accuracy: {set_label}: {label}")
            scores[set_label, label] = score_row(report, set_label, label, docs, engines.read(engine, lang, docs))
    if CORPUS.is_dir():
        for doc in corpus_docs():
            for label, engine, lang in CORPUS_TOOLS:
                log(f"accuracy: {doc.path.name}: {label}")
                score_row(report, f"corpus {doc.path.name}", label, [doc], engines.read(engine, lang, [doc]))
    report()
    if not CORPUS.is_dir():
        report(f"Corpus rows skipped: {CORPUS} is not here.")
        report()
    # The targets: below bare Tesseract's CER on degraded 150-200 dpi pages, never above it on clean ones.
    mine = SAMPLE_TOOLS[0][0]
    for (set_label, label), score in scores.items():
        if not label.startswith("bare") or "300 dpi" in set_label:
            continue
        ours, theirs, clean = scores[set_label, mine].cer, score.cer, set_label.endswith("clean")
        met = ours <= theirs if clean else ours < theirs
        report(
            f"- {set_label}: {mine} {ours:.2%} vs {label} {theirs:.2%} (target: sohoa "
            f"{'≤' if clean else '<'} tesseract): {'met' if met else '**MISSED**'}"
        )
    report()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="5 pages for speed, 200 dpi degraded for accuracy")
    parser.add_argument("--skip-ocrmypdf", action="store_true", help="leave out the OCRmyPDF rows")
    parser.add_argument("--skip-accuracy", action="store_true", help="speed only (also with --field)")
    parser.add_argument("--repeat", type=int, default=1, help="speed runs per case; the median is reported")
    parser.add_argument(
        "--jobs",
        type=int,
        default=os.cpu_count() or 1,
        help="processes for bare tesseract and ocrmypdf --jobs (default: the cores)",
    )
    parser.add_argument("--field", action="store_true", help="field-like degradations and language (issue 14) only")
    parser.add_argument("--out", type=Path, help="also write the Markdown report to this file")
    args = parser.parse_args()
    os.environ["OMP_THREAD_LIMIT"] = "1"  # the project sets it too; every engine gets the same
    report = Report()
    with tempfile.TemporaryDirectory(prefix="sohoa-ocr-bench-") as tmp:
        work = Path(tmp)
        engines = Engines(work, args.jobs)
        command = " ".join(["bench/ocr_bench.py", *sys.argv[1:]])
        report(f"`.venv/bin/python {command}`, {datetime.date.today().isoformat()}.")
        report()
        report(f"Machine: {machine(with_ocrmypdf=not args.skip_ocrmypdf)}")
        report()
        if args.field:
            from field_bench import field

            field(report, engines, args, work)
        else:
            speed(report, engines, args, work)
        if not args.skip_accuracy and not args.field:
            accuracy(report, engines, args, work)
    if args.out:
        args.out.write_text("\n".join(report.lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
