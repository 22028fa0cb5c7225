"""The last check on every page a run writes: only the elements and attributes the report itself makes.

Text from a data folder is escaped where it is written (:func:`~evaltools.report.page.plain_markdown`,
``html.escape`` in the tables); :func:`sanitise` is the net under that: it re-writes a page keeping
only an allowlist of elements (those of nbconvert's ``lab`` template, of rendered markdown and of the
report's own tables) with an allowlist of attributes, and shows anything else as literal text. No URL
survives other than an in-page ``#anchor``, a relative link (a file beside the page), ``file:`` or a
``data:`` image; no ``on…`` attribute, no ``style`` attribute with a ``url(``, no ``<style>`` outside the
page's head. The page therefore loads nothing from the network and runs no script.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

#: Elements a page may hold (nbconvert's lab page, rendered markdown, the report's tables and index pages).
ELEMENTS = frozenset(
    "html head body meta title style main nav header footer section div span p a img h1 h2 h3 h4 h5 h6 "
    "ul ol li strong em b i code pre blockquote table thead tbody tfoot tr th td caption colgroup col "
    "br hr sup sub del s small dl dt dd details summary".split())
#: Attributes any allowed element may carry.
GLOBAL_ATTRIBUTES = frozenset({"class", "id", "lang", "dir", "tabindex", "data-mime-type", "data-jp-theme-light",
                               "data-jp-theme-name"})
#: Attributes of particular elements.
ATTRIBUTES = {
    "a": {"href"}, "img": {"src", "alt", "width", "height"}, "meta": {"charset", "name", "content"},
    "style": {"type"}, "th": {"colspan", "rowspan", "style"}, "td": {"colspan", "rowspan", "style"},
    "tr": {"style"}, "ol": {"start"}, "col": {"span"}, "colgroup": {"span"},
}
_VOID = frozenset({"meta", "img", "br", "hr", "col"})

_SCHEME = re.compile(r"^\s*([a-zA-Z][a-zA-Z0-9+.\-]*):")
_DATA_IMAGE = re.compile(r"^data:image/(png|jpeg|gif|webp);base64,[A-Za-z0-9+/=\s]*$")
#: An inline style the report or markdown makes (``text-align: right``): no parentheses, quotes, escapes or at-rules.
_SAFE_STYLE = re.compile(r"^[a-zA-Z\-]+\s*:\s*[a-zA-Z0-9 .%#\-]+\s*(;\s*[a-zA-Z\-]+\s*:\s*[a-zA-Z0-9 .%#\-]+\s*)*;?\s*$")
_SAFE_ID = re.compile(r"^[\w\-.:=]+$")
#: What a browser drops from a URL before reading it: control characters, blanks and DEL.
_BLANKS = re.compile(r"[\x00-\x20\x7f]")
_CSS_URL = re.compile(r"url\(\s*(['\"]?)(.*?)\1\s*\)", re.I | re.S)


def safe_url(url: str, *, image: bool = False) -> bool:
    """Whether a page may keep ``url``: an in-page anchor, a relative file, ``file:``, or (images) a data: image.

    >>> [safe_url(u) for u in ("#top", "../index.html", "html/00.html", "file:///tmp/x.html")]
    [True, True, True, True]
    >>> [safe_url(u) for u in ("javascript:alert(1)", "https://x.org", "//x.org/a.png", " java\\tscript:x", "data:text/html,x")]
    [False, False, False, False, False]
    >>> safe_url("data:image/png;base64,iVBO", image=True), safe_url("data:image/svg+xml,<svg>", image=True)
    (True, False)
    """
    if image:
        return bool(_DATA_IMAGE.match(str(url).strip()))
    u = _BLANKS.sub("", str(url))  # browsers drop controls and blanks in a URL
    if u.startswith("#"):
        return True
    if u.startswith(("//", "\\\\", "/\\", "\\/")):
        return False
    m = _SCHEME.match(u)
    if m:
        return m.group(1).lower() == "file"
    return ":" not in u.split("/", 1)[0] and "\\" not in u


def safe_css(css: str) -> str:
    """A style sheet with every ``url(…)`` that is not a ``data:`` URL, every ``@import`` and ``image-set`` removed.

    >>> safe_css("a{background:url(https://x.org/a.png)} b{background:url('data:image/png;base64,AA')}")
    "a{background:none} b{background:url('data:image/png;base64,AA')}"
    """
    css = re.sub(r"\\", "", css)  # CSS escapes could spell u\72l(: the report's own CSS has none
    css = re.sub(r"@import[^;]*;?", "", css, flags=re.I)
    css = re.sub(r"(image-set|-webkit-image-set|src)\s*\(", "none(", css, flags=re.I)
    return _CSS_URL.sub(lambda m: m.group(0) if m.group(2).strip().lower().startswith("data:") else "none", css)


class _Sanitiser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.stack: list[str] = []
        self.in_head = False
        self.raw: str | None = None  # inside an allowed <style>: its text is CSS, not markup

    # ---------------------------------------------------------------- tags
    def handle_starttag(self, tag, attrs, *, closed=False):
        if tag == "head":
            self.in_head = True
        elif tag == "body":
            self.in_head = False
        if tag not in ELEMENTS or (tag == "style" and not self.in_head):
            self._literal(self.get_starttag_text())
            return
        kept = []
        for name, value in attrs:
            name = name.lower()
            if name not in GLOBAL_ATTRIBUTES and name not in ATTRIBUTES.get(tag, ()):
                continue
            value = "" if value is None else value
            if name in ("href", "src") and not safe_url(value, image=(name == "src")):
                continue
            if name == "style" and not _SAFE_STYLE.match(value):
                continue
            if name == "id" and not _SAFE_ID.match(value):
                continue
            if tag == "meta" and name == "content" and re.search(r"[:/\\]", value):
                continue  # the viewport's content has no URL
            kept.append(f' {name}="{html.escape(value, quote=True)}"')
        self.out.append(f"<{tag}{''.join(kept)}{' /' if closed else ''}>")
        if tag == "style":
            self.raw = ""
        elif tag not in _VOID and not closed:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs, closed=True)

    def handle_endtag(self, tag):
        if tag == "style" and self.raw is not None:
            self.out.append(safe_css(self.raw).replace("</", "<\\/") + "</style>")
            self.raw = None
            return
        if tag == "head":
            self.in_head = False
        if tag not in ELEMENTS or tag == "style":
            self._literal(f"</{tag}>")
            return
        if tag in _VOID:
            return
        if tag in self.stack:  # close what is open; a stray end tag is dropped
            while self.stack:
                top = self.stack.pop()
                self.out.append(f"</{top}>")
                if top == tag:
                    break

    # ---------------------------------------------------------------- text
    def handle_data(self, data):
        if self.raw is not None:
            self.raw += data
        else:
            self.out.append(html.escape(data, quote=False))

    def handle_decl(self, decl):
        if decl.lower().startswith("doctype"):
            self.out.append("<!DOCTYPE html>")

    def handle_comment(self, data):  # comments are dropped
        pass

    def handle_pi(self, data):
        pass

    def unknown_decl(self, data):
        pass

    def _literal(self, text):
        if self.raw is not None:
            self.raw += text
        else:
            self.out.append(html.escape(text or "", quote=False))


def sanitise(page: str) -> str:
    """``page`` with only the allowed elements and attributes; anything else shown as text.

    >>> sanitise('<p class="x" onclick="f()">a <img src="https://x.org/a.png" alt="b"></p>')
    '<p class="x">a <img alt="b"></p>'
    >>> sanitise('<p><video poster="http://x.org/p.png"></video><a href="javascript:f()">c</a></p>')
    '<p>&lt;video poster="http://x.org/p.png"&gt;&lt;/video&gt;<a>c</a></p>'
    >>> sanitise('<body><style>a{}</style><span style="background:url(http://x)">d</span></body>')
    '<body>&lt;style&gt;a{}&lt;/style&gt;<span>d</span></body>'
    """
    parser = _Sanitiser()
    parser.feed(page)
    parser.close()
    if parser.raw is not None:  # an unclosed <style>
        parser.out.append(safe_css(parser.raw).replace("</", "<\\/") + "</style>")
    parser.out.extend(f"</{tag}>" for tag in reversed(parser.stack))
    return "".join(parser.out)
