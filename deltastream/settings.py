"""One flat root ``Settings``, read from ``DELTASTREAM_*`` variables (and a ``.env`` file).

The flat names from SPEC.md §12 (``DELTASTREAM_FEED_INTERVAL``) are the documented interface and
the only one: there are no nested sections yet, so a nested-looking name
(``DELTASTREAM_FEED__INTERVAL_S``) is refused with a clear message instead of being silently
ignored. Settings is a leaf: it imports nothing from the package.
"""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

# The value the seed shipped as a default: never used any more, refused in prod (issue 18, item 1).
DEFAULT_JWT_SECRET = "dev-only-insecure-secret-change-me-please-0123456789"
#: Placeholder values published in this repository (settings, k8s example); prod refuses them.
PLACEHOLDER_SECRETS = frozenset(
    {DEFAULT_JWT_SECRET, "replace-with-the-output-of-openssl-rand-hex-32"}
)
_PLACEHOLDER_WORDS = ("replace-with", "change-me", "changeme", "placeholder", "example")
#: File (in the data directory) holding the generated secret when none is configured.
SECRET_FILE_NAME = "jwt_secret"
_log = logging.getLogger("deltastream.settings")

INDIAN_PRODUCTS = ("NIFTY", "BANKNIFTY", "FINNIFTY", "SENSEX")
US_PRODUCTS = ("AAPL", "TSLA", "SPY", "QQQ")
ALL_PRODUCTS = INDIAN_PRODUCTS + US_PRODUCTS


class ConfigurationError(RuntimeError):
    """A configuration the process must refuse to start with; the message says how to fix it."""


class InsecureConfigurationError(ConfigurationError):
    """Raised when production mode is asked to run with a development-only secret."""


ENV_PREFIX = "DELTASTREAM_"
#: Granted admin to whoever registered a listed address first (issue 18, item 2); refused now.
REMOVED_ADMIN_EMAILS = "DELTASTREAM_ADMIN_EMAILS"


def _nested_names(environ: Mapping[str, str]) -> list[str]:
    return sorted(k for k in environ if k.upper().startswith(ENV_PREFIX) and "__" in k[len(ENV_PREFIX) :])


def _csv(value: Any) -> Any:
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    return value


CsvList = Annotated[list[str], NoDecode]


