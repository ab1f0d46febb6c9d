"""The web pages in a real browser: Debian's Chromium, headless, driven by Selenium through Debian's chromedriver
(nothing downloads a browser), against `sohoa serve` running for real on the sample decision ingested with
`sohoa ingest`. An archivist signs in, searches without diacritics, opens the hit and sees the query's words boxed
on the page image; another agency's archivist finds nothing. Screenshots (1366x768) are kept in the test's
temporary folder (and in `SOHOA_SCREENSHOTS`, if set, for a person to look at); `SOHOA_SCREENSHOTS_TO_DOCS=1` also
copies three into docs/ for the README.

A clerk makes a new dossier code, uploads a scan and a corrupt file with a progress bar each and sees one archived
and one quarantined with its reason; an archivist corrects the new document's type and fills its number in the
review queue, then downloads its archival PDF; every page is visited at 1366x768 and kept as a screenshot."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from _serve import running_server
from conftest import SAMPLE_DOSSIER, sohoa_command

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not (CHROMIUM.is_file() and CHROMEDRIVER.is_file()),
        reason=f"{CHROMIUM} or {CHROMEDRIVER} is not installed (Debian packages chromium, chromium-driver; make deps)",
    ),
]
H33 = "000.00.00.H33"
X99 = "000.00.00.X99"
PASSWORD = "mật-khẩu-thử-5b1d"
WAIT_SECONDS = 30
DOCS = Path(__file__).resolve().parents[1] / "docs"


@pytest.fixture(scope="module")
def server(sample_dossier, tmp_path_factory):
    """The sample decision archived for H33, an archivist of H33 and one of X99, and `sohoa serve`."""
    home = tmp_path_factory.mktemp("browser-home")
    env = {**os.environ, "SOHOA_HOME": str(home), "PREFECT_API_URL": ""}
    for name in ("SOHOA_STORE_URL", "SOHOA_CATALOG_URL"):
        env.pop(name, None)
    _, documents = sample_dossier
    decision = next(item for item in documents if item.doc_type == "quyet_dinh")
    scans = home / "scans" / SAMPLE_DOSSIER
    scans.mkdir(parents=True)
    shutil.copy(decision.path, scans / f"01-quyet-dinh{decision.path.suffix}")

    def sohoa(*args: str, stdin: str | None = None) -> None:
        completed = subprocess.run(
            [*sohoa_command(), *args], input=stdin, capture_output=True, text=True, env=env, timeout=600
        )
        assert completed.returncode == 0, completed.stderr[-2000:]

    sohoa("ingest", str(scans), "--agency", H33)
    sohoa("user", "add", "arch33", "--role", "archivist", "--agency", H33, "--password-stdin", stdin=PASSWORD)
    sohoa("user", "add", "arch99", "--role", "archivist", "--agency", X99, "--password-stdin", stdin=PASSWORD)
    sohoa("user", "add", "clerk33", "--role", "clerk", "--agency", H33, "--password-stdin", stdin=PASSWORD)
    sohoa("user", "add", "admin", "--role", "admin", "--agency", H33, "--password-stdin", stdin=PASSWORD)
    with running_server(env, home / "serve.log") as running:
        yield running.base


@pytest.fixture
def downloads(tmp_path) -> Path:
    folder = tmp_path / "downloads"
    folder.mkdir()
    return folder


@pytest.fixture
def browser(tmp_path, monkeypatch, downloads):
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (the test extras)")
    from selenium.webdriver.chrome.service import Service

    monkeypatch.setenv("SE_OFFLINE", "true")  # Selenium Manager must never fetch a driver or a browser
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=1366,768",
        "--lang=vi",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
    ):
        options.add_argument(flag)
    options.add_experimental_option(
        "prefs", {"download.default_directory": str(downloads), "download.prompt_for_download": False}
    )
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(60)
    driver.set_script_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


def _wait(driver, condition, what: str):
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait

    try:
        return WebDriverWait(driver, WAIT_SECONDS, poll_frequency=0.2).until(condition)
    except TimeoutException:
        pytest.fail(f"{what} did not happen within {WAIT_SECONDS} s; page: {driver.current_url}")


def _sign_in(driver, base: str, user: str) -> None:
    from selenium.webdriver.common.by import By

    driver.delete_all_cookies()
    driver.get(f"{base}/search")
    _wait(driver, lambda d: d.find_elements(By.ID, "username"), "the sign-in page")
    assert "/login" in driver.current_url  # not signed in: sent to sign in first
    driver.find_element(By.ID, "username").send_keys(user)
    password = driver.find_element(By.ID, "password")
    password.send_keys(PASSWORD)
    password.submit()
    _wait(driver, lambda d: d.find_elements(By.ID, "q"), "the search page after signing in")


def _search(driver, words: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    box = driver.find_element(By.ID, "q")
    box.clear()
    box.send_keys(words, Keys.ENTER)
    _wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "p.total"), "the search results")


def test_search_without_diacritics_opens_the_page_with_the_words_boxed_on_its_image(server, browser, tmp_path):
    from selenium.webdriver.common.by import By

    shots = tmp_path / "screenshots"
    shots.mkdir()
    browser.get(f"{server}/login")
    _wait(browser, lambda d: d.find_elements(By.ID, "username"), "the sign-in page")
    browser.save_screenshot(str(shots / "login.png"))

    _sign_in(browser, server, "arch33")
    _search(browser, "quyet dinh")
    hits = browser.find_elements(By.CSS_SELECTOR, "li.hit")
    assert hits, "the decision is found without diacritics"
    assert browser.find_elements(By.CSS_SELECTOR, "li.hit mark"), "the snippet marks the words"
    browser.save_screenshot(str(shots / "search.png"))

    hits[0].find_element(By.CSS_SELECTOR, "a.hit-title").click()
    image = _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "img.page-image"), "the page viewer")[0]
    _wait(
        browser,
        lambda d: d.execute_script("return arguments[0].complete && arguments[0].naturalWidth > 0", image),
        "the page image to load",
    )
    boxes = browser.find_elements(By.CSS_SELECTOR, ".word-box")
    assert boxes, "the query's words are boxed on the page image"
    frame = image.rect
    for box in boxes:  # each box lies on the image, with a size
        rect = box.rect
        assert rect["width"] > 0 and rect["height"] > 0
        assert frame["x"] - 1 <= rect["x"] and rect["x"] + rect["width"] <= frame["x"] + frame["width"] + 1
        assert frame["y"] - 1 <= rect["y"] and rect["y"] + rect["height"] <= frame["y"] + frame["height"] + 1
    assert browser.find_elements(By.CSS_SELECTOR, ".ocr-text mark"), "the words are marked in the text beside it"
    browser.save_screenshot(str(shots / "document.png"))

    _sign_in(browser, server, "arch99")
    _search(browser, "quyet dinh")
    assert not browser.find_elements(By.CSS_SELECTOR, "li.hit"), "another agency's archivist finds nothing"
    assert "Không tìm thấy tài liệu nào" in browser.find_element(By.TAG_NAME, "main").text
    browser.save_screenshot(str(shots / "other-agency.png"))

    for name in ("login", "search", "document", "other-agency"):
        assert (shots / f"{name}.png").stat().st_size > 5000, name
    if os.environ.get("SOHOA_SCREENSHOTS_TO_DOCS") == "1":
        DOCS.mkdir(exist_ok=True)
        for name in ("search", "document", "other-agency"):
            shutil.copy(shots / f"{name}.png", DOCS / f"web-{name}.png")


def _keep(driver, shots: Path, name: str) -> None:
    """A screenshot of the whole page (the window stretched to the page's height, at 1366 wide), kept."""
    height = driver.execute_script("return Math.max(document.body.scrollHeight, 768)")
    driver.set_window_size(1366, min(int(height) + 120, 4000))
    driver.save_screenshot(str(shots / f"{name}.png"))
    driver.set_window_size(1366, 768)
    if os.environ.get("SOHOA_SCREENSHOTS_TO_DOCS") == "1" and name in ("upload", "review", "stats"):
        DOCS.mkdir(exist_ok=True)
        shutil.copy(shots / f"{name}.png", DOCS / f"web-{name}.png")
    wanted = os.environ.get("SOHOA_SCREENSHOTS")
    if wanted:
        Path(wanted).mkdir(parents=True, exist_ok=True)
        shutil.copy(shots / f"{name}.png", Path(wanted) / f"{name}.png")


def test_a_clerks_upload_an_archivists_review_and_every_page_at_1366(
    server, browser, sample_dossier, tmp_path, downloads
):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select

    shots = tmp_path / "screenshots"
    shots.mkdir()
    _, documents = sample_dossier
    application = next(item for item in documents if item.doc_type == "don")
    corrupt = tmp_path / "hong.pdf"
    corrupt.write_bytes(b"%PDF-1.4\n1 0 obj broken beyond repair")

    # The clerk: a new dossier code, then two files with a progress bar each.
    _sign_in(browser, server, "clerk33")
    browser.get(f"{server}/upload")
    browser.find_element(By.ID, "new-code-button").click()
    code = _wait(browser, lambda d: d.find_elements(By.ID, "new-code"), "a new dossier code")[0].text
    assert code.startswith(f"{H33}-") and code.endswith("-0001")
    assert browser.find_element(By.ID, "dossier").get_attribute("value") == code
    browser.find_element(By.ID, "files").send_keys(f"{application.path}\n{corrupt}")
    browser.find_element(By.ID, "upload-button").click()
    _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#upload-progress progress"), "a progress bar per file")
    assert len(browser.find_elements(By.CSS_SELECTOR, "#upload-progress progress")) == 2
    _wait(
        browser,
        lambda d: d.find_element(By.ID, "upload-progress").get_attribute("data-done") == "true",
        "each file's report",
    )
    rows = {
        row.find_elements(By.TAG_NAME, "td")[0].text: row
        for row in browser.find_elements(By.CSS_SELECTOR, "#upload-progress tbody tr")
    }
    archived, refused = rows[application.path.name], rows["hong.pdf"]
    assert "Đã lưu trữ" in archived.text and archived.find_elements(By.CSS_SELECTOR, "a[href^='/documents/']")
    assert "Bị cách ly" in refused.text
    reason = refused.find_elements(By.TAG_NAME, "td")[5].text
    assert reason and "Traceback" not in reason  # the reason, in Vietnamese
    doc_href = archived.find_element(By.CSS_SELECTOR, "a[href^='/documents/']").get_attribute("href")
    _keep(browser, shots, "upload")

    # The archivist: the new document in the review queue, its type corrected and its number typed, by keyboard.
    _sign_in(browser, server, "arch33")
    browser.get(f"{server}/review")
    doc_id = doc_href.rsplit("/", 1)[-1]
    form = _wait(
        browser, lambda d: d.find_elements(By.CSS_SELECTOR, f"form[action='/review/{doc_id}/label']"), "the queue"
    )[0]
    _keep(browser, shots, "review")
    Select(form.find_element(By.NAME, "doc_type")).select_by_value("to_khai")
    number = form.find_element(By.NAME, "number")
    number.clear()
    number.send_keys("27", Keys.ENTER)
    _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "p.ok[role=status]"), "the label saved")
    assert not browser.find_elements(By.CSS_SELECTOR, f"form[action='/review/{doc_id}/label']")
    browser.get(doc_href)
    main = _wait(browser, lambda d: d.find_elements(By.TAG_NAME, "main"), "the document")[0].text
    assert "Tờ khai" in main and "27" in main
    _keep(browser, shots, "document-after-review")

    # The decision's archival PDF (the application holds a citizen ID: its scan is for the personal-data right),
    # downloaded by the browser itself.
    browser.get(f"{server}/search")
    _search(browser, "quyet dinh")
    browser.find_element(By.CSS_SELECTOR, "li.hit a.hit-title").click()
    _wait(browser, lambda d: d.find_elements(By.PARTIAL_LINK_TEXT, "Tải bản lưu trữ"), "the document page")
    browser.find_element(By.PARTIAL_LINK_TEXT, "Tải bản lưu trữ").click()
    _wait(browser, lambda d: [p for p in downloads.iterdir() if p.suffix == ".pdf"], "the archival PDF download")
    pdf = next(p for p in downloads.iterdir() if p.suffix == ".pdf")
    assert pdf.read_bytes().startswith(b"%PDF-")

    # Every page, at 1366 wide, for the archivist and the admin.
    for name, path in (
        ("search-all", "/search?q=ho+so"),
        ("dossier", f"/dossiers/{code}"),
        ("stats", "/stats"),
    ):
        browser.get(server + path)
        _wait(browser, lambda d: d.find_elements(By.TAG_NAME, "h1"), name)
        assert "Traceback" not in browser.page_source
        _keep(browser, shots, name)
    _sign_in(browser, server, "admin")
    browser.get(f"{server}/admin")
    _wait(browser, lambda d: d.find_elements(By.TAG_NAME, "h1"), "the admin page")
    _keep(browser, shots, "admin")
    for name in ("upload", "review", "document-after-review", "dossier", "stats", "admin"):
        assert (shots / f"{name}.png").stat().st_size > 5000, name
