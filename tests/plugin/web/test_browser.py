"""The pages in a real browser: headless Chromium (Debian's `chromium` + `chromium-driver`) driven by Selenium,
against `modelmath web` running as a process, with the chat talking to the stand-in Messages API.

One server and one browser for the whole module. Skipped, with the reason, only when Chromium or its driver is
not installed (`.ci/run` installs both with apt-get).

Expected prices: Claude Sonnet 5.5 $2 / $10 and Claude Haiku 4.5 $1 / $5 per million input / output tokens
(Anthropic's pricing page, as cited in tests/plugin/web/test_app.py), so for 1,500 input + 300
output tokens at 10,000 requests a day: Sonnet 5.5 $0.006 a request, $60.00 a day, $1,800.00 a 30-day month;
Haiku 4.5 $0.003, $30.00, $900.00.
"""

from __future__ import annotations

import shutil
import time

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(not (CHROMIUM and DRIVER), reason="headless browser tests need Debian's chromium and "
                                "chromium-driver (apt-get install -y chromium chromium-driver; .ci/run does it)")

from selenium import webdriver  # noqa: E402 - after the skip marker, which documents the requirement
from selenium.common.exceptions import StaleElementReferenceException  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support import expected_conditions as ec  # noqa: E402
from selenium.webdriver.support.select import Select  # noqa: E402
from selenium.webdriver.support.wait import WebDriverWait  # noqa: E402
from web_scenarios import QUESTION  # noqa: E402

WAIT_S = 15
# This machine has no network: Chromium must not try to reach Google's update, sync or field-trial services.
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--no-first-run", "--window-size=1280,1400")


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    profile = tmp_path_factory.mktemp("chromium-profile")
    downloads = tmp_path_factory.mktemp("downloads")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    options.add_experimental_option("prefs", {"download.default_directory": str(downloads),
                                              "download.prompt_for_download": False})
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    driver.downloads = downloads
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def site(served_with_standin):
    return served_with_standin


def wait(driver, condition, timeout: float = WAIT_S):
    # The page re-renders its tables as inputs change: an element found a moment ago can be replaced before its
    # text is read (StaleElementReferenceException). That is a moment of the wait, not a failure: look again.
    return WebDriverWait(driver, timeout, ignored_exceptions=(StaleElementReferenceException,)).until(condition)


def cells(driver, selector: str) -> list[str]:
    return [c.text for c in driver.find_elements(By.CSS_SELECTOR, selector)]


def test_quote_form_fills_in_and_shows_the_table(browser, site, tmp_path):
    browser.get(site.url + "/")
    Select(browser.find_element(By.NAME, "model")).select_by_value("claude-sonnet-5-5")
    browser.find_element(By.NAME, "input_tokens").send_keys("1,500")
    browser.find_element(By.NAME, "output_tokens").send_keys("300")
    browser.find_element(By.NAME, "requests_per_day").send_keys("10000")
    wait(browser, lambda d: cells(d, "#quote-table tfoot td") == ["$0.006", "$60.00", "$1,800.00"])
    headline = browser.find_element(By.ID, "quote-headline").text
    assert headline.startswith("$1,800.00 a month for 1,500 input tokens and 300 output tokens per request")
    assert "Claude Sonnet 5.5" in browser.find_element(By.ID, "quote-prices").text
    assert "2026" in browser.find_element(By.ID, "quote-prices").text  # the price list's date is shown
    # The address bar is now a link to this quote.
    assert "input_tokens=1500" in browser.current_url and "requests_per_day=10000" in browser.current_url

    # A second model side by side, with the bar chart.
    Select(browser.find_element(By.ID, "api_cost-compare-1")).select_by_visible_text("Claude Haiku 4.5")
    wait(browser, ec.presence_of_element_located((By.ID, "compare-table")))
    month = browser.find_element(By.XPATH, "//table[@id='compare-table']//tr[th[starts-with(., 'Per month')]]")
    assert [c.text for c in month.find_elements(By.TAG_NAME, "td")] == ["$1,800.00", "$900.00"]
    assert len(browser.find_elements(By.CSS_SELECTOR, "#quote-chart rect")) == 2

    # Copy for the customer (the clipboard may be refused headless: then the text is selected instead).
    browser.find_element(By.ID, "copy-text").click()
    wait(browser, lambda d: d.find_element(By.ID, "copy-status").text)
    text = browser.find_element(By.ID, "customer-text").get_property("value")
    assert "Per month (30 days): $1,800.00" in text and "Claude Haiku 4.5: $900.00 a month" in text
    browser.find_element(By.ID, "copy-markdown").click()
    wait(browser, lambda d: "| **Total** |" in d.find_element(By.ID, "customer-text").get_property("value"))
    # CSV download.
    browser.find_element(By.ID, "download-csv").click()
    csv_file = browser.downloads / "claude-quote-claude-sonnet-5-5.csv"
    wait(browser, lambda d: csv_file.exists() and csv_file.stat().st_size > 0)
    assert "claude-sonnet-5-5,Claude Sonnet 5.5,total,,,0.006,60.0,1800.0" in csv_file.read_text()

    shot = tmp_path / "quote.png"
    assert browser.save_screenshot(str(shot))
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000


