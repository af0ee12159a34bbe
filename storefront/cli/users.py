"""`flask --app wsgi users ...`: create accounts, change roles, deactivate, from the shell."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from storefront.core.errors import DomainError
from storefront.domain import accounts as services
from storefront.models import Role

users_cli = AppGroup("users", help="Accounts: create, set roles, deactivate.")

ROLE_CHOICE = click.Choice([role.value for role in Role], case_sensitive=False)


def _fail(error: DomainError):
    raise click.ClickException(error.message)


@users_cli.command("create")
@click.option("--email", required=True, help="E-mail address; also the login name.")
@click.option("--role", type=ROLE_CHOICE, default=Role.CUSTOMER.value, show_default=True)
@click.option("--name", default="", help="Display name.")
@click.option("--locale", type=click.Choice(services.LOCALES), default="vi", show_default=True)
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    help="Asked for (hidden, twice) when not given; a password in shell history is a leak.",
)
def create_user(email: str, role: str, name: str, locale: str, password: str) -> None:
    """Create an account (its address counts as verified: the administrator vouches for it)."""
    try:
        user = services.register_user(
            email, password, name, locale=locale, role=Role(role.lower()), verified=True
        )
    except DomainError as error:
        _fail(error)
    click.echo(f"Created {user.email} ({user.role.value}).")


@users_cli.command("set-role")
@click.argument("email")
@click.argument("role", type=ROLE_CHOICE)
def set_role(email: str, role: str) -> None:
    """Give the account EMAIL the role ROLE (customer, pfa, admin). A cooperative's member
    cannot become pfa or admin (refused: remove them from the cooperative first)."""
    try:
        user = services.set_role(email, Role(role.lower()))
    except DomainError as error:
        _fail(error)
    click.echo(f"{user.email} is now {user.role.value}.")


@users_cli.command("deactivate")
@click.argument("email")
def deactivate(email: str) -> None:
    """Stop EMAIL from logging in; current sessions end on their next request."""
    try:
        user = services.set_active(email, False)
    except DomainError as error:
        _fail(error)
    click.echo(f"{user.email} is deactivated.")


@users_cli.command("activate")
@click.argument("email")
def activate(email: str) -> None:
    """Let a deactivated EMAIL log in again."""
    try:
        user = services.set_active(email, True)
    except DomainError as error:
        _fail(error)
    click.echo(f"{user.email} is active.")
