"""The PostgreSQL search backend's own guarantees: chosen only on PostgreSQL, its rows written
in the catalog commit's transaction (committed or rolled back with it), its generation moving
on with every write. The behaviour both backends share is tested by the rest of tests/search,
run on each backend."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from storefront import create_app
from storefront import search as search_module
from storefront.models import CertificateStatus, CooperativeStatus, ListingStatus
from storefront.search import SearchQuery, search


def ids(text_: str = "") -> list[int]:
    return search(SearchQuery(text=text_)).ids


def test_postgres_backend_is_refused_without_postgresql(tmp_path):
    with pytest.raises(RuntimeError, match="needs a PostgreSQL database"):
        create_app(
            {
                "CONFIG": "testing",
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.sqlite3'}",
                "SEARCH_BACKEND": "postgres",
            }
        )
    with pytest.raises(RuntimeError, match="SEARCH_BACKEND must be one of"):
        create_app({"CONFIG": "testing", "SEARCH_BACKEND": "elastic"})


@pytest.fixture
def postgres(app, search_backend):
    if search_backend != "postgres":
        pytest.skip("what only the postgres search backend does")
    return app


def _rows(db) -> set[int]:
    return set(db.session.scalars(text("SELECT listing_id FROM search_documents")))


def test_rows_are_written_in_the_commit_without_any_after_commit_indexing(
    postgres, make, db, monkeypatch
):
    # Nothing runs after the commit: the row came with it.
    monkeypatch.setattr(search_module, "index_listings", lambda listing_ids: 1 / 0)
    listing = make.listing(name="Chè búp Tân Cương")
    assert ids("che tan cuong") == [listing.id]
    listing.status = ListingStatus.PAUSED
    db.session.commit()
    assert ids("che tan cuong") == [] and listing.id not in _rows(db)


def test_a_rolled_back_change_leaves_the_rows_as_they_were(postgres, make, db):
    listing = make.listing(name="Mật ong bạc hà")
    generation = search_module.index_generation()
    listing.name = "Trà xanh Thái Nguyên"
    db.session.flush()
    db.session.rollback()
    assert ids("tra xanh") == [] and ids("mat ong bac ha") == [listing.id]
    assert search_module.index_generation() == generation


def test_a_revoked_certificate_or_suspended_cooperative_takes_every_listing_out(postgres, make, db):
    coop = make.cooperative()
    first = make.listing(coop=coop, name="Gạo nếp cái hoa vàng")
    second = make.listing(coop=coop, name="Gạo tám thơm")
    assert set(ids("gao")) == {first.id, second.id}
    first.certificate.status = CertificateStatus.REVOKED
    db.session.commit()
    assert ids("gao") == [second.id]
    coop.status = CooperativeStatus.SUSPENDED
    db.session.commit()
    assert ids("gao") == [] and _rows(db) == set()


def test_the_generation_moves_on_with_every_write(postgres, make, db):
    before = search_module.index_generation()
    listing = make.listing(name="Bưởi Diễn")
    after_create = search_module.index_generation()
    assert after_create > before
    search_module.index_listings([listing.id])
    assert search_module.index_generation() > after_create
    search_module.reindex_all()
    assert ids("buoi") == [listing.id]


def test_the_words_table_follows_the_listings(postgres, make, db):
    listing = make.listing(name="Vải thiều Lục Ngạn")
    assert "thieu" in search_module.words_starting("thi")
    listing.name = "Nhãn lồng Hưng Yên"
    db.session.commit()
    assert "thieu" not in search_module.words_starting("thi")
    assert search(SearchQuery(text="nhan lonf")).ids == [listing.id]
