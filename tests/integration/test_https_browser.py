"""A real browser over HTTPS: headless Chromium (chromedriver and Selenium)
loads the demo site from camada's TLS listener, trusting the test's
certificate by its public key (--ignore-certificate-errors-spki-list, the
SHA-256 of the leaf's SubjectPublicKeyInfo, computed with openssl): the
page with ten images, the /visits cookie, the form."""
import os
import re

import pytest

from conftest import SLOW
from http_testlib import WWW
from tls_testlib import make_ca, make_cert, spki_hash

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
def cert(tmp_path):
    ca = make_ca(tmp_path / "ca")
    return make_cert(ca, tmp_path / "leaf", ["localhost", "127.0.0.1", "::1"])


@pytest.fixture
def browser(tmp_path, cert):
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu",
              "--disable-dev-shm-usage", "--disable-background-networking",
              "--disable-component-update", "--disable-sync",
              "--no-first-run", "--user-data-dir=%s" % (tmp_path / "profile"),
              # trust exactly this key, as a pinned CA would
              "--ignore-certificate-errors-spki-list=%s" % spki_hash(cert[0])):
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
def www(camada, tmp_path, cert):
    log = tmp_path / "access.log"
    srv = camada("http", "-l", "127.0.0.1:0", "--tls-listen", "127.0.0.1:0",
                 "-r", WWW, "--demo", "--workers", "2", "--tls-cert", cert[0],
                 "--tls-key", cert[1], "--hsts", "max-age=60",
                 "--access-log", log, listeners=2)
    srv.alog = log
    return srv, "https://localhost:%d" % srv.listeners[1][2]


def test_page_with_ten_images_over_https(browser, www):
    srv, base = www
    browser.get(base + "/page.html")
    WebDriverWait(browser, 20 * SLOW).until(
        lambda d: d.execute_script("return document.readyState") == "complete")
    assert browser.execute_script("return location.protocol") == "https:"
    assert browser.execute_script("return window.isSecureContext") is True
    imgs = browser.execute_script(
        "return Array.from(document.images).map(i => "
        "[i.getAttribute('src'), i.complete, i.naturalWidth, i.naturalHeight])")
    assert len(imgs) == 10, imgs
    for src, complete, w, h in imgs:
        assert complete and w > 0 and h > 0, (src, complete, w, h)
    log = srv.alog.read_text()
    for src, _, _, _ in imgs:
        path = re.sub(r"^https?://[^/]+", "", src)
        if not path.startswith("/"):
            path = "/" + path
        assert re.search(r'"GET %s HTTP/1.1" 200 ' % re.escape(path), log), \
            (path, log)
    # the index's stylesheet came over TLS too and applied
    browser.get(base + "/")
    n = browser.execute_script(
        "return Array.from(document.styleSheets).filter(s => s.href && "
        "s.href.endsWith('/style.css')).map(s => s.cssRules.length)")
    assert n and n[0] > 0, n


def test_visits_cookie_and_form_over_https(browser, www):
    _srv, base = www
    for n in (1, 2, 3):
        browser.get(base + "/visits")
        text = browser.find_element(By.TAG_NAME, "body").text
        assert re.search(r"visit number %d\b" % n, text), text
    cookie = browser.get_cookie("sid")
    assert cookie and re.match(r"^[0-9a-f]{32}$", cookie["value"]), cookie

    browser.get(base + "/form.html")
    form = browser.find_element(By.TAG_NAME, "form")
    typed = {}
    for el in form.find_elements(
            By.CSS_SELECTOR, "input[name]:not([type=hidden]):not([type=submit])"
            ":not([type=checkbox]):not([type=radio]), textarea[name]"):
        name = el.get_attribute("name")
        value = ("ada+%s@example.org" % name
                 if el.get_attribute("type") == "email" else "Ada %s" % name)
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
    WebDriverWait(browser, 10 * SLOW).until(
        lambda d: d.current_url.endswith("/post"))
    assert browser.current_url.startswith("https://")
    rows = {}
    for tr in browser.find_element(By.ID, "fields").find_elements(
            By.TAG_NAME, "tr"):
        rows[tr.find_element(By.TAG_NAME, "th").text] = \
            tr.find_element(By.TAG_NAME, "td").text
    for name, value in typed.items():
        assert rows.get(name) == value, (name, rows)
