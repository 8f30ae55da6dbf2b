"""The one error base (``core.errors``): each error's status, stable code and envelope.

Over HTTP the same envelope is the exception handlers' job: ``tests/core/http/test_errors.py``.
"""

from __future__ import annotations

import pytest

from deltastream.core.errors import (
    AuthenticationError,
    ConflictError,
    DeltaStreamError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    ServiceUnavailableError,
    ValidationFailed,
    error_envelope,
)


@pytest.mark.parametrize(
    ("cls", "status", "code"),
    [
        (NotFoundError, 404, "not_found"),
        (ConflictError, 409, "conflict"),
        (ValidationFailed, 422, "validation_error"),
        (AuthenticationError, 401, "unauthorized"),
        (PermissionDeniedError, 403, "forbidden"),
        (RateLimitedError, 429, "rate_limited"),
        (ServiceUnavailableError, 503, "unavailable"),
    ],
)
def test_each_error_has_a_status_and_a_stable_code(
    cls: type[DeltaStreamError], status: int, code: str
) -> None:
    err = cls("it went wrong", details={"k": 1})

    assert isinstance(err, DeltaStreamError)
    assert (err.status_code, err.code, err.message, str(err)) == (
        status,
        code,
        "it went wrong",
        "it went wrong",
    )
    assert err.envelope() == {"error": {"code": code, "message": "it went wrong", "details": {"k": 1}}}


def test_code_and_status_can_be_overridden_per_instance() -> None:
    err = DeltaStreamError("quota", code="quota_exceeded", status_code=402, headers={"Retry-After": "5"})

    assert (err.code, err.status_code, err.headers) == ("quota_exceeded", 402, {"Retry-After": "5"})
    assert DeltaStreamError("x").code == "error", "overriding an instance must not change the class"


def test_envelope_shape() -> None:
    assert error_envelope("c", "m") == {"error": {"code": "c", "message": "m", "details": None}}
