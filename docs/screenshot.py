"""Render the quote page in headless Chromium and save docs/quote-page.png (the README's screenshot).

    python docs/screenshot.py [--out docs/quote-page.png]

Needs what the browser tests need: Debian's chromium + chromium-driver, and selenium (the test extras). It
starts `modelmath web` on a free port, opens a quote link (Sonnet 5.5, 1,500 input / 300 output tokens,
10,000 requests a day, compared with Haiku 5.5 and Opus 5.5), waits for the table and saves the window.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

QUOTE = ("/?model=claude-sonnet-5-5&input_tokens=1500&output_tokens=300&requests_per_day=10000"
         "&compare=claude-haiku-5-5&compare=claude-opus-5-5")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
         "--window-size=1280,1480")


def start_server(log: Path) -> tuple[subprocess.Popen, str]:
    with log.open("w") as err:
        proc = subprocess.Popen([sys.executable, "-m", "modelmath.plugin.cli.main", "web", "--port", "0"],
                                stdout=subprocess.DEVNULL, stderr=err)
    for _ in range(600):
        text = log.read_text()
        if "serving on " in text:
            return proc, text.split("serving on ", 1)[1].split()[0].rstrip("/")
        if proc.poll() is not None:
            sys.exit(f"modelmath web exited: {text}")
        time.sleep(0.05)
    proc.kill()
    sys.exit("modelmath web did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("quote-page.png"))
    args = parser.parse_args()
    chromium, driver_path = shutil.which("chromium"), shutil.which("chromedriver")
    if not (chromium and driver_path):
        sys.exit("needs chromium and chromedriver: apt-get install -y chromium chromium-driver")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.wait import WebDriverWait

    with tempfile.TemporaryDirectory() as tmp:
        proc, url = start_server(Path(tmp) / "server.log")
        options = webdriver.ChromeOptions()
        options.binary_location = chromium
        for flag in (*FLAGS, f"--user-data-dir={tmp}/profile"):
            options.add_argument(flag)
        driver = webdriver.Chrome(service=Service(driver_path), options=options)
        try:
            driver.get(url + QUOTE)
            WebDriverWait(driver, 15).until(lambda d: d.find_elements(By.ID, "quote-chart"))
            # The script re-fetches the quote for the copy buttons: wait until the text box holds it.
            WebDriverWait(driver, 15).until(
                lambda d: d.find_element(By.ID, "customer-text").get_property("value"))
            driver.save_screenshot(str(args.out))
        finally:
            driver.quit()
            proc.terminate()
            proc.wait(timeout=10)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
