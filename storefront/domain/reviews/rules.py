"""What every part of reviews shares: the time limits and the typed refusals."""

from __future__ import annotations

from storefront.core.errors import DomainError, Forbidden

# A review can be changed this many days after it was written; after that it stays as it is.
EDIT_DAYS = 30
# The reminder e-mail goes out this many days after a shipment is delivered.
REMINDER_DELAY_DAYS = 3
# Deliveries older than this get no reminder (a first run on an old shop mails nobody about
# last year's parcels).
REMINDER_HORIZON_DAYS = 30
# The reporter key of an anonymous visitor is at most this long (ReviewReport.reporter).
REPORTER_KEY_LENGTH = 64


class NotReviewable(DomainError):
    """The line cannot be reviewed (yet): not delivered, cancelled, or its product is gone."""

    code = "not_reviewable"
    status = 409


class OwnProduct(Forbidden):
    """A member of the cooperative that sold the product: never a reviewer of it."""

    code = "own_product"


class EditWindowClosed(DomainError):
    code = "edit_window_closed"
    status = 409


class AlreadyReviewed(DomainError):
    code = "already_reviewed"
    status = 409


class AlreadyAnswered(DomainError):
    code = "already_answered"
    status = 409


class AlreadyReported(DomainError):
    code = "already_reported"
    status = 409


class InvalidReviewLink(DomainError):
    """Forged, expired or no longer valid; the message never says whether the order exists."""

    code = "invalid_review_link"
    status = 400
