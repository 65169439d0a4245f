"""Train the whisper-ctc head with CTC on the canonical phones of a speechocean762-layout corpus.

torch is imported only inside the training functions (pip install 'pronscore[train]').

Targets and untrusted phones: the target of an utterance is its canonical phone
sequence. Where `resource/scores.json` rates a phone below 1 (of 2), the speaker
most likely said something else, so that position becomes a *wildcard*: in the
CTC forward pass its emission score is the log-sum of all phone probabilities,
so any phone (but not silence alone) may fill it. The model is never taught
that a wrong sound is the canonical one, and the alignment of the neighbours is
kept. Phones rated 1 or more stay as ordinary targets.

Validation: speakers (utt2spk) are split with a fixed seed, so no validation
speaker is heard in training. Early stopping watches the validation phone error
rate of greedy decoding against the canonical phones, where positions rated
below 2 are "free" (they may be matched, substituted or deleted at no cost) and
the rate is over the phones rated 2; without ratings every position counts.
"""
from __future__ import annotations

import json
import math
import random
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np

from pronscore.acoustic.whisper_ctc import (
    BLANK, HEAD_PHONES, HEAD_VOCAB, CtcHeadWeights, greedy_decode, head_log_probs,
)
from pronscore.errors import CorpusError, MissingDependencyError

WILDCARD = -1  # target id of an untrusted position
UNTRUSTED_BELOW = 1.0  # phones rated below this are wildcards in the target
SCORED_AT = 2.0  # phones rated this (or unrated) count in the validation PER
DEFAULT_CACHE_DIR = Path.home() / ".cache" / "pronscore" / "whisper_encoder"


def _label_table() -> dict[str, int]:
    from pronscore.text.arpabet import ARPABET_TO_IPA

    index = {ipa: i for i, ipa in enumerate(HEAD_VOCAB)}
    return {sym: index[ipa] for sym, ipa in ARPABET_TO_IPA.items()}


def arpabet_label(symbol: str, table: dict[str, int]) -> int:
    """'AH0' -> id of ʌ; stress digits are dropped (see whisper_ctc on ʌ/ə)."""
    base = symbol.rstrip("012").upper()
    if base not in table:
        raise CorpusError(f"unknown ARPAbet phone {symbol!r} in the corpus")
    return table[base]


# --------------------------------------------------------------------------- data
@dataclass
class HeadExample:
    utt: str
    speaker: str
    vectors: np.ndarray  # [T, 384] encoder output
    labels: np.ndarray  # int64 [S] phone ids, WILDCARD where the rating is untrusted
    ratings: np.ndarray  # float32 [S], 2.0 where no rating exists


