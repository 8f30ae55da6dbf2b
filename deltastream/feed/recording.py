"""Recorded sessions on disk: JSON Lines and CSV, written by ``record`` and read by ``replay``.

JSON Lines (``*.jsonl``, the default for any other suffix)
----------------------------------------------------------
One published message per line, exactly as it went on the bus::

    {"topic": "market:underlying", "payload": {"type": "UNDERLYING", "product": "NIFTY", ...}}
    {"topic": "market:option_chain", "payload": {"type": "OPTION_CHAIN", "product": "NIFTY", ...}}

A line may also be a bare payload (no ``topic``); its ``type`` or shape then says what it is.

CSV (``*.csv``)
---------------
A header row, then one row per underlying tick and one row per option quote::

    record_type,timestamp,product,price,tick_id,volume,expiry,spot_price,symbol,option_type,strike,
    bid,ask,last,open_interest,oi_change,delta,gamma,vega,theta,rho,iv

* ``record_type`` is ``UNDERLYING`` (uses ``timestamp, product, price, tick_id, volume``) or
  ``QUOTE`` (uses ``timestamp, product, expiry, spot_price`` and the quote columns; ``volume`` is
  the quote's volume).
* Consecutive ``QUOTE`` rows with the same ``(product, expiry, timestamp)`` form one chain: its
  strikes are the distinct quote strikes in ascending order, and it needs one CALL and one PUT
  per strike. The chain ends at the first row with another key, at a tick row, or at the end.
* Timestamps are ISO-8601 (``...Z``); a quote's timestamp is its chain's. An empty cell means "absent" (``null`` for optional fields;
  a missing required field is a validation error). Columns may come in any order; unknown columns
  are ignored. Files ending in ``.gz`` (``session.csv.gz``) are gzip-compressed.
"""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from deltastream.core import jsonx
from deltastream.core.bus import TOPIC_MARKET_CHAIN, TOPIC_MARKET_UNDERLYING

TICK_COLUMNS = ("timestamp", "product", "price", "tick_id", "volume")
QUOTE_COLUMNS = (
    "symbol",
    "option_type",
    "strike",
    "bid",
    "ask",
    "last",
    "volume",
    "open_interest",
    "oi_change",
    "delta",
    "gamma",
    "vega",
    "theta",
    "rho",
    "iv",
)
# One header for both row kinds: record_type, the tick columns, then each quote column once.
CSV_COLUMNS = (
    "record_type",
    *TICK_COLUMNS,
    "expiry",
    "spot_price",
    *(c for c in QUOTE_COLUMNS if c not in TICK_COLUMNS),
)


class RawRecord:
    """One message read from a file.

    ``payload`` is the decoded message (or the raw text when it could not be decoded, with
    ``reason``/``error`` saying why), ``topic`` the recorded topic if any, and ``consumed`` the
    file bytes read so far (for progress bars).
    """

    __slots__ = ("consumed", "error", "payload", "reason", "topic")

    def __init__(
        self, payload: Any, topic: str | None, consumed: int, reason: str | None = None, error: str = ""
    ) -> None:
        self.payload = payload
        self.topic = topic
        self.consumed = consumed
        self.reason = reason
        self.error = error


def is_csv(path: Path) -> bool:
    suffixes = [s.lower() for s in path.suffixes]
    return ".csv" in suffixes[-2:]


def _open(path: Path, mode: str) -> IO[bytes]:
    if path.suffix.lower() == ".gz":
        return gzip.open(path, mode)  # type: ignore[return-value]
    return open(path, mode)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    return str(value)


