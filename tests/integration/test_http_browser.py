"""A real browser against the server: headless Chromium (through
chromedriver and Selenium) loads the demo site in www/ and the page with
ten images, keeps the /visits cookie, and submits the form."""
import os
import re

import pytest

from conftest import SLOW
from http_testlib import WWW, serve

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"

if not os.access(CHROMIUM, os.X_OK) or not os.access(CHROMEDRIVER, os.X_OK):
    pytest.skip("needs %s and %s (apt-get install chromium chromium-driver)"
                % (CHROMIUM, CHROMEDRIVER), allow_module_level=True)

webdriver = pytest.importorskip(
    "selenium.webdriver", reason="needs python3-selenium")
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402


@pytest.fixture
def browser(tmp_path):
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu",
              "--disable-dev-shm-usage", "--disable-background-networking",
              "--disable-component-update", "--disable-sync",
              "--no-first-run", "--user-data-dir=%s" % (tmp_path / "profile")):
        opts.add_argument(a)
    service = Service(CHROMEDRIVER, log_path=str(tmp_path / "chromedriver.log"))
    try:
        drv = webdriver.Chrome(service=service, options=opts)
    except Exception as e:  # a broken install is a failure, not a skip
        raise AssertionError("chromium did not start: %s\n%s" % (
            e, open(tmp_path / "chromedriver.log").read()
            if os.path.exists(tmp_path / "chromedriver.log") else ""))
    drv.set_page_load_timeout(30 * SLOW)
    try:
        yield drv
    finally:
        drv.quit()


@pytest.fixture
def www(camada, tmp_path):
    for name in ("index.html", "page.html", "form.html", "style.css",
                 "cookies.html"):
        assert os.path.isfile(os.path.join(WWW, name)), \
            "the demo site is missing www/%s" % name
    log = tmp_path / "access.log"
    srv, port = serve(camada, WWW, "--access-log", log, workers=2)
    srv.alog = log
    return srv, port


def base(port):
    return "http://127.0.0.1:%d" % port


def test_page_with_ten_images_all_load(browser, www):
    srv, port = www
    browser.get(base(port) + "/page.html")
    WebDriverWait(browser, 20 * SLOW).until(
        lambda d: d.execute_script("return document.readyState") == "complete")
    imgs = browser.execute_script(
        "return Array.from(document.images).map(i => "
        "[i.getAttribute('src'), i.complete, i.naturalWidth, i.naturalHeight])")
    assert len(imgs) == 10, imgs
    for src, complete, w, h in imgs:
        assert complete and w > 0 and h > 0, (src, complete, w, h)
    # every image went through the server, each once
    log = srv.alog.read_text()
    for src, _, _, _ in imgs:
        path = re.sub(r"^https?://[^/]+", "", src)
        if not path.startswith("/"):
            path = "/" + path
        assert re.search(r'"GET %s HTTP/1.1" 200 ' % re.escape(path), log), (path, log)


def test_index_links_to_the_demos_and_styles_apply(browser, www):
    _srv, port = www
    browser.get(base(port) + "/")
    assert browser.title
    hrefs = [a.get_attribute("href") for a in browser.find_elements(By.TAG_NAME, "a")]
    for page in ("/page.html", "/form.html"):
        assert any(h and h.endswith(page) for h in hrefs), hrefs
    # the stylesheet came and applied: its rules are readable
    n = browser.execute_script(
        "return Array.from(document.styleSheets).filter(s => s.href && "
        "s.href.endsWith('/style.css')).map(s => s.cssRules.length)")
    assert n and n[0] > 0, n
    # follow the link to the cookie page, then to /visits, as a user would
    browser.find_element(By.CSS_SELECTOR, 'a[href$="cookies.html"]').click()
    WebDriverWait(browser, 10 * SLOW).until(
        lambda d: d.current_url.endswith("/cookies.html"))
    browser.find_element(By.CSS_SELECTOR, 'a[href="/visits"]').click()
    WebDriverWait(browser, 10 * SLOW).until(lambda d: d.current_url.endswith("/visits"))
    assert "visit number 1" in browser.find_element(By.TAG_NAME, "body").text


def test_visits_counts_to_three(browser, www):
    _srv, port = www
    for n in (1, 2, 3):
        browser.get(base(port) + "/visits")
        text = browser.find_element(By.TAG_NAME, "body").text
        assert re.search(r"visit number %d\b" % n, text), text
    cookie = browser.get_cookie("sid")
    assert cookie and re.match(r"^[0-9a-f]{32}$", cookie["value"]), cookie
    assert cookie.get("httpOnly") is True
    # the id shown on the page is the cookie's
    assert cookie["value"] in browser.find_element(By.TAG_NAME, "body").text
    # a fresh browser profile would be visit 1: deleting the cookie is the same
    browser.delete_all_cookies()
    browser.get(base(port) + "/visits")
    assert "visit number 1" in browser.find_element(By.TAG_NAME, "body").text


def test_form_submission_shows_the_fields(browser, www):
    _srv, port = www
    browser.get(base(port) + "/form.html")
    form = browser.find_element(By.TAG_NAME, "form")
    assert form.get_attribute("method").lower() == "post"
    assert form.get_attribute("action").endswith("/post")
    typed = {}
    for el in form.find_elements(By.CSS_SELECTOR,
                                 "input[name]:not([type=hidden]):not([type=submit])"
                                 ":not([type=checkbox]):not([type=radio]), textarea[name]"):
        name = el.get_attribute("name")
        if el.get_attribute("type") == "email":
            value = "ada+%s@example.org" % name
        else:
            value = "Ada <b>%s</b> & 100%% \u00e9t\u00e9" % name
        el.clear()
        el.send_keys(value)
        typed[name] = value
    assert typed, "form.html has no text fields"
    submit = form.find_elements(By.CSS_SELECTOR,
                                "[type=submit], button:not([type=button])")
    if submit:
        submit[0].click()
    else:
        form.submit()
    WebDriverWait(browser, 10 * SLOW).until(lambda d: d.current_url.endswith("/post"))
    table = browser.find_element(By.ID, "fields")
    rows = {}
    for tr in table.find_elements(By.TAG_NAME, "tr"):
        th = tr.find_element(By.TAG_NAME, "th").text
        td = tr.find_element(By.TAG_NAME, "td").text
        rows[th] = td
    for name, value in typed.items():
        assert rows.get(name) == value, (name, rows)
