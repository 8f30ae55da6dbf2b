"""Issue 18 item 8: request bodies are limited per route group while they stream in (413 in the
envelope), and the rate limit answers before a body is read."""

from __future__ import annotations

from collections.abc import AsyncIterator

from deltastream.settings import Settings
from tests.fixtures.api import Api, assert_envelope, running_api

CHUNK = b"x" * 1024


class Streamed:
    """A chunked request body (no Content-Length) that counts how much of it was pulled."""

    def __init__(self, chunks: int) -> None:
        self.chunks = chunks
        self.sent = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield b'{"email": "a@example.com", "password": "'
        for _ in range(self.chunks):
            self.sent += 1
            yield CHUNK
        yield b'"}'


async def test_a_declared_oversized_body_is_refused_before_it_is_read(api: Api) -> None:
    limit = api.runtime.settings.max_body_auth_bytes
    body = b'{"email": "a@example.com", "password": "' + b"p" * limit + b'"}'
    response = await api.client.post(
        "/api/auth/login", content=body, headers={"Content-Type": "application/json"}
    )
    envelope = assert_envelope(response, 413, "payload_too_large")
    assert envelope["error"]["details"] == {"max_bytes": limit}
    assert "x-request-id" in response.headers


async def test_a_streamed_oversized_body_is_cut_off_at_the_limit(api: Api) -> None:
    limit = api.runtime.settings.max_body_auth_bytes
    stream = Streamed(chunks=10 * limit // len(CHUNK))
    response = await api.client.post(
        "/api/auth/register", content=stream, headers={"Content-Type": "application/json"}
    )
    assert_envelope(response, 413, "payload_too_large")
    # Reading stopped just past the limit: the rest of the body was never pulled.
    assert stream.sent <= limit // len(CHUNK) + 1 < stream.chunks


async def test_route_groups_have_their_own_limits(settings: Settings) -> None:
    sized = settings.model_copy(update={"max_body_bytes": 4096, "max_body_auth_bytes": 2048})
    async with running_api(sized) as api:
        mid = b'{"token": "' + b"t" * 3000 + b'"}'
        auth = await api.client.post(
            "/api/auth/verify", content=mid, headers={"Content-Type": "application/json"}
        )
        assert_envelope(auth, 413)
        big = b"{" + b" " * 5000 + b"}"
        other = await api.client.post(
            "/api/dead-letters/1/replay", content=big, headers={"Content-Type": "application/json"}
        )
        assert_envelope(other, 413)
        small = await api.client.post(
            "/api/dead-letters/1/replay",
            content=b"{" + b" " * 3000 + b"}",
            headers={"Content-Type": "application/json"},
        )
        assert small.status_code == 401  # under the default limit: the route's own answer


async def test_the_rate_limit_answers_before_the_body_is_read(settings: Settings) -> None:
    async with running_api(settings.model_copy(update={"rate_limit_auth": "2/minute"})) as api:
        for _ in range(2):
            response = await api.client.post("/api/auth/register", json={"email": "bad", "password": "x"})
            assert response.status_code == 422
        stream = Streamed(chunks=4)
        response = await api.client.post(
            "/api/auth/register", content=stream, headers={"Content-Type": "application/json"}
        )
        assert_envelope(response, 429, "rate_limited")
        assert stream.sent == 0
        assert response.headers["X-RateLimit-Remaining"] == "0"
        assert "x-request-id" in response.headers
