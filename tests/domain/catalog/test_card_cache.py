"""Cards kept across catalog versions: a process drops the cards of the listings the version's
change log names (catalog_changes, written with the version), and only those; a listing
hidden on one process is never shown from another process's cards."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, select, text, update

from storefront.domain.catalog import version
from storefront.domain.catalog.cards import CardCache, public_cards
from storefront.models import (
    CatalogChange,
    CatalogState,
    Certificate,
    CertificateStatus,
    CooperativeStatus,
)
from tests.fixtures.app import count_queries
from tests.fixtures.catalog import stored_version


@pytest.fixture
def other_process(app):
    """Cards as another server's process holds them (its own memory), read in a request of
    its own (its own version read and session), as the catalog pages do."""
    cards = CardCache()

    def cards_of(*ids: int):
        saved = app.extensions["listing_cards"]
        app.extensions["listing_cards"] = cards
        try:
            with app.app_context(), app.test_request_context():
                return {card.listing_id: card for card in public_cards(list(ids))}
        finally:
            app.extensions["listing_cards"] = saved

    return cards_of


def settle(db, shop, other_process, *ids: int) -> None:
    """A version move the other process reads the log for, with its cards of `ids`: it then
    knows the nonce of the version it holds (a process knows none before its first)."""
    other_process(*ids)
    shop["coop"].description = f"Câu chuyện {stored_version(db)}"  # no card changes
    db.session.commit()
    other_process(*ids)


def test_a_change_logs_its_listings_under_the_new_version(db, shop):
    shop["vai"].packages[0].price = 160_000
    db.session.commit()
    now = stored_version(db)
    logged = db.session.execute(
        select(CatalogChange.listing_id).where(CatalogChange.version == now)
    ).scalars()
    assert set(logged) == {shop["vai"].id}
    first = db.session.scalar(select(CatalogChange.nonce).where(CatalogChange.version == now))
    shop["coop"].description = "Câu chuyện mới"  # the cooperative's page only: no listing
    db.session.commit()
    changed, nonce = version.changes_between(now - 1, now + 1, None)
    assert changed is None  # the version seen before is not known: every card goes
    assert version.changes_between(now, now + 1, first) == (set(), nonce)
    shop["vai"].name = "Vải thiều Lục Ngạn loại 1"
    db.session.commit()
    assert version.changes_between(now, now + 2, first)[0] == {shop["vai"].id}
    assert version.changes_between(now, now + 2, first + 1)[0] is None  # another `now`


def test_only_the_changed_cards_are_loaded_again(db, shop, other_process):
    vai, gom = shop["vai"].id, shop["gom"].id
    settle(db, shop, other_process, vai, gom)
    before = other_process(vai, gom)
    shop["vai"].packages[0].price = 160_000
    db.session.commit()
    with count_queries(db.engine) as statements:
        after = other_process(vai, gom)
    assert after[vai].price == 160_000 and after[vai] != before[vai]
    assert after[gom] is before[gom]  # kept, not loaded again
    loads = [s for s in statements if "FROM listings" in s]
    assert len(loads) == 1 and any("catalog_changes" in s for s in statements)
    # Nothing changed since: no statement but the version.
    with count_queries(db.engine) as statements:
        assert other_process(vai, gom) == after
    assert len(statements) == 1 and "catalog_state" in statements[0]


@pytest.mark.parametrize(
    "hide",
    [
        lambda shop, db: setattr(shop["vai"].certificate, "status", CertificateStatus.REVOKED),
        lambda shop, db: db.session.execute(  # a bulk UPDATE of the certificate
            update(Certificate)
            .where(Certificate.id == shop["vai"].certificate_id)
            .values(status=CertificateStatus.REVOKED)
        ),
        lambda shop, db: setattr(shop["coop"], "status", CooperativeStatus.SUSPENDED),
        lambda shop, db: setattr(shop["vai"].packages[0], "stock", 0),
    ],
    ids=["revoked", "revoked in bulk", "cooperative suspended", "sold out"],
)
def test_a_hidden_listing_leaves_another_process_s_cards_at_once(db, shop, other_process, hide):
    vai, gom = shop["vai"].id, shop["gom"].id
    settle(db, shop, other_process, vai, gom)
    assert set(other_process(vai, gom)) == {vai, gom}
    hide(shop, db)
    db.session.commit()
    assert set(other_process(vai, gom)) == {gom}
    assert set(other_process(vai, gom)) == {gom}  # remembered as hidden, still not shown


def test_a_listing_made_public_again_comes_back(db, shop, other_process):
    vai, gom = shop["vai"].id, shop["gom"].id
    settle(db, shop, other_process, vai, gom)
    shop["vai"].certificate.status = CertificateStatus.REVOKED
    db.session.commit()
    assert set(other_process(vai, gom)) == {gom}
    shop["vai"].certificate.status = CertificateStatus.VERIFIED
    db.session.commit()
    assert set(other_process(vai, gom)) == {vai, gom}


def test_a_change_the_log_does_not_name_drops_every_card(db, shop, other_process):
    vai, gom = shop["vai"].id, shop["gom"].id
    settle(db, shop, other_process, vai, gom)
    # Raw SQL bypasses the hooks: the caller bumps the version, with no list of listings.
    db.session.execute(
        text("UPDATE listings SET name = 'Gốm Bát Tràng mới' WHERE id = :id"), {"id": gom}
    )
    version.bump(db.session())
    db.session.commit()
    assert other_process(vai, gom)[gom].name == "Gốm Bát Tràng mới"


def test_a_process_too_far_behind_drops_every_card(db, shop, other_process, monkeypatch):
    vai, gom = shop["vai"].id, shop["gom"].id
    settle(db, shop, other_process, vai, gom)
    first = other_process(vai, gom)
    monkeypatch.setattr(version, "MAX_SPAN", 1)
    for price in (160_000, 170_000):
        shop["vai"].packages[0].price = price
        db.session.commit()
    again = other_process(vai, gom)
    assert again[vai].price == 170_000
    assert again[gom] == first[gom] and again[gom] is not first[gom]  # loaded again


def test_the_log_keeps_only_recent_versions(db, shop, monkeypatch):
    monkeypatch.setattr(version, "PRUNE_EVERY", 1)
    monkeypatch.setattr(version, "KEPT_VERSIONS", 2)
    for price in (160_000, 170_000, 180_000):
        shop["vai"].packages[0].price = price
        db.session.commit()
    now = stored_version(db)
    kept = set(db.session.execute(select(CatalogChange.version)).scalars())
    assert kept == {now - 1, now}
    nonce = db.session.scalar(select(CatalogChange.nonce).where(CatalogChange.version == now - 1))
    assert version.changes_between(now - 3, now, nonce)[0] is None  # pruned: cannot say
    assert version.changes_between(now - 1, now, nonce)[0] == {shop["vai"].id}


def test_a_version_counted_again_after_a_restore_drops_every_card(db, shop, other_process):
    vai, gom = shop["vai"].id, shop["gom"].id
    settle(db, shop, other_process, vai, gom)
    seen = stored_version(db)
    # An older backup restored: the version and the log go back (and the data with them),
    # then count up past the version the other process holds, with other changes.
    db.session.execute(delete(CatalogChange).where(CatalogChange.version > seen - 2))
    db.session.execute(update(CatalogState).values(version=seen - 2))
    db.session.execute(text("UPDATE listings SET name = 'Gốm cũ' WHERE id = :id"), {"id": gom})
    db.session.commit()
    for price in (160_000, 170_000, 180_000):
        shop["vai"].packages[0].price = price
        db.session.commit()
    assert stored_version(db) == seen + 1
    assert other_process(vai, gom)[gom].name == "Gốm cũ"