def _read_audio_16k(path: Path) -> np.ndarray:
    import soundfile as sf
    from scipy.signal import resample_poly

    audio, rate = sf.read(str(path), dtype="float32", always_2d=True)
    audio = audio.mean(axis=1)
    if rate != 16000:
        g = math.gcd(int(rate), 16000)
        audio = resample_poly(audio, 16000 // g, int(rate) // g).astype(np.float32)
    return audio


def load_examples(root: str | Path, split: str, cache_dir: str | Path = DEFAULT_CACHE_DIR,
                  *, progress: bool = True) -> list[HeadExample]:
    """Encoder vectors, phone labels and ratings of every utterance in a split."""
    from pronscore.acoustic.whisper_encoder import EncoderCache
    from pronscore.bench.corpus import load_ratings, load_split

    root = Path(root)
    utterances = load_split(root, split)
    ratings = load_ratings(root)
    table = _label_table()
    cache = EncoderCache(cache_dir)
    examples: list[HeadExample] = []
    for u in _progress(utterances, progress, desc="encoding"):
        labels = [arpabet_label(p, table) for w in u.words for p in w.phones]
        rated = _phone_ratings(ratings.get(u.utt), [len(w.phones) for w in u.words])
        labels_arr = np.array(labels, dtype=np.int64)
        labels_arr[rated < UNTRUSTED_BELOW] = WILDCARD
        examples.append(HeadExample(u.utt, u.speaker, cache.encode(_read_audio_16k(u.wav_path)),
                                    labels_arr, rated))
    return examples


def _phone_ratings(entry: dict | None, word_lengths: list[int]) -> np.ndarray:
    """Per-phone ratings parallel to the canonical phones; 2.0 (trusted) where absent or misaligned."""
    out: list[float] = []
    words = (entry or {}).get("words", [])
    for i, n in enumerate(word_lengths):
        acc = words[i].get("phones-accuracy", []) if i < len(words) else []
        out.extend(float(a) for a in acc) if len(acc) == n else out.extend([SCORED_AT] * n)
    return np.array(out, dtype=np.float32)


def speaker_split(speakers: Iterable[str], val_fraction: float, seed: int) -> tuple[list[str], list[str]]:
    """Deterministic speaker-disjoint split: (train speakers, validation speakers)."""
    pool = sorted(set(speakers))
    random.Random(seed).shuffle(pool)
    n_val = max(1, round(len(pool) * val_fraction)) if val_fraction > 0 and len(pool) > 1 else 0
    return sorted(pool[n_val:]), sorted(pool[:n_val])


def speaker_folds(speakers: Iterable[str], k: int, seed: int) -> list[list[str]]:
    """k speaker-disjoint folds of about equal size."""
    pool = sorted(set(speakers))
    random.Random(seed).shuffle(pool)
    return [sorted(pool[i::k]) for i in range(k)]


# --------------------------------------------------------------------------- metrics
def free_position_edit_distance(hyp: Sequence[int], ref: Sequence[int], free: Sequence[bool]) -> int:
    """Levenshtein distance where reference positions marked free cost nothing to substitute or delete."""
    n = len(ref)
    prev = np.zeros(n + 1, dtype=np.int64)
    prev[1:] = np.cumsum([0 if f else 1 for f in free])
    for h in hyp:
        cur = np.empty_like(prev)
        cur[0] = prev[0] + 1
        for j in range(1, n + 1):
            sub = 0 if (free[j - 1] or ref[j - 1] == h) else 1
            cur[j] = min(prev[j - 1] + sub, prev[j] + 1, cur[j - 1] + (0 if free[j - 1] else 1))
        prev = cur
    return int(prev[n])


def phone_error_rate(log_probs_list: Sequence[np.ndarray], examples: Sequence[HeadExample]) -> float:
    """Greedy-decoded PER over the phones rated 2 (see the module docstring)."""
    errors = total = 0
    for lp, ex in zip(log_probs_list, examples):
        hyp = greedy_decode(lp, blank_id=0)
        free = ex.ratings < SCORED_AT
        ref = np.where(ex.labels == WILDCARD, -2, ex.labels)  # -2 never equals a hypothesis id
        errors += free_position_edit_distance(hyp, ref.tolist(), free.tolist())
        total += int((~free).sum())
    return errors / max(total, 1)


# --------------------------------------------------------------------------- torch model
def _require_torch():
    try:
        import torch
    except ImportError as exc:
        raise MissingDependencyError(
            "training the acoustic head needs torch; install it with: pip install 'pronscore[train]'"
        ) from exc
    return torch


def build_torch_head(vocab_size: int = len(HEAD_VOCAB), *, in_dim: int = 384, proj_dim: int = 256,
                     hidden: int = 192, layers: int = 2, dropout: float = 0.2):
    """The head as a torch module (architecture mirrored by whisper_ctc.head_log_probs)."""
    torch = _require_torch()
    nn = torch.nn

    class CtcHead(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.norm = nn.LayerNorm(in_dim)
            self.proj = nn.Linear(in_dim, proj_dim)
            self.drop = nn.Dropout(dropout)
            # One unidirectional LSTM per direction and layer instead of a packed
            # bidirectional nn.LSTM: torch's packed-sequence backward on CPU is
            # pathologically slow on long clips (136 s vs 3.5 s for a batch of
            # 32 x 20 s clips). The backward direction reads each clip reversed
            # within its own length, so padding never leaks into real frames.
            dims = [proj_dim] + [2 * hidden] * (layers - 1)
            self.fwd = nn.ModuleList(nn.LSTM(d, hidden, batch_first=True) for d in dims)
            self.bwd = nn.ModuleList(nn.LSTM(d, hidden, batch_first=True) for d in dims)
            self.out = nn.Linear(2 * hidden, vocab_size)

        def forward(self, x, lengths):
            steps = x.shape[1]
            t = torch.arange(steps)[None, :]
            lens = lengths.to(torch.long)[:, None]
            rev = torch.where(t < lens, lens - 1 - t, t)[:, :, None]  # per-clip time reversal
            x = self.drop(self.proj(self.norm(x)))
            for k, (fwd, bwd) in enumerate(zip(self.fwd, self.bwd)):
                if k > 0:
                    x = self.drop(x)
                y_f, _ = fwd(x)
                idx = rev.expand(-1, -1, x.shape[2])
                y_b, _ = bwd(torch.gather(x, 1, idx))
                y_b = torch.gather(y_b, 1, rev.expand(-1, -1, y_b.shape[2]))
                x = torch.cat([y_f, y_b], dim=2)
            return torch.log_softmax(self.out(self.drop(x)), dim=-1)

    return CtcHead()


def export_head_weights(module, meta: dict[str, Any]) -> CtcHeadWeights:
    """Torch head -> numpy weights (biases of the LSTM summed, directions stacked)."""
    sd = {k: v.detach().cpu().numpy().astype(np.float32) for k, v in module.state_dict().items()}
    layers = []
    for k in range(len(module.fwd)):
        f, b = f"fwd.{k}.", f"bwd.{k}."
        w_ih = np.stack([sd[f + "weight_ih_l0"], sd[b + "weight_ih_l0"]])
        w_hh = np.stack([sd[f + "weight_hh_l0"], sd[b + "weight_hh_l0"]])
        bias = np.stack([sd[f + "bias_ih_l0"] + sd[f + "bias_hh_l0"], sd[b + "bias_ih_l0"] + sd[b + "bias_hh_l0"]])
        layers.append((w_ih, w_hh, bias))
    return CtcHeadWeights(
        ln_weight=sd["norm.weight"], ln_bias=sd["norm.bias"],
        proj_weight=sd["proj.weight"], proj_bias=sd["proj.bias"], lstm=layers,
        out_weight=sd["out.weight"], out_bias=sd["out.bias"], vocab=list(HEAD_VOCAB), meta=meta,
    )


def import_head_weights(module, weights: CtcHeadWeights) -> None:
    """Numpy weights -> torch head (the inverse of export_head_weights; a summed LSTM bias goes to bias_ih)."""
    torch = _require_torch()
    if list(weights.vocab) != list(HEAD_VOCAB) or len(weights.lstm) != len(module.fwd):
        raise CorpusError("the --init head has another vocabulary or depth than the head being trained")
    state = {"norm.weight": weights.ln_weight, "norm.bias": weights.ln_bias,
             "proj.weight": weights.proj_weight, "proj.bias": weights.proj_bias,
             "out.weight": weights.out_weight, "out.bias": weights.out_bias}
    for k, (w_ih, w_hh, bias) in enumerate(weights.lstm):
        for d, name in enumerate(("fwd", "bwd")):
            state[f"{name}.{k}.weight_ih_l0"] = w_ih[d]
            state[f"{name}.{k}.weight_hh_l0"] = w_hh[d]
            state[f"{name}.{k}.bias_ih_l0"] = bias[d]
            state[f"{name}.{k}.bias_hh_l0"] = np.zeros_like(bias[d])
    module.load_state_dict({k: torch.from_numpy(np.ascontiguousarray(v, dtype=np.float32)) for k, v in state.items()})


def _check_init_unseen(init_meta: dict[str, Any], must_be_unseen: set[str], path: Path) -> None:
    """A warm start must not bring back speakers this run holds out (validation or cross-fitting fold)."""
    unseen = set(init_meta.get("val_speakers") or []) | set(init_meta.get("excluded_speakers") or [])
    if not unseen:
        raise CorpusError(f"{path}: the head's metadata does not say which speakers it never heard; "
                          "it cannot be used as --init without leaking held-out speakers")
    leaked = sorted(must_be_unseen - unseen)
    if leaked:
        raise CorpusError(f"{path} was trained on {len(leaked)} speaker(s) this run holds out "
                          f"(e.g. {', '.join(leaked[:3])}); start from a head that never heard them")


def _wildcard_emissions(log_probs, targets, target_lengths, blank: int):
    """[B, T, S] log-probability that a wildcard at target position s emits at frame t:
    the sum over non-blank tokens other than the regular labels at s-1 and s+1."""
    torch = _require_torch()
    batch, _, vocab = log_probs.shape
    s_max = targets.shape[1]
    allowed = torch.ones((batch, s_max, vocab), dtype=log_probs.dtype, device=log_probs.device)
    allowed[:, :, blank] = 0.0
    positions = torch.arange(s_max, device=targets.device)[None, :]
    for shift in (-1, 1):
        j = (positions + shift).expand(batch, -1)
        inside = (j >= 0) & (j < target_lengths[:, None])
        neighbour = targets.gather(1, j.clamp(0, s_max - 1))
        regular = inside & (neighbour >= 0)
        rows = allowed.view(batch * s_max, vocab)
        flat = torch.nonzero(regular.reshape(-1), as_tuple=True)[0]
        rows[flat, neighbour.reshape(-1)[flat]] = 0.0
    # Probabilities, not log space: a [B, T, V] x [B, V, S] product instead of a [B, T, S, V] logsumexp.
    mass = torch.bmm(log_probs.exp(), allowed.transpose(1, 2))
    return mass.clamp_min(1e-30).log()


def ctc_loss_with_wildcards(log_probs, input_lengths, targets, target_lengths, blank: int = 0):
    """CTC negative log-likelihood per utterance, allowing WILDCARD targets.

    log_probs: [B, T, V] normalized; targets: [B, S] long (padding anything, WILDCARD = -1).
    A wildcard emits any non-blank token except the labels of its regular
    neighbours: were those allowed, frames "x p p" for targets [W, p] would align
    both as W,p,p and as W,W,p, the same frame path counted twice, so the
    "probability" could pass 1 (negative loss) and training would learn to
    blur the boundary instead of the phones. Two adjacent wildcards need a
    blank between them for the same reason. With that, every frame path has
    at most one alignment. Written out in torch because
    torch.nn.functional.ctc_loss's gradient assumes every emission is a
    normalized log-probability, which a wildcard is not.
    """
    torch = _require_torch()
    neg_inf = -1e30
    batch, steps, _ = log_probs.shape
    s_max = targets.shape[1]
    # Emission table per target position, then the extended (blank-interleaved) sequence.
    safe = targets.clamp(min=0)
    phone_em = torch.gather(log_probs, 2, safe[:, None, :].expand(batch, steps, s_max))  # [B, T, S]
    wild_em = _wildcard_emissions(log_probs, targets, target_lengths, blank)
    is_wild = (targets == WILDCARD)[:, None, :]
    label_em = torch.where(is_wild, wild_em, phone_em)
    ext_len = 2 * s_max + 1
    blank_em = log_probs[:, :, blank:blank + 1]
    emissions = blank_em.expand(batch, steps, ext_len).clone()
    emissions[:, :, 1::2] = label_em
    # A skip from label s-2 to s is allowed when the labels differ (two wildcards count as equal).
    ext_labels = torch.full((batch, ext_len), blank, dtype=targets.dtype, device=targets.device)
    ext_labels[:, 1::2] = targets
    can_skip = torch.zeros((batch, ext_len), dtype=torch.bool, device=targets.device)
    can_skip[:, 3::2] = ext_labels[:, 3::2] != ext_labels[:, 1:-2:2]
    skip_pen = torch.where(can_skip, 0.0, neg_inf)

    alpha = torch.full((batch, ext_len), neg_inf, dtype=log_probs.dtype, device=log_probs.device)
    alpha[:, 0] = emissions[:, 0, 0]
    alpha[:, 1] = torch.where(target_lengths > 0, emissions[:, 0, 1], torch.tensor(neg_inf))
    final_alphas = torch.full_like(alpha, neg_inf)
    final_alphas = torch.where((input_lengths == 1)[:, None], alpha, final_alphas)
    pad = torch.full((batch, 1), neg_inf, dtype=log_probs.dtype)
    pad2 = torch.full((batch, 2), neg_inf, dtype=log_probs.dtype)
    # unbind once: indexing emissions[:, t] inside the loop would make backward
    # allocate a full-size gradient per step (quadratic in the clip length).
    emissions_t = emissions.unbind(1)
    for t in range(1, steps):
        stay = alpha
        step = torch.cat([pad, alpha[:, :-1]], dim=1)
        skip = torch.cat([pad2, alpha[:, :-2]], dim=1) + skip_pen
        alpha = torch.logsumexp(torch.stack([stay, step, skip]), dim=0) + emissions_t[t]
        final_alphas = torch.where((input_lengths == t + 1)[:, None], alpha, final_alphas)
    last = (2 * target_lengths)[:, None]
    end_blank = final_alphas.gather(1, last)[:, 0]
    end_label = final_alphas.gather(1, (last - 1).clamp(min=0))[:, 0]
    end_label = torch.where(target_lengths > 0, end_label, torch.tensor(neg_inf))
    return -torch.logaddexp(end_blank, end_label)


# --------------------------------------------------------------------------- training
def _progress(items, enabled: bool, **kw):
    if not enabled:
        return items
    try:
        from tqdm import tqdm
    except ImportError:
        return items
    return tqdm(items, **kw)


def _augment(x, rng: np.random.Generator):
    """Time masks on the encoder vectors (SpecAugment-style), in place on a [T, D] numpy copy."""
    x = x.copy()
    steps = x.shape[0]
    for _ in range(max(1, steps // 100)):
        width = int(rng.integers(0, 6))
        start = int(rng.integers(0, max(1, steps - width)))
        x[start:start + width] = 0.0
    return x


def length_bucketed_batches(lengths: Sequence[int], batch_size: int, rng: np.random.Generator,
                            bucket_batches: int = 8) -> list[np.ndarray]:
    """Shuffled batches of similar lengths.

    The LSTM's recurrence runs to the longest clip of a batch, so batching
    similar lengths saves most of the time; shuffling within windows of
    `bucket_batches` batches and then shuffling the batch order keeps SGD noisy.
    """
    order = rng.permutation(len(lengths))
    window = batch_size * bucket_batches
    batches: list[np.ndarray] = []
    for w in range(0, len(order), window):
        chunk = order[w:w + window]
        chunk = chunk[np.argsort(np.asarray(lengths)[chunk], kind="stable")]
        batches += [chunk[i:i + batch_size] for i in range(0, len(chunk), batch_size)]
    return [batches[i] for i in rng.permutation(len(batches))]


def _batch(examples: Sequence[HeadExample], rng: np.random.Generator | None):
    torch = _require_torch()
    lengths = torch.tensor([e.vectors.shape[0] for e in examples], dtype=torch.long)
    t_max = int(lengths.max())
    x = np.zeros((len(examples), t_max, examples[0].vectors.shape[1]), dtype=np.float32)
    for i, e in enumerate(examples):
        x[i, : e.vectors.shape[0]] = _augment(e.vectors, rng) if rng is not None else e.vectors
    s_max = max(len(e.labels) for e in examples)
    targets = torch.zeros((len(examples), max(s_max, 1)), dtype=torch.long)
    for i, e in enumerate(examples):
        targets[i, : len(e.labels)] = torch.from_numpy(e.labels)
    target_lengths = torch.tensor([len(e.labels) for e in examples], dtype=torch.long)
    return torch.from_numpy(x), lengths, targets, target_lengths


def train_acoustic(root: str | Path, split: str = "train", out: str | Path = "head.npz", *,
                   epochs: int = 30, seed: int = 0, val_fraction: float = 0.15, patience: int = 5, min_epochs: int = 10,
                   batch_size: int = 8, lr: float = 1.5e-3, threads: int = 1,
                   cache_dir: str | Path = DEFAULT_CACHE_DIR, exclude_speakers: Iterable[str] = (),
                   report_path: str | Path | None = None, progress: bool = True,
                   examples: list[HeadExample] | None = None,
                   synthetic: list[HeadExample] | None = None,
                   init: str | Path | None = None) -> dict[str, Any]:
    """Train the head, write its `.npz` to `out` and a report JSON beside it; return the report.

    exclude_speakers: speakers left out entirely (cross-fitting folds).
    examples: pre-loaded data (skips audio reading/encoding), for folds and tests.
    synthetic: extra training-only examples (see synth_data.py); never used for validation.
    init: a head `.npz` to start from (fine-tuning, e.g. adding synthetic speech to a trained head);
    it must never have heard this run's validation or excluded speakers (checked from its metadata).
    """
    torch = _require_torch()
    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    t0 = time.time()
    out = Path(out)
    if examples is None:
        examples = load_examples(root, split, cache_dir, progress=progress)
    excluded = set(exclude_speakers)
    pool = [e for e in examples if e.speaker not in excluded and len(e.labels) > 0]
    train_spk, val_spk = speaker_split((e.speaker for e in pool), val_fraction, seed)
    val_set = set(val_spk)
    train = [e for e in pool if e.speaker not in val_set] + list(synthetic or [])
    val = [e for e in pool if e.speaker in val_set]
    # CTC needs at least as many frames as labels (plus blanks between repeats).
    train = [e for e in train if e.vectors.shape[0] >= 2 * len(e.labels) + 1]
    if not train:
        raise CorpusError("no usable training utterances (after the speaker split)")

    model = build_torch_head()
    init_meta: dict[str, Any] | None = None
    if init is not None:
        init_path = Path(init)
        if not init_path.is_file():
            raise CorpusError(f"--init head not found: {init_path}")
        init_weights = CtcHeadWeights.load(init_path)
        init_meta = init_weights.meta
        _check_init_unseen(init_meta, set(val_spk) | excluded, init_path)
        import_head_weights(model, init_weights)
    optim = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-2)
    steps_per_epoch = len(length_bucketed_batches([0] * len(train), batch_size, np.random.default_rng(0)))
    sched = torch.optim.lr_scheduler.OneCycleLR(optim, max_lr=lr, total_steps=epochs * steps_per_epoch,
                                                pct_start=0.15)
    history: list[dict[str, float]] = []
    best: dict[str, Any] = {"val_per": math.inf, "epoch": -1, "state": None}
    bad_epochs = 0
    for epoch in range(1, epochs + 1):
        model.train()
        batches = length_bucketed_batches([e.vectors.shape[0] for e in train], batch_size, rng)
        total_loss = total_frames = 0.0
        bar = _progress(batches, progress, desc=f"epoch {epoch}/{epochs}", leave=False)
        for batch_ids in bar:
            batch = [train[i] for i in batch_ids]
            x, lengths, targets, target_lengths = _batch(batch, rng)
            log_probs = model(x, lengths)
            nll = ctc_loss_with_wildcards(log_probs, lengths, targets, target_lengths)
            loss = nll.sum() / lengths.sum()
            optim.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            optim.step()
            sched.step()
            total_loss += float(nll.detach().sum())
            total_frames += float(lengths.sum())
            if hasattr(bar, "set_postfix"):
                bar.set_postfix(loss=f"{total_loss / total_frames:.3f}")
        entry = {"epoch": epoch, "train_loss_per_frame": total_loss / max(total_frames, 1.0)}
        if val:
            entry.update(_evaluate(model, val, batch_size))
        history.append(entry)
        if progress:
            print(json.dumps({k: round(v, 4) if isinstance(v, float) else v for k, v in entry.items()}), flush=True)
        score = entry.get("val_per", -epoch)  # without validation: keep the last epoch
        if score < best["val_per"]:
            best = {"val_per": score, "epoch": epoch,
                    "state": {k: v.detach().clone() for k, v in model.state_dict().items()}}
            bad_epochs = 0
        else:
            bad_epochs += 1
            # CTC spends its first epochs emitting only blanks (PER 1.0): no stopping before min_epochs.
            if bad_epochs >= patience and epoch >= min_epochs:
                break
    model.load_state_dict(best["state"])
    model.eval()
    report: dict[str, Any] = {
        "root": str(root), "split": split, "out": str(out), "seed": seed,
        "epochs_run": len(history), "best_epoch": best["epoch"],
        "best_val_per": best["val_per"] if val else None,
        "history": history,
        "train_utterances": len(train), "val_utterances": len(val),
        "synthetic_utterances": len(synthetic or []),
        "synthetic_speakers": sorted({e.speaker for e in synthetic or []}),
        "train_speakers": len(train_spk), "val_speakers": val_spk,
        "excluded_speakers": sorted(excluded),
        "init": str(init) if init is not None else None,
        "train_phones": int(sum(len(e.labels) for e in train)),
        "wildcard_phones": int(sum((e.labels == WILDCARD).sum() for e in train)),
        "train_hours": round(sum(e.vectors.shape[0] for e in train) * 0.02 / 3600, 3),
        "seconds": round(time.time() - t0, 1),
        "untrusted_below": UNTRUSTED_BELOW,
        "hyper": {"batch_size": batch_size, "lr": lr, "epochs": epochs, "patience": patience, "min_epochs": min_epochs,
                  "val_fraction": val_fraction, "threads": threads},
    }
    meta = {"version": time.strftime("%Y%m%d"), "data": f"{root} split {split}",
            "best_val_per": report["best_val_per"], "best_epoch": best["epoch"],
            "val_speakers": val_spk, "excluded_speakers": sorted(excluded),
            "init": {"path": str(init), "version": (init_meta or {}).get("version")} if init is not None else None}
    weights = export_head_weights(model, meta)
    weights.save(out)
    report["bytes"] = out.stat().st_size
    report["parameters"] = weights.num_parameters()
    report_file = Path(report_path) if report_path is not None else out.with_suffix(".report.json")
    report_file.write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
    return report


def _evaluate(model, examples: Sequence[HeadExample], batch_size: int) -> dict[str, float]:
    torch = _require_torch()
    model.eval()
    total = frames = 0.0
    log_probs_list: list[np.ndarray] = []
    with torch.no_grad():
        for b in range(0, len(examples), batch_size):
            batch = list(examples[b:b + batch_size])
            x, lengths, targets, target_lengths = _batch(batch, None)
            lp = model(x, lengths)
            nll = ctc_loss_with_wildcards(lp, lengths, targets, target_lengths)
            total += float(nll[torch.isfinite(nll)].sum())
            frames += float(lengths.sum())
            log_probs_list += [lp[i, : int(lengths[i])].numpy() for i in range(len(batch))]
    return {"val_loss_per_frame": total / max(frames, 1.0),
            "val_per": phone_error_rate(log_probs_list, examples)}


def train_speaker_folds(root: str | Path, split: str, out_dir: str | Path, *, folds: int = 5, seed: int = 0,
                        cache_dir: str | Path = DEFAULT_CACHE_DIR, progress: bool = True,
                        resume: bool = True, init_dir: str | Path | None = None,
                        **train_kwargs: Any) -> dict[str, Any]:
    """Cross-fitted heads: head i never hears the speakers of fold i.

    Writes `fold{i}.npz` (+ report) and `folds.json` ({"utt_to_fold", "fold_speakers",
    "weights"}) to out_dir, so a model trained on head outputs (the scorer) can use
    out-of-fold posteriors for every training utterance. `folds.json` is rewritten
    after each fold, so a partial run is still usable for the folds it finished.
    init_dir: cross-fitted heads (`fold{i}.npz`) to fine-tune from, fold by fold.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    examples = load_examples(root, split, cache_dir, progress=progress)
    fold_speakers = speaker_folds((e.speaker for e in examples), folds, seed)
    fold_of_speaker = {s: i for i, f in enumerate(fold_speakers) for s in f}
    mapping: dict[str, Any] = {
        "root": str(root), "split": split, "seed": seed,
        "utt_to_fold": {e.utt: fold_of_speaker[e.speaker] for e in examples},
        "fold_speakers": fold_speakers, "weights": {}, "reports": {},
    }
    for i, held_out in enumerate(fold_speakers):
        path = out_dir / f"fold{i}.npz"
        report_path = path.with_suffix(".report.json")
        if resume and path.exists() and report_path.exists():
            # A finished fold from an earlier (interrupted) run: keep it, the split is seeded.
            report = json.loads(report_path.read_text(encoding="utf-8"))
            mapping["weights"][str(i)] = path.name
            mapping["reports"][str(i)] = {k: report.get(k) for k in ("best_val_per", "best_epoch", "epochs_run", "seconds")}
            continue
        fold_kwargs = dict(train_kwargs)
        if init_dir is not None:
            fold_kwargs["init"] = Path(init_dir) / f"fold{i}.npz"
        report = train_acoustic(root, split, path, seed=seed, exclude_speakers=held_out,
                                progress=progress, examples=examples, cache_dir=cache_dir, **fold_kwargs)
        mapping["weights"][str(i)] = path.name
        mapping["reports"][str(i)] = {k: report[k] for k in ("best_val_per", "best_epoch", "epochs_run", "seconds")}
        (out_dir / "folds.json").write_text(json.dumps(mapping, indent=1), encoding="utf-8")
    # Also when every fold was already there (folds trained by separate processes, then collected).
    (out_dir / "folds.json").write_text(json.dumps(mapping, indent=1), encoding="utf-8")
    return mapping


def main_train_acoustic(args) -> dict[str, Any]:
    """CLI entry: args with root, split, out, epochs, seed, val_fraction, patience (argparse Namespace).

    With `folds` (K > 1), `out` is a directory that receives K cross-fitted heads and folds.json
    (see `train_speaker_folds`) instead of one head."""
    common = dict(
        epochs=getattr(args, "epochs", 30), patience=getattr(args, "patience", 5),
        min_epochs=getattr(args, "min_epochs", 10), threads=getattr(args, "threads", 1),
    )
    cache_dir = getattr(args, "cache_dir", None) or DEFAULT_CACHE_DIR
    if getattr(args, "lr", None) is not None:
        if not float(args.lr) > 0:
            raise CorpusError(f"--lr must be a positive learning rate, got {args.lr}")
        common["lr"] = float(args.lr)
    init = getattr(args, "init", None)
    n_synth = int(getattr(args, "synthetic", 0) or 0)
    if n_synth > 0:
        from pronscore.acoustic.synth_data import ENGINES, synthetic_examples

        common["synthetic"] = synthetic_examples(n_synth, seed=getattr(args, "seed", 0),
                                                 engines=getattr(args, "synthetic_engines", None) or ENGINES,
                                                 cache_dir=cache_dir)
    folds = getattr(args, "folds", None)
    if folds:
        if int(folds) < 2:
            raise CorpusError("--folds needs at least 2 folds")
        return train_speaker_folds(args.root, getattr(args, "split", "train"), args.out, folds=int(folds),
                                   seed=getattr(args, "seed", 0), cache_dir=cache_dir, init_dir=init,
                                   val_fraction=getattr(args, "val_fraction", 0.15), **common)
    return train_acoustic(
        args.root, getattr(args, "split", "train"), args.out, seed=getattr(args, "seed", 0),
        val_fraction=getattr(args, "val_fraction", 0.15), cache_dir=cache_dir, init=init, **common,
    )


__all__ = [
    "BLANK", "HEAD_PHONES", "WILDCARD", "HeadExample", "load_examples", "speaker_split", "speaker_folds",
    "free_position_edit_distance", "phone_error_rate", "build_torch_head", "export_head_weights", "import_head_weights",
    "ctc_loss_with_wildcards", "train_acoustic", "train_speaker_folds", "main_train_acoustic", "head_log_probs",
]
