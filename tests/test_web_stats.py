"""The statistics page's digitisation indicators (Quyết định 766/QĐ-TTg group 4) in the browser's HTML: the figures
of archive.indicators for the caller's agencies only, as tables, server-drawn SVG charts and CSV/xlsx links. The
figures themselves are checked by hand in tests/test_indicators.py; here, that the page shows them and no more."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from _catalogs import app_catalog_url
from fastapi.testclient import TestClient
from test_indicators import COMPONENT, H33, RESULT, X99, entry, record

from schemas.doctypes import DocType
from schemas.settings import Settings

PASSWORD = "mật-khẩu-thử-3e9a"
APPLICANT = "001099000123"
A, B = f"{H33}-240105-0001", f"{H33}-240410-0002"
Y = f"{X99}-240105-0001"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def app(request, tmp_path_factory):
    from archive.access import add_user
    from archive.registry import register
    from web.app import create_app

    home = tmp_path_factory.mktemp("stats-home")
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("PREFECT_API_URL", raising=False)
        application = create_app(Settings(home=home, store_url="", catalog_url=app_catalog_url(request)))
        archive = application.state.archive
        entries = [entry(A, "1.000001", "2024-01-05", True, APPLICANT), entry(B, "1.000002", "2024-04-10", True)]
        entries.append(entry(Y, "1.000001", "2024-01-05", True))
        report = register(archive, None, enumerate(entries, start=1))
        assert not report.errors
        january = datetime(2024, 1, 20, tzinfo=UTC)
        record(archive, A, H33, COMPONENT, b"application A", arrived=january)
        record(archive, A, H33, RESULT, b"decision A", doc_type=DocType.quyet_dinh, arrived=january)
        record(archive, Y, X99, COMPONENT, b"application Y", arrived=january)
        add_user(archive, "arch33", "archivist", [H33], PASSWORD, False)
        add_user(archive, "arch99", "archivist", [X99], PASSWORD, False)
        yield application
        archive.close()


def _client(app, user: str) -> TestClient:
    client = TestClient(app, follow_redirects=False)
    assert client.post("/login", data={"username": user, "password": PASSWORD, "next": "/"}).status_code == 303
    return client


def test_the_indicators_of_ones_own_agencies_as_figures_tables_and_svg_charts(app):
    page = _client(app, "arch33").get("/stats").text
    # A (result due, component and result archived) and B (registered, nothing yet): 4.1 = 1/2, 4.2 = 1/2.
    assert "50.00% · 3.75/6 điểm" in page and "50.00% · 2.50/4 điểm" in page
    assert "1/2 hồ sơ" in page
    assert page.count("<svg") >= 2 and 'role="img"' in page and "80% = đủ điểm" in page
    assert "2024-01" in page and "2024-04" in page
    assert H33 in page and X99 not in page  # another agency: in no figure, table or chart
    quarters = _client(app, "arch33").get("/stats", params={"period": "quarter"}).text
    assert "2024-Q1" in quarters and "2024-Q2" in quarters
    theirs = _client(app, "arch99").get("/stats").text
    assert "0.00% · 0.00/6 điểm" in theirs and A not in theirs and H33 not in theirs


def test_the_download_links_give_the_same_selection_as_csv_and_xlsx(app):
    client = _client(app, "arch33")
    page = client.get("/stats", params={"period": "quarter", "year": "2024"}).text
    links = re.findall(r'href="(/api/indicators\?format=(?:csv|xlsx)[^"]*)"', page)
    assert len(links) == 2
    csv_answer = client.get(links[0].replace("&amp;", "&"))
    assert csv_answer.status_code == 200 and "2024-Q1" in csv_answer.content.decode("utf-8-sig")
    assert X99 not in csv_answer.content.decode("utf-8-sig")
    xlsx_answer = client.get(links[1].replace("&amp;", "&"))
    assert xlsx_answer.status_code == 200 and xlsx_answer.content[:2] == b"PK"


def test_a_filter_out_of_the_callers_agencies_shows_nothing_of_it(app):
    answer = _client(app, "arch33").get("/stats", params={"agency": X99})
    assert answer.status_code == 200
    section = answer.text.split('<h2 id="chi-tieu"', 1)[1].split("<h2>", 1)[0]
    assert section.count("N/A") >= 3 and "Chưa có hồ sơ nào trong phạm vi" in section
    assert Y not in section and "application Y" not in section


def test_a_registered_dossiers_page_shows_how_the_one_stop_shop_received_it_with_the_applicant_masked(app):
    page = _client(app, "arch33").get(f"/dossiers/{A}").text
    assert "Tiếp nhận tại bộ phận một cửa" in page and "1.000001" in page and "Trực tiếp" in page
    assert "05/01/2024" in page and "Thành phần hồ sơ" in page and "Kết quả" in page
    assert APPLICANT not in page and "001******123" in page


def test_the_chart_draws_each_percentage_to_scale_says_na_and_escapes_its_labels():
    from web.charts import BOTTOM, HEIGHT, TOP, percent_bars

    svg = str(percent_bars("Thử <b>", ["2024-01", "<script>"], [("4.1", [50.0, None]), ("4.2", [100.0, 0.0])]))
    heights = [float(value) for value in re.findall(r'<rect x="[^"]+" y="[^"]+" width="[^"]+" height="([^"]+)"', svg)]
    plot = HEIGHT - TOP - BOTTOM
    assert heights[:3] == [pytest.approx(plot / 2, abs=0.1), pytest.approx(plot, abs=0.1), 0.0]
    assert svg.count(">N/A<") == 1 and "<script>" not in svg and "&lt;script&gt;" in svg and "&lt;b&gt;" in svg
