"""What the demo contains: accounts, cooperatives and listings, read from the TOML files in
storefront/demo/data/ into typed specs (a misspelt key fails loudly)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any

from storefront.core.text import slugify
from storefront.models import CertificateStatus, CooperativeStatus, ListingStatus, OcopGroup, Role

DEMO_PASSWORD = "ocop-demo-2026"


@dataclass(frozen=True)
class AccountSpec:
    label: str  # the role as the CLI prints it
    email: str
    name: str
    role: Role
    address: tuple[str, int] | None = None  # (street, current commune code): a saved address


@dataclass(frozen=True)
class CoopSpec:
    key: str
    legal_name: str
    short_name: str  # the slug comes from it
    registration_number: str
    commune: int  # current commune code
    address: str
    description: str
    status: CooperativeStatus = CooperativeStatus.APPROVED
    owner: str | None = None  # e-mail of the owner account


@dataclass(frozen=True)
class Pack:
    label: str
    grams: int
    price: int  # đồng
    stock: int
    preorder: bool = False


@dataclass(frozen=True)
class ItemSpec:
    """One listing, its certificate and its packages."""

    coop: str
    name: str
    group: OcopGroup
    stars: int | None  # None: no certificate yet
    certificate_no: int | None
    commune: int  # current commune code
    legacy: int | None  # the pre-2025 commune code
    look: str  # pictures.LOOKS
    description: str
    packs: tuple[Pack, ...]
    issued_days_ago: int = 365
    expires_in_days: int | None = None  # deliberate near-expiry or expired certificates
    certified_name: str | None = None  # the product's name on the certificate, if different
    certificate_status: CertificateStatus = CertificateStatus.VERIFIED
    status: ListingStatus = ListingStatus.ACTIVE
    recorded: str | None = None  # the origin as written on an old record, if given
    keep_legacy: bool = False  # record the pre-2025 commune even for a recent certificate
    pictures: int = 1
    name_en: str = ""  # optional English name and short description (the English UI's)
    summary_en: str = ""

    @property
    def slug(self) -> str:
        return slugify(self.name)


def _read(name: str) -> dict[str, Any]:
    return tomllib.loads((files("storefront.demo") / "data" / f"{name}.toml").read_text("utf-8"))


def _account(row: dict[str, Any]) -> AccountSpec:
    row = dict(row, role=Role(row["role"]))
    if "address" in row:
        row["address"] = (row["address"]["street"], row["address"]["commune"])
    return AccountSpec(**row)


def _cooperative(row: dict[str, Any]) -> CoopSpec:
    return CoopSpec(**dict(row, status=CooperativeStatus(row.get("status", "approved"))))


def _item(row: dict[str, Any]) -> ItemSpec:
    return ItemSpec(
        **{
            "stars": None,
            "certificate_no": None,
            "legacy": None,
            **row,
            "group": OcopGroup[row["group"].upper()],
            "packs": tuple(Pack(**pack) for pack in row["packs"]),
            "certificate_status": CertificateStatus(row.get("certificate_status", "verified")),
            "status": ListingStatus(row.get("status", "active")),
        }
    )


@cache
def accounts() -> tuple[AccountSpec, ...]:
    return tuple(_account(row) for row in _read("accounts")["account"])


@cache
def cooperatives() -> tuple[CoopSpec, ...]:
    return tuple(_cooperative(row) for row in _read("cooperatives")["cooperative"])


@cache
def items() -> tuple[ItemSpec, ...]:
    """The listings, in the catalog's order (the first is the newest)."""
    return tuple(_item(row) for row in _read("listings")["listing"])


def pfa_email() -> str:
    return next(spec.email for spec in accounts() if spec.role is Role.PFA)
