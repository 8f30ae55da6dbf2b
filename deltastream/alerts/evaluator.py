"""The pure rule evaluator: enriched events in, fired alerts out. No I/O, no clock of its own.

- Rules are indexed by ``(product, field)``: an event costs one dict lookup per field it carries
  plus the rules on that product and field, however many rules other products have.
- Each rule keeps its own state: ``armed`` (crossings and hysteresis) and ``last_fired``
  (cooldown, in event time). Rules sharing a value stream form a bucket, sorted by level, so an
  event steps only the rules near the value (see :class:`_Bucket`); ``change_pct_over`` rules
  with the same window share one window of ``(time, value)`` samples.
- Idempotent per (rule, event): an event is named ``topic:product:expiry:timestamp``; an event not
  newer than the last one seen on its stream (a redelivery, or late) is ignored.
- Rules without an expiry follow the nearest expiry seen for their product.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from deltastream.core.bus import TOPIC_ENRICHED_CHAIN, TOPIC_ENRICHED_UNDERLYING

CHAIN_FIELDS = (
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
)
UNDERLYING_FIELDS = ("spot", "change_pct")


@dataclass(slots=True)
class Rule:
    id: str
    user_id: str
    product: str
    field: str
    op: str
    level: float
    name: str = ""
    expiry: str | None = None
    hysteresis: float = 0.0
    window_minutes: int | None = None
    strike: float | None = None
    option_type: str | None = None
    cooldown_seconds: float = 300.0
    expires_at: datetime | None = None
    # state
    armed: bool = True
    seen: bool = False
    last_fired: datetime | None = None

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Rule:
        cond = record["condition"]
        expires = record.get("expires_at")
        return cls(
            id=str(record["id"]),
            user_id=str(record["user_id"]),
            name=str(record.get("name") or ""),
            product=str(record["product"]).upper(),
            expiry=record.get("expiry"),
            field=cond["field"],
            op=cond["op"],
            level=float(cond["level"]),
            hysteresis=float(cond.get("hysteresis") or 0.0),
            window_minutes=cond.get("window_minutes"),
            strike=cond.get("strike"),
            option_type=cond.get("option_type"),
            cooldown_seconds=float(record.get("cooldown_seconds", 300)),
            expires_at=_parse(expires) if isinstance(expires, str) else expires,
        )


def _parse(stamp: Any) -> datetime:
    if isinstance(stamp, datetime):
        return stamp
    return datetime.fromisoformat(str(stamp).replace("Z", "+00:00"))


def _num(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return None


class _Bucket:
    """Rules sharing one value stream: same product, field, scope (expiry, strike, window).

    Rules are kept sorted by level. Between two observations ``p`` and ``v`` only a rule whose level
    lies within ``[min(p, v) - band, max(p, v) + band]`` (``band``: the widest hysteresis here) can
    change state: for every other rule both predicates (hit, re-arm) read the same at ``p`` and
    ``v``, and :func:`step` is idempotent under unchanged predicates. So an event costs a bisect
    plus the rules near the value, not every rule. Rules never observed are stepped once in full.
    """

    __slots__ = ("band", "dirty", "fresh", "last", "levels", "ordered", "rules", "window")

    def __init__(self) -> None:
        self.rules: dict[str, Rule] = {}
        self.fresh: dict[str, Rule] = {}
        self.levels: list[float] = []
        self.ordered: list[Rule] = []
        self.band = 0.0
        self.dirty = False
        self.last: float | None = None
        self.window: deque[tuple[datetime, float]] = deque()

    def add(self, rule: Rule) -> None:
        self.rules[rule.id] = rule
        self.fresh[rule.id] = rule
        self.dirty = True

    def remove(self, rule_id: str) -> None:
        self.rules.pop(rule_id, None)
        self.fresh.pop(rule_id, None)
        self.dirty = True

    def observe(self, value: float, at: datetime, window_minutes: int | None) -> list[Rule]:
        """Step the rules this value can move; returns those that fired."""
        if window_minutes is not None:
            value = self._move(value, at, window_minutes)
        if self.dirty:
            self.ordered = sorted(self.rules.values(), key=lambda r: r.level)
            self.levels = [r.level for r in self.ordered]
            self.band = max((r.hysteresis for r in self.ordered), default=0.0)
            self.dirty = False
        prev, self.last = self.last, value
        fired: list[Rule] = []
        if self.fresh:
            for rule in self.fresh.values():
                if step(rule, value, at):
                    fired.append(rule)
            fresh, self.fresh = self.fresh, {}
        else:
            fresh = {}
        if prev is None:
            return fired
        low, high = min(prev, value) - self.band, max(prev, value) + self.band
        for rule in self.ordered[bisect_left(self.levels, low) : bisect_right(self.levels, high)]:
            if rule.id not in fresh and step(rule, value, at):
                fired.append(rule)
        return fired

    def _move(self, value: float, at: datetime, window_minutes: int) -> float:
        """The absolute % move of the value within the window (shared by the bucket's rules)."""
        window = self.window
        window.append((at, value))
        horizon = at - timedelta(minutes=window_minutes)
        while len(window) > 1 and window[0][0] < horizon:
            window.popleft()
        base = window[0][1]
        return 0.0 if base == 0 else abs(value - base) / abs(base) * 100.0


BucketKey = tuple[str | None, float | None, str | None, int | None]


class Evaluator:
    def __init__(self, rules: Iterable[Rule] = ()) -> None:
        self._index: dict[tuple[str, str], dict[BucketKey, _Bucket]] = {}
        self._rules: dict[str, Rule] = {}
        self._last_event: dict[str, datetime] = {}
        self._expiries: dict[str, set[str]] = {}
        self._iv_range: dict[tuple[str, str], tuple[float, float]] = {}
        for rule in rules:
            self.add(rule)

    def __len__(self) -> int:
        return len(self._rules)

    @staticmethod
    def _key(rule: Rule) -> BucketKey:
        return (rule.expiry or None, rule.strike, rule.option_type, rule.window_minutes)

    def add(self, rule: Rule) -> None:
        """Add or replace a rule (a replaced rule starts with fresh state)."""
        self.remove(rule.id)
        self._rules[rule.id] = rule
        buckets = self._index.setdefault((rule.product, rule.field), {})
        buckets.setdefault(self._key(rule), _Bucket()).add(rule)

    def remove(self, rule_id: str) -> None:
        old = self._rules.pop(rule_id, None)
        if old is None:
            return
        buckets = self._index.get((old.product, old.field), {})
        bucket = buckets.get(self._key(old))
        if bucket is not None:
            bucket.remove(rule_id)
            if not bucket.rules:
                del buckets[self._key(old)]

    def evaluate(self, topic: str, payload: Mapping[str, Any]) -> list[dict[str, Any]]:
        """The alerts this event fires (possibly none). Never raises on a malformed payload field."""
        product = str(payload.get("product") or "").upper()
        stamp = payload.get("timestamp")
        if not product or stamp is None:
            return []
        expiry = str(payload.get("expiry") or "") if topic == TOPIC_ENRICHED_CHAIN else ""
        stream = f"{topic}:{product}:{expiry}"
        try:
            at = _parse(stamp)
        except ValueError:
            return []
        last = self._last_event.get(stream)
        if last is not None and last >= at:
            return []
        self._last_event[stream] = at
        stamp_text = stamp if isinstance(stamp, str) else at.isoformat()
        event_id = f"{stream}:{stamp_text}"
        if topic == TOPIC_ENRICHED_UNDERLYING:
            values: dict[str, Any] = {"spot": payload.get("price"), "change_pct": payload.get("change_pct")}
            return self._run(product, None, UNDERLYING_FIELDS, values, payload, at, event_id)
        if topic != TOPIC_ENRICHED_CHAIN:
            return []
        nearest = self._nearest(product, expiry, at)
        values = {name: payload.get(name) for name in CHAIN_FIELDS[:3]}
        values.update({name: payload.get(name) for name in ("iv_skew_25d", "max_pain_strike")})
        values.update({name: payload.get(name) for name in ("atm_straddle_price", "expected_move", "gex")})
        spot, pain = _num(payload.get("spot_price")), _num(payload.get("max_pain_strike"))
        values["max_pain_distance"] = None if spot is None or pain is None else spot - pain
        values["iv_rank"] = self._iv_rank(product, expiry, _num(payload.get("atm_iv")))
        return self._run(product, (expiry, nearest), CHAIN_FIELDS, values, payload, at, event_id)

    def _nearest(self, product: str, expiry: str, at: datetime) -> bool:
        seen = self._expiries.setdefault(product, set())
        seen.add(expiry)
        today = at.date().isoformat()
        live = [e for e in seen if e >= today]
        return bool(live) and expiry == min(live)

    def _iv_rank(self, product: str, expiry: str, iv: float | None) -> float | None:
        """Where ATM IV sits in the range seen since start, 0-100 (None until the range opens)."""
        if iv is None:
            return None
        low, high = self._iv_range.get((product, expiry), (iv, iv))
        low, high = min(low, iv), max(high, iv)
        self._iv_range[(product, expiry)] = (low, high)
        return None if high - low <= 0 else (iv - low) / (high - low) * 100.0

    def _run(
        self,
        product: str,
        scope: tuple[str, bool] | None,
        names: tuple[str, ...],
        values: dict[str, Any],
        payload: Mapping[str, Any],
        at: datetime,
        event_id: str,
    ) -> list[dict[str, Any]]:
        fired: list[dict[str, Any]] = []
        strikes: dict[tuple[float, str], Mapping[str, Any]] | None = None
        for name in names:
            buckets = self._index.get((product, name))
            if not buckets:
                continue
            for (expiry, strike, option_type, window), bucket in buckets.items():
                if scope is not None:
                    this_expiry, nearest = scope
                    if expiry is None and not nearest:
                        continue
                    if expiry is not None and expiry != this_expiry:
                        continue
                if strike is not None:
                    if strikes is None:
                        strikes = _quotes_by_strike(payload)
                    quote = strikes.get((float(strike), str(option_type)))
                    key = "open_interest" if name == "strike_oi" else "oi_change"
                    value = _num(quote.get(key)) if quote else None
                else:
                    value = _num(values.get(name))
                if value is None:
                    continue
                for rule in bucket.observe(value, at, window):
                    fired.append(_fired(rule, value, at, event_id, scope))
        return fired


def _quotes_by_strike(payload: Mapping[str, Any]) -> dict[tuple[float, str], Mapping[str, Any]]:
    out: dict[tuple[float, str], Mapping[str, Any]] = {}
    for side, kind in (("calls", "CALL"), ("puts", "PUT")):
        for quote in payload.get(side) or ():
            strike = _num(quote.get("strike"))
            if strike is not None:
                out[(strike, kind)] = quote
    return out


def step(rule: Rule, value: float, at: datetime) -> bool:
    """Advance one rule by one observation; True when it fires."""
    if rule.expires_at is not None and at >= rule.expires_at:
        return False
    op, level, band = rule.op, rule.level, rule.hysteresis
    if op == "change_pct_over":
        hit, rearm = value >= level, value < level - band  # value: the % move within the window
    elif op in (">", "crosses_above"):
        hit, rearm = value > level if op == ">" else value >= level, value < level - band
    else:
        hit, rearm = value < level if op == "<" else value <= level, value > level + band
    if not rule.seen:
        rule.seen = True
        if op in ("crosses_above", "crosses_below"):
            # A crossing needs a side to come from: the first value only sets which side that is.
            rule.armed = not hit
            return False
    if not rule.armed:
        if rearm:
            rule.armed = True
        return False
    if not hit:
        return False
    rule.armed = False
    if rule.last_fired is not None and (at - rule.last_fired).total_seconds() < rule.cooldown_seconds:
        return False  # suppressed: it fires again on the next crossing after the cooldown
    rule.last_fired = at
    return True


def _fired(
    rule: Rule, value: float, at: datetime, event_id: str, scope: tuple[str, bool] | None
) -> dict[str, Any]:
    return {
        "alert_id": rule.id,
        "rule_id": rule.id,
        "user_id": rule.user_id,
        "name": rule.name,
        "product": rule.product,
        "expiry": scope[0] if scope else None,
        "metric": rule.field,
        "operator": rule.op,
        "level": rule.level,
        "value": value,
        "event_id": event_id,
        "fired_at": at.isoformat().replace("+00:00", "Z"),
    }
