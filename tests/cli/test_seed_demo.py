"""`flask seed-demo`: the demo accounts, once; a second run adds only what is missing."""

from __future__ import annotations

from sqlalchemy import func, select

from storefront.core.media import listing_image_path
from storefront.demo import DEMO_PASSWORD, seed_demo
from storefront.models import (
    Listing,
    Role,
    User,
)


def _row_counts(db) -> dict[str, int]:
    return {
        table.name: db.session.scalar(select(func.count()).select_from(table))
        for table in db.metadata.sorted_tables
    }


def _listing(db, slug: str) -> Listing:
    listing = db.session.scalar(select(Listing).where(Listing.slug == slug))
    assert listing is not None, slug
    return listing


def test_cli_seeds_the_demo_accounts_once(db, runner):
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    assert f"password for all: {DEMO_PASSWORD}" in first.output
    roles = {
        "customer": ("khachhang@demo.ocop.vn", Role.CUSTOMER),
        "cooperative owner": ("htx@demo.ocop.vn", Role.CUSTOMER),
        "PFA staff": ("hoinongdan@demo.ocop.vn", Role.PFA),
        "admin": ("admin@demo.ocop.vn", Role.ADMIN),
    }
    for label, (email, role) in roles.items():
        assert any(label in line and email in line for line in first.output.splitlines()), label
        user = db.session.scalar(User.by_email(email))
        assert user.role is role and user.check_password(DEMO_PASSWORD)
    owner = db.session.scalar(User.by_email("htx@demo.ocop.vn"))
    assert [m.cooperative.slug for m in owner.memberships] == ["htx-vai-thieu-hong-xuan"]
    assert _listing(db, "vai-thieu-luc-ngan").cooperative.slug == "htx-vai-thieu-hong-xuan"

    # A second run finds everything and adds nothing: no row, no picture file.
    folder = listing_image_path("x", "card").parent
    before, files_before = _row_counts(db), sorted(folder.iterdir())
    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0, second.output
    assert "nothing to add" in second.output and "htx@demo.ocop.vn" in second.output
    db.session.expire_all()
    assert _row_counts(db) == before
    assert sorted(folder.iterdir()) == files_before

    # Only what is missing is created again: here, the pictures of one listing.
    for image in _listing(db, "na-luc-nam").images:
        db.session.delete(image)
    db.session.commit()
    before = _row_counts(db)
    seed_demo()
    db.session.expire_all()
    added = {table: n - before[table] for table, n in _row_counts(db).items() if n != before[table]}
    # The new picture moves the catalog version, which logs the listing it changed.
    assert added.pop("catalog_changes", 0) >= 1
    assert added == {"listing_images": 1}
    assert _listing(db, "na-luc-nam").images