class Settings(BaseSettings):
    """Every knob DeltaStream reads. See README "Configuration" for the table."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_file=".env",
        extra="ignore",
        populate_by_name=True,
    )

    env: Literal["dev", "prod", "test"] = Field(
        default="dev", description="dev, test or prod; prod refuses the default JWT secret"
    )
    host: str = Field(default="127.0.0.1", description="bind address of the HTTP server")
    port: int = Field(default=8000, ge=1, le=65535, description="HTTP port")
    service_name: str = Field(default="deltastream", description="name reported by /health and in logs")

    # Backends: unset means embedded (in-process bus/cache/queue, SQLite storage).
    redis_url: str | None = Field(
        default=None, description="Redis URL; unset means in-process bus, cache and task queue"
    )
    redis_prefix: str = Field(default="", description="prefix for every Redis channel, key and stream")
    mongo_url: str | None = Field(default=None, description="MongoDB URL; unset means SQLite")
    mongo_db: str = Field(default="deltastream", description="MongoDB database name")
    sqlite_path: Path = Field(
        default=Path("./data/deltastream.db"), description="SQLite file (embedded storage)"
    )

    # Auth
    jwt_secret: SecretStr | None = Field(
        default=None,
        description=(
            "HS256 signing secret, 32+ bytes; required in prod (unset outside prod: a random one is "
            "generated once and kept in the data directory's jwt_secret file)"
        ),
    )
    jwt_access_ttl: int = Field(default=24 * 3600, gt=0, description="access token lifetime, seconds")
    jwt_refresh_ttl: int = Field(default=30 * 24 * 3600, gt=0, description="refresh token lifetime, seconds")
    public_reads: bool = Field(default=True, description="data and analytics reads without a token")
    cors_origins: CsvList = Field(
        default_factory=lambda: ["*"], description="allowed CORS origins, comma-separated"
    )

    # Feed
    feed_source: str = Field(
        default="simulator", description="simulator, or replay:FILE to replay a recorded session"
    )
    feed_interval: float = Field(default=1.0, gt=0, description="seconds between ticks per product")
    feed_seed: int | None = Field(default=None, description="RNG seed for a deterministic simulator")
    feed_products: CsvList = Field(
        default_factory=lambda: list(ALL_PRODUCTS), description="products to simulate, comma-separated"
    )
    feed_index_vol: float = Field(default=0.15, gt=0, le=3, description="annualised vol of simulated indices")
    feed_stock_vol: float = Field(default=0.35, gt=0, le=3, description="annualised vol of simulated stocks")
    feed_expiries: int = Field(default=4, ge=1, le=8, description="expiries listed per product")
    feed_expiry_rules: CsvList = Field(
        default_factory=list,
        description="per-product expiry overrides, e.g. BANKNIFTY=weekly:TUE,SPY=weekly:FRI (cycle weekly|monthly)",
    )
    feed_strikes: int = Field(default=21, ge=3, le=201, description="strikes per chain, centred on spot")
    feed_chain_every: int = Field(default=5, ge=1, description="publish chains every Nth tick of a product")

    # Enrichment / storage
    surface_interval: float = Field(default=5.0, gt=0, description="seconds between volatility surfaces")
    stale_after_seconds: float = Field(
        default=30.0, gt=0, description="seconds without an underlying tick before a product's feed is stale"
    )
    retention_days: float = Field(default=7.0, gt=0, description="days of ticks and chains kept")
    purge_interval: float = Field(default=300.0, gt=0, description="seconds between SQLite retention purges")
    cache_ttl: int = Field(default=300, gt=0, description="seconds the latest:* cache keys live")
    task_retries: int = Field(default=3, ge=1, description="tries per task before it is dead-lettered")
    task_idle_timeout: float = Field(
        default=30.0, gt=0, description="seconds before a stalled task is reclaimed"
    )

    # Gateway
    rate_limit_data: str = Field(
        default="100/minute", description="per-IP limit on data and analytics routes"
    )
    rate_limit_login: str = Field(
        default="10/minute", description="login attempts per IP, and failed logins per (account, IP)"
    )
    rate_limit_login_account: str = Field(
        default="100/hour", description="failed logins per account from all IPs together (the global ceiling)"
    )
    rate_limit_auth: str = Field(default="30/minute", description="per-IP limit on other auth routes")
    rate_limit_enabled: bool = Field(default=True, description="turn rate limiting off (tests, benchmarks)")
    max_body_bytes: int = Field(
        default=64 * 1024, ge=1024, description="largest request body, bytes (413 above it)"
    )
    max_body_auth_bytes: int = Field(
        default=8 * 1024, ge=1024, description="largest request body on /api/auth/*, bytes"
    )
    socket_max_rooms: int = Field(default=50, ge=1, description="rooms one Socket.IO client may join")
    bus_queue_size: int = Field(
        default=10_000,
        ge=1,
        description="per-subscriber bus mailbox; the oldest message is dropped when full",
    )

    # Alerts
    alert_webhook_attempts: int = Field(default=3, ge=1, le=10, description="webhook tries before dead-lettering")
    alert_webhook_backoff_seconds: float = Field(
        default=0.5, ge=0, description="first retry delay of a webhook; doubles each try"
    )
    alert_webhook_timeout_seconds: float = Field(default=5.0, gt=0, description="timeout of one webhook call")
    alert_channel_queue_size: int = Field(
        default=1000, ge=1, description="deliveries waiting per channel; beyond it they are dead-lettered"
    )
    alert_claim_ttl_seconds: int = Field(
        default=86400, ge=1, description="how long the split-mode claim alert:{rule}:{event} is kept in Redis"
    )

    # AI
    llm_url: str | None = Field(
        default=None, description="OpenAI-compatible endpoint for the AI analyst; unset = offline"
    )
    llm_model: str = Field(default="gpt-4o-mini", description="model name for the LLM endpoint")
    llm_api_key: SecretStr | None = Field(default=None, description="API key for the LLM endpoint")
    llm_timeout: float = Field(
        default=10.0, gt=0, le=120, description="seconds before an LLM call is abandoned for the offline answer"
    )
    ai_retriever: Literal["bm25", "hybrid"] = Field(
        default="bm25", description="chat retrieval: bm25, or hybrid (BM25 + packaged MiniLM; needs the ai-dense extra)"
    )
    ai_docs_dir: str | None = Field(
        default=None, description="directory holding README.md and docs/ for the chat corpus (default: the checkout)"
    )
    ai_news_url: str | None = Field(
        default=None, description="RSS/Atom or JSON headlines (URL or file) for /api/ai/sentiment; unset = own analytics"
    )
    ai_news_ttl: int = Field(default=300, gt=0, description="seconds fetched headlines are cached")
    rate_limit_ai: str = Field(default="20/minute", description="per-IP and per-user limit on /api/ai/chat")

    # Logs
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO", description="DEBUG, INFO, WARNING or ERROR (per-task and per-request lines are DEBUG)"
    )
    log_format: Literal["auto", "json", "console"] = Field(
        default="auto", description="auto (console on a terminal, JSON lines otherwise), json or console"
    )
    summary_interval: float = Field(
        default=30.0,
        gt=0,
        le=30,
        description="seconds between the INFO summary lines (ticks/s, chains/s, lag p95, socket clients, dead letters)",
    )

    @model_validator(mode="before")
    @classmethod
    def _refuse_nested_names(cls, data: Any) -> Any:
        if REMOVED_ADMIN_EMAILS in os.environ:
            raise ConfigurationError(
                f"{REMOVED_ADMIN_EMAILS} no longer grants admin (anyone could register a listed address): "
                "unset it and make admins explicitly with `deltastream users promote EMAIL`."
            )
        nested = _nested_names(os.environ)
        if nested:
            raise ConfigurationError(
                f"{', '.join(nested)}: nested setting names (with '__') are not supported; use the flat "
                "DELTASTREAM_* names of the README's Configuration table (e.g. DELTASTREAM_FEED_INTERVAL)."
            )
        return data

    @field_validator("feed_expiry_rules", mode="before")
    @classmethod
    def _split_rules(cls, value: Any) -> Any:
        value = _csv(value)
        return [item.upper() for item in value] if isinstance(value, list) else value

    @field_validator("feed_products", mode="before")
    @classmethod
    def _split_products(cls, value: Any) -> Any:
        value = _csv(value)
        return [item.upper() for item in value] if isinstance(value, list) else value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: Any) -> Any:
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("log_format", mode="before")
    @classmethod
    def _lower_format(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: Any) -> Any:
        return _csv(value)

    @field_validator("jwt_secret")
    @classmethod
    def _secret_length(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return value
        if len(value.get_secret_value().encode()) < 32:
            raise ValueError("DELTASTREAM_JWT_SECRET must be at least 32 bytes")
        return value

    @model_validator(mode="after")
    def _enforce_non_default_secrets(self) -> Settings:
        if self.env == "prod":
            value = self.jwt_secret.get_secret_value() if self.jwt_secret is not None else None
            if value is None or _is_weak_secret(value):
                raise InsecureConfigurationError(
                    "DELTASTREAM_ENV=prod needs DELTASTREAM_JWT_SECRET set to a random value of at least "
                    "32 bytes (e.g. `openssl rand -hex 32`); placeholders and low-entropy values are refused."
                )
        return self

    @property
    def signing_secret(self) -> str:
        """The JWT signing secret: DELTASTREAM_JWT_SECRET, else (outside prod) the random one kept in
        the data directory, generated on first use. Lazy, so a command that fails at start-up (an
        unknown product, a busy port) writes nothing."""
        if self.jwt_secret is None:
            self.jwt_secret = SecretStr(_load_or_create_secret(self.sqlite_path.parent / SECRET_FILE_NAME))
        return self.jwt_secret.get_secret_value()

    @property
    def embedded(self) -> bool:
        """True when no Redis is configured: bus, cache and task queue live in this process."""
        return not self.redis_url

    @property
    def retention_seconds(self) -> float:
        return self.retention_days * 86400.0


def _is_weak_secret(value: str) -> bool:
    """A published placeholder, placeholder wording, or too few distinct characters to be random."""
    lowered = value.lower()
    if value in PLACEHOLDER_SECRETS or any(word in lowered for word in _PLACEHOLDER_WORDS):
        return True
    return len(set(value)) < 12


def _load_or_create_secret(path: Path) -> str:
    """Read the persisted generated secret, or create it (0600) so tokens survive restarts."""
    try:
        existing = path.read_text().strip()
    except FileNotFoundError:
        existing = ""
    if len(existing.encode()) >= 32:
        return existing
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(secret + "\n")
    _log.info("DELTASTREAM_JWT_SECRET is unset: generated a random secret in %s", path)
    return secret


def get_settings(**overrides: Any) -> Settings:
    """Build settings from the environment, with explicit overrides (used by tests and the CLI)."""
    return Settings(**overrides)
