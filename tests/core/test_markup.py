"""Descriptions in a safe Markdown subset."""

from __future__ import annotations

import pytest

from storefront.core.markup import render_markdown

pytestmark = pytest.mark.usefixtures("english")


HOSTILE = [
    "<script>alert('x')</script>",
    '<img src=x onerror="alert(1)">',
    "[bấm vào đây](javascript:alert(1))",
    '<a href="javascript:alert(1)">link</a>',
    "<iframe src=//evil.example></iframe>",
    '<p style="background:url(javascript:alert(1))" onclick="alert(1)">hi</p>',
    "[x](JaVaScRiPt:alert(1))",
    "<svg onload=alert(1)>",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_render_markdown_never_lets_scripts_through(text):
    html = str(render_markdown(text)).lower()
    assert "<script" not in html
    assert "onerror" not in html and "onload" not in html and "onclick" not in html
    assert "javascript:" not in html
    assert "<iframe" not in html and "<svg" not in html and "style=" not in html


def test_markdown_keeps_the_harmless_subset():
    html = str(render_markdown("Quả **to**, *ngọt*.\n\n- Hộp 1 kg\n- [Xem](https://ocop.vn)"))
    assert "<strong>to</strong>" in html and "<em>ngọt</em>" in html and "<li>" in html
    assert 'href="https://ocop.vn"' in html and "nofollow" in html
