"""The rendered report in a real browser: headless Chromium opens the runs index from disk, follows
every link of the endline run, and checks that nothing is broken and nothing comes from the network.

Needs /usr/bin/chromium (``make browser`` installs the Debian package) and the playwright package;
skipped with the reason when either is missing.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.browser]

@pytest.fixture(scope="module")
def browser(chromium):
    with chromium.sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium.executable, args=chromium.args, headless=True)
        b.local_only = chromium.local_only
        yield b
        b.close()


def open_page(browser, url: str, network: list[str]):
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    failed: list[str] = []
    page.route("**/*", browser.local_only(network))
    page.on("requestfailed", lambda req: failed.append(req.url))
    response = page.goto(url)
    page.wait_for_load_state("load")
    return page, response, failed


def broken_images(page) -> list[str]:
    return page.eval_on_selector_all(
        "img", "els => els.filter(e => !(e.complete && e.naturalWidth > 0)).map(e => e.src.slice(0, 80))")


def test_every_page_opens_offline_with_its_links_and_images(runs, browser, tmp_path):
    network: list[str] = []
    page, _, failed = open_page(browser, (runs.out / "index.html").as_uri(), network)
    run_links = page.eval_on_selector_all("a", "els => els.map(e => e.href)")
    assert runs.endline.index_path.as_uri() in run_links and runs.baseline.index_path.as_uri() in run_links
    page.screenshot(path=tmp_path / "runs_index.png", full_page=True)
    page.close()

    page, _, failed = open_page(browser, runs.endline.index_path.as_uri(), network)
    links = page.eval_on_selector_all("a", "els => els.map(e => e.href)")
    assert page.eval_on_selector_all("img.forest", "els => els.length") == 1 and not broken_images(page)
    page.screenshot(path=tmp_path / "endline_index.png", full_page=True)
    page.close()
    notebook_pages = sorted({u.split("#")[0] for u in links if "/html/" in u})  # the head links into the pages
    assert len(notebook_pages) == 6
    for url in links:
        path = Path(urlparse(url).path)
        assert url.startswith("file://") and path.exists(), f"broken link {url}"
    for url in notebook_pages:
        page, _, failed = open_page(browser, url, network)
        assert not failed, failed
        assert page.title(), url
        assert not broken_images(page), (url, broken_images(page))
        if url.endswith(("10_baseline_profile.html", "30_social_ties.html", "40_outputs_targets.html")):
            assert page.eval_on_selector_all("img", "els => els.length") > 0, f"no figure on {url}"
        back = page.eval_on_selector_all("a", "els => els.map(e => e.href)")
        assert runs.endline.index_path.as_uri() in back, url
        page.screenshot(path=tmp_path / f"{Path(url).stem}.png", full_page=True)
        page.close()
    assert network == [], network
    assert (tmp_path / "20_outcomes_change.png").stat().st_size > 10_000
