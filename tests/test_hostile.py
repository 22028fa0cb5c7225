"""A data folder full of hostile text: every name, label and title is markup, a link, mathtext or a URL.

The run must finish, its pages must show that text literally, hold no element or attribute of the data's
making, load nothing from the network (headless Chromium records every request), and no output may
name a file of the data folder that is not a table (docs/outputs.md; DESIGN §7).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from urllib.parse import urlparse

import pytest
import yaml

pytestmark = [pytest.mark.slow]

EVIL = "127.0.0.1:9"


def payload(tag: str) -> str:
    """Every way a text could load, run or link something, marked with ``tag``."""
    return (f'<img src=x onerror="document.body.setAttribute(\'data-pwn\',\'{tag}\')">'
            f'<img srcset="http://{EVIL}/{tag}-srcset.png 1x"><video poster="http://{EVIL}/{tag}-poster.png"></video>'
            f'<object data="http://{EVIL}/{tag}-object"></object><embed src="http://{EVIL}/{tag}-embed">'
            f'<b style="background:url(http://{EVIL}/{tag}-style.png)">s</b>'
            f'<input type=image src="http://{EVIL}/{tag}-input.png"><svg><image href="http://{EVIL}/{tag}-svg.png"/></svg>'
            f"<iframe srcdoc=\"<script>parent.document.body.setAttribute('data-pwn2','{tag}')</script>\"></iframe>"
            f" [clk](javascript:alert(1)) ![i](http://{EVIL}/{tag}-md.png) <http://{EVIL}/{tag}-auto>"
            f" $x^$ $\\frac{{a}}{{b}}$ *em* _u_ **b** `c` # {tag} &amp; \\\\")


#: Files in the data folder that are not tables: their names are people's names.
PRIVATE_FILES = ("Kowalski_Jan_44051401359.csv", "notatki Anna Nowak.txt")
PRIVATE_WORDS = ("Kowalski", "44051401359", "Anna Nowak")


@pytest.fixture(scope="module")
def hostile_data(demo_data, tmp_path_factory) -> Path:
    from evaltools.instruments import LIBRARY

    folder = tmp_path_factory.mktemp("hostile") / "data"
    shutil.copytree(demo_data, folder)
    config = yaml.safe_load((folder / "project.yaml").read_text(encoding="utf-8"))
    config["name"] = payload("name")
    config["groups"] = {g: {"pl": payload(f"group-{g}"), "en": payload(f"group-{g}")} for g in config["groups"]}
    for target in config["targets"]:
        target["label"] = {"pl": payload(f"target-{target['id']}"), "en": payload(f"target-{target['id']}")}
    (folder / "project.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    inst = yaml.safe_load((Path(LIBRARY) / "empowerment.yaml").read_text(encoding="utf-8"))
    inst["title"] = {"pl": payload("title"), "en": payload("title")}
    for scale in inst["subscales"]:
        scale["title"] = {"pl": payload(f"scale-{scale['id']}"), "en": payload(f"scale-{scale['id']}")}
    for item in inst["items"]:
        item["text"] = {"pl": payload(f"item-{item['id']}"), "en": payload(f"item-{item['id']}")}
    (folder / "instruments").mkdir(exist_ok=True)
    (folder / "instruments" / "empowerment.yaml").write_text(yaml.safe_dump(inst, allow_unicode=True),
                                                              encoding="utf-8")
    (folder / PRIVATE_FILES[0]).write_text("imie,nazwisko\nJan,Kowalski\n", encoding="utf-8")
    (folder / PRIVATE_FILES[1]).write_text("rozmowa z panią Anną\n", encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def hostile_run(hostile_data, tmp_path_factory):
    from evaltools.report import run

    out = tmp_path_factory.mktemp("hostile-runs") / "runs"
    result = run("endline", data_dir=hostile_data, out=out, progress=False)
    return out, result


def test_a_hostile_run_finishes(hostile_run):
    _, result = hostile_run
    assert result.ok, result.failures  # a $…$ in a label no longer breaks matplotlib's mathtext


def test_no_output_names_a_file_that_is_not_a_table(hostile_run):
    out, result = hostile_run
    manifest = json.loads((result.run_dir / "manifest.json").read_text(encoding="utf-8"))
    assert {f["file"] for f in manifest["inputs"]} >= {"project.yaml", "instruments/empowerment.yaml"}
    for path in [out / "index.html", *result.run_dir.rglob("*")]:
        if path.is_file() and path.suffix in (".html", ".json", ".csv", ".ipynb", ".txt"):
            text = path.read_text(encoding="utf-8")
            for word in PRIVATE_WORDS:
                assert word not in text, (path.relative_to(out), word)


def test_pages_hold_no_markup_of_the_datas_making(hostile_run):
    from html.parser import HTMLParser

    from evaltools.report.sanitise import ATTRIBUTES, ELEMENTS, GLOBAL_ATTRIBUTES, safe_url

    out, result = hostile_run
    pages = [out / "index.html", result.index_path, *sorted((result.run_dir / "html").glob("*.html"))]
    found = []

    class Check(HTMLParser):
        def handle_starttag(self, tag, attrs):
            if tag not in ELEMENTS:
                found.append((tag, attrs))
            for name, value in attrs:
                if name not in GLOBAL_ATTRIBUTES and name not in ATTRIBUTES.get(tag, ()):
                    found.append((tag, name))
                if name in ("href", "src") and not safe_url(value or "", image=name == "src"):
                    found.append((tag, name, value))
                if name == "style" and "url" in (value or "").lower():
                    found.append((tag, name, value))

    for page in pages:
        text = page.read_text(encoding="utf-8")
        Check().feed(text)
        assert not found, (page.name, found[:5])
        assert EVIL not in "".join(__import__("re").findall(r"<[^>]*>", text)), page.name


#: Elements a text of the payload would make if it were read as HTML.
MADE = "iframe,object,embed,video,svg,input,script,[srcset],[onerror],[poster],a[href^='javascript']"


@pytest.mark.browser
def test_hostile_pages_in_chromium_show_text_and_load_nothing(hostile_run, chromium):
    out, result = hostile_run
    pages = [out / "index.html", result.index_path, *sorted((result.run_dir / "html").glob("*.html"))]
    network: list[str] = []
    with chromium.sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium.executable, args=chromium.args, headless=True)
        context = browser.new_context()
        context.route("**/*", chromium.local_only(network))
        context.on("request", lambda req: urlparse(req.url).scheme in ("file", "data") or network.append(req.url))
        for path in pages:
            page = context.new_page()
            page.goto(path.as_uri())
            page.wait_for_load_state("load")
            page.wait_for_timeout(100)
            body_attributes = page.evaluate("() => document.body.getAttributeNames()")
            assert not [a for a in body_attributes if "pwn" in a], (path.name, body_attributes)
            assert len(page.frames) == 1, (path.name, [f.url for f in page.frames])
            assert page.eval_on_selector_all(MADE, "els => els.map(e => e.outerHTML.slice(0, 80))") == [], path.name
            text = page.evaluate("() => document.body.innerText")
            if path.name in ("index.html", "00_data_quality.html", "10_baseline_profile.html",
                             "40_outputs_targets.html", "90_summary.html") and path.parent != out:
                assert "onerror=\"document.body.setAttribute('data-pwn','name')\">" in text, path.name
                assert "$x^$ $\\frac{a}{b}$ *em* _u_ **b** `c` # name &amp;" in text, path.name
            page.close()
        browser.close()
    assert network == [], network
