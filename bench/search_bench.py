"""Search at archive scale (issue 12): indexing rate as the catalog grows, peak memory, query latency.

Generates `--pages` pages (~2 KB each) of administrative Vietnamese text (every document type, ~170 agencies,
issued 2015-2026, numbers and notations, dossier and procedure codes), as documents of five pages recorded one by
one through `Catalog.record` into a fresh SQLite catalog (the same call ingest and reindex make). Reports:

- indexing pages/s over windows starting at 0, half and the end of the run (flat is the target);
- peak memory (ru_maxrss);
- latency p50/p95/p99 of a fixed mix of 50 queries (words with and without diacritics, phrases, prefixes,
  exclusions, notations, dossier codes, filters, sort by date, some scoped to a few agencies), every result with its
  facets and total, after one warm-up pass, over `--repeat` passes.

With `--old-pages N`, the index as it was before issue 12 (folded text only, deleted through an UNINDEXED
doc_id, ranked twice with a window function; its SQL copied below) is measured on the first N pages of the same
data, for the plain word queries it understood.

    .venv/bin/python bench/search_bench.py                      # 100,000 pages (several minutes)
    .venv/bin/python bench/search_bench.py --pages 10000 --old-pages 10000   # a quick look
    .venv/bin/python bench/search_bench.py --catalog-url postgresql://postgres@127.0.0.1:5432/bench  # PostgreSQL

With `--catalog-url`, the catalog is that one instead of a SQLite file in the folder (issue 15: PostgreSQL beside
SQLite on the same data and queries); it should be an empty database, or one this script filled (`--queries-only`).
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import resource
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text  # noqa: E402

from catalog import Catalog  # noqa: E402
from schemas import Classification, DocType, Document  # noqa: E402
from schemas.models import DocumentMetadata  # noqa: E402
from schemas.text import fold, words  # noqa: E402

PAGES_PER_DOCUMENT = 5
PAGE_CHARS = 2000
AGENCY_COUNT = 170

NOTATION = {
    DocType.quyet_dinh: "QĐ",
    DocType.cong_van: "UBND-VP",
    DocType.bao_cao: "BC",
    DocType.to_trinh: "TTr",
    DocType.thong_bao: "TB",
    DocType.ke_hoach: "KH",
    DocType.bien_ban: "BB",
    DocType.nghi_quyet: "NQ",
    DocType.chi_thi: "CT",
    DocType.huong_dan: "HD",
    DocType.giay_moi: "GM",
}
ISSUERS = (
    ("UBND", "ỦY BAN NHÂN DÂN HUYỆN {place}"),
    ("UBND", "ỦY BAN NHÂN DÂN XÃ {place}"),
    ("STNMT", "SỞ TÀI NGUYÊN VÀ MÔI TRƯỜNG"),
    ("STP", "SỞ TƯ PHÁP"),
    ("SXD", "SỞ XÂY DỰNG"),
    ("STC", "SỞ TÀI CHÍNH"),
    ("SNV", "SỞ NỘI VỤ"),
    ("HĐND", "HỘI ĐỒNG NHÂN DÂN TỈNH KIÊN GIANG"),
    ("TTPVHCC", "TRUNG TÂM PHỤC VỤ HÀNH CHÍNH CÔNG"),
)
PLACES = (
    "Châu Thành",
    "Hòn Đất",
    "Tân Hiệp",
    "Giồng Riềng",
    "Gò Quao",
    "An Biên",
    "U Minh Thượng",
    "Vĩnh Thuận",
    "Phú Quốc",
    "Kiên Lương",
    "Giang Thành",
    "Hoà Điền",
    "Thuỷ Liễu",
    "Mỹ Lâm",
    "Bình An",
    "Thạnh Lộc",
)
FAMILY = ("Nguyễn", "Trần", "Lê", "Phạm", "Võ", "Huỳnh", "Đặng", "Bùi", "Hồ", "Ngô", "Dương", "Lý")
MIDDLE = ("Văn", "Thị", "Hữu", "Ngọc", "Minh", "Thu", "Quốc", "Kim")
GIVEN = ("An", "Bình", "Chi", "Dũng", "Hòa", "Hùng", "Lan", "Mai", "Nam", "Phúc", "Thủy", "Tâm", "Trang", "Yến")
PROCEDURES = (
    ("1.001234", "cấp giấy phép xây dựng đối với nhà ở riêng lẻ"),
    ("2.000815", "đăng ký thành lập hộ kinh doanh"),
    ("1.004946", "đăng ký khai sinh"),
    ("3.000181", "cấp bản sao trích lục hộ tịch"),
    ("1.011442", "đăng ký biến động quyền sử dụng đất"),
    ("1.003001", "cấp giấy chứng nhận quyền sử dụng đất lần đầu"),
    ("2.001023", "chứng thực hợp đồng chuyển nhượng quyền sử dụng đất"),
)
SUBJECTS = (
    "giao đất cho hộ gia đình, cá nhân",
    "phê duyệt kế hoạch sử dụng đất năm {year}",
    "thành lập Tổ công tác cải cách hành chính",
    "quy định mức chi hỗ trợ công tác hòa giải ở cơ sở",
    "tăng cường kỷ luật, kỷ cương hành chính",
    "đẩy mạnh cung cấp dịch vụ công trực tuyến toàn trình",
    "thực hiện chế độ báo cáo thống kê ngành tư pháp",
    "lập hồ sơ và nộp lưu hồ sơ, tài liệu vào Lưu trữ cơ quan",
    "kết quả thực hiện nhiệm vụ phát triển kinh tế - xã hội năm {year}",
    "phòng, chống thiên tai và tìm kiếm cứu nạn mùa mưa bão",
    "bồi thường, hỗ trợ, tái định cư khi Nhà nước thu hồi đất",
    "chuyển đổi số trong hoạt động của cơ quan nhà nước",
    "xử phạt vi phạm hành chính trong lĩnh vực xây dựng",
    "thuỷ lợi nội đồng và nạo vét kênh mương",
)
SENTENCES = (
    "Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015;",
    "Căn cứ Luật Đất đai năm 2013 và các văn bản hướng dẫn thi hành;",
    "Căn cứ Nghị định số 30/2020/NĐ-CP ngày 05 tháng 3 năm 2020 của Chính phủ về công tác văn thư;",
    "Căn cứ Nghị định số 61/2018/NĐ-CP về thực hiện cơ chế một cửa, một cửa liên thông;",
    "Xét đề nghị của Trưởng phòng Tài nguyên và Môi trường tại Tờ trình số {n}/TTr-TNMT;",
    "Theo đề nghị của Chánh Văn phòng Hội đồng nhân dân và Ủy ban nhân dân {place_kind} {place}.",
    "Giao đất cho hộ gia đình ông {person} tại thửa đất số {n}, tờ bản đồ số {m}, diện tích {area} m².",
    "Mục đích sử dụng đất: đất ở tại nông thôn; thời hạn sử dụng: lâu dài.",
    "Hồ sơ {dossier} tiếp nhận ngày {day}, thủ tục {procedure} ({procedure_name}).",
    "Bộ phận một cửa có trách nhiệm hướng dẫn tổ chức, cá nhân hoàn thiện hồ sơ theo quy định.",
    "Ủy ban nhân dân xã có trách nhiệm kiểm tra, xác minh nguồn gốc, hiện trạng sử dụng đất.",
    "Chánh Văn phòng, Trưởng các phòng, ban chuyên môn và các cá nhân có liên quan chịu trách nhiệm thi hành.",
    "Quyết định này có hiệu lực kể từ ngày ký ban hành.",
    "Kinh phí thực hiện từ nguồn ngân sách nhà nước năm {year} được giao trong dự toán.",
    "Tổng số hồ sơ tiếp nhận trong kỳ là {area}, đã giải quyết đúng hạn {n} hồ sơ, quá hạn {m} hồ sơ.",
    "Tỷ lệ hồ sơ giải quyết trực tuyến toàn trình đạt {m}%, tăng so với cùng kỳ năm trước.",
    "Đề nghị các cơ quan, đơn vị phối hợp thực hiện nghiêm túc, báo cáo kết quả trước ngày {day}.",
    "Trong quá trình thực hiện, nếu có khó khăn, vướng mắc, kịp thời phản ánh về Sở Tư pháp để tổng hợp.",
    "Công tác phòng chống thiên tai, bão lũ và bảo đảm an toàn hồ đập thủy lợi được tăng cường.",
    "Người nộp hồ sơ: {person}, số CCCD 0{cccd}, địa chỉ ấp {place}, xã {place2}.",
    "Lệ phí: {area}.000 đồng; hình thức nhận kết quả: trực tiếp tại Bộ phận một cửa.",
    "Biên bản được lập thành 03 bản có giá trị pháp lý như nhau, các bên đã đọc lại và thống nhất ký tên.",
    "Hợp đồng chuyển nhượng quyền sử dụng đất được công chứng tại Văn phòng công chứng {place}.",
    "Kế hoạch triển khai chuyển đổi số, cải cách hành chính và nâng cao chỉ số hài lòng của người dân.",
    "Thông báo kết luận của Chủ tịch Ủy ban nhân dân tại buổi làm việc với các ngành về giải phóng mặt bằng.",
    "Thời gian nhận hồ sơ: sáng từ 7 giờ đến 11 giờ, chiều từ 13 giờ đến 17 giờ các ngày làm việc.",
    "Hoà giải thành tại cơ sở, các bên tự nguyện thỏa thuận về ranh giới thửa đất và lối đi chung.",
    "Thuỷ sản nuôi trồng, khai thác ven biển được quản lý theo quy hoạch của tỉnh Kiên Giang.",
)


# Words of administrative prose, drawn at random into filler sentences, so that words other than the stock
# sentences' are spread unevenly over pages (a query then matches a fraction of the archive, not all of it).
VOCABULARY = (
    "ngân sách dự toán quyết toán kinh phí thanh toán tạm ứng hoàn trả chứng từ kế toán kiểm toán thanh tra "
    "khiếu nại tố cáo tiếp công dân hòa giải tranh chấp ranh giới thửa đất bản đồ địa chính trích đo cắm mốc "
    "giải phóng mặt bằng tái định cư bồi thường hỗ trợ di dời công trình nhà ở xây dựng sửa chữa cải tạo "
    "giấy phép kinh doanh đăng ký doanh nghiệp hợp tác xã hộ kinh doanh thuế phí lệ phí môn bài hóa đơn "
    "giáo dục trường học học sinh giáo viên y tế trạm xá bệnh viện tiêm chủng dịch bệnh vệ sinh môi trường "
    "rác thải nước sạch kênh mương đê điều thủy lợi nông nghiệp lúa gạo thủy sản tôm cá chăn nuôi dịch tả "
    "lâm nghiệp rừng phòng hộ khai thác khoáng sản cát sỏi giao thông cầu đường bến phà xe khách vận tải "
    "văn hóa thể thao du lịch lễ hội di tích thư viện thông tin truyền thông báo chí phát thanh "
    "quốc phòng quân sự tuyển quân dân quân tự vệ công an an ninh trật tự phòng cháy chữa cháy "
    "lao động việc làm bảo hiểm xã hội người có công thương binh liệt sĩ bảo trợ trẻ em người cao tuổi "
    "hộ nghèo cận nghèo nông thôn mới đô thị quy hoạch chỉnh trang điện chiếu sáng công viên cây xanh "
    "tổ chức cán bộ biên chế tuyển dụng công chức viên chức thi đua khen thưởng kỷ luật đào tạo bồi dưỡng"
).split()


def _filler(rng: random.Random) -> str:
    return " ".join(rng.choice(VOCABULARY) for _ in range(rng.randint(12, 24))).capitalize() + "."


def agency_codes() -> list[str]:
    return [f"000.{number // 100:02d}.{number % 100:02d}.H33" for number in range(AGENCY_COUNT)]


def _person(rng: random.Random) -> str:
    return f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"


def _fill(rng: random.Random, template: str, year: int, dossier: str) -> str:
    procedure, procedure_name = rng.choice(PROCEDURES)
    return template.format(
        n=rng.randint(1, 999),
        m=rng.randint(1, 99),
        area=rng.randint(50, 900),
        person=_person(rng),
        place=rng.choice(PLACES),
        place2=rng.choice(PLACES),
        place_kind=rng.choice(("huyện", "xã", "thành phố")),
        dossier=dossier,
        day=f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/{year}",
        procedure=procedure,
        procedure_name=procedure_name,
        year=year,
        cccd=rng.randint(10**10, 10**11 - 1),
    )


def generate(count: int, seed: int):
    """(Document, page texts) for `count` documents of five pages; deterministic for a seed."""
    rng = random.Random(seed)
    agencies = agency_codes()
    types = [doc_type for doc_type in DocType if doc_type is not DocType.khac]
    for ordinal in range(count):
        doc_type = types[ordinal % len(types)]
        agency = rng.choice(agencies)
        year = rng.randint(2015, 2026)
        issued = date(year, rng.randint(1, 12), rng.randint(1, 28))
        dossier = f"{agency}-{issued:%y%m%d}-{rng.randint(1, 9999):04d}"
        abbreviation, issuer = rng.choice(ISSUERS)
        issuer = issuer.format(place=rng.choice(PLACES).upper())
        number = str(rng.randint(1, 400))
        notation = f"{NOTATION.get(doc_type, 'GXN')}-{abbreviation}"
        subject = rng.choice(SUBJECTS).format(year=year)
        heading = doc_type.name.replace("_", " ").upper()
        stock = rng.sample(SENTENCES, 4)  # each document speaks of a few things, not of everything
        pages = []
        for page in range(PAGES_PER_DOCUMENT):
            lines = []
            if page == 0:
                lines += [
                    issuer,
                    "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
                    "Độc lập - Tự do - Hạnh phúc",
                    f"Số: {number}/{notation}",
                    f"{rng.choice(PLACES)}, ngày {issued.day} tháng {issued.month} năm {issued.year}",
                    heading,
                    f"Về việc {subject}",
                    f"Mã hồ sơ: {dossier}",
                ]
            while sum(len(line) + 1 for line in lines) < PAGE_CHARS:
                if rng.random() < 0.25:
                    lines.append(_fill(rng, rng.choice(stock), year, dossier))
                else:
                    lines.append(_filler(rng))
            pages.append("\n".join(lines))
        document = Document(
            id=f"{ordinal:08d}" + "0" * 56,
            dossier=dossier,
            agency=agency,
            source=f"{_person(rng)} scan {ordinal}.pdf",
            sha256=f"{ordinal:064d}",
            size=len("".join(pages)),
            pages=PAGES_PER_DOCUMENT,
            received_at=datetime(year, issued.month, issued.day, tzinfo=UTC),
            classification=Classification(
                doc_type=doc_type,
                title=heading,
                confidence=0.9,
                metadata=DocumentMetadata(
                    number=number, notation=notation, issued_date=issued, issuer=issuer, subject=subject
                ),
            ),
        )
        yield document, pages


AGENCY_SCOPE = agency_codes()[:3]

# (query, keyword arguments): the fixed mix of 50.
QUERIES: list[tuple[str, dict]] = [
    ("quyết định", {}),
    ("quyet dinh", {}),
    ("hồ sơ", {}),
    ("ho so", {}),
    ("đất đai", {}),
    ("dat dai", {}),
    ("giao đất hộ gia đình", {}),
    ("giao dat ho gia dinh", {}),
    ("thủy lợi", {}),
    ("thuỷ lợi", {}),
    ("hoà giải", {}),
    ("hòa giải", {}),
    ("chuyển đổi số", {}),
    ("chuyen doi so", {}),
    ("bồi thường tái định cư", {}),
    ("ủy ban nhân dân", {}),
    ("một cửa liên thông", {}),
    ("xử phạt vi phạm hành chính", {}),
    ("thiên tai bão lũ", {}),
    ("Giồng Riềng", {}),
    ('"giao đất cho hộ gia đình"', {}),
    ('"quyền sử dụng đất"', {}),
    ('"cải cách hành chính"', {}),
    ('"bộ phận một cửa"', {}),
    ('"ket qua thuc hien"', {}),
    ("12/QĐ-UBND", {}),
    ("QĐ-UBND", {}),
    ("1.001234", {}),
    ("2.000815 kinh doanh", {}),
    ("30/2020/NĐ-CP", {}),
    ("DOSSIER-OF-DOCUMENT-7", {}),  # replaced by a dossier code the generator gave
    ("chuyen* so", {}),
    ("thanh* ho so", {}),
    ("đất -thuỷ", {}),
    ("ho so -truc tuyen", {}),
    ("đất type:quyet_dinh", {}),
    ("ho so type:bao_cao nam:2023", {}),
    ("dat ngay:2023-01..2023-06", {}),
    ("kyhieu:QĐ-UBND nam:2020", {}),
    ("so:125 type:quyet_dinh", {}),
    ('coquan:"tu phap" bao cao', {}),
    ("hồ sơ agency:000.00.05.H33", {}),
    ("đất đai", {"sort": "date"}),
    ("ho so", {"sort": "date", "offset": 40}),
    ("quyết định", {"agencies": AGENCY_SCOPE}),
    ("giao dat", {"agencies": AGENCY_SCOPE}),
    ('"quyền sử dụng đất"', {"agencies": AGENCY_SCOPE}),
    ("nam:2024", {"agencies": AGENCY_SCOPE}),
    ("type:cong_van", {"agencies": AGENCY_SCOPE, "sort": "date"}),
    ("thủy lợi", {"agencies": AGENCY_SCOPE, "doc_type": "ke_hoach"}),
]
assert len(QUERIES) == 50


def plain_queries() -> list[str]:
    """The queries the old index understood: words only (no filters, phrases, prefixes, exclusions, options)."""
    return [
        query
        for query, arguments in QUERIES
        if not arguments and not any(mark in query for mark in (":", '"', "*")) and " -" not in query
    ]


# The old index's SQL (catalog/search/index.py before issue 12), for the comparison.
OLD_CREATE = (
    "CREATE VIRTUAL TABLE page_fts USING fts5(title, body, doc_id UNINDEXED, page UNINDEXED,"
    " tokenize = 'unicode61 remove_diacritics 2')"
)
OLD_QUERY = """
    WITH ranked AS MATERIALIZED (
        SELECT doc_id, page, bm25(page_fts, 5.0, 1.0) AS rank FROM page_fts WHERE page_fts MATCH :match
    ),
    per_document AS (
        SELECT r.doc_id AS doc_id, r.page AS page, r.rank AS rank,
               ROW_NUMBER() OVER (PARTITION BY r.doc_id ORDER BY r.rank, r.page) AS position
        FROM ranked r JOIN documents d ON d.id = r.doc_id WHERE d.status = 'archived'
    )
