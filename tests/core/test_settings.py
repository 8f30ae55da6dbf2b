"""Settings: the DELTASTREAM_ prefix, CSV lists, secret rules, nested names refused, derived properties."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from deltastream.settings import DEFAULT_JWT_SECRET, ConfigurationError, InsecureConfigurationError, Settings

GOOD_SECRET = "0123456789abcdef0123456789abcdef-prod"
NESTED = "DELTASTREAM_FEED__INTERVAL_S"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No DELTASTREAM_* variable or .env file from the developer's shell leaks into these tests."""
    for name in list(os.environ):
        if name.startswith("DELTASTREAM_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def test_defaults_are_embedded_dev() -> None:
    settings = Settings()

    assert settings.env == "dev"
    assert settings.embedded is True
    assert settings.redis_url is None and settings.mongo_url is None
    assert settings.port == 8000
    assert settings.retention_seconds == settings.retention_days * 86400


def test_variables_are_read_with_the_prefix_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DELTASTREAM_PORT", "9001")
    monkeypatch.setenv("DELTASTREAM_REDIS_URL", "redis://cache:6379/0")
    monkeypatch.setenv("DELTASTREAM_FEED_INTERVAL", "0.25")
    monkeypatch.setenv("PORT", "1234")
    monkeypatch.setenv("FEED_SEED", "99")

    settings = Settings()

    assert settings.port == 9001
    assert settings.redis_url == "redis://cache:6379/0"
    assert settings.embedded is False
    assert settings.feed_interval == 0.25
    assert settings.feed_seed is None


def test_dotenv_file_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("DELTASTREAM_MONGO_DB=from_dotenv\n")

    assert Settings().mongo_db == "from_dotenv"


def test_csv_lists_are_split_trimmed_and_products_upper_cased(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DELTASTREAM_FEED_PRODUCTS", " nifty, spy ,,BankNifty ")
    monkeypatch.setenv("DELTASTREAM_CORS_ORIGINS", "http://a.example, https://b.example:8443")

    settings = Settings()

    assert settings.feed_products == ["NIFTY", "SPY", "BANKNIFTY"]
    assert settings.cors_origins == ["http://a.example", "https://b.example:8443"]


def test_out_of_range_values_are_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DELTASTREAM_PORT", "70000")

    with pytest.raises(ValidationError, match="port"):
        Settings()


def test_prod_refuses_the_default_secret_with_a_clear_message(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DELTASTREAM_ENV", "prod")

    with pytest.raises(InsecureConfigurationError) as err:
        Settings()

    message = str(err.value)
    assert "DELTASTREAM_JWT_SECRET" in message
    assert "prod" in message
    assert DEFAULT_JWT_SECRET not in message


def test_prod_accepts_a_real_secret_and_never_prints_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DELTASTREAM_ENV", "prod")
    monkeypatch.setenv("DELTASTREAM_JWT_SECRET", GOOD_SECRET)

    settings = Settings()

    assert settings.jwt_secret.get_secret_value() == GOOD_SECRET
    assert GOOD_SECRET not in repr(settings)


def test_no_published_default_secret_a_random_one_is_persisted(tmp_path: Path) -> None:
    """Issue 18 item 1: unset secret outside prod is random, persisted (0600) and stable across restarts."""
    db = tmp_path / "data" / "deltastream.db"

    first = Settings(env="dev", sqlite_path=db).signing_secret
    again = Settings(env="dev", sqlite_path=db).signing_secret
    other = Settings(env="dev", sqlite_path=tmp_path / "other" / "deltastream.db").signing_secret

    assert first != DEFAULT_JWT_SECRET and first == again and first != other
    secret_file = db.parent / "jwt_secret"
    assert secret_file.read_text().strip() == first
    assert secret_file.stat().st_mode & 0o077 == 0


def test_a_token_signed_with_the_old_default_is_refused(tmp_path: Path) -> None:
    import jwt as pyjwt

    from deltastream.auth.service import ALGORITHM

    settings = Settings(env="dev", sqlite_path=tmp_path / "deltastream.db")
    forged = pyjwt.encode({"sub": "2", "type": "access"}, DEFAULT_JWT_SECRET, algorithm=ALGORITHM)

    with pytest.raises(pyjwt.InvalidSignatureError):
        pyjwt.decode(forged, settings.signing_secret, algorithms=[ALGORITHM])


@pytest.mark.parametrize(
    "secret",
    [DEFAULT_JWT_SECRET, "replace-with-the-output-of-openssl-rand-hex-32", "a" * 64, "abababababababababababababababab"],
)
def test_prod_refuses_placeholders_and_low_entropy_secrets(secret: str) -> None:
    with pytest.raises(InsecureConfigurationError):
        Settings(env="prod", jwt_secret=secret)


@pytest.mark.parametrize("secret", ["", "short", "x" * 31])
def test_short_secret_is_rejected_in_every_env(secret: str) -> None:
    with pytest.raises(ValidationError, match="at least 32 bytes"):
        Settings(env="dev", jwt_secret=secret)


def test_a_nested_name_is_refused_naming_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(NESTED, "2")

    with pytest.raises(ConfigurationError) as err:
        Settings()

    assert NESTED in str(err.value)
    assert "not supported" in str(err.value)


def test_the_cli_refuses_a_nested_name_with_one_line_and_exit_2(tmp_path: Path) -> None:
    db = tmp_path / "never.db"
    env = {**os.environ, "PYTHONPATH": str(ROOT), NESTED: "2", "DELTASTREAM_SQLITE_PATH": str(db)}

    proc = subprocess.run(
        [sys.executable, "-m", "deltastream", "migrate"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("deltastream:") and NESTED in lines[0]
    assert not db.exists(), "nothing is migrated with a refused configuration"