def test_every_input_has_a_label(browser, site):
    for path in ("/", "/chat", "/calculators/hardware_fit", "/calculators/training_memory"):
        browser.get(site.url + path)
        unlabelled = browser.execute_script("""
            return [...document.querySelectorAll('input, select, textarea')]
              .filter(el => el.type !== 'hidden' && el.labels.length === 0 && !el.getAttribute('aria-label'))
              .map(el => el.id || el.name);""")
        assert unlabelled == [], path


def _tab_through(browser, limit: int = 120) -> list[str]:
    """Press Tab from the top of the page until focus comes back round; open closed <details> with Enter."""
    browser.find_element(By.TAG_NAME, "body").click()
    seen: list[str] = []
    for _ in range(limit):
        browser.switch_to.active_element.send_keys(Keys.TAB)
        el = browser.switch_to.active_element
        key = browser.execute_script("const e = arguments[0]; return e.id || e.name || e.tagName + ':' + "
                                     "e.textContent.trim().slice(0, 40);", el)
        if seen and key == seen[0]:
            break
        seen.append(key)
        if el.tag_name == "summary" and not browser.execute_script("return arguments[0].parentElement.open", el):
            el.send_keys(Keys.ENTER)
    return seen


def test_keyboard_alone_reaches_every_control_and_gets_a_quote(browser, site):
    browser.get(site.url + "/")
    reached = set(_tab_through(browser))
    controls = browser.execute_script("""
        return [...document.querySelectorAll('main input, main select, main textarea, main button, main summary')]
          .filter(el => !el.disabled && el.offsetParent !== null)
          .map(el => el.id || el.name || el.tagName + ':' + el.textContent.trim().slice(0, 40));""")
    assert controls and set(controls) <= reached, set(controls) - reached

    # The whole quote by keyboard: Tab into the form, type, Enter submits.
    browser.get(site.url + "/")
    browser.find_element(By.TAG_NAME, "body").click()
    body = browser.switch_to.active_element
    while browser.switch_to.active_element.get_attribute("name") != "input_tokens":
        browser.switch_to.active_element.send_keys(Keys.TAB)
        assert browser.switch_to.active_element != body
    browser.switch_to.active_element.send_keys("1500", Keys.TAB, "300", Keys.TAB, "10000", Keys.ENTER)
    wait(browser, lambda d: cells(d, "#quote-table tfoot td") == ["$0.006", "$60.00", "$1,800.00"])


def test_chat_streams_an_answer_from_the_standin(browser, site, web_standin):
    web_standin.play("support_quote")
    browser.get(site.url + "/chat")
    browser.execute_script("sessionStorage.clear()")
    question = browser.find_element(By.NAME, "question")
    question.send_keys(QUESTION, Keys.ENTER)  # Enter sends
    footer = wait(browser, ec.presence_of_element_located((By.CSS_SELECTOR, ".answer .answer-footer")))
    answer = browser.find_element(By.CSS_SELECTOR, ".answer .text").text
    assert "About $900.00 a month on Claude Haiku 4.5" in answer
    assert cells(browser, ".answer .text td") == ["Per claim", "$0.003", "Per day", "$30.00", "Per month (30 days)",
                                                  "$900.00"]
    assert "modelmath run-tool api_cost" in footer.text  # the Reproduce footer
    sources = footer.find_element(By.CSS_SELECTOR, "ul.sources")
    assert sources.text.startswith("Claude Haiku 4.5: ")
    assert "https://platform.claude.com/docs/en/about-claude/pricing" in [
        a.get_attribute("href") for a in sources.find_elements(By.TAG_NAME, "a")]
    # "How we computed this", opened with the keyboard.
    summary = browser.find_element(By.CSS_SELECTOR, "details.computed > summary")
    assert summary.text == "How we computed this: Claude API cost calculator"
    browser.execute_script("arguments[0].focus()", summary)
    summary.send_keys(Keys.ENTER)
    details = browser.find_element(By.CSS_SELECTOR, "details.computed")
    assert details.get_attribute("open") is not None
    assert "requests_per_day: 10000" in details.text and "$900.00" in details.text
    assert "sk-ant" not in browser.page_source


def test_calculator_form_runs_its_tool(browser, site):
    browser.get(site.url + "/calculators/kv_cache")
    browser.find_element(By.NAME, "model").send_keys("llama-3.1-8b")
    browser.find_element(By.NAME, "context_tokens").send_keys("128Ki")
    browser.find_element(By.CSS_SELECTOR, "#tool-form button[type=submit]").click()
    result = wait(browser, lambda d: d.find_element(By.ID, "tool-result").text or None)
    # Llama 3.1 8B, 131,072 tokens: 2 x 32 layers x 8 KV heads x 128 x 2 bytes x 131,072 = 17,179,869,184 bytes.
    assert "17,179,869,184" in result
    # A wrong value comes back next to its field.
    field = browser.find_element(By.NAME, "context_tokens")
    field.clear()
    field.send_keys("0")
    browser.find_element(By.CSS_SELECTOR, "#tool-form button[type=submit]").click()
    error = wait(browser, lambda d: d.find_element(By.ID, "kv_cache-context_tokens-error").text or None)
    assert "context_tokens" in error and field.get_attribute("aria-invalid") == "true"
    time.sleep(0)  # nothing else to wait for


