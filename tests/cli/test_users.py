"""The `users` CLI: create users with a role, change roles, deactivate."""

from __future__ import annotations

from sqlalchemy import func, select

from storefront.models import (
    Role,
    User,
)
from tests.fixtures.factories import PASSWORD


def user_count(db) -> int:
    return db.session.scalar(select(func.count()).select_from(User))


def test_cli_creates_users_with_a_role(runner, db):
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "Staff@PFA.vn",
            "--role",
            "pfa",
            "--password",
            "long enough pw",
        ]
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(User.by_email("staff@pfa.vn"))
    assert user.role is Role.PFA and user.email == "staff@pfa.vn"
    assert user.check_password("long enough pw")
    assert user.email_verified_at is not None  # the administrator vouches for the address


def test_cli_prompts_for_the_password_twice(runner, db):
    result = runner.invoke(
        args=["users", "create", "--email", "admin@ocop.vn", "--role", "admin"],
        input="long enough pw\nlong enough pw\n",
    )
    assert result.exit_code == 0, result.output
    assert "long enough pw" not in result.output  # hidden input
    user = db.session.scalar(User.by_email("admin@ocop.vn"))
    assert user.role is Role.ADMIN and user.check_password("long enough pw")


def test_cli_refuses_bad_input(english, runner, make, db):
    make.user(email="lan@example.vn")
    result = runner.invoke(
        args=["users", "create", "--email", "LAN@example.vn", "--password", "long enough pw"]
    )
    assert result.exit_code != 0
    assert "already exists" in result.output
    result = runner.invoke(
        args=["users", "create", "--email", "x@example.vn", "--password", "short"]
    )
    assert result.exit_code != 0
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "x@example.vn",
            "--role",
            "boss",
            "--password",
            "long enough pw",
        ]
    )
    assert result.exit_code != 0
    assert user_count(db) == 1


def test_cli_sets_roles_and_deactivates(runner, make, client, db):
    user = make.user(email="lan@example.vn")
    result = runner.invoke(args=["users", "set-role", "LAN@example.vn", "admin"])
    assert result.exit_code == 0, result.output
    db.session.refresh(user)
    assert user.role is Role.ADMIN

    result = runner.invoke(args=["users", "deactivate", "lan@example.vn"])
    assert result.exit_code == 0, result.output
    db.session.refresh(user)
    assert not user.active
    assert (
        client.post(
            "/account/login", data={"email": "lan@example.vn", "password": PASSWORD}
        ).status_code
        == 200
    )  # refused: the form again

    runner.invoke(args=["users", "activate", "lan@example.vn"])
    db.session.refresh(user)
    assert user.active

    result = runner.invoke(args=["users", "deactivate", "nobody@example.vn"])
    assert result.exit_code != 0
    assert "nobody@example.vn" in result.output


def test_cli_refuses_to_make_a_cooperative_member_staff_or_admin(english, runner, make, db):
    owner = make.user(email="chu@htx.vn")
    make.cooperative(owner=owner)
    for role in ("pfa", "admin"):
        result = runner.invoke(args=["users", "set-role", "chu@htx.vn", role])
        assert result.exit_code != 0
        assert "is a member of a cooperative" in result.output
        db.session.refresh(owner)
        assert owner.role is Role.CUSTOMER
    assert runner.invoke(args=["users", "set-role", "chu@htx.vn", "customer"]).exit_code == 0