"""


def _percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)

    def at(fraction: float) -> float:
        return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))] * 1000

    return {"p50_ms": round(at(0.5), 1), "p95_ms": round(at(0.95), 1), "p99_ms": round(at(0.99), 1)}


def _windows(total_pages: int, window: int) -> list[int]:
    """Start pages of the three measured windows: at 0, at half, and the last window."""
    return [0, (total_pages // 2) // window * window, max(0, total_pages - window)]


def _with_a_real_dossier_code(seed: int) -> None:
    codes = [found.dossier for found, _ in generate(8, seed)]
    QUERIES[:] = [(codes[7] if query == "DOSSIER-OF-DOCUMENT-7" else query, arguments) for query, arguments in QUERIES]


def _catalog_bytes(catalog: Catalog, folder: Path) -> int:
    if catalog.engine.dialect.name == "postgresql":
        with catalog.engine.connect() as connection:
            return int(connection.execute(text("SELECT pg_database_size(current_database())")).scalar_one())
    return sum(path.stat().st_size for path in folder.glob("catalog.db*"))


def bench_new(
    folder: Path,
    pages: int,
    window: int,
    seed: int,
    repeat: int,
    queries_only: bool = False,
    catalog_url: str | None = None,
) -> dict:
    catalog = Catalog(catalog_url or f"sqlite:///{folder}/catalog.db")
    starts = _windows(pages, window)
    rates: dict[int, float] = {}
    started = time.perf_counter()
    window_started, indexed = started, 0
    for document, texts in generate(0 if queries_only else pages // PAGES_PER_DOCUMENT, seed):
        if indexed in starts:
            window_started = time.perf_counter()
        catalog.record(document, {"meta": f"{document.id}/meta.json"}, texts)
        indexed += len(texts)
        for start in starts:
            if indexed == start + window:
                rates[start] = round(window / (time.perf_counter() - window_started), 1)
        if indexed % 10_000 == 0:
            print(f"  {indexed} pages, {time.perf_counter() - started:.0f} s", file=sys.stderr)
    indexing_seconds = time.perf_counter() - started
    if catalog.engine.dialect.name == "postgresql" and not queries_only:
        with catalog.engine.connect() as connection:  # what autovacuum does after a bulk load: fresh statistics
            connection.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))

    def run(query: str, arguments: dict):
        return catalog.search(query, **arguments)

    for query, arguments in QUERIES:  # warm-up: the page cache, as a server's would be
        run(query, arguments)
    samples: list[float] = []
    per_query: dict[str, list[float]] = {}
    totals = {}
    for _ in range(repeat):
        for number, (query, arguments) in enumerate(QUERIES):
            began = time.perf_counter()
            result = run(query, arguments)
            elapsed = time.perf_counter() - began
            samples.append(elapsed)
            per_query.setdefault(f"{number:02d} {query} {arguments or ''}", []).append(elapsed)
            totals[f"{number:02d} {query} {arguments or ''}"] = result.total
    slowest = sorted(per_query.items(), key=lambda item: -statistics.median(item[1]))[:5]
    size = _catalog_bytes(catalog, folder)
    backend = catalog.engine.dialect.name
    catalog.close()
    return {
        "backend": backend,
        "pages": pages,
        "indexing_seconds": round(indexing_seconds, 1),
        "pages_per_second_at": {str(start): rates.get(start) for start in starts},
        "window_pages": window,
        "catalog_bytes": size,
        "query_latency": _percentiles(samples),
        "query_samples": len(samples),
        "slowest_queries_ms": {name: round(statistics.median(times) * 1000, 1) for name, times in slowest},
        "totals": totals,
    }


def bench_old(folder: Path, pages: int, window: int, seed: int, repeat: int) -> dict:
    """The pre-issue-12 index on the same data: documents + page_text + page_fts, written as record() did."""
    connection = sqlite3.connect(folder / "old.db", isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute(
        "CREATE TABLE documents (id TEXT PRIMARY KEY, dossier TEXT, doc_type TEXT, title TEXT, status TEXT,"
        " document TEXT)"
    )
    connection.execute("CREATE TABLE page_text (doc_id TEXT, page INTEGER, text TEXT, PRIMARY KEY (doc_id, page))")
    connection.execute(OLD_CREATE)
    starts = _windows(pages, window)
    rates: dict[int, float] = {}
    started = time.perf_counter()
    window_started, indexed = started, 0
    for document, texts in generate(pages // PAGES_PER_DOCUMENT, seed):
        if indexed in starts:
            window_started = time.perf_counter()
        connection.execute("BEGIN")
        connection.execute(
            "INSERT OR REPLACE INTO documents VALUES (?, ?, ?, ?, 'archived', ?)",
            (document.id, document.dossier, document.doc_type.value, document.title, document.model_dump_json()),
        )
        connection.execute("DELETE FROM page_text WHERE doc_id = ?", (document.id,))
        connection.executemany(
            "INSERT INTO page_text VALUES (?, ?, ?)", [(document.id, n, body) for n, body in enumerate(texts, 1)]
        )
        connection.execute("DELETE FROM page_fts WHERE doc_id = ?", (document.id,))
        connection.executemany(
            "INSERT INTO page_fts (title, body, doc_id, page) VALUES (?, ?, ?, ?)",
            [(fold(document.title), fold(body), document.id, n) for n, body in enumerate(texts, 1)],
        )
        connection.execute("COMMIT")
        indexed += len(texts)
        for start in starts:
            if indexed == start + window:
                rates[start] = round(window / (time.perf_counter() - window_started), 1)
    indexing_seconds = time.perf_counter() - started
    plain = plain_queries()

    def run(query: str) -> None:
        match = " ".join(f'"{word}"' for word in words(query))
        connection.execute(OLD_QUERY + "SELECT COUNT(*) FROM per_document WHERE position = 1", {"match": match})
        connection.execute(
            OLD_QUERY + "SELECT doc_id, page, rank FROM per_document WHERE position = 1 ORDER BY rank, doc_id LIMIT 20",
            {"match": match},
        ).fetchall()

    for query in plain:
        run(query)
    samples = []
    for _ in range(repeat):
        for query in plain:
            began = time.perf_counter()
            run(query)
            samples.append(time.perf_counter() - began)
    connection.close()
    return {
        "pages": pages,
        "indexing_seconds": round(indexing_seconds, 1),
        "pages_per_second_at": {str(start): rates.get(start) for start in starts},
        "window_pages": window,
        "queries": len(plain),
        "query_latency": _percentiles(samples),
    }


def bench_new_on_plain(folder: Path, repeat: int) -> dict:
    """The new search on the old comparison's query subset (same catalog as bench_new)."""
    catalog = Catalog(f"sqlite:///{folder}/catalog.db")
    plain = plain_queries()
    for query in plain:
        catalog.search(query)
    samples = []
    for _ in range(repeat):
        for query in plain:
            began = time.perf_counter()
            catalog.search(query)
            samples.append(time.perf_counter() - began)
    catalog.close()
    return {"queries": len(plain), "query_latency": _percentiles(samples)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=100_000)
    parser.add_argument("--window", type=int, default=5_000, help="pages per measured indexing window")
    parser.add_argument("--old-pages", type=int, default=0, help="also measure the old index on this many pages")
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--repeat", type=int, default=3, help="measured passes over the 50 queries")
    parser.add_argument("--folder", type=Path, default=None, help="where the catalogs go (default: a temp folder)")
    parser.add_argument(
        "--queries-only", action="store_true", help="time the queries on the catalog already in --folder"
    )
    parser.add_argument(
        "--catalog-url",
        default=None,
        help="the catalog to fill and query instead of --folder's SQLite file, e.g. postgresql://user@host/db",
    )
    arguments = parser.parse_args()
    folder = arguments.folder or Path(tempfile.mkdtemp(prefix="sohoa-search-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    _with_a_real_dossier_code(arguments.seed)
    window = min(arguments.window, arguments.pages)
    report: dict = {
        "machine": f"{platform.processor() or platform.machine()}, Python {platform.python_version()}, "
        f"SQLite {sqlite3.sqlite_version}",
        "folder": str(folder),
    }
    report["new"] = bench_new(
        folder,
        arguments.pages,
        window,
        arguments.seed,
        arguments.repeat,
        queries_only=arguments.queries_only,
        catalog_url=arguments.catalog_url,
    )
    report["peak_rss_mib_after_new"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    if arguments.old_pages:
        old_pages = min(arguments.old_pages, arguments.pages)
        old_window = min(window, old_pages)
        report["old"] = bench_old(folder, old_pages, old_window, arguments.seed, arguments.repeat)
        if old_pages == arguments.pages:
            report["new_on_old_query_subset"] = bench_new_on_plain(folder, arguments.repeat)
    print(json.dumps(report, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
