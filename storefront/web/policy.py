"""Who may call each route: one table, checked before every view.

Every endpoint of the app is named in POLICIES with a Policy: who may call it (an Access level)
and, for a route that names an object only its owner may see, that every refusal is 404 so
that ids cannot be probed. `init_app` refuses to start the app while an endpoint is missing
from the table (the error names each one and the line to add), and a request to an endpoint
without a policy answers 404: nothing is public by omission.

The hook applies the role-level part (anonymous → the log-in page; a logged-in account of the
wrong kind → the declared refusal). Whether the object in the URL is the caller's own (their
order, address or cart line; their chosen cooperative's listing, certificate or shipment) is
checked where it is loaded (`web/seller/context.py` and the domain loaders taking the actor);
the table says which routes rely on that, and tests/web/test_route_policy.py tries every role
against every route to hold both. The blueprints' own guards (`login_required`, the PFA
console's before_request, `cooperative_required`) stay as a second line.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from flask import Flask, abort, redirect, request, url_for
from flask_login import current_user

from storefront.domain.cooperatives.members import require_not_staff
from storefront.extensions import login_manager
from storefront.models import Role
from storefront.web.seller.context import memberships


class Access(enum.StrEnum):
    """Who may call a route, from the widest to the narrowest."""

    ANYONE = "anyone"  # anonymous visitors included
    ASSET = "asset"  # static files and public media (photos, logos): anyone, files only
    WEBHOOK = "webhook"  # anyone may deliver; the provider's signature, checked in the view
    LINK = "link"  # whoever holds a signed link or id from an e-mail or the provider
    OWNER = "owner"  # anyone may ask; only the object's owner gets it (the loader decides)
    CUSTOMER = "customer"  # any logged-in account
    APPLICANT = "applicant"  # a logged-in account that may join a cooperative (not PFA/admin)
    MEMBER = "member"  # a member of a cooperative (the seller workspace)
    PFA = "pfa"  # PFA staff and admins
    ADMIN = "admin"  # admins only


# Levels the hook has nothing to check for: the view or its loader does (signature, token,
# owner), or nobody is refused.
OPEN = frozenset({Access.ANYONE, Access.ASSET, Access.WEBHOOK, Access.LINK, Access.OWNER})


class Refusal(enum.StrEnum):
    """What a logged-in caller who may not have the route gets (anonymous callers of a
    log-in-only route are always sent to the log-in page)."""

    NOT_FOUND = "404"  # as if the object did not exist
    FORBIDDEN = "403"
    WELCOME = "seller welcome"  # GET: the seller welcome page (apply there); other methods 404
    CART = "back to the cart"  # 303 to the cart, "not in your cart", as for a missing line


@dataclass(frozen=True)
class Policy:
    """`access`: who may call. `hide`: the URL names an object only its owner may see (a
    buyer's order, an account's address, a cooperative's listing): every refusal after log-in
    is 404, the same as for an id that does not exist. `refusal` overrides the answer."""

    access: Access
    hide: bool = False
    refusal: Refusal | None = None

    @property
    def answer(self) -> Refusal:
        """What a logged-in caller who is refused gets."""
        if self.refusal is not None:
            return self.refusal
        if self.hide:
            return Refusal.NOT_FOUND
        if self.access is Access.MEMBER:
            return Refusal.WELCOME
        return Refusal.FORBIDDEN

    def describe(self) -> str:
        text = self.access.value
        refuses = self.access not in OPEN and self.access is not Access.CUSTOMER
        if self.hide or self.refusal is not None or refuses:
            text += f" (else {self.answer.value})"
        return text


Entry = Policy | Mapping[str, Policy]  # one policy, or one per HTTP method

ANYONE = Policy(Access.ANYONE)

# One line per endpoint. A new route needs its line here, or the app does not start.
POLICIES: dict[str, Entry] = {
    # Files
    "static": Policy(Access.ASSET),
    "main.media": Policy(Access.ASSET),  # listings/ and logos/ only; scans are never here
    # Site
    "main.healthz": ANYONE,
    "main.communes": ANYONE,
    # Catalog and certificate verification
    "catalog.home": ANYONE,
    "catalog.products": ANYONE,
    "catalog.search": ANYONE,
    "catalog.count": ANYONE,  # the filter sheet's live result count (JSON)
    "catalog.suggest": ANYONE,  # suggestions under the search box (JSON, public listings only)
    "catalog.product": ANYONE,  # public listings only; another is 404 (visibility rule)
    "catalog.cooperative": ANYONE,
    "catalog.origins": ANYONE,
    "catalog.sitemap": ANYONE,
    "catalog.robots": ANYONE,
    # A visitor's "helpful" vote on a visible review (POST, rate-limited per IP; CSRF checked in
    # the view as for cart.add: a public page's form): catalog/routes.py
    "catalog.review_helpful": ANYONE,
    "verify.index": ANYONE,
    "verify.certificate": ANYONE,
    "verify.qr_svg": ANYONE,
    "verify.qr_png": ANYONE,
    # Cart and checkout: guests too (the cart cookie)
    "cart.show": ANYONE,
    "cart.add": ANYONE,  # CSRF checked in the view (a public page's form): cart/routes.py
    "cart.token": ANYONE,  # a CSRF token for a public page's purchase form (JSON, no-store)
    "cart.save": ANYONE,  # the visitor's own cart only: other ids in the form are ignored
    "cart.update": Policy(Access.OWNER, refusal=Refusal.CART),  # the visitor's own line
    "cart.remove": Policy(Access.OWNER, refusal=Refusal.CART),
    "checkout.start": ANYONE,
    "checkout.submit": ANYONE,
    "checkout.quote": ANYONE,
    "checkout.stripe_return": Policy(Access.LINK),  # Stripe's session id; never marks paid
    "payments.stripe_webhook": Policy(Access.WEBHOOK),
    "payments.sepay_webhook": Policy(Access.WEBHOOK),  # the Apikey header, checked in the view
    "payments.payos_webhook": Policy(Access.WEBHOOK),  # the checksum key's signature
    # A buyer's orders: their account's, or a guest's proved in this browser session (placed
    # here, its signed link opened here, or its number and phone given)
    "orders.index": Policy(Access.CUSTOMER),
    "orders.lookup": ANYONE,
    "orders.link": Policy(Access.LINK),  # the signed order link: that one order, 90 days
    "orders.detail": Policy(Access.OWNER, hide=True),
    "orders.cancel": Policy(Access.OWNER, hide=True),
    "orders.pay": Policy(Access.OWNER, hide=True),
    # A bank transfer order's QR (what it still owes) and its live status: as the order page.
    "orders.vietqr_svg": Policy(Access.OWNER, hide=True),
    "orders.vietqr_png": Policy(Access.OWNER, hide=True),
    "orders.payment_status": Policy(Access.OWNER, hide=True),
    # Reviews: a buyer's own delivered line (another's: 404); the reminder e-mail's signed link
    # (that one line, REVIEW_LINK_MAX_AGE_DAYS); anyone's report (CSRF checked in the view, as
    # add-to-cart: a public page's form)
    "reviews.write": Policy(Access.CUSTOMER, hide=True),
    "reviews.guest": Policy(Access.LINK),
    "reviews.report": ANYONE,
    # Accounts
    "accounts.login": ANYONE,
    "accounts.register": ANYONE,
    "accounts.reset_request": ANYONE,
    "accounts.reset_password": Policy(Access.LINK),
    "accounts.logout": Policy(Access.CUSTOMER),
    "accounts.account": Policy(Access.CUSTOMER),
    "accounts.change_password": Policy(Access.CUSTOMER),
    "accounts.change_email": Policy(Access.CUSTOMER),
    "accounts.cancel_email_change": Policy(Access.CUSTOMER),
    "accounts.confirm_email": Policy(Access.LINK),
    "accounts.verify_email": Policy(Access.LINK),
    "accounts.send_verification": Policy(Access.CUSTOMER),
    "accounts.new_address": Policy(Access.CUSTOMER),
    "accounts.edit_address": Policy(Access.CUSTOMER, hide=True),
    "accounts.default_address": Policy(Access.CUSTOMER, hide=True),
    "accounts.delete_address": Policy(Access.CUSTOMER, hide=True),
    # Seller workspace: any account may open the welcome page and apply
    "seller.dashboard": Policy(Access.CUSTOMER),
    "seller.choose": Policy(Access.CUSTOMER),
    "seller.apply": Policy(Access.APPLICANT),
    "seller.former": Policy(Access.CUSTOMER),
    "seller.invitation": {"GET": Policy(Access.LINK), "POST": Policy(Access.CUSTOMER)},
    # ... the chosen cooperative's pages
    "seller.listings": Policy(Access.MEMBER),
    "seller.new_listing": Policy(Access.MEMBER),
    "seller.certificates": Policy(Access.MEMBER),
    "seller.new_certificate": Policy(Access.MEMBER),
    "seller.stock": Policy(Access.MEMBER),
    "seller.members": Policy(Access.MEMBER),
    "seller.invite": Policy(Access.MEMBER),
    "seller.shipments": Policy(Access.MEMBER),
    "seller.reviews": Policy(Access.MEMBER),  # the chosen cooperative's reviews
    "seller.profile": Policy(Access.MEMBER),  # POST: owners only (the domain's Forbidden)
    # the chosen cooperative's own pending logo (another's: 404); owners only (403)
    "seller.discard_logo": Policy(Access.MEMBER, hide=True),
    # ... its money: balance, entries, statements; the payout account (POST: owners only, 403)
    "seller.finance": Policy(Access.MEMBER),
    "seller.finance_statement": Policy(Access.MEMBER),
    "seller.finance_statement_csv": Policy(Access.MEMBER),
    "seller.payout_account": Policy(Access.MEMBER),
    # ... and its objects: another cooperative's are 404
    "seller.listing": Policy(Access.MEMBER, hide=True),
    "seller.edit_listing": Policy(Access.MEMBER, hide=True),
    "seller.publish_listing": Policy(Access.MEMBER, hide=True),
    "seller.pause_listing": Policy(Access.MEMBER, hide=True),
    "seller.resume_listing": Policy(Access.MEMBER, hide=True),
    "seller.delete_listing": Policy(Access.MEMBER, hide=True),
    "seller.upload_photos": Policy(Access.MEMBER, hide=True),
    "seller.cover_photo": Policy(Access.MEMBER, hide=True),
    "seller.move_photo": Policy(Access.MEMBER, hide=True),
    "seller.delete_photo": Policy(Access.MEMBER, hide=True),
    "seller.certificate": Policy(Access.MEMBER, hide=True),
    "seller.edit_certificate": Policy(Access.MEMBER, hide=True),
    "seller.certificate_scan": Policy(Access.MEMBER, hide=True),
    "seller.certificate_label": Policy(Access.MEMBER, hide=True),
    "seller.remove": Policy(Access.MEMBER, hide=True),
    "seller.revoke": Policy(Access.MEMBER, hide=True),
    "seller.shipment": Policy(Access.MEMBER, hide=True),
    "seller.shipment_step": Policy(Access.MEMBER, hide=True),
    "seller.shipment_cancel": Policy(Access.MEMBER, hide=True),
    "seller.answer_review": Policy(Access.MEMBER, hide=True),  # its own reviews only, once
    # PFA console
    "pfa.dashboard": Policy(Access.PFA),
    "pfa.certificates": Policy(Access.PFA),
    "pfa.certificate": Policy(Access.PFA),
    "pfa.next_certificate": Policy(Access.PFA),
    "pfa.certificate_scan": Policy(Access.PFA),
    "pfa.verify_certificate": Policy(Access.PFA),
    "pfa.reject_certificate": Policy(Access.PFA),
    "pfa.revoke_certificate": Policy(Access.PFA),
    "pfa.confirm_verification": Policy(Access.PFA),
    "pfa.propose_reinstatement": Policy(Access.PFA),
    "pfa.confirm_reinstatement": Policy(Access.PFA),
    "pfa.decline_reinstatement": Policy(Access.PFA),
    "pfa.cooperatives": Policy(Access.PFA),
    "pfa.cooperative": Policy(Access.PFA),
    "pfa.next_cooperative": Policy(Access.PFA),
    "pfa.decide_cooperative": Policy(Access.PFA),
    "pfa.expiries": Policy(Access.PFA),
    "pfa.audit": Policy(Access.PFA),
    "pfa.audit_csv": Policy(Access.PFA),
    "pfa.programme": Policy(Access.PFA),
    "pfa.programme_csv": Policy(Access.PFA),
    "pfa.orders": Policy(Access.PFA),
    "pfa.order": Policy(Access.PFA),
    "pfa.cancel_order": Policy(Access.PFA),
    "pfa.cancel_order_part": Policy(Access.PFA),
    # ... reported reviews: hide (reason, audited), dismiss the reports, show again
    "pfa.review_reports": Policy(Access.PFA),
    "pfa.hide_review": Policy(Access.PFA),
    "pfa.dismiss_review_reports": Policy(Access.PFA),
    "pfa.unhide_review": Policy(Access.PFA),
    "pfa.review_photo": Policy(Access.PFA),
    # ... bank transfers that match no order, and refunds owed: admins only (else 403)
    "pfa.transfers": Policy(Access.ADMIN),
    "pfa.assign_transfer": Policy(Access.ADMIN),
    "pfa.refund_transfer": Policy(Access.ADMIN),
    "pfa.close_refund": Policy(Access.ADMIN),
    # ... payout accounts: staff check an account is the cooperative's own (and never their own
    # cooperative's: separation of duties, in the domain)
    "pfa.payout_accounts": Policy(Access.PFA),
    "pfa.verify_payout_account": Policy(Access.PFA),
    "pfa.reject_payout_account": Policy(Access.PFA),
    # ... money leaving the market, and its figures: admins only (PFA staff get 403)
    "pfa.payouts_page": Policy(Access.ADMIN),
    "pfa.create_payout_batch": Policy(Access.ADMIN),
    "pfa.payout_batch": Policy(Access.ADMIN),
    "pfa.payout_batch_csv": Policy(Access.ADMIN),
    "pfa.mark_batch_paid": Policy(Access.ADMIN),
    "pfa.mark_payout_paid": Policy(Access.ADMIN),
    "pfa.cancel_payout": Policy(Access.ADMIN),
    "pfa.finance_summary": Policy(Access.ADMIN),
}

# The methods a route's view answers itself (HEAD is answered as GET; OPTIONS by Flask).
IGNORED_METHODS = frozenset({"HEAD", "OPTIONS"})


def policy_for(endpoint: str | None, method: str) -> Policy | None:
    """The declared policy of `endpoint` for `method`, or None if there is none."""
    entry = POLICIES.get(endpoint or "")
    if entry is None or isinstance(entry, Policy):
        return entry
    return entry.get("GET" if method == "HEAD" else method)


def undeclared(app: Flask) -> list[tuple[str, str, str]]:
    """(endpoint, method, rule) for every route and method of `app` without a policy."""
    missing = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.endpoint, r.rule)):
        for method in sorted((rule.methods or set()) - IGNORED_METHODS):
            if policy_for(rule.endpoint, method) is None:
                missing.append((rule.endpoint, method, rule.rule))
    return missing


def _guess(endpoint: str, rule: str) -> str:
    """A starting point for the missing line (to be checked, not trusted)."""
    has_object = "<" in rule
    if endpoint.startswith("pfa."):
        return "Policy(Access.PFA)"
    if endpoint.startswith("seller."):
        return "Policy(Access.MEMBER, hide=True)" if has_object else "Policy(Access.MEMBER)"
    return "Policy(Access.CUSTOMER)"


def missing_lines(missing: Iterable[tuple[str, str, str]]) -> str:
    """The lines to add to POLICIES for `missing`, one per endpoint."""
    by_endpoint: dict[str, list[tuple[str, str]]] = {}
    for endpoint, method, rule in missing:
        by_endpoint.setdefault(endpoint, []).append((method, rule))
    lines = []
    for endpoint, pairs in by_endpoint.items():
        methods = ", ".join(method for method, _ in pairs)
        rule = pairs[0][1]
        lines.append(f'    "{endpoint}": {_guess(endpoint, rule)},  # {methods} {rule}')
    return "\n".join(lines)


class UndeclaredRoutes(RuntimeError):
    """Routes without a policy: the app does not start."""


def check_every_route_declared(app: Flask) -> None:
    missing = undeclared(app)
    if missing:
        raise UndeclaredRoutes(
            "Every route needs an access policy. Add to POLICIES in storefront/web/policy.py"
            " (check the access level; anyone, customer, member, pfa, admin...):\n"
            + missing_lines(missing)
        )


def _allowed(access: Access) -> bool:
    if access is Access.CUSTOMER:
        return True
    if access is Access.APPLICANT:
        return not current_user.is_pfa_staff  # PFA staff and admins are never members
    if access is Access.MEMBER:
        return bool(memberships())
    if access is Access.PFA:
        return bool(current_user.is_pfa_staff)
    if access is Access.ADMIN:
        return current_user.role is Role.ADMIN
    return False


def _refuse(answer: Refusal):
    if answer is Refusal.WELCOME and request.method in ("GET", "HEAD"):
        return redirect(url_for("seller.dashboard"))
    if answer is Refusal.FORBIDDEN:
        abort(403)
    abort(404)


def enforce():
    """Before every view: the role-level part of the route's policy."""
    rule = request.url_rule
    if rule is None:  # no route matched: 404 or 405 follows, no view runs
        return None
    if request.method == "OPTIONS" and getattr(rule, "provide_automatic_options", False):
        return None  # answered by Flask from the rule, no view runs
    policy = policy_for(request.endpoint, request.method)
    if policy is None:
        abort(404)  # not declared: never public by omission
    if policy.access in OPEN:
        return None
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if _allowed(policy.access):
        return None
    if policy.access is Access.APPLICANT:
        require_not_staff(current_user)  # 403 with the reason, as the view would say
    return _refuse(policy.answer)


AREAS = {
    "static": "site and files",
    "main": "site and files",
    "catalog": "catalog",
    "verify": "verification",
    "cart": "cart and checkout",
    "checkout": "cart and checkout",
    "payments": "payments",
    "orders": "orders",
    "accounts": "accounts",
    "seller": "seller workspace",
    "pfa": "PFA console",
    "reviews": "reviews",
}


def _describe(entry: Entry) -> str:
    if isinstance(entry, Policy):
        return entry.describe()
    return "; ".join(f"{method}: {p.describe()}" for method, p in entry.items())


def describe_table() -> str:
    """The table as a Markdown table by area: who may call, and the endpoints (docs)."""
    rows: dict[tuple[str, str], list[str]] = {}
    for endpoint, entry in POLICIES.items():
        area = AREAS.get(endpoint.split(".")[0], endpoint.split(".")[0])
        rows.setdefault((area, _describe(entry)), []).append(f"`{endpoint}`")
    lines = ["| area | who may call (a refused caller gets) | endpoints |", "|---|---|---|"]
    lines += [f"| {area} | {who} | {', '.join(names)} |" for (area, who), names in rows.items()]
    return "\n".join(lines) + "\n"


def init_app(app: Flask) -> None:
    """Refuse to start with an undeclared route; check every request against the table."""
    check_every_route_declared(app)
    app.before_request(enforce)
