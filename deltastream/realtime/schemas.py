"""Socket.IO wire contract: event names (the seed's), room names and the client request models."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictStr,
    ValidationError,
    field_validator,
    model_validator,
)

from deltastream.core.errors import DeltaStreamError, ValidationFailed
from deltastream.feed import get_product

# Client -> server
EV_SUBSCRIBE = "subscribe"
EV_UNSUBSCRIBE = "unsubscribe"
EV_GET_PRODUCTS = "get_products"

# Server -> one client
EV_CONNECTED = "connected"
EV_SUBSCRIBED = "subscribed"
EV_UNSUBSCRIBED = "unsubscribed"
EV_PRODUCTS = "products"
EV_ERROR = "error"

# Server -> rooms (broadcasts from the bus)
EV_UNDERLYING = "underlying_update"
EV_CHAIN_SUMMARY = "chain_summary"
EV_CHAIN = "chain_update"
EV_OHLC = "ohlc_update"
EV_SURFACE = "surface_update"
EV_ALERT = "alert"
EV_FEED_STATUS = "feed_status"

ROOM_GENERAL = "general"
CONNECTED_MESSAGE = "Connected to DeltaStream socket gateway"

CHAIN_SUMMARY_FIELDS = (
    "product",
    "expiry",
    "spot_price",
    "pcr_oi",
    "pcr_volume",
    "atm_straddle_price",
    "max_pain_strike",
    "timestamp",
)


def product_room(product: str) -> str:
    return f"product:{product}"


def chain_room(product: str, expiry: str | None = None) -> str:
    return f"chain:{product}" if expiry is None else f"chain:{product}:{expiry}"


def user_room(user_id: str) -> str:
    return f"user:{user_id}"


Symbol = Annotated[StrictStr, Field(min_length=1, max_length=32)]


class SubscriptionRequest(BaseModel):
    """Payload of ``subscribe`` / ``unsubscribe``: ``{type: product|chain, symbol, expiry?}``.

    ``symbol`` is any known product, case-insensitive; it is canonicalised (``nifty`` -> ``NIFTY``)
    so every client of one product shares one room. ``expiry`` (``YYYY-MM-DD``) only narrows a
    chain subscription to that expiry's room.
    """

    model_config = ConfigDict(extra="ignore", frozen=True)

    type: Literal["product", "chain"]
    symbol: Symbol
    expiry: StrictStr | None = None

    @field_validator("symbol")
    @classmethod
    def _known_product(cls, value: str) -> str:
        return get_product(value).name

    @field_validator("expiry")
    @classmethod
    def _iso_date(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            if len(value) != 10:
                raise ValueError(value)
            return date.fromisoformat(value).isoformat()
        except ValueError:
            raise ValueError("expiry must be a date as YYYY-MM-DD") from None

    @model_validator(mode="after")
    def _expiry_only_for_chains(self) -> SubscriptionRequest:
        if self.expiry is not None and self.type != "chain":
            raise ValueError("expiry applies only to chain subscriptions")
        return self

    @property
    def room(self) -> str:
        if self.type == "product":
            return product_room(self.symbol)
        return chain_room(self.symbol, self.expiry)


def parse_subscription(data: Any) -> SubscriptionRequest:
    """Validate a client payload.

    Raises ``ValidationFailed`` (bad shape, type or expiry) or ``NotFoundError`` (unknown product,
    raised as-is by ``get_product``), each with a message that reads well alone.
    """
    if not isinstance(data, dict):
        raise ValidationFailed(
            "Invalid subscription request: send an object like {type: 'product', symbol: 'NIFTY'}",
            code="invalid_subscription",
        )
    try:
        return SubscriptionRequest.model_validate(data)
    except ValidationError as exc:
        first = exc.errors(include_url=False, include_input=False)[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or "request"
        cause = first.get("ctx", {}).get("error")
        message = str(cause) if cause is not None else first.get("msg", "invalid value")
        raise ValidationFailed(
            f"Invalid subscription request: {where}: {message}",
            code="invalid_subscription",
            details=[
                {"loc": list(e.get("loc", ())), "msg": e.get("msg")} for e in exc.errors(include_url=False)
            ],
        ) from None


def error_payload(exc: DeltaStreamError) -> dict[str, Any]:
    """The socket ``error`` event body: ``{message, code}`` (+ ``details`` when there are any)."""
    body: dict[str, Any] = {"message": exc.message, "code": exc.code}
    if exc.details is not None:
        body["details"] = exc.details
    return body
