"""Optional LLM coach: turns the structured error list into a short, friendly paragraph.

Talks to any OpenAI-compatible server (llama.cpp, vLLM, Ollama, LM Studio, a hosted
API) at ``POST {base}/v1/chat/completions``. Nothing is sent anywhere unless the
caller passes a URL. Every failure (unreachable, timeout, non-2xx, malformed
reply) is a CoachError, so an assessment never fails silently or half-way
because of the coach.
"""
from __future__ import annotations

import json
from typing import Any

from pronscore.errors import CoachError, PronscoreError

#: Keys of each error dict that are sent to the model (anything else is dropped).
ERROR_FIELDS = ("word", "target", "heard", "error", "gop", "l1")

SYSTEM_PROMPT = (
    "You are a friendly English pronunciation coach. You receive a JSON list of pronunciation "
    "errors, each with the word, the target phone (IPA), the phone heard instead (IPA, '∅' = "
    "left out, null = unclear), the error type, a goodness-of-pronunciation score (natural log, "
    "closer to 0 is better) and the learner's first language. Give at most five short, concrete "
    "tips, most important first, each naming the sound and how to move the tongue, lips or voice. "
    "Do not invent errors that are not in the list."
)



def chat_completions_url(url: str) -> str:
    """The chat-completions endpoint for a base URL given with or without ``/v1``."""
    base = (url or "").strip().rstrip("/")
    if not base.startswith(("http://", "https://")):
        raise CoachError(f"coach URL must start with http:// or https://, got {url!r}")
    if base.endswith("/chat/completions"):
        return base
    if base.endswith("/v1"):
        return base + "/chat/completions"
    return base + "/v1/chat/completions"


def build_request(errors: list[dict[str, Any]], l1: str | None, model: str) -> dict[str, Any]:
    """The JSON body sent to the server (pure; exposed for tests and for logging)."""
    items = []
    for item in errors:
        row = {key: item.get(key) for key in ERROR_FIELDS}
        if row["l1"] is None:
            row["l1"] = l1
        items.append(row)
    return {
        "model": model,
        "messages": [
            {"role": "system", "content": SYSTEM_PROMPT},
            {"role": "user", "content": json.dumps({"l1": l1, "errors": items}, ensure_ascii=False)},
        ],
        "temperature": 0.3,
    }


def parse_reply(status: int, body: bytes, url: str) -> str:
    """The assistant text of a chat-completions reply; CoachError for anything else."""
    if not 200 <= status < 300:
        snippet = body[:200].decode("utf-8", errors="replace")
        raise CoachError(f"coach server {url} answered HTTP {status}: {snippet}")
    try:
        data = json.loads(body)
        content = data["choices"][0]["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise CoachError(f"coach server {url} sent a reply that is not a chat completion: {exc!r}") from exc
    if not isinstance(content, str) or not content.strip():
        raise CoachError(f"coach server {url} sent an empty completion")
    return content.strip()


def coach(url: str, errors: list[dict[str, Any]], l1: str | None, *, model: str = "default",
          timeout: float = 20.0, api_key: str | None = None) -> str:
    """Ask an OpenAI-compatible server for coaching on `errors`; returns the assistant text.

    errors: dicts with keys target, heard, error, gop, word (and optionally l1).
    Raises CoachError when the server is unreachable, times out, answers non-2xx
    or sends malformed JSON.
    """
    endpoint = chat_completions_url(url)
    payload = json.dumps(build_request(errors, l1, model)).encode("utf-8")
    headers = {"Content-Type": "application/json"}
    if api_key:
        headers["Authorization"] = f"Bearer {api_key}"
    try:
        import httpx
    except ImportError:  # pragma: no cover - httpx is installed with the service extra
        return _post_urllib(endpoint, payload, headers, timeout)
    try:
        response = httpx.post(endpoint, content=payload, headers=headers, timeout=timeout)
    except httpx.TimeoutException as exc:
        raise CoachError(f"coach server {endpoint} did not answer within {timeout:g} s") from exc
    except httpx.HTTPError as exc:
        raise CoachError(f"cannot reach coach server {endpoint}: {exc}") from exc
    return parse_reply(response.status_code, response.content, endpoint)


def _post_urllib(endpoint: str, payload: bytes, headers: dict[str, str], timeout: float) -> str:
    import socket
    import urllib.error
    import urllib.request

    request = urllib.request.Request(endpoint, data=payload, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return parse_reply(response.status, response.read(), endpoint)
    except urllib.error.HTTPError as exc:
        return parse_reply(exc.code, exc.read(), endpoint)
    except (socket.timeout, TimeoutError) as exc:
        raise CoachError(f"coach server {endpoint} did not answer within {timeout:g} s") from exc
    except (urllib.error.URLError, OSError) as exc:
        raise CoachError(f"cannot reach coach server {endpoint}: {exc}") from exc
