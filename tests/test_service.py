"""The HTTP service: real assessments through FastAPI's TestClient, the job queue with a
controllable stand-in Session, and one real uvicorn server on 127.0.0.1."""
from __future__ import annotations

import base64
import re
import socket
import threading
import time
from typing import Any, Iterator

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("httpx")

import httpx  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402

from pronscore.errors import EmptyTextError  # noqa: E402
from pronscore.report.json_report import validate_assessment  # noqa: E402
from pronscore.service.app import create_app  # noqa: E402
from pronscore.service.jobs import JobStore  # noqa: E402
from pronscore.service.runner import AssessmentRunner, AssessRequest  # noqa: E402

SENTENCE = "The cat sat on the mat."


@pytest.fixture(scope="module")
def wav(speech) -> bytes:
    return speech(SENTENCE).read_bytes()


@pytest.fixture(scope="module")
def client(session) -> Iterator[TestClient]:
    with TestClient(create_app(session)) as c:
        yield c


def post_audio(client: TestClient, path: str, audio: bytes, text: str, **fields: Any) -> httpx.Response:
    return client.post(path, files={"audio": ("speech.wav", audio, "audio/wav")}, data={"text": text, **fields})


def assert_error(response: httpx.Response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}, body
    assert body["error"]["message"]
    if code is not None:
        assert body["error"]["code"] == code, body
    return body["error"]


def wait_for_job(client: TestClient, job_id: str, headers: dict | None = None, timeout_s: float = 60) -> dict:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        job = client.get(f"/v1/jobs/{job_id}", headers=headers or {}).json()
        if job["status"] in ("done", "failed"):
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not finish in {timeout_s} s")


# ---------------------------------------------------------------------------------------
# Assessments with the real Session
def test_assess_multipart_returns_a_valid_assessment(client, wav):
    response = post_audio(client, "/v1/assess", wav, SENTENCE, l1="zh")
    assert response.status_code == 200, response.text
    doc = response.json()
    validate_assessment(doc)
    assert [w["text"] for w in doc["words"] if w["error"] != "inserted"] == ["The", "cat", "sat", "on", "the", "mat"]
    assert all(0 <= doc["scores"][k] <= 100 for k in ("accuracy", "fluency", "completeness", "prosody", "overall"))
    # The Piper voice reads the sentence correctly: every word is there.
    assert doc["scores"]["completeness"] == 100


def test_json_body_and_async_job_give_the_same_scores_as_multipart(client, wav):
    sync = post_audio(client, "/v1/assess", wav, SENTENCE).json()

    as_json = client.post("/v1/assess", json={"audio_base64": base64.b64encode(wav).decode(), "text": SENTENCE})
    assert as_json.status_code == 200, as_json.text
    assert as_json.json()["scores"] == sync["scores"]

    created = post_audio(client, "/v1/jobs", wav, SENTENCE)
    assert created.status_code == 202, created.text
    assert created.json()["status"] == "queued"
    assert created.headers["location"] == f"/v1/jobs/{created.json()['id']}"
    job = wait_for_job(client, created.json()["id"])
    assert job["status"] == "done", job
    validate_assessment(job["result"])
    assert job["result"]["scores"] == sync["scores"]
    assert [w["scores"] for w in job["result"]["words"]] == [w["scores"] for w in sync["words"]]
    assert job["started_at"] >= job["created_at"] and job["finished_at"] >= job["started_at"]


def test_textgrid_and_csv_formats(client, wav):
    grid = post_audio(client, "/v1/assess", wav, SENTENCE, format="textgrid")
    assert grid.status_code == 200, grid.text
    assert grid.headers["content-type"].startswith("text/plain")
    assert grid.text.startswith('File type = "ooTextFile"')
    assert 'name = "words"' in grid.text and 'name = "phones"' in grid.text
    assert 'text = "cat"' in grid.text

    table = post_audio(client, "/v1/assess", wav, SENTENCE, format="csv")
    assert table.status_code == 200 and table.headers["content-type"].startswith("text/csv")
    header, *rows = table.text.strip().splitlines()
    assert header.startswith("utterance,word_index,word")
    assert len(rows) >= 12  # one row per phone: "the cat sat on the mat" has 14