def test_a_lookup_hint_meant_for_claude_reads_as_plain_words(browser, site):
    # Tool errors end with "gpu_lookup with no gpu lists every GPU" for Claude and MCP clients (the CLI names
    # `modelmath gpu`); a person on these pages is pointed at the page that lists the catalog instead.
    browser.get(site.url + "/calculators/gpu_lookup")
    browser.find_element(By.NAME, "gpu").send_keys("h1000")
    browser.find_element(By.CSS_SELECTOR, "#tool-form button[type=submit]").click()
    error = wait(browser, lambda d: d.find_element(By.ID, "gpu_lookup-gpu-error").text or None)
    assert "unknown GPU 'h1000'" in error and "h100-sxm" in error
    assert "the GPU catalog on the Calculators page lists every GPU" in error
    assert "gpu_lookup" not in error and "with no gpu" not in error


def test_number_grouping_never_misreads_a_decimal_comma(browser, site):
    # "1,5" is one and a half where a comma is the decimal mark: it must be refused, not read as 15 (it was).
    browser.get(site.url + "/")
    parse = lambda text: browser.execute_script("return MM.parseNumber(arguments[0])", text)  # noqa: E731
    assert [parse(t) for t in ("10,000", "1 500 000", "1_500", "1.5k", "1,234,567")] == \
        [10000, 1500000, 1500, 1500, 1234567]
    assert [parse(t) for t in ("1,5", "12,3456", "1,50,000")] == [None, None, None]
    # Typed into the form, the server names the field instead of quoting 15 requests a day.
    Select(browser.find_element(By.NAME, "model")).select_by_value("claude-sonnet-5-5")
    for name, text in (("input_tokens", "1500"), ("output_tokens", "300"), ("requests_per_day", "1,5")):
        browser.find_element(By.NAME, name).clear()
        browser.find_element(By.NAME, name).send_keys(text)
    error = wait(browser, lambda d: d.find_element(By.ID, "api_cost-requests_per_day-error").text or None)
    assert "“Requests per day”" in error and "1,5" in error


def test_the_quote_fits_a_phone_screen(browser, site):
    browser.set_window_size(500, 900)  # headless Chromium's narrowest window
    try:
        browser.get(site.url + "/?model=claude-sonnet-5-5&input_tokens=1500&output_tokens=300&requests_per_day=10000"
                    "&compare=claude-haiku-5-5&compare=claude-opus-5-5&compare=claude-sonnet-4-6")
        wait(browser, lambda d: cells(d, "#quote-table tfoot td") == ["$0.006", "$60.00", "$1,800.00"])
        # The page never scrolls sideways (the cost table pushed it to 552 px in a 485 px window); wide tables
        # scroll inside their own box.
        widths = browser.execute_script("return [document.documentElement.scrollWidth, "
                                        "document.documentElement.clientWidth]")
        assert widths[0] <= widths[1], widths
        table = browser.find_element(By.ID, "quote-table")
        assert table.rect["x"] + table.rect["width"] <= widths[1]  # the monthly total is on screen
    finally:
        browser.set_window_size(1280, 1400)


def test_four_models_side_by_side_fit_and_every_chart_label_shows(browser, site):
    browser.get(site.url + "/?model=claude-sonnet-5-5&input_tokens=1500&output_tokens=300&requests_per_day=10000"
                "&compare=claude-haiku-5-5&compare=claude-opus-5-5&compare=claude-sonnet-4-5-20250929")
    # Sonnet 4.5: 1,500 x $3/1M + 300 x $15/1M = $0.009 x 10,000 x 30 = $2,700.00 a month.
    wait(browser, lambda d: "$2,700.00" in d.find_element(By.ID, "compare-table").text)
    # The fourth model was off the right edge of a 1280 px window (table 1,079 px in a 790 px box).
    box = browser.execute_script("const s = document.getElementById('compare-table').parentElement;"
                                 "return [s.scrollWidth, s.clientWidth]")
    assert box[0] <= box[1], box
    # Chart labels are right-aligned before the bars; the longest one ("... (retired)") was cut at the left.
    lefts = browser.execute_script("return [...document.querySelectorAll('#quote-chart text[text-anchor=end]')]"
                                   ".map(t => [t.textContent, t.getBBox().x])")
    assert [name for name, _ in lefts if "retired" in name] == ["Claude Sonnet 4.5 (retired)"]
    assert all(x >= 0 for _, x in lefts), lefts
