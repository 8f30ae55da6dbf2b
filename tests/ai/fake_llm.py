"""A fake OpenAI-compatible server on 127.0.0.1 (aiohttp): it records each request and answers
with a canned completion, a delay longer than the client's timeout, or a 500."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.fixtures.servers import free_port


@dataclass
class FakeLlm:
    url: str
    mode: str = "ok"  # ok | slow | error | empty
    reply: str = "Rephrased: the PCR is as given."
    requests: list[dict[str, Any]] = field(default_factory=list)


FAKE = web.AppKey("fake", FakeLlm)


async def _completions(request: web.Request) -> web.Response:
    fake = request.app[FAKE]
    body = await request.json()
    fake.requests.append({"body": body, "authorization": request.headers.get("Authorization")})
    if fake.mode == "slow":
        await asyncio.sleep(5)
    if fake.mode == "error":
        return web.json_response({"error": {"message": "boom", "type": "server_error"}}, status=500)
    content = "" if fake.mode == "empty" else fake.reply
    return web.json_response(
        {
            "id": "chatcmpl-test",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model", "fake"),
            "choices": [
                {"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}
            ],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        }
    )


@contextlib.asynccontextmanager
async def serve_fake_llm() -> AsyncIterator[FakeLlm]:
    port = free_port()
    app = web.Application()
    app.router.add_post("/v1/chat/completions", _completions)
    fake = FakeLlm(url=f"http://127.0.0.1:{port}/v1")
    app[FAKE] = fake
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield fake
    finally:
        await runner.cleanup()
