"""The search page in a real browser: Debian's headless Chromium, driven by Selenium.

A person types a query, follows "did you mean", pages forward and back with
the back button, clicks a timeline bar, opens a record; pages whose text is
markup show it as text, run no script and open no dialog. Without Chromium
these skip, saying how to install it; under ``CI`` they fail instead.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from urllib.parse import parse_qsl, urlsplit

import pytest
from helpers import (
    CRAWL_EXAMPLE,
    HOSTILE_TEXTS,
    SEEDS,
    hostile_page,
    require_chromium,
    running_server,
    write_page,
)
from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

import indexer

QUAYSIDE_PAGES = 30
WAIT_SECONDS = 20
WATCH_THE_PAGE = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__violations.push(event.violatedDirective + " " + event.blockedURI);
});
"""
"""Run before each page's own scripts: any script the policy had to stop is noted."""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The server, on the seed, the example crawl, a hostile page and 30 quayside pages."""
    folder = tmp_path_factory.mktemp("pages")
    write_page(folder, "hostile.txt", hostile_page())
    for number in range(QUAYSIDE_PAGES):
        text = f"Quayside {number}\nQuayside notice {number}.\n"
        write_page(folder, f"quayside{number:02}.txt", text)
    index = folder / "index"
    indexer.index_paths([SEEDS, CRAWL_EXAMPLE, folder], index=index)
    with running_server(index) as url:
        yield url


def chromium(*, javascript: bool = True, width: int = 1200) -> WebDriver:
    binary, driver = require_chromium()
    options = Options()
    options.binary_location = str(binary)
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage"):
        options.add_argument(argument)
    options.add_argument(f"--window-size={width},900")
    if not javascript:
        options.add_experimental_option(
            "prefs", {"profile.managed_default_content_settings.javascript": 2}
        )
    browser = webdriver.Chrome(service=Service(str(driver)), options=options)
    browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": WATCH_THE_PAGE})
    return browser


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    opened = chromium()
    yield opened
    opened.quit()


def wait_for(browser: WebDriver, condition: Callable[[WebDriver], object]) -> None:
    WebDriverWait(browser, WAIT_SECONDS).until(condition)


def wait_for_page(browser: WebDriver, leaving: str) -> None:
    """Wait until the browser has left the page at ``leaving`` and loaded the next."""
    wait_for(browser, lambda b: b.current_url != leaving)
    wait_for(browser, lambda b: b.execute_script("return document.readyState") == "complete")


def state(browser: WebDriver) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(browser.current_url).query))


def summary(browser: WebDriver) -> str:
    return str(browser.find_element(By.ID, "summary").text)


def search_for(browser: WebDriver, site: str, query: str) -> None:
    """Type ``query`` into the search box and press Enter, as a person does."""
    browser.get(site + "/")
    box = browser.find_element(By.ID, "q")
    box.clear()
    box.send_keys(query)
    leaving = browser.current_url
    box.send_keys(Keys.ENTER)
    wait_for_page(browser, leaving)


def click(browser: WebDriver, element: object) -> None:
    leaving = browser.current_url
    element.click()  # type: ignore[attr-defined]
    wait_for_page(browser, leaving)


def assert_nothing_ran(browser: WebDriver) -> None:
    """No dialog open, nothing stopped by the content security policy."""
    try:
        alert = browser.switch_to.alert
    except NoAlertPresentException:
        pass
    else:
        text = alert.text
        alert.dismiss()
        raise AssertionError(f"a dialog opened: {text!r}")
    assert browser.execute_script("return window.__violations") == []


# --- searching ---------------------------------------------------------------------------


def test_typing_a_query_shows_the_hits_with_the_matches_marked(
    browser: WebDriver, site: str
) -> None:
    search_for(browser, site, "syria")
    assert summary(browser).startswith("Hits 1\u20133 of 3")
    marks = browser.find_elements(By.CSS_SELECTOR, "ol.hits mark")
    assert marks
    assert {mark.text for mark in marks} == {"Syria"}
    assert_nothing_ran(browser)


def test_a_search_leaves_a_short_link_that_reproduces_it(browser: WebDriver, site: str) -> None:
    search_for(browser, site, "syria")
    assert browser.current_url == site + "/?q=syria"  # empty fields and defaults left out
    first = [hit.text for hit in browser.find_elements(By.CSS_SELECTOR, "li.hit h2")]
    browser.get(site + "/?q=syria")
    assert [hit.text for hit in browser.find_elements(By.CSS_SELECTOR, "li.hit h2")] == first


def test_did_you_mean_is_a_link_to_the_corrected_search(browser: WebDriver, site: str) -> None:
    search_for(browser, site, "syira")
    assert summary(browser) == "No hits."
    click(browser, browser.find_element(By.LINK_TEXT, "syria"))
    assert state(browser) == {"q": "syria"}
    assert summary(browser).startswith("Hits 1\u20133 of 3")


def test_the_any_hint_is_a_link_to_records_with_any_of_the_words(
    browser: WebDriver, site: str
) -> None:
    search_for(browser, site, "Brexit Hodeida")
    click(browser, browser.find_element(By.PARTIAL_LINK_TEXT, "have any of them"))
    assert state(browser) == {"q": "Brexit Hodeida", "any": "1"}
    assert summary(browser).startswith("Hits 1\u20132 of 2")
    assert browser.find_element(By.ID, "any").is_selected()


def test_paging_forward_and_back_with_the_back_button(browser: WebDriver, site: str) -> None:
    search_for(browser, site, "quayside")
    assert summary(browser).startswith(f"Hits 1\u201310 of {QUAYSIDE_PAGES}")
    click(browser, browser.find_element(By.CSS_SELECTOR, "a[rel=next]"))
    assert summary(browser).startswith(f"Hits 11\u201320 of {QUAYSIDE_PAGES}")
    click(browser, browser.find_element(By.CSS_SELECTOR, "a[aria-label='Page 3']"))
    assert summary(browser).startswith(f"Hits 21\u201330 of {QUAYSIDE_PAGES}")
    assert state(browser) == {"q": "quayside", "offset": "20"}

    browser.back()
    wait_for(browser, lambda b: state(b).get("offset") == "10")
    assert summary(browser).startswith(f"Hits 11\u201320 of {QUAYSIDE_PAGES}")
    browser.back()
    wait_for(browser, lambda b: "offset" not in state(b))
    assert summary(browser).startswith(f"Hits 1\u201310 of {QUAYSIDE_PAGES}")
    browser.forward()
    wait_for(browser, lambda b: state(b).get("offset") == "10")
    assert summary(browser).startswith(f"Hits 11\u201320 of {QUAYSIDE_PAGES}")


def test_clicking_a_timeline_bar_narrows_the_dates(browser: WebDriver, site: str) -> None:
    search_for(browser, site, "syria OR brexit OR yemen")
    bars = browser.find_elements(By.CSS_SELECTOR, "figure.timeline a")
    assert [bar.get_attribute("aria-label") for bar in bars] == [
        "2018-12-13: 2 records",
        "2018-12-14: 2 records",
    ]
    click(browser, bars[1])
    assert state(browser) == {
        "q": "syria OR brexit OR yemen",
        "since": "2018-12-14",
        "until": "2018-12-14",
    }
    assert summary(browser).startswith("Hits 1\u20132 of 2")
    assert browser.find_element(By.ID, "since").get_attribute("value") == "2018-12-14"
    browser.back()
    wait_for(browser, lambda b: "since" not in state(b))
    assert summary(browser).startswith("Hits 1\u20135 of 5")  # with the undated article


def test_a_hit_opens_its_record_page_listing_its_pages(browser: WebDriver, site: str) -> None:
    search_for(browser, site, "Manbij")
    click(browser, browser.find_element(By.CSS_SELECTOR, "li.hit h2 a"))
    assert urlsplit(browser.current_url).path.startswith("/records/h-")
    assert browser.find_element(By.TAG_NAME, "h1").text.startswith("Turkey will enter Syria")
    assert browser.find_element(By.ID, "seen-on").text == "Seen on 1 page"
    sources = browser.find_elements(By.CSS_SELECTOR, "ol.sources li")
    assert len(sources) == 1
    assert "000_e90479ad7ef70cfc.txt" in sources[0].text


def test_the_filters_are_usable_from_the_keyboard(browser: WebDriver, site: str) -> None:
    browser.get(site + "/")
    body = browser.find_element(By.TAG_NAME, "body")
    body.send_keys("/")  # puts the cursor in the search box
    focused = browser.switch_to.active_element
    assert focused.get_attribute("id") == "q"
    focused.send_keys("port")
    focused.send_keys(Keys.TAB)  # the search button
    browser.switch_to.active_element.send_keys(Keys.TAB)  # the kind
    kind = browser.switch_to.active_element
    assert kind.get_attribute("id") == "kind"
    kind.send_keys("article")  # a select takes the option typed
    kind.send_keys(Keys.SHIFT, Keys.TAB)  # back to the search button
    button = browser.switch_to.active_element
    assert button.text == "Search"
    leaving = browser.current_url
    button.send_keys(Keys.ENTER)
    wait_for_page(browser, leaving)
    assert state(browser) == {"q": "port", "kind": "article"}


def test_the_site_control_narrows_to_a_site(browser: WebDriver, site: str) -> None:
    search_for(browser, site, "port")
    browser.find_element(By.CSS_SELECTOR, "#site option[value='citywire.example']").click()
    click(browser, browser.find_element(By.CSS_SELECTOR, "form.search button"))
    assert state(browser) == {"q": "port", "site": "citywire.example"}
    sites = {s.text for s in browser.find_elements(By.CSS_SELECTOR, "li.hit .site")}
    assert sites == {"citywire.example"}


def test_a_bad_query_shows_the_error_and_its_hint(browser: WebDriver, site: str) -> None:
    search_for(browser, site, '"yellow vest')
    error = browser.find_element(By.CSS_SELECTOR, "[role=alert]").text
    assert "unbalanced quote in query" in error
    assert 'close the phrase with a second "' in error


# --- hostile pages -------------------------------------------------------------------------


def test_hostile_titles_and_bodies_show_as_text_and_run_nothing(
    browser: WebDriver, site: str
) -> None:
    search_for(browser, site, "hostile")
    assert_nothing_ran(browser)
    shown = browser.find_element(By.TAG_NAME, "main").text
    for text in HOSTILE_TEXTS:
        assert text in shown
    injected = "img[src='x'], svg[onload], [onerror], [onload], main script"
    assert browser.find_elements(By.CSS_SELECTOR, injected) == []


def test_hostile_record_pages_show_as_text_and_run_nothing(browser: WebDriver, site: str) -> None:
    search_for(browser, site, "hostile")
    links = [a.get_attribute("href") for a in browser.find_elements(By.CSS_SELECTOR, "li.hit h2 a")]
    assert len(links) == 2
    for link in links:
        browser.get(str(link))
        assert_nothing_ran(browser)
        shown = browser.find_element(By.TAG_NAME, "main").text
        assert all(text in shown for text in HOSTILE_TEXTS)
        assert browser.find_elements(By.CSS_SELECTOR, "img, svg, main script") == []


def test_a_hostile_query_shows_as_text_and_runs_nothing(browser: WebDriver, site: str) -> None:
    search_for(browser, site, '"><svg onload=alert(1)> <img src=x onerror=alert(1)>')
    assert_nothing_ran(browser)
    assert browser.find_elements(By.CSS_SELECTOR, "img, svg[onload]") == []
    box = browser.find_element(By.ID, "q").get_attribute("value")
    assert box == '"><svg onload=alert(1)> <img src=x onerror=alert(1)>'


# --- without JavaScript, and on a phone ---------------------------------------------------


def test_the_page_works_without_javascript(site: str) -> None:
    without = chromium(javascript=False)
    try:
        search_for(without, site, "quayside")
        assert state(without)["q"] == "quayside"  # the form's own link, with its empty fields
        assert summary(without).startswith(f"Hits 1\u201310 of {QUAYSIDE_PAGES}")
        click(without, without.find_element(By.CSS_SELECTOR, "a[rel=next]"))
        assert summary(without).startswith(f"Hits 11\u201320 of {QUAYSIDE_PAGES}")
    finally:
        without.quit()


def test_the_results_fit_a_phones_width(site: str) -> None:
    phone = chromium(width=375)
    try:
        search_for(phone, site, "port OR syria OR hostile")
        scroll, client = phone.execute_script(
            "const e = document.documentElement; return [e.scrollWidth, e.clientWidth];"
        )
        assert scroll <= client
        assert phone.find_element(By.ID, "q").is_displayed()
        assert re.match(r"Hits 1\u2013\d+ of \d+", summary(phone))
    finally:
        phone.quit()
