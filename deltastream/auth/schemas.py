"""Auth request and response bodies."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator

PASSWORD_MIN = 8
# Argon2 cost does not grow with the input, but an upper bound keeps request bodies sane.
PASSWORD_MAX = 256


class RegisterRequest(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {"email": "trader@example.com", "password": "correct-horse-42", "name": "Asha"}
        }
    )

    email: EmailStr = Field(description="A valid e-mail address; stored lower-cased")
    password: str = Field(
        min_length=PASSWORD_MIN, max_length=PASSWORD_MAX, description="At least 8 characters"
    )
    name: str = Field(default="", max_length=100, description="Display name (optional)")

    @field_validator("email")
    @classmethod
    def _normalise(cls, value: str) -> str:
        return value.strip().lower()


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
    """The seed's body form; ``Authorization: Bearer`` is preferred and wins when both are sent."""

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
