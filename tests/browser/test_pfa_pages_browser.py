"""Every page of the PFA console on a 390×844 phone (issue 12, point 9), with the demo data:
staff land on the console when they log in; no page scrolls sideways (a wide table scrolls in
its own box); every control is at least 24 px tall and wide (inline links in a sentence
excepted, as WCAG 2.5.8 allows). Screenshots at 390 and 1280 px in tests/artifacts/."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from storefront.models import (
    Certificate,
    CertificateStatus,
    Cooperative,
    CooperativeStatus,
    Order,
)
from tests.browser.test_pfa_browser import _demo_sales

SMALL_TARGETS = """() => {
  const small = [];
  const controls = 'main a[href], main button, main select, main textarea, main summary, '
    + 'main input:not([type=hidden])';
  for (const el of document.querySelectorAll(controls)) {
    const box = el.getBoundingClientRect();
    if (!box.width || !box.height) continue;
    if (box.width >= 24 && box.height >= 24) continue;
    // WCAG 2.5.8: a link inside a sentence is exempt (its size is set by the line of text).
    const parentText = (el.parentElement.textContent || '').trim();
    if (el.tagName === 'A' && getComputedStyle(el).display === 'inline'
        && parentText.length > (el.textContent || '').trim().length + 2) continue;
    const size = `${Math.round(box.width)}x${Math.round(box.height)}`;
    small.push(`${el.tagName} ${size} ${el.outerHTML.slice(0, 90)}`);
  }
  return small;
}"""


def _check(page, path: str) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"{path}: the page is {width} px wide"
    small = page.evaluate(SMALL_TARGETS)
    assert small == [], (path, "\n".join(small))


@pytest.mark.browser
def test_every_console_page_fits_a_phone(page, app, db, artifacts_dir):
    from storefront.demo import PFA_EMAIL, seed_demo

    report = seed_demo()
    _demo_sales(db)
    submitted = db.session.scalar(
        select(Certificate.id)
        .where(Certificate.status == CertificateStatus.SUBMITTED)
        .order_by(Certificate.stars.desc(), Certificate.id)
        .limit(1)
    )
    coop = db.session.scalar(
        select(Cooperative.id).where(Cooperative.status == CooperativeStatus.APPLIED).limit(1)
    ) or db.session.scalar(select(Cooperative.id).limit(1))
    order = db.session.scalar(select(Order.number).limit(1))
    assert submitted and coop and order

    # Staff land on the console when they log in.
    page.goto("/account/login")
    page.fill("input[name=email]", PFA_EMAIL)
    page.fill("input[name=password]", report["password"])
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/pfa/")

    pages = {
        "pfa-home": "/pfa/",
        "pfa-queue": "/pfa/certificates",
        "pfa-certificates-verified": "/pfa/certificates?status=verified",
        "pfa-certificate": f"/pfa/certificates/{submitted}",
        "pfa-cooperatives": "/pfa/cooperatives",
        "pfa-cooperative": f"/pfa/cooperatives/{coop}",
        "pfa-orders": "/pfa/orders",
        "pfa-order": f"/pfa/orders/{order}",
        "pfa-expiries": "/pfa/expiries",
        "pfa-audit": "/pfa/audit",
        "pfa-programme": "/pfa/programme",
    }
    for width in (390, 1280):
        page.set_viewport_size({"width": width, "height": 844 if width == 390 else 800})
        for name, path in pages.items():
            response = page.goto(path)
            assert response.status == 200, path
            assert page.locator("nav.console-nav").is_visible(), path  # in the console layout
            if width == 390:
                _check(page, path)
            page.screenshot(path=str(artifacts_dir / f"{name}-{width}.png"), full_page=True)

        # The confirmation page of a verification (the first POST: nothing changes).
        page.goto(f"/pfa/certificates/{submitted}")
        page.locator(f"form[action='/pfa/certificates/{submitted}/verify'] button").click()
        page.wait_for_load_state()
        assert page.locator("section.confirm").is_visible()
        if width == 390:
            _check(page, "confirm")
        page.screenshot(path=str(artifacts_dir / f"pfa-confirm-{width}.png"), full_page=True)
    db.session.expire_all()
    assert db.session.get(Certificate, submitted).status is CertificateStatus.SUBMITTED
    assert db.session.get(Certificate, submitted).pending_approval is None

    # On a phone the audit log's rows are cards: no table wider than the screen.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/pfa/audit")
    row = page.locator("tbody tr").first
    assert row.bounding_box()["width"] <= 390
    assert page.locator("thead").first.bounding_box()["height"] <= 1  # read, not shown
