"""Auth request and response bodies."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

PASSWORD_MIN = 8
# Argon2 cost does not grow with the input, but an upper bound keeps request bodies sane.
PASSWORD_MAX = 256


EMAIL_RULES = (
    "An e-mail address as `email-validator` checks it, without a DNS lookup: a dot-separated domain; "
    "`.test` (reserved for testing) is accepted, the other special-use domains (`.local`, `.localhost`, "
    "`.invalid`, `.example`...) are not. Stored lower-cased."
)


def _email(value: str) -> str:
    try:
        checked = validate_email(value.strip(), check_deliverability=False, test_environment=True)
    except EmailNotValidError as exc:
        raise ValueError(f"not a usable e-mail address: {exc}") from None
    return checked.normalized.lower()


Email = Annotated[
    str,
    Field(max_length=320, description=EMAIL_RULES, json_schema_extra={"format": "email"}),
    AfterValidator(_email),
]


class RegisterRequest(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {"email": "trader@example.com", "password": "correct-horse-42", "name": "Asha"}
        }
    )

    email: Email
    password: str = Field(
        min_length=PASSWORD_MIN, max_length=PASSWORD_MAX, description="At least 8 characters"
    )
    name: str = Field(default="", max_length=100, description="Display name (optional)")


class LoginRequest(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"example": {"email": "trader@example.com", "password": "correct-horse-42"}}
    )

    # Not EmailStr on purpose: a malformed address gets the same 401 as any other bad login.
    email: str = Field(min_length=1, max_length=320)
    password: str = Field(min_length=1, max_length=PASSWORD_MAX)


class RefreshRequest(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"example": {"refresh_token": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9..."}}
    )

    refresh_token: str = Field(
        min_length=1, max_length=4096, description="The refresh token from login or refresh"
    )


class VerifyRequest(BaseModel):
    """The seed's body form, kept for its clients: ``Authorization: Bearer`` is preferred and wins
    when both are sent; either way the token is checked in full (signature, expiry, user, version)."""

    token: str | None = Field(default=None, max_length=4096)


class UserOut(BaseModel):
    id: str = Field(description="User id (string)")
    email: str
    name: str = ""
    is_admin: bool = False
    created_at: datetime | None = None


class RegisterResponse(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "message": "User registered successfully",
                "user_id": "1",
                "token": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9...",
                "refresh_token": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9...",
                "token_type": "bearer",
                "expires_in": 86400,
                "user": {"id": "1", "email": "trader@example.com", "name": "Asha", "is_admin": False},
            }
        }
    )

    message: str
    user_id: str
    token: str = Field(description="Access token (JWT, HS256)")
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="Access token lifetime, seconds")
    user: UserOut


class TokenPair(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "message": "Login successful",
                "token": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9...",
                "refresh_token": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9...",
                "token_type": "bearer",
                "expires_in": 86400,
                "user": {"id": "1", "email": "trader@example.com", "name": "Asha", "is_admin": False},
            }
        }
    )

    message: str
    token: str = Field(description="Access token (JWT, HS256); send as `Authorization: Bearer <token>`")
    refresh_token: str = Field(description="Single-use: each refresh returns a new one and revokes the old")
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="Access token lifetime, seconds")
    user: UserOut


class VerifyResponse(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"example": {"valid": True, "user_id": "1", "email": "trader@example.com"}}
    )

    valid: Literal[True] = True
    user_id: str
    email: str
    expires_at: datetime


class MeResponse(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {"user_id": "1", "email": "trader@example.com", "name": "Asha", "is_admin": False}
        }
    )

    user_id: str
    email: str
    name: str = ""
    is_admin: bool = False
    created_at: datetime | None = None
