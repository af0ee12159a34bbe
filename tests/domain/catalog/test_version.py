"""The catalog version moves with every change the catalog shows, and only then."""

from __future__ import annotations

from sqlalchemy import update

from storefront.models import CertificateStatus, Package
from tests.fixtures.catalog import stored_version


def test_the_version_moves_with_every_change_the_catalog_shows(db, shop):
    vai = shop["vai"]
    steps = [
        lambda: setattr(vai, "name", "Vải thiều Lục Ngạn loại 1"),
        lambda: setattr(vai.packages[0], "price", 160_000),
        lambda: setattr(vai.packages[0], "stock", 29),
        lambda: db.session.execute(  # 29 → 5: "only 5 left" shows
            update(Package).where(Package.id == vai.packages[0].id).values(stock=Package.stock - 24)
        ),
        lambda: db.session.execute(  # price through a bulk UPDATE
            update(Package).where(Package.id == vai.packages[0].id).values(price=170_000)
        ),
        lambda: setattr(vai.certificate, "status", CertificateStatus.REVOKED),
        lambda: setattr(shop["coop"], "legal_name", "HTX Vải thiều Hồng Xuân Lục Ngạn"),
    ]
    for step in steps:
        before = stored_version(db)
        step()
        db.session.commit()
        assert stored_version(db) == before + 1


def test_changes_the_catalog_does_not_show_leave_the_version_alone(db, shop, make):
    before = stored_version(db)
    shop["coop"].phone = "0204 3888 999"  # not on any card or product page
    db.session.commit()
    make.user()
    assert stored_version(db) == before


def test_a_rolled_back_change_leaves_the_version_alone(db, shop):
    before = stored_version(db)
    shop["vai"].name = "Never saved"
    db.session.flush()
    db.session.rollback()
    assert stored_version(db) == before


def test_what_only_a_cooperatives_page_shows_moves_the_version_and_reindexes_nothing(
    db, shop, monkeypatch
):
    import storefront.search as search

    reindexed: list[set[int]] = []
    monkeypatch.setattr(search, "index_listings", lambda ids: reindexed.append(set(ids)))
    for field, value in (("description", "Câu chuyện mới"), ("logo", "abc123")):
        before = stored_version(db)
        setattr(shop["coop"], field, value)
        db.session.commit()
        assert stored_version(db) == before + 1, field
    assert all(not ids for ids in reindexed)
    shop["coop"].legal_name = "HTX Vải thiều Hồng Xuân Lục Ngạn"  # on every card: re-indexed
    db.session.commit()
    assert shop["vai"].id in set().union(*reindexed)
