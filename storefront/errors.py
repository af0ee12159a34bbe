"""Typed domain errors; one handler turns them into a page or JSON."""

from __future__ import annotations


class DomainError(Exception):
    """A business rule refused the request. `code` is stable; `message` is for people."""

    code = "domain_error"
    status = 400

    def __init__(self, message: str = "", **details):
        super().__init__(message or self.code)
        self.message = message or self.code
        self.details = details


class NotFound(DomainError):
    code = "not_found"
    status = 404


class Forbidden(DomainError):
    code = "forbidden"
    status = 403


class NotPublic(DomainError):
    code = "not_public"
    status = 409


class OutOfStock(DomainError):
    code = "out_of_stock"
    status = 409


class InvalidInput(DomainError):
    code = "invalid_input"
    status = 400


class AlreadyDecided(DomainError):
    code = "already_decided"
    status = 409


class CertificateExpired(DomainError):
    code = "certificate_expired"
    status = 409
