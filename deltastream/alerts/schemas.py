"""Alert rules as pydantic models: the condition is validated so a bad rule is a clear 422."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any, Literal

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, field_validator, model_validator

AlertField = Literal[
    "spot",
    "change_pct",
    "pcr_oi",
    "pcr_volume",
    "atm_iv",
    "iv_rank",
    "iv_skew_25d",
    "max_pain_strike",
    "max_pain_distance",
    "atm_straddle_price",
    "expected_move",
    "gex",
    "strike_oi",
    "strike_oi_change",
]
Operator = Literal[">", "<", "crosses_above", "crosses_below", "change_pct_over"]

UNDERLYING_FIELDS = frozenset({"spot", "change_pct"})
STRIKE_FIELDS = frozenset({"strike_oi", "strike_oi_change"})


class Condition(BaseModel):
    """``field op level``; ``change_pct_over`` fires when the field moves by ``level`` % (either way)
    within ``window_minutes``. A GEX sign flip is ``gex crosses_below 0`` (or ``crosses_above 0``)."""

    model_config = ConfigDict(extra="forbid")

    field: AlertField
    op: Operator
    level: float
    hysteresis: float = Field(default=0.0, ge=0, description="re-arm only once the value is this far back")
    window_minutes: int | None = Field(default=None, ge=1, le=1440, description="for change_pct_over")
    strike: float | None = Field(default=None, gt=0, description="for strike_oi / strike_oi_change")
    option_type: Literal["CALL", "PUT"] | None = Field(default=None, description="for strike fields")

    @field_validator("level", "hysteresis")
    @classmethod
    def _finite(cls, value: float) -> float:
        if not math.isfinite(value):
            raise ValueError("must be a finite number (not NaN or infinity)")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Condition:
        if self.op == "change_pct_over":
            if self.window_minutes is None:
                raise ValueError("change_pct_over needs window_minutes")
            if self.level <= 0:
                raise ValueError("change_pct_over needs a positive level (a percentage)")
        elif self.window_minutes is not None:
            raise ValueError(f"window_minutes applies only to change_pct_over, not {self.op}")
        if self.field in STRIKE_FIELDS:
            if self.strike is None or self.option_type is None:
                raise ValueError(f"{self.field} needs strike and option_type")
        elif self.strike is not None or self.option_type is not None:
            raise ValueError(
                f"strike/option_type apply only to strike_oi and strike_oi_change, not {self.field}"
            )
        return self


class WebhookChannel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: AnyHttpUrl = Field(description="http or https only")


class ChannelsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    webhook: WebhookChannel | None = None
    apprise: list[str] = Field(
        default_factory=list, max_length=5, description="apprise URLs (tgram://, mailto://…)"
    )

    @field_validator("apprise")
    @classmethod
    def _apprise_urls(cls, urls: list[str]) -> list[str]:
        for url in urls:
            if "://" not in url or len(url) > 2000:
                raise ValueError("each apprise channel must be a URL such as tgram://token/chat")
        return urls


class AlertRuleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(default="", max_length=120)
    product: str = Field(min_length=1, max_length=32)
    expiry: str | None = Field(
        default=None, pattern=r"^\d{4}-\d{2}-\d{2}$", description="default: the nearest"
    )
    condition: Condition
    cooldown_seconds: int = Field(default=300, ge=0, le=7 * 86400)
    enabled: bool = True
    expires_at: datetime | None = Field(default=None, description="the rule stops firing after this")
    channels: ChannelsIn = Field(default_factory=ChannelsIn)

    @field_validator("product")
    @classmethod
    def _upper(cls, value: str) -> str:
        return value.upper()

    @model_validator(mode="after")
    def _expiry_scope(self) -> AlertRuleIn:
        if self.expiry is not None and self.condition.field in UNDERLYING_FIELDS:
            raise ValueError(f"{self.condition.field} is a field of the underlying: expiry does not apply")
        return self


class AlertRulePatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, max_length=120)
    condition: Condition | None = None
    cooldown_seconds: int | None = Field(default=None, ge=0, le=7 * 86400)
    enabled: bool | None = None
    expires_at: datetime | None = None
    channels: ChannelsIn | None = None


class AlertRuleOut(BaseModel):
    id: str
    name: str
    product: str
    expiry: str | None
    condition: Condition
    cooldown_seconds: int
    enabled: bool
    expires_at: datetime | None
    created_at: datetime
    channels: dict[str, Any] = Field(description="channel URLs masked; the webhook secret is never echoed")
    webhook_secret: str | None = Field(
        default=None, description="only in the create response: the HMAC-SHA256 key of the webhook signature"
    )


class AlertRulesResponse(BaseModel):
    count: int
    alerts: list[AlertRuleOut]


class AlertEvent(BaseModel):
    id: str
    alert_id: str
    rule_id: str
    user_id: str
    name: str
    product: str
    expiry: str | None
    metric: str
    operator: str
    level: float
    value: float
    event_id: str
    fired_at: str
    test: bool = False


class AlertHistoryResponse(BaseModel):
    count: int
    history: list[AlertEvent]
    next_cursor: str | None = Field(description="pass as ?cursor= for the next (older) page; null at the end")


class TestResponse(BaseModel):
    alert: AlertEvent
    channels: list[str]
