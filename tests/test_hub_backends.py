"""Optional acoustic backends for local hub models: hf-ctc (transformers) and onnx-ctc (onnxruntime).

The tests build their own tiny models (random weights, a 320-sample hop, a small IPA vocabulary), so they check
what the backends do with a model's files and outputs, never what a real model hears.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from pronscore.acoustic.base import AcousticModel
from pronscore.acoustic.registry import BACKENDS, load_acoustic_model
from pronscore.errors import MissingDependencyError, ModelError, ModelNotFoundError
from pronscore.text.arpabet import ENGLISH_PHONES

SPECIALS = ["<pad>", "<s>", "</s>", "<unk>", "|"]
VOCAB = SPECIALS + list(ENGLISH_PHONES)
KERNEL, HOP = 400, 320  # 25 ms windows every 20 ms, the wav2vec2 feature encoder's grid


def _frames(n: int) -> int:
    return (n - KERNEL) // HOP + 1


def _write_vocab(folder: Path, tokens: list[str]) -> None:
    (folder / "vocab.json").write_text(json.dumps({t: i for i, t in enumerate(tokens)}, ensure_ascii=False),
                                       encoding="utf-8")


def _assert_log_distributions(lp: np.ndarray) -> None:
    assert lp.dtype == np.float32 and np.all(np.isfinite(lp)) and np.all(lp <= 1e-6)
    np.testing.assert_allclose(np.exp(lp.astype(np.float64)).sum(axis=1), 1.0, atol=1e-5)


# --------------------------------------------------------------------------- a tiny ONNX CTC model
def build_onnx(folder: Path, n_classes: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """waveform [1, N] -> Conv1d(1 -> V, kernel 400, stride 320) -> [1, T, V] logits, written as model.onnx.

    Returns the conv weights and bias so a test can recompute the logits in numpy.
    """
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(seed)
    w = rng.normal(0.0, 0.3, (n_classes, 1, KERNEL)).astype(np.float32)
    b = rng.normal(0.0, 1.0, n_classes).astype(np.float32)
    nodes = [
        helper.make_node("Reshape", ["waveform", "shape"], ["x3"]),
        helper.make_node("Conv", ["x3", "w", "b"], ["conv"], strides=[HOP], kernel_shape=[KERNEL]),
        helper.make_node("Transpose", ["conv"], ["logits"], perm=[0, 2, 1]),
    ]
    graph = helper.make_graph(
        nodes, "tiny_ctc",
        [helper.make_tensor_value_info("waveform", TensorProto.FLOAT, [1, "N"])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, "T", n_classes])],
        initializer=[numpy_helper.from_array(np.array([1, 1, -1], dtype=np.int64), "shape"),
                     numpy_helper.from_array(w, "w"), numpy_helper.from_array(b, "b")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    folder.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(folder / "model.onnx"))
    return w, b


@pytest.fixture(scope="module")
def onnx_dir(tmp_path_factory):
    pytest.importorskip("onnxruntime")
    folder = tmp_path_factory.mktemp("onnx_ctc")
    w, b = build_onnx(folder, len(VOCAB))
    _write_vocab(folder, VOCAB)
    return folder, w, b


def test_onnx_posteriors_are_the_models_logits_renormalised(onnx_dir):
    folder, w, b = onnx_dir
    model = load_acoustic_model("onnx-ctc", folder / "model.onnx")
    assert isinstance(model, AcousticModel) and model.vocab == VOCAB
    assert model.frame_s == pytest.approx(0.02) and model.info()["frame_s_source"] == "measured"
    audio = (0.1 * np.random.default_rng(1).standard_normal(36_800)).astype(np.float32)  # 2.3 s
    post = model.posteriors(audio)
    assert post.log_probs.shape == (_frames(audio.size), len(VOCAB))
    _assert_log_distributions(post.log_probs)
    # The same numbers a numpy strided convolution gives, as log-softmax.
    windows = np.lib.stride_tricks.sliding_window_view(audio, KERNEL)[::HOP]
    logits = windows.astype(np.float64) @ w[:, 0, :].T + b
    top = logits.max(1, keepdims=True)
    expected = logits - top - np.log(np.exp(logits - top).sum(1, keepdims=True))
    np.testing.assert_allclose(post.log_probs, expected, atol=2e-4)
    assert post.blank_id == VOCAB.index("<pad>") and post.frame_s == pytest.approx(0.02)
    assert {VOCAB.index(t) for t in SPECIALS} <= post.special_ids
    assert not ({VOCAB.index(p) for p in ENGLISH_PHONES} & post.special_ids)
    info = model.info()
    assert info["acoustic"] == "onnx-ctc" and info["vocab_size"] == len(VOCAB) and info["threads"] == 1


@pytest.mark.parametrize("sherpa_style", [True, False])
def test_onnx_tokens_txt_blank_and_config(tmp_path, sherpa_style):
    pytest.importorskip("onnxruntime")
    tokens = ["a", "b", "<blk>", "ɪ", "t͡ʃ"]
    build_onnx(tmp_path, len(tokens))
    lines = [f"{t} {i}" for i, t in enumerate(tokens)] if sherpa_style else tokens
    (tmp_path / "tokens.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (tmp_path / "config.json").write_text(json.dumps({"frame_s": 0.02, "time_offset_s": -0.02}))
    from pronscore.acoustic.onnx_ctc import OnnxCtcModel

    model = OnnxCtcModel(tmp_path, threads=1)  # a directory: its one .onnx file
    assert model.vocab == tokens and model.blank_id == 2 and model.info()["frame_s_source"] == "config.json frame_s"
    post = model.posteriors(np.zeros(16000, dtype=np.float32))
    assert post.log_probs.shape == (_frames(16000), 5) and post.time_offset_s == -0.02
    assert post.special_ids == frozenset({2})


def test_onnx_blank_must_be_known_and_vocab_must_fit(tmp_path):
    pytest.importorskip("onnxruntime")
    from pronscore.acoustic.onnx_ctc import OnnxCtcModel

    build_onnx(tmp_path, 3)
    _write_vocab(tmp_path, ["a", "b", "c"])
    with pytest.raises(ModelError, match="blank"):
        OnnxCtcModel(tmp_path / "model.onnx")
    assert OnnxCtcModel(tmp_path / "model.onnx", blank="c").blank_id == 2
    _write_vocab(tmp_path, ["<pad>", "a", "b", "c"])  # one token more than the model emits
    with pytest.raises(ModelError, match="emits only 3"):
        OnnxCtcModel(tmp_path / "model.onnx")


# --------------------------------------------------------------------------- a tiny wav2vec2 CTC model
@pytest.fixture(scope="module")
def hf_dir(tmp_path_factory):
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    folder = tmp_path_factory.mktemp("hf_ctc")
    _write_vocab(folder, VOCAB)
    tokenizer = transformers.Wav2Vec2CTCTokenizer(str(folder / "vocab.json"), pad_token="<pad>", word_delimiter_token="|")
    extractor = transformers.Wav2Vec2FeatureExtractor(feature_size=1, sampling_rate=16000, padding_value=0.0,
                                                      do_normalize=True, return_attention_mask=True)
    transformers.Wav2Vec2Processor(feature_extractor=extractor, tokenizer=tokenizer).save_pretrained(folder)
    torch.manual_seed(0)
    config = transformers.Wav2Vec2Config(
        vocab_size=len(VOCAB), pad_token_id=0, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
        intermediate_size=32, conv_dim=(8, 8, 8), conv_stride=(5, 8, 8), conv_kernel=(10, 8, 8),
        num_conv_pos_embeddings=16, num_conv_pos_embedding_groups=2)
    model = transformers.Wav2Vec2ForCTC(config)
    model.save_pretrained(folder)
    return folder, model


def _hf_frames(n: int) -> int:
    for k, s in zip((10, 8, 8), (5, 8, 8)):
        n = (n - k) // s + 1
    return n


def test_hf_posteriors_match_the_model(hf_dir):
    import torch

    folder, reference = hf_dir
    threads_before = torch.get_num_threads()
    model = load_acoustic_model("hf-ctc", folder)
    assert isinstance(model, AcousticModel) and model.vocab == VOCAB
    assert model.frame_s == pytest.approx(0.02) and model.hop == 320
    audio = (0.1 * np.random.default_rng(2).standard_normal(27_200)).astype(np.float32)  # 1.7 s
    post = model.posteriors(audio)
    assert post.log_probs.shape == (_hf_frames(audio.size), len(VOCAB)) == (84, len(VOCAB))
    _assert_log_distributions(post.log_probs)
    with torch.no_grad():  # the processor's normalisation, then the model itself
        x = torch.from_numpy((audio - audio.mean()) / np.sqrt(audio.var() + 1e-7))[None]
        expected = torch.log_softmax(reference.eval()(x).logits[0], dim=-1).numpy()
    np.testing.assert_allclose(post.log_probs, expected, atol=1e-4)
    assert post.blank_id == VOCAB.index("<pad>") and post.frame_s == pytest.approx(0.02)
    assert {VOCAB.index(t) for t in SPECIALS} <= post.special_ids
    assert not ({VOCAB.index(p) for p in ENGLISH_PHONES} & post.special_ids)
    assert torch.get_num_threads() == threads_before
    info = model.info()
    assert info["acoustic"] == "hf-ctc" and info["vocab_size"] == len(VOCAB) and info["parameters"] > 0


def test_hf_long_audio_runs_in_windows_on_the_same_grid(hf_dir):
    from pronscore.acoustic.hf_ctc import HfCtcModel

    folder, _ = hf_dir
    audio = (0.1 * np.random.default_rng(3).standard_normal(48_000)).astype(np.float32)  # 3 s
    whole = HfCtcModel(folder).posteriors(audio)
    windowed = HfCtcModel(folder, chunk_s=0.6, context_s=0.2).posteriors(audio)
    assert windowed.log_probs.shape == whole.log_probs.shape == (_hf_frames(audio.size), len(VOCAB))
    _assert_log_distributions(windowed.log_probs)
    # Windows change only the attention context, not which frame is which: the rows still agree closely
    # (shifted by one frame, these random models agree on under a fifth of the argmaxes).
    assert np.mean(np.argmax(windowed.log_probs, 1) == np.argmax(whole.log_probs, 1)) > 0.8
    assert np.mean(np.abs(windowed.log_probs - whole.log_probs)) < 0.01


def test_hf_vocab_reads_added_tokens(tmp_path):
    from pronscore.acoustic.hf_ctc import tokenizer_token_ids, vocab_list

    _write_vocab(tmp_path, ["<pad>", "a", "b"])
    (tmp_path / "added_tokens.json").write_text(json.dumps({"<s>": 3, "</s>": 4}))
    table, _ = tokenizer_token_ids(tmp_path)
    vocab, unnamed = vocab_list(table, 6)
    assert vocab[:5] == ["<pad>", "a", "b", "<s>", "</s>"] and unnamed == {5}


# --------------------------------------------------------------------------- errors
@pytest.mark.parametrize("name", ["hf-ctc", "onnx-ctc"])
def test_missing_or_wrong_path_is_a_typed_error(name, tmp_path):
    assert name in BACKENDS
    with pytest.raises(ModelNotFoundError, match="--acoustic-path"):
        load_acoustic_model(name, None)
    with pytest.raises(ModelNotFoundError, match="does not exist"):
        load_acoustic_model(name, tmp_path / "nowhere")
    with pytest.raises(ModelNotFoundError):  # an empty directory is not a model
        load_acoustic_model(name, tmp_path)


def test_missing_runtime_names_the_extra(tmp_path, monkeypatch):
    (tmp_path / "config.json").write_text("{}")
    _write_vocab(tmp_path, VOCAB)
    (tmp_path / "model.onnx").write_bytes(b"not read before the import")
    monkeypatch.setitem(sys.modules, "transformers", None)
    monkeypatch.setitem(sys.modules, "onnxruntime", None)
    with pytest.raises(MissingDependencyError, match=r"pronscore\[hf\]"):
        load_acoustic_model("hf-ctc", tmp_path)
    with pytest.raises(MissingDependencyError, match=r"pronscore\[onnx\]"):
        load_acoustic_model("onnx-ctc", tmp_path / "model.onnx")


# --------------------------------------------------------------------------- end to end
@pytest.mark.parametrize("backend", ["onnx-ctc", "hf-ctc"])
def test_session_assesses_with_a_hub_backend(backend, request, session, speech):
    from pronscore.api import Session
    from pronscore.feedback.builder import FeedbackEngine
    from pronscore.report.json_report import validate_assessment

    path = (request.getfixturevalue("onnx_dir")[0] / "model.onnx" if backend == "onnx-ctc"
            else request.getfixturevalue("hf_dir")[0])
    text = "The cat sat on the mat."
    # The reference and feedback layers do not depend on the acoustic backend and take ~10 s to load per
    # Session, so this test borrows the suite's shared ones (public reference(); the lazily built engine).
    reference = session.reference(text)
    if session._feedback is None:
        session._feedback = FeedbackEngine()
    with Session(acoustic=backend, acoustic_path=path) as mine:
        mine._feedback = session._feedback
        result = mine.assess(speech(text), reference)
    validate_assessment(result.to_dict())
    assert [w.text for w in result.words] == ["The", "cat", "sat", "on", "the", "mat"]
    assert result.model["acoustic"] == backend and result.model["frame_s"] == pytest.approx(0.02)
    phones = [p for w in result.words for p in w.phones]
    assert len(phones) >= 12 and all(0 <= p.score <= 100 for p in phones)
    assert all(0.0 <= p.start <= p.end <= result.duration + 1e-6 for p in phones)
    assert 0 <= result.scores.overall <= 100


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "pronscore.cli", *args], capture_output=True, timeout=120)


@pytest.mark.parametrize("name", ["hf-ctc", "onnx-ctc"])
def test_cli_without_a_model_path_fails_in_one_line(name, tmp_path):
    import soundfile as sf

    wav = tmp_path / "a.wav"
    sf.write(wav, 0.1 * np.sin(np.arange(16000) * 0.05), 16000)
    out = _cli("assess", str(wav), "--text", "hello", "--acoustic", name)
    err = out.stderr.decode().strip()
    assert out.returncode == ModelNotFoundError.exit_code != 0
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert "--acoustic-path" in err and name in err
