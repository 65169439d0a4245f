"""A readable, coloured terminal view of an Assessment (rich)."""
from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from pronscore.result import Assessment


def score_style(score: float | None) -> str:
    if score is None:
        return "dim"
    if score >= 80:
        return "green"
    if score >= 60:
        return "yellow"
    return "red"


def render(result: Assessment, console: Console | None = None) -> None:
    console = console or Console()
    s = result.scores
    head = Text()
    for name, value in (("overall", s.overall), ("accuracy", s.accuracy), ("fluency", s.fluency),
                        ("completeness", s.completeness), ("prosody", s.prosody)):
        head.append(f"{name} ", style="bold")
        head.append(f"{value:5.1f}  ", style=score_style(value))
    console.print(head)

    line = Text()
    for w in result.words:
        style = "magenta" if w.error == "inserted" else score_style(w.scores.accuracy)
        if w.error == "omitted":
            style += " strike"
        line.append(w.text, style=style)
        line.append(" ")
    console.print(line)

    table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    for col in ("word", "score", "error", "phones (score, sounded like)"):
        table.add_column(col)
    for w in result.words:
        phones = Text()
        for p in w.phones:
            phones.append(f"/{p.ipa}/", style=score_style(p.score) if p.error != "inserted" else "magenta")
            phones.append(f"{p.score:.0f}", style="dim")
            top = p.sounded_like[0].ipa if p.sounded_like else None
            if top is not None and top != p.ipa and p.error not in ("none", "inserted"):
                phones.append(f"→{top}", style="italic")
            phones.append(" ")
        table.add_row(w.text, Text(f"{w.scores.accuracy:.0f}", style=score_style(w.scores.accuracy)), w.error, phones)
    console.print(table)

    fl = result.fluency
    if fl:
        console.print(Text(f"speech rate {fl.get('speech_rate_sps', 0):.2f} syl/s · articulation "
                           f"{fl.get('articulation_rate_sps', 0):.2f} syl/s · pauses {fl.get('pause_count', 0)}"
                           f" · WCPM {fl.get('wcpm', 0):.0f}", style="dim"))
    into = (result.prosody or {}).get("intonation") or {}
    if into.get("final_contour"):
        console.print(Text(f"intonation: final {into['final_contour']}"
                           + (f" (expected {into['expected']})" if into.get("expected") else ""), style="dim"))
    for item in result.feedback[:3]:
        msg = Text("• ", style="bold")
        msg.append(f"{item.get('word')}: ", style="bold")
        msg.append(str(item.get("tip") or ""))
        if item.get("l1_note"):
            msg.append(f" ({item['l1_note']})", style="dim")
        if item.get("minimal_pairs"):
            pairs = ", ".join("/".join(p) for p in item["minimal_pairs"][:3])
            msg.append(f" Practice: {pairs}.", style="cyan")
        console.print(msg)
    if result.coach:
        console.print(Text(result.coach, style="italic"))
    for w in result.warnings:
        console.print(Text(f"warning: {w}", style="yellow"))
