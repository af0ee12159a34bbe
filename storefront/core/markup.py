"""User-written text to safe HTML (a small Markdown subset, sanitised with nh3), and cached
markup made compact."""

from __future__ import annotations

import re
from functools import lru_cache

import markdown as md
import nh3
from markupsafe import Markup

ALLOWED_TAGS = {"p", "br", "strong", "em", "ul", "ol", "li", "blockquote", "h3", "h4", "a"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
URL_SCHEMES = {"http", "https", "mailto"}


@lru_cache(maxsize=2048)
def render_markdown(text: str | None) -> Markup:
    """Markdown → HTML with only harmless tags; scripts, styles and event handlers never pass."""
    if not text:
        return Markup("")
    html = md.markdown(text, extensions=[], output_format="html")
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="nofollow noopener ugc",
    )
    return Markup(clean)


_INDENT = re.compile(r"\n\s+")


def compact_html(html: str) -> Markup:
    """Template indentation dropped from cached markup: a line break stays (browsers read any
    run of whitespace between words or tags as one space), so the page looks the same and
    weighs a third less. Markup with preformatted text is kept as it is."""
    if "<pre" in html or "<textarea" in html:
        return Markup(html)
    return Markup(_INDENT.sub("\n", html))
