"""The unit of work: one commit or one rollback, files undone on failure, effects after commit."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from storefront.core.db import unit_of_work
from storefront.extensions import db as _db
from storefront.models import User


def _committed_emails() -> set[str]:
    """What another connection sees: only committed rows."""
    with Session(bind=_db.engine) as other:
        return set(other.scalars(select(User.email)))


def _user(email: str) -> User:
    user = User(email=email, name="Lan")
    user.set_password("a long enough password")
    return user


def test_commits_once_then_runs_its_effects_outside_any_transaction(db):
    seen = []
    with unit_of_work(writer=True) as unit:
        db.session.add(_user("lan@example.vn"))
        unit.on_commit(lambda: seen.append((db.session().in_transaction(), _committed_emails())))
        assert seen == []  # not before the commit
    assert seen == [(False, {"lan@example.vn"})]


def test_rolls_back_undoes_what_it_wrote_and_skips_its_effects(db):
    undone, effects = [], []
    with pytest.raises(RuntimeError), unit_of_work() as unit:
        db.session.add(_user("lan@example.vn"))
        unit.on_rollback(undone.append, "photo-stem")
        unit.on_commit(effects.append, "mail")
        raise RuntimeError("boom")
    assert undone == ["photo-stem"] and effects == []
    assert _committed_emails() == set()


def test_a_failing_effect_is_logged_and_never_undoes_the_commit(db, caplog):
    def broken():
        raise OSError("SMTP down")

    after = []
    with unit_of_work() as unit:
        db.session.add(_user("lan@example.vn"))
        unit.on_commit(broken)
        unit.on_commit(after.append, "next effect")
    assert _committed_emails() == {"lan@example.vn"}
    assert after == ["next effect"]
    assert "after commit failed" in caplog.text


def test_a_unit_inside_another_joins_it(db):
    effects = []
    with unit_of_work() as outer:
        with unit_of_work(writer=True) as inner:
            assert inner is outer
            db.session.add(_user("lan@example.vn"))
            inner.on_commit(effects.append, "mail")
        assert _committed_emails() == set() and effects == []  # the outer one commits
    assert _committed_emails() == {"lan@example.vn"} and effects == ["mail"]