def test_ipa_override_is_used_and_a_bad_one_is_a_422(client, wav):
    ok = client.post("/v1/assess", files=[("audio", ("s.wav", wav, "audio/wav")), ("text", (None, SENTENCE)),
                                          ("ipa", (None, "mat=mæt")), ("ipa", (None, "cat=kæt"))])
    assert ok.status_code == 200, ok.text
    sources = {w["text"]: w["pronunciation_source"] for w in ok.json()["words"]}
    assert sources["cat"] == sources["mat"] == "override"

    bad = post_audio(client, "/v1/assess", wav, SENTENCE, ipa="mat")  # no '='
    assert_error(bad, 422, "lexicon_invalid")


# ---------------------------------------------------------------------------------------
# User errors: typed, 4xx, one error shape
def test_corrupt_audio_is_422_audio_unreadable(client):
    assert_error(post_audio(client, "/v1/assess", b"RIFF\x00\x00not really a wave file", SENTENCE),
                 422, "audio_unreadable")


def test_empty_text_is_422(client, wav):
    assert_error(post_audio(client, "/v1/assess", wav, "   "), 422, "text_empty")
    # An empty string is "no text" to the form parser: still a 422 in the same shape.
    assert_error(post_audio(client, "/v1/assess", wav, ""), 422)


def test_missing_fields_are_422_in_the_same_error_shape(client, wav):
    no_audio = client.post("/v1/assess", files={"text": (None, SENTENCE)})
    assert "audio" in assert_error(no_audio, 422, "request_invalid")["message"]
    no_text = client.post("/v1/assess", files={"audio": ("s.wav", wav, "audio/wav")})
    assert "text" in assert_error(no_text, 422, "request_invalid")["message"]
    json_without_audio = client.post("/v1/assess", json={"text": SENTENCE})
    assert "audio_base64" in assert_error(json_without_audio, 422, "request_invalid")["message"]
    assert_error(post_audio(client, "/v1/assess", wav, SENTENCE, format="mp4"), 422, "request_invalid")
    assert_error(client.post("/v1/assess", json={"text": SENTENCE, "audio_base64": "not base64!"}),
                 422, "request_invalid")
    assert_error(client.post("/v1/assess", content=b"{", headers={"content-type": "application/json"}),
                 422, "request_invalid")
    assert_error(client.post("/v1/assess", content=b"text=hi",
                             headers={"content-type": "application/x-www-form-urlencoded"}),
                 415, "unsupported_media_type")


def test_silent_audio_is_a_typed_422(client):
    import io

    import numpy as np
    import soundfile as sf

    buf = io.BytesIO()
    sf.write(buf, np.zeros(16000, dtype=np.float32), 16000, format="WAV", subtype="PCM_16")
    error = assert_error(post_audio(client, "/v1/assess", buf.getvalue(), SENTENCE), 422)
    assert error["code"].startswith("audio_")


def test_upload_over_the_cap_is_413_while_reading(session, wav):
    cap = 20_000
    assert len(wav) > 2 * cap  # the Piper sentence is ~100 kB
    with TestClient(create_app(session, max_upload_bytes=cap)) as small:
        # Declared Content-Length over the cap: refused before the body is read.
        error = assert_error(post_audio(small, "/v1/assess", wav, SENTENCE), 413, "upload_too_large")
        assert "20 kB" in error["message"]

        # Chunked body (no Content-Length): counted as it arrives. A well-formed multipart body
        # larger than the body allowance (cap * 4/3 + 64 kB), so the parser would accept it.
        body = (b'--x\r\nContent-Disposition: form-data; name="text"\r\n\r\n' + SENTENCE.encode()
                + b'\r\n--x\r\nContent-Disposition: form-data; name="audio"; filename="s.wav"\r\n\r\n'
                + wav * 3 + b"\r\n--x--\r\n")
        assert len(body) > cap * 4 // 3 + 64 * 1024

        def chunks() -> Iterator[bytes]:
            for i in range(0, len(body), 4096):
                yield body[i:i + 4096]

        streamed = small.post("/v1/assess", content=chunks(), headers={"content-type": "multipart/form-data; boundary=x"})
        assert "content-length" not in {k.lower() for k in streamed.request.headers}
        assert_error(streamed, 413, "upload_too_large")

        # Within the body allowance (base64 grows 4/3) but over the audio cap once decoded.
        over = base64.b64encode(b"\0" * (cap + 1)).decode()
        assert_error(small.post("/v1/assess", json={"text": SENTENCE, "audio_base64": over}), 413, "upload_too_large")
        # A small upload still passes the cap and reaches the engine.
        assert_error(post_audio(small, "/v1/assess", b"tiny", SENTENCE), 422, "audio_unreadable")


