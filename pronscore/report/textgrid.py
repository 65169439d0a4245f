"""Praat TextGrid (long text format) with a words tier and a phones tier."""
from __future__ import annotations

from pronscore.result import Assessment


def _tier(name: str, items: list[tuple[float, float, str]], xmax: float) -> list[str]:
    # TextGrid interval tiers must tile [0, xmax]: fill gaps with empty intervals.
    filled: list[tuple[float, float, str]] = []
    t = 0.0
    for start, end, label in sorted(items):
        start = max(start, t)
        if end <= start:
            continue
        if start > t:
            filled.append((t, start, ""))
        filled.append((start, end, label))
        t = end
    if t < xmax:
        filled.append((t, xmax, ""))
    out = ['        class = "IntervalTier"', f'        name = "{name}"', "        xmin = 0",
           f"        xmax = {xmax:.4f}", f"        intervals: size = {len(filled)}"]
    for k, (a, b, label) in enumerate(filled, 1):
        label = label.replace('"', '""')
        out += [f"        intervals [{k}]:", f"            xmin = {a:.4f}", f"            xmax = {b:.4f}",
                f'            text = "{label}"']
    return out


def to_textgrid(result: Assessment) -> str:
    xmax = result.duration
    words = [(w.start, w.end, w.text) for w in result.words if w.start is not None and w.end is not None]
    phones = [(p.start, p.end, p.ipa) for w in result.words for p in w.phones
              if p.start is not None and p.end is not None and w.error != "inserted"]
    lines = ['File type = "ooTextFile"', 'Object class = "TextGrid"', "", "xmin = 0", f"xmax = {xmax:.4f}",
             "tiers? <exists>", "size = 2", "item []:"]
    for k, (name, items) in enumerate((("words", words), ("phones", phones)), 1):
        lines.append(f"    item [{k}]:")
        lines += _tier(name, items, xmax)
    return "\n".join(lines) + "\n"
