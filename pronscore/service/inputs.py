"""Read an assessment request from either multipart form data or a JSON body.

Both shapes carry the same fields (validated by one pydantic model) and become one
`AssessRequest`, so the endpoints never care how the audio arrived:

* ``multipart/form-data``: ``audio`` (file), ``text``, optional ``language``, ``l1``,
  ``ipa`` (repeatable ``WORD=IPA``), ``format``;
* ``application/json``: ``{"audio_base64", "text", ...}`` where ``ipa`` is a list of
  ``"WORD=IPA"`` strings or a ``{"word": "ipa"}`` object.
"""
from __future__ import annotations

import base64
import binascii
import json
from typing import Any, Literal

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.datastructures import UploadFile

from pronscore.service.body_limit import too_large_message
from pronscore.service.errors import RequestInvalidError, UnsupportedMediaTypeError, UploadTooLargeError
from pronscore.service.runner import AssessRequest
from pronscore.text.lexicon import parse_ipa_override

# Form fields are short; this also bounds what a client can make the form parser hold.
MAX_FORM_FIELDS = 64


class AssessFields(BaseModel):
    """The fields of an assessment request besides the audio."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(description="the sentence the speaker meant to say")
    language: str | None = Field(None, description="language of the text (default: the server's, en)")
    l1: str | None = Field(None, description="the speaker's first language, e.g. zh, for L1 notes")
    ipa: list[str] | dict[str, str] = Field(default_factory=list,
                                             description="pronunciation overrides, WORD=IPA (or {word: ipa})")
    format: Literal["json", "textgrid", "csv"] = Field("json", description="response format of /v1/assess")


class AssessJSONBody(AssessFields):
    audio_base64: str = Field(description="the recording's file bytes (WAV, FLAC, OGG, MP3), base64-encoded")


def openapi_request_body() -> dict[str, Any]:
    """The two accepted bodies, for ``openapi_extra`` (the route reads the request itself)."""
    form_props: dict[str, Any] = {"audio": {"type": "string", "format": "binary"}}
    for name, prop in AssessFields.model_json_schema()["properties"].items():
        form_props[name] = {"type": "array", "items": {"type": "string"}} if name == "ipa" else prop
    return {"requestBody": {"required": True, "content": {
        "multipart/form-data": {"schema": {"type": "object", "required": ["audio", "text"], "properties": form_props}},
        "application/json": {"schema": AssessJSONBody.model_json_schema()},
    }}}


async def read_assess_request(request: Request, *, max_audio_bytes: int) -> AssessRequest:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "multipart/form-data":
        fields, audio = await _read_multipart(request)
    elif content_type == "application/json" or content_type.endswith("+json"):
        fields, audio = await _read_json(request)
    else:
        raise UnsupportedMediaTypeError(
            f"send multipart/form-data (audio file + text) or application/json (audio_base64 + text), "
            f"not {content_type or 'a body without Content-Type'}")
    if len(audio) > max_audio_bytes:
        raise UploadTooLargeError(too_large_message(max_audio_bytes))
    return AssessRequest(audio=audio, text=fields.text, language=_blank_to_none(fields.language),
                         l1=_blank_to_none(fields.l1), ipa=_parse_ipa(fields.ipa), format=fields.format)


async def _read_multipart(request: Request) -> tuple[AssessFields, bytes]:
    form = await request.form(max_files=1, max_fields=MAX_FORM_FIELDS)
    try:
        raw: dict[str, Any] = {k: form.get(k) for k in ("text", "language", "l1", "format") if k in form}
        if "ipa" in form:
            raw["ipa"] = [v for v in form.getlist("ipa") if isinstance(v, str) and v.strip()]
        errors: list[dict[str, Any]] = []
        upload = form.get("audio")
        if not isinstance(upload, UploadFile):
            errors.append({"type": "missing", "loc": ("audio",),
                           "msg": "Field required (a file part named 'audio')", "input": None})
        try:
            fields = AssessFields.model_validate(raw)
        except ValidationError as exc:
            errors.extend(exc.errors(include_url=False))
        if errors:
            raise RequestValidationError(errors)
        assert isinstance(upload, UploadFile)
        return fields, await upload.read()
    finally:
        await form.close()


async def _read_json(request: Request) -> tuple[AssessFields, bytes]:
    try:
        doc = json.loads(await request.body())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise RequestInvalidError(f"the body is not valid JSON: {exc}") from exc
    try:
        body = AssessJSONBody.model_validate(doc)
    except ValidationError as exc:
        raise RequestValidationError(exc.errors(include_url=False)) from exc
    return body, _decode_base64(body.audio_base64)


def _decode_base64(text: str) -> bytes:
    # Browsers hand out data URLs ("data:audio/wav;base64,...."); accept them as they are.
    if text.startswith("data:") and "," in text:
        text = text.split(",", 1)[1]
    try:
        return base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise RequestInvalidError("audio_base64 is not valid base64") from exc


def _parse_ipa(ipa: list[str] | dict[str, str]) -> dict[str, str]:
    specs = [f"{word}={value}" for word, value in ipa.items()] if isinstance(ipa, dict) else ipa
    return dict(parse_ipa_override(spec) for spec in specs)


def _blank_to_none(value: str | None) -> str | None:
    # An HTML <select> sends "" for "none chosen".
    if value is None or not value.strip():
        return None
    return value.strip()
