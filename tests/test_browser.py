"""The web pages in a real browser: Debian's Chromium, headless, driven by Selenium through Debian's chromedriver
(nothing downloads a browser), against `sohoa serve` running for real on the sample decision ingested with
`sohoa ingest`. An archivist signs in, searches without diacritics, opens the hit and sees the query's words boxed
on the page image; another agency's archivist finds nothing. Screenshots (1366x768) are kept in the test's
temporary folder; `SOHOA_SCREENSHOTS_TO_DOCS=1` also copies three into docs/ for the README."""

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
    with running_server(env, home / "serve.log") as running:
        yield running.base


@pytest.fixture
def browser(tmp_path, monkeypatch):
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
