"""The credits end card (`--credits`): the stock photos' and clips' authors and pages, shown after
the last scene on a silent slide (Pixabay asks API users to show where the pictures come from;
Pexels' licence appreciates it). A card holds a few credits; more make more cards, "(2/3)"."""

from __future__ import annotations

from app.services.documents import escape
from app.services.planning import Item, Scene

PER_CARD = 5  # credits a card shows: each may be two lines (a page's URL), readable on a phone


def credit_cards(credits: tuple[str, ...], title: str = "Credits") -> list[Scene]:
    """Slides (nothing said: each held `T2V_SILENT_SCENE` seconds) listing `credits`, the
    "scene N: Photo by NAME on Pexels (URL)" lines of `ProvidedPlan.credits`, without the scene
    numbers; the same author and page credited for several scenes is listed once."""
    lines = list(dict.fromkeys(c.split(": ", 1)[-1] for c in credits))
    chunks = [lines[k : k + PER_CARD] for k in range(0, len(lines), PER_CARD)]
    return [
        Scene(
            id=f"credits{n + 1}",
            layout="bullets",
            title=title,
            part=(n + 1, len(chunks)) if len(chunks) > 1 else None,
            items=[Item(text=escape(line), marker="•") for line in chunk],
            narration="",
            visual="slides",
        )
        for n, chunk in enumerate(chunks)
    ]