def test_api_key_is_required_on_v1_when_configured(session, wav, monkeypatch):
    monkeypatch.setenv("PRONSCORE_API_KEY", "not-this-one")  # create_app reads only its argument
    with TestClient(create_app(session, api_key="s3cret")) as keyed:
        assert keyed.get("/healthz").status_code == 200
        assert keyed.get("/healthz").json()["auth_required"] is True
        missing = post_audio(keyed, "/v1/assess", wav, SENTENCE)
        assert_error(missing, 401, "unauthorized")
        assert missing.headers["www-authenticate"] == "Bearer"
        wrong = keyed.post("/v1/assess", files={"audio": ("s.wav", wav)}, data={"text": SENTENCE},
                           headers={"Authorization": "Bearer s3cret-not"})
        assert_error(wrong, 401, "unauthorized")
        assert_error(keyed.get("/v1/jobs/anything"), 401, "unauthorized")
        ok = keyed.post("/v1/assess", files={"audio": ("s.wav", wav)}, data={"text": SENTENCE},
                        headers={"Authorization": "Bearer s3cret"})
        assert ok.status_code == 200, ok.text
        validate_assessment(ok.json())


def test_unknown_and_deleted_jobs_are_404(client, wav):
    assert_error(client.get("/v1/jobs/does-not-exist"), 404, "job_not_found")
    assert_error(client.delete("/v1/jobs/does-not-exist"), 404, "job_not_found")
    created = post_audio(client, "/v1/jobs", b"corrupt", SENTENCE).json()
    failed = wait_for_job(client, created["id"])
    assert failed["status"] == "failed" and failed["error"]["code"] == "audio_unreadable"
    assert "result" not in failed
    assert client.delete(f"/v1/jobs/{created['id']}").json()["status"] == "deleted"
    assert_error(client.get(f"/v1/jobs/{created['id']}"), 404, "job_not_found")


# ---------------------------------------------------------------------------------------
# The queue, with a stand-in Session that blocks until released
class GatedSession:
    """Duck-types Session: each assess() waits for the test to open the gate."""

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.calls: list[str] = []
        self.active = 0
        self.max_active = 0
        self._lock = threading.Lock()

    def info(self) -> dict:
        return {"acoustic": "stand-in"}

    def assess(self, audio: bytes, text: str, **_: Any):
        with self._lock:
            self.active += 1
            self.max_active = max(self.max_active, self.active)
        try:
            if not self.gate.wait(30):
                raise RuntimeError("test gate never opened")
            self.calls.append(text)
            if not text.strip():
                raise EmptyTextError("the reference text is empty")
            return _FakeAssessment(text)
        finally:
            with self._lock:
                self.active -= 1

    def close(self) -> None:
        pass


class _FakeAssessment:
    def __init__(self, text: str) -> None:
        self.text = text

    def to_dict(self) -> dict:
        return {"text": self.text}


