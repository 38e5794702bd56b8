"""The request body cap: 413 as JSON for declared and chunked bodies over it, the body whole otherwise."""

from __future__ import annotations

import json
from typing import Any

import pytest

from oncall_platform.http_limits import DEFAULT_MAX_REQUEST_BYTES, Message, RequestBodyLimit, Scope
from oncall_platform.settings import ServiceSettings


class EchoApp:
    """Answers 200 with the length of the body it read; remembers whether it was called."""

    def __init__(self) -> None:
        self.called = False

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        self.called = True
        body = b""
        more = True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": str(len(body)).encode()})


class Client:
    """Feeds one request to the middleware as a server would, chunk by chunk, and records the answer."""

    def __init__(self, chunks: list[bytes], content_length: int | None) -> None:
        headers = [] if content_length is None else [(b"content-length", str(content_length).encode())]
        self.scope: Scope = {"type": "http", "method": "POST", "path": "/", "headers": headers}
        self._chunks = chunks
        self.chunks_read = 0
        self.sent: list[Message] = []

    async def receive(self) -> Message:
        if self.chunks_read == len(self._chunks):
            return {"type": "http.disconnect"}
        self.chunks_read += 1
        more = self.chunks_read < len(self._chunks)
        return {"type": "http.request", "body": self._chunks[self.chunks_read - 1], "more_body": more}

    async def send(self, message: Message) -> None:
        self.sent.append(message)

    @property
    def status(self) -> int:
        return int(self.sent[0]["status"])

    @property
    def body(self) -> bytes:
        return b"".join(m.get("body", b"") for m in self.sent[1:])


async def _call(chunks: list[bytes], *, declared: bool, max_bytes: int = 100) -> tuple[Client, EchoApp]:
    app = EchoApp()
    client = Client(chunks, sum(map(len, chunks)) if declared else None)
    await RequestBodyLimit(app, max_bytes=max_bytes)(client.scope, client.receive, client.send)
    return client, app


async def test_a_declared_body_over_the_cap_is_answered_413_without_reading_it() -> None:
    client, app = await _call([b"x" * 101], declared=True)

    assert client.status == 413
    assert client.chunks_read == 0
    assert not app.called
    assert json.loads(client.body) == {"detail": "the request body is larger than the limit of 100 bytes"}
    headers = dict(client.sent[0]["headers"])
    assert headers[b"content-type"] == b"application/json"
    assert headers[b"content-length"] == str(len(client.body)).encode()


async def test_a_chunked_body_is_read_only_until_it_passes_the_cap() -> None:
    client, app = await _call([b"x" * 40] * 1000, declared=False)

    assert client.status == 413
    assert client.chunks_read == 3  # 120 bytes: the first chunk past the cap; 997 chunks never read
    assert not app.called


@pytest.mark.parametrize("declared", [True, False])
async def test_a_body_at_the_cap_reaches_the_application_whole(declared: bool) -> None:
    client, app = await _call([b"x" * 60, b"y" * 40], declared=declared)

    assert app.called
    assert client.status == 200
    assert client.body == b"100"


async def test_other_scopes_pass_through() -> None:
    seen: list[str] = []

    async def app(scope: Scope, receive: Any, send: Any) -> None:
        seen.append(scope["type"])

    async def never() -> Message:
        raise AssertionError("the middleware must not read a lifespan scope")

    async def ignore(message: Message) -> None:
        raise AssertionError("the middleware must not answer a lifespan scope")

    await RequestBodyLimit(app)({"type": "lifespan"}, never, ignore)
    assert seen == ["lifespan"]


def test_the_cap_is_one_mebibyte_unless_max_request_bytes_says_otherwise(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert ServiceSettings().max_request_bytes == DEFAULT_MAX_REQUEST_BYTES == 1024 * 1024
    monkeypatch.setenv("MAX_REQUEST_BYTES", "2048")
    assert ServiceSettings().max_request_bytes == 2048
    with pytest.raises(ValueError, match="positive"):
        RequestBodyLimit(EchoApp(), max_bytes=0)