class RecordWriter:
    """Append published messages to a JSON Lines or CSV file (chosen by the suffix)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.csv = is_csv(path)
        self.count = 0
        self._fh = _open(path, "wb")
        self._text: io.TextIOWrapper | None = None
        self._csv: Any = None
        if self.csv:
            self._text = io.TextIOWrapper(self._fh, encoding="utf-8", newline="")  # type: ignore[arg-type]
            self._csv = csv.writer(self._text)
            self._csv.writerow(CSV_COLUMNS)

    def write(self, topic: str, payload: dict[str, Any]) -> None:
        self.count += 1
        if not self.csv:
            self._fh.write(jsonx.dumps({"topic": topic, "payload": payload}) + b"\n")
            return
        if topic == TOPIC_MARKET_UNDERLYING:
            row = {"record_type": "UNDERLYING", **{c: payload.get(c) for c in TICK_COLUMNS}}
            self._csv.writerow([_cell(row.get(c)) for c in CSV_COLUMNS])
            return
        head = {
            "record_type": "QUOTE",
            "timestamp": payload.get("timestamp"),
            "product": payload.get("product"),
            "expiry": payload.get("expiry"),
            "spot_price": payload.get("spot_price"),
        }
        for quote in [*payload.get("calls", []), *payload.get("puts", [])]:
            row = {**head, **{c: quote.get(c) for c in QUOTE_COLUMNS}}
            self._csv.writerow([_cell(row.get(c)) for c in CSV_COLUMNS])

    def close(self) -> None:
        if self._text is not None:
            self._text.flush()
            self._text.detach()
        self._fh.close()

    def __enter__(self) -> RecordWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def read_records(path: Path) -> Iterator[RawRecord]:
    """Every message in a recorded file, in order (JSON Lines or CSV by suffix)."""
    return _read_csv(path) if is_csv(path) else _read_jsonl(path)


def _read_jsonl(path: Path) -> Iterator[RawRecord]:
    consumed = 0
    with _open(path, "rb") as fh:
        for raw in fh:
            consumed += len(raw)
            line = raw.strip()
            if not line:
                continue
            try:
                obj = jsonx.loads(line)
            except ValueError as exc:
                text = line.decode("utf-8", "replace")[:10_000]
                yield RawRecord(text, None, consumed, "bad_json", f"invalid JSON: {exc}")
                continue
            if isinstance(obj, dict) and "payload" in obj and isinstance(obj.get("topic"), str):
                yield RawRecord(obj["payload"], obj["topic"], consumed)
            else:
                yield RawRecord(obj, None, consumed)


def _strike_key(row: dict[str, str]) -> float:
    try:
        return float(row.get("strike", ""))
    except ValueError:
        return float("inf")


def _chain_from_rows(rows: list[dict[str, str]]) -> dict[str, Any]:
    first = rows[0]
    ordered = sorted(rows, key=_strike_key)
    strikes = list(dict.fromkeys(row.get("strike", "") for row in ordered))
    chain: dict[str, Any] = {
        "type": "OPTION_CHAIN",
        "product": first.get("product"),
        "expiry": first.get("expiry"),
        "spot_price": first.get("spot_price"),
        "timestamp": first.get("timestamp"),
        "strikes": strikes,
        "calls": [],
        "puts": [],
    }
    for row in ordered:
        quote = {c: row[c] for c in (*QUOTE_COLUMNS, "product", "expiry", "timestamp") if row.get(c)}
        side = "calls" if row.get("option_type") == "CALL" else "puts"
        chain[side].append(quote)
    return {key: value for key, value in chain.items() if value not in (None, "")}


def _read_csv(path: Path) -> Iterator[RawRecord]:
    with _open(path, "rb") as fh:
        counter = {"bytes": 0}

        def lines() -> Iterator[str]:
            for raw in fh:
                counter["bytes"] += len(raw)
                yield raw.decode("utf-8", "replace")

        reader = csv.DictReader(lines())
        group: list[dict[str, str]] = []
        key: tuple[str, str, str] | None = None
        for row in reader:
            row = {k: v for k, v in row.items() if isinstance(k, str) and v not in (None, "")}
            kind = row.get("record_type", "").upper()
            row_key = (row.get("product", ""), row.get("expiry", ""), row.get("timestamp", ""))
            if group and (kind != "QUOTE" or row_key != key):
                yield RawRecord(_chain_from_rows(group), TOPIC_MARKET_CHAIN, counter["bytes"])
                group = []
            if kind == "QUOTE":
                group.append(row)
                key = row_key
            elif kind == "UNDERLYING":
                tick = {c: row[c] for c in TICK_COLUMNS if c in row}
                yield RawRecord({"type": "UNDERLYING", **tick}, TOPIC_MARKET_UNDERLYING, counter["bytes"])
            else:
                error = f"unknown record_type {kind or '(empty)'!r} (expected UNDERLYING or QUOTE)"
                yield RawRecord(row, None, counter["bytes"], "unknown_type", error)
        if group:
            yield RawRecord(_chain_from_rows(group), TOPIC_MARKET_CHAIN, counter["bytes"])