def test_job_queue_is_bounded_serial_and_cancellable():
    fake = GatedSession()
    with TestClient(create_app(fake, max_jobs=2)) as c:  # type: ignore[arg-type]
        first = post_audio(c, "/v1/jobs", b"x", "one").json()
        second = post_audio(c, "/v1/jobs", b"x", "two").json()
        deadline = time.monotonic() + 5
        while c.get(f"/v1/jobs/{first['id']}").json()["status"] != "running" and time.monotonic() < deadline:
            time.sleep(0.01)
        assert c.get(f"/v1/jobs/{first['id']}").json()["status"] == "running"
        assert c.get(f"/v1/jobs/{second['id']}").json()["status"] == "queued"

        full = post_audio(c, "/v1/jobs", b"x", "three")
        assert_error(full, 429, "queue_full")
        # Sync requests share the same bound: they would wait behind the same worker.
        assert_error(post_audio(c, "/v1/assess", b"x", "four"), 429, "queue_full")
        health = c.get("/healthz").json()
        assert health["queue"]["pending"] == 2 and health["queue"]["jobs"]["running"] == 1

        # Deleting a queued job cancels it: it never reaches the Session.
        assert c.delete(f"/v1/jobs/{second['id']}").json()["was"] == "queued"
        fake.gate.set()
        assert wait_for_job(c, first["id"])["result"] == {"text": "one"}
        failing = post_audio(c, "/v1/jobs", b"x", "  ").json()
        assert wait_for_job(c, failing["id"])["error"] == {"code": "text_empty", "message": "the reference text is empty"}
    assert fake.calls == ["one", "  "]
    assert fake.max_active == 1  # the Session is never used by two threads at once


def test_finished_jobs_expire_by_ttl_and_by_count():
    fake = GatedSession()
    fake.gate.set()
    now = [1000.0]
    runner = AssessmentRunner(fake, max_pending=8)  # type: ignore[arg-type]
    store = JobStore(runner, max_finished=2, ttl_s=60, clock=lambda: now[0])
    try:
        ids = []
        for text in ("a", "b", "c"):
            job = store.submit(AssessRequest(audio=b"x", text=text))
            job_future = job.future
            if job_future is not None:
                job_future.result(timeout=5)
            deadline = time.monotonic() + 5
            while store.get(job.id).status != "done" and time.monotonic() < deadline:
                time.sleep(0.01)
            ids.append(job.id)
            now[0] += 1
        # Only the 2 most recent finished jobs are kept.
        with pytest.raises(Exception, match="no job"):
            store.get(ids[0])
        assert store.get(ids[2]).result == {"text": "c"}
        now[0] += 61
        assert store.counts() == {"queued": 0, "running": 0, "done": 0, "failed": 0}
    finally:
        runner.close()


# ---------------------------------------------------------------------------------------
# Page, health, OpenAPI
def test_index_page_is_self_contained(client):
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    assert 'id="record-button"' in html and 'type="file"' in html and 'id="l1"' in html
    assert 'id="api-key"' in html
    assert "encodeWav" in html  # records PCM and uploads WAV, which the server can always decode
    # Offline: nothing is fetched from another host.
    assert not re.search(r"https?://", html)
    assert not re.search(r"""(src|href)\s*=\s*["']//""", html)
    assert "@import" not in html and "url(" not in html


def test_healthz_and_openapi(client):
    health = client.get("/healthz").json()
    assert health["status"] == "ok" and health["version"]
    from pronscore.acoustic.registry import DEFAULT_ACOUSTIC

    assert health["model"]["acoustic"] == DEFAULT_ACOUSTIC
    assert health["auth_required"] is False
    assert {"code": "zh", "name": "Mandarin Chinese"} in health["l1"]
    spec = client.get("/openapi.json").json()
    body = spec["paths"]["/v1/assess"]["post"]["requestBody"]["content"]
    assert set(body) == {"multipart/form-data", "application/json"}
    assert "audio_base64" in body["application/json"]["schema"]["properties"]
    assert {"/v1/jobs", "/v1/jobs/{job_id}", "/healthz"} <= set(spec["paths"])


def test_real_uvicorn_server_answers_healthz(session):
    uvicorn = pytest.importorskip("uvicorn")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(session), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        assert server.started, "uvicorn did not start"
        response = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5)
        assert response.status_code == 200 and response.json()["status"] == "ok"
        assert_error(httpx.get(f"http://127.0.0.1:{port}/v1/jobs/x", timeout=5), 404, "job_not_found")
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    assert not thread.is_alive()
