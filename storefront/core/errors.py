"""Typed domain errors; one handler turns them into a page or JSON."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A business rule refused the request. `code` is stable; `message` is for people."""

    code = "domain_error"
    status = 400

    def __init__(self, message: str = "", **details: Any) -> None:
        super().__init__(message or self.code)
        self.message = message or self.code
        self.details = details


class NotFound(DomainError):
    code = "not_found"
    status = 404


class Forbidden(DomainError):
    code = "forbidden"
    status = 403


class ConflictOfInterest(Forbidden):
    """Separation of duties: nobody decides on a cooperative they applied for or work(ed) for,
    or on a certificate they submitted."""

    code = "conflict_of_interest"


class SecondReviewerRequired(Forbidden):
    """The two-person rule: whoever gave the first approval of a 5-star verification or
    proposed a reinstatement cannot also give the second."""

    code = "second_reviewer_required"


class NotPublic(DomainError):
    code = "not_public"
    status = 409


class OutOfStock(DomainError):
    code = "out_of_stock"
    status = 409


class InvalidInput(DomainError):
    code = "invalid_input"
    status = 400


class QuantitiesRefused(InvalidInput):
    """Some of the cart's quantities were refused, so none was saved. `errors` maps each
    refused line's id to why."""

    code = "quantities_refused"
    status = 422

    def __init__(self, message: str, errors: dict[int, str]) -> None:
        super().__init__(message, errors=errors)
        self.errors = errors


class AlreadyDecided(DomainError):
    code = "already_decided"
    status = 409


class CertificateExpired(DomainError):
    code = "certificate_expired"
    status = 409


# --- accounts ---------------------------------------------------------------------------------


class EmailTaken(DomainError):
    code = "email_taken"
    status = 409


class WeakPassword(InvalidInput):
    code = "weak_password"


class InvalidPhone(InvalidInput):
    code = "invalid_phone"


class InvalidCredentials(DomainError):
    """Wrong e-mail or password; deliberately silent about which of the two."""

    code = "invalid_credentials"
    status = 401


class AccountInactive(DomainError):
    code = "account_inactive"
    status = 403


class WrongPassword(DomainError):
    """The current password, asked again before a sensitive change, did not match."""

    code = "wrong_password"
    status = 400


class InvalidResetToken(DomainError):
    """A password reset link that is forged, expired, or already used."""

    code = "invalid_reset_token"
    status = 400


class UnknownUser(NotFound):
    code = "unknown_user"


class InvalidEmailToken(DomainError):
    """An e-mail verification or e-mail change link that is forged, expired or already used."""

    code = "invalid_email_token"
    status = 400


class EmailNotVerified(Forbidden):
    """The account's e-mail address was never confirmed through a signed link: it cannot join
    or open a cooperative yet."""

    code = "email_not_verified"


class StaffCannotJoin(Forbidden):
    """Farmers' Association staff and admins are never members of a cooperative."""

    code = "staff_cannot_join"


class PriceChanged(DomainError):
    """A price changed between the checkout page and placing the order: the buyer re-confirms."""

    code = "price_changed"
    status = 409


class CashOnDeliveryLimit(DomainError):
    """A cash-on-delivery order over the shop's caps (units of a package, open orders of one
    phone): it takes stock without paying, so one buyer cannot hoard a cooperative's stock."""

    code = "cash_on_delivery_limit"
    status = 409


class InvalidTransition(DomainError):
    """An order, shipment or payment cannot move to that state from the one it is in."""

    code = "invalid_transition"
    status = 409


class PaymentProviderError(DomainError):
    """The payment provider could not be reached or refused the call; nothing was charged."""

    code = "payment_provider_error"
    status = 502


# --- seller workspace ---------------------------------------------------------------------------


class InvalidUpload(InvalidInput):
    """A file that is not what it claims (not a real JPEG/PNG/WebP/PDF), too big, or too many
    pixels; nothing of it was stored."""

    code = "invalid_upload"


class CooperativeNotApproved(DomainError):
    """Only an approved cooperative may put listings on sale."""

    code = "cooperative_not_approved"
    status = 409


class LastOwner(DomainError):
    """A cooperative always keeps at least one owner."""

    code = "last_owner"
    status = 409


class CertificateInUse(DomainError):
    """One product per certificate: this one already backs another listing."""

    code = "certificate_in_use"
    status = 409


class StockChanged(DomainError):
    """Stock moved (an order came in) between loading the form and saving it."""

    code = "stock_changed"
    status = 409


class InvalidInvitation(DomainError):
    """An invitation link that is forged, expired, revoked, already used or for someone else."""

    code = "invalid_invitation"
    status = 400


class TooManyInvitations(DomainError):
    """A cooperative, or an owner, sent as many invitations as a day allows."""

    code = "too_many_invitations"
    status = 429


# --- PFA console and verification ----------------------------------------------------------------


class CertificateNotVerified(DomainError):
    """Only a certificate the Farmers' Association verified gets a label with a QR code."""

    code = "certificate_not_verified"
    status = 409
