"""The users' pages under docs/: generated pages up to date (evaltools/docs.py), hand-written pages complete.

The generated pages (docs/data.md from evaltools/schema.py, docs/outputs.md from evaltools/outputs.py) must equal
what ``python -m evaltools.docs`` writes; the hand-written pages must name every key the loaders accept, and every
link between pages must lead to a page and heading that exist.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from evaltools import docs, outputs, schema

DOCS = docs.DOCS_DIR
ROOT = DOCS.parent
_LINK = re.compile(r"\]\(([^)\s]+)\)")


def _anchors(page: Path) -> set[str]:
    """GitHub's heading anchors of a markdown page: lower case, punctuation dropped, spaces to hyphens."""
    out = set()
    for line in page.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            title = line.lstrip("#").strip().lower()
            title = re.sub(r"&[a-z]+;", "", title)
            out.add(re.sub(r"[^\w\- ]", "", title).replace(" ", "-"))
    return out


def test_generated_pages_are_up_to_date():
    assert docs.stale() == [], "run: python -m evaltools.docs"


def test_check_mode_names_a_stale_page(tmp_path, capsys):
    docs.write(tmp_path)
    assert docs.main(["--check", "--out", str(tmp_path)]) == 0
    (tmp_path / "outputs.md").write_text("old\n", encoding="utf-8")
    assert docs.main(["--check", "--out", str(tmp_path)]) == 1
    assert "outputs.md is out of date" in capsys.readouterr().out


def test_generated_pages_cover_every_table_and_column():
    data, results = docs.data_page(), docs.outputs_page()
    for name, table in schema.TABLES.items():
        assert f"## {name}\n" in data
        assert all(f"`{c}`" in data for c in table.column_names), name
    for name, table in outputs.TABLES.items():
        assert f"## {name}\n" in results
        section = results.split(f"## {name}\n", 1)[1].split("\n## ", 1)[0]
        assert re.findall(r"^\| \d+ \| `(\w+)`", section, flags=re.M) == list(table.column_names), name


def test_project_yaml_keys_are_the_ones_validation_accepts():
    from evaltools.validate.project_yaml import PROJECT_KEYS

    assert set(docs.PROJECT_KEYS) == set(PROJECT_KEYS)


def test_instruments_page_names_every_key_the_loader_accepts():
    from evaltools import instruments

    page = (DOCS / "instruments.md").read_text(encoding="utf-8")
    keys = instruments.TOP_KEYS | instruments.SCALE_KEYS | instruments.RESPONSE_KEYS | instruments.NORM_KEYS
    assert [k for k in sorted(keys) if f"| `{k}` |" not in page] == []


def test_targets_page_names_every_key_and_count():
    from evaltools import schema

    page = (DOCS / "targets.md").read_text(encoding="utf-8")
    assert [k for k in schema.TARGET_KEYS if f"| `{k}` |" not in page] == []
    assert [c for c in schema.TARGET_COUNTS if f"| `{c}` |" not in page] == []


def test_index_links_every_page():
    index = (DOCS / "index.md").read_text(encoding="utf-8")
    pages = {p.name for p in DOCS.glob("*.md")} - {"index.md"}
    assert pages == set(_LINK.findall(index)) & pages


@pytest.mark.parametrize("page", sorted([*DOCS.glob("*.md"), ROOT / "README.md"]), ids=lambda p: p.name)
def test_links_lead_somewhere(page):
    for target in _LINK.findall(page.read_text(encoding="utf-8")):
        if re.match(r"[a-z]+:", target):  # a web address
            continue
        path, _, anchor = target.partition("#")
        dest = (page.parent / path).resolve() if path else page
        assert dest.exists(), f"{page.name}: {target}"
        if anchor and dest.suffix == ".md":
            assert anchor in _anchors(dest), f"{page.name}: {target}"


def test_code_and_readme_point_to_docs_not_to_design():
    # DESIGN.md is not part of the repository a user clones (issue 16)
    files = [*(ROOT / "evaltools").rglob("*.py"), *(ROOT / "evaltools").rglob("*.yaml"), ROOT / "README.md"]
    found = [f"{p.relative_to(ROOT)}:{i}" for p in files
             for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if "DESIGN" in line]
    assert found == []
