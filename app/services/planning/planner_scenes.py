"""Units -> plan scenes: the layout from the content, and continuation scenes where it must split.

A unit is cut into parts at item boundaries only (list items, sentences, table rows, paragraphs of a
quote, lines of code: `parts.Parts`), so no scene starts mid-sentence and no item is lost. Parts of
one unit share its title and carry `part=(k, n)`; each says its own items. The section's title is
said once, at the start of its first scene. The parts of a split table name one form (grid or cards).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from app.config import setting_default
from app.core.threads import check_cancelled
from app.services.documents import ListItem, inline_plain
from app.services.planning.groups import balanced_groups
from app.services.planning.narrate import Narrator, md_sentences, row_sentence, say, sentence
from app.services.planning.parts import PROBE_PART, Make, Part, Parts
from app.services.planning.pieces import shown_pieces
from app.services.planning.plan import Code, ImageRef, Item, Layout, Scene, Table, TableForm
from app.services.planning.speakable import speech_weight
from app.services.planning.units import (
    CodeUnit,
    ImageUnit,
    Listing,
    PageUnit,
    Prose,
    QuoteUnit,
    TableUnit,
    Unit,
)

STATEMENT_CHARS = 160  # a section that is one paragraph this short is set large, as a statement
SILENT_SECONDS: float = setting_default("silent_scene")  # how long a scene with nothing to say stays
CODE_LINE_SECONDS = 0.3  # and a silent code slide a little longer per line, to read it (at most 10 s)


@dataclass
class SceneMaker(Parts):
    """Makes the scenes of one document, numbering them; `fits` None: nothing is checked for room."""

    count: int = 0

    def unit(self, unit: Unit, title: str | None, say_title: bool, alone: bool) -> list[Scene]:
        """The scenes of one unit under `title` (said first when `say_title`); `alone`: the only
        unit of its section."""
        self.count += 1
        check_cancelled()
        if isinstance(unit, Prose):
            return self._prose(unit, title, say_title, alone)
        if isinstance(unit, Listing):
            return self._items("bullets", _list_items(unit), _list_says(unit), title, say_title, None)
        if isinstance(unit, TableUnit):
            return self._table(unit, title, say_title)
        if isinstance(unit, CodeUnit):
            return self._code(unit, title, say_title)
        if isinstance(unit, ImageUnit):
            return self._image(unit, title, say_title)
        if isinstance(unit, QuoteUnit):
            return self._quote(unit, title, say_title)
        return self._page(unit)

    def heading_only(self, title: str) -> Scene:
        self.count += 1
        return self._scene("statement", title, None, narration=Narrator(), say_title=title)

    # -- the scene and its parts
    def _scene(
        self,
        layout: Layout,
        title: str | None,
        part: Part,
        *,
        narration: Narrator,
        say_title: str | None,
        items: Sequence[Item] = (),
        silent: float = SILENT_SECONDS,
        **shown: object,
    ) -> Scene:
        head = Narrator()
        if say_title:
            head.add(sentence(say_title))
        text = " ".join(t for t in (head.text, narration.text) if t)
        shift = len(head.text) + 1 if head.text and narration.text else len(head.text)
        beats = [b.model_copy(update={"at": b.at + shift}) for b in narration.beats_if_useful()]
        if beats and head.text:
            beats.insert(0, beats[0].model_copy(update={"at": 0, "item": None}))
        return Scene.model_validate(
            {
                "id": f"s{self.count}" if part is None or part[0] == 1 else f"s{self.count}.{part[0]}",
                "layout": layout,
                "title": title,
                "part": part,
                "items": list(items),
                "narration": text,
                "beats": beats,
                "pause_after": None if text else silent,
                **shown,
            }
        )

    # -- layouts
    def _items(
        self,
        layout: Layout,
        items: list[Item],
        says: list[str],
        title: str | None,
        say_title: bool,
        image: ImageRef | None,
        paragraphs: Sequence[int] = (),
        opens: Sequence[bool] = (),
    ) -> list[Scene]:
        """Scenes of items; `paragraphs`: how many items each paragraph has (cut at their ends first);
        `opens`: whether a scene may start at each item (not inside a sentence shown in pieces)."""

        def make(a: int, b: int, part: Part) -> Scene:
            narration = Narrator()
            for n in range(a, b):
                narration.add(says[n], n - a)
            return self._scene(
                layout,
                title,
                part,
                narration=narration,
                say_title=title if say_title and a == 0 else None,
                items=items[a:b],
                image=image,
            )

        weights = [speech_weight(s) for s in says]
        starts = self._paragraph_starts(weights, paragraphs)
        if opens:
            starts = [i for i in starts or balanced_groups(weights, self.limit) if i == 0 or opens[i]]
        return self.parts(weights, make, starts, layout != "prose")

    def _paragraph_starts(self, weights: Sequence[float], paragraphs: Sequence[int]) -> list[int] | None:
        """Scene starts at paragraph ends (balanced), and inside a paragraph only if it alone is too
        long to say in one scene."""
        if len(paragraphs) <= 1:
            return None
        bounds = [0]
        for count in paragraphs:
            bounds.append(bounds[-1] + count)
        sizes = [sum(weights[a:b]) for a, b in itertools.pairwise(bounds)]
        starts: list[int] = []
        groups = balanced_groups(sizes, self.limit)
        for g, h in zip(groups, [*groups[1:], len(paragraphs)], strict=True):
            a, b = bounds[g], bounds[h]
            if sum(weights[a:b]) > self.limit:
                starts.extend(a + x for x in balanced_groups(weights[a:b], self.limit))
            else:
                starts.append(a)
        return starts

    def _prose(self, unit: Prose, title: str | None, say_title: bool, alone: bool) -> list[Scene]:
        if alone and len(unit.paragraphs) == 1:
            text = unit.paragraphs[0]
            if len(inline_plain(text)) <= STATEMENT_CHARS and len(md_sentences(text)) <= 2:
                narration = Narrator()
                narration.add(" ".join(sentence(s) for s in md_sentences(text)), 0)
                scene = self._scene(
                    "statement",
                    title,
                    None,
                    narration=narration,
                    say_title=title if say_title else None,
                    items=[Item(text=text)],
                )
                if self.fits is None or self.fits(scene):
                    return [scene]
        items: list[Item] = []
        says: list[str] = []
        opens: list[bool] = []
        counts: list[int] = []
        for paragraph in unit.paragraphs:
            before = len(items)
            for text in md_sentences(paragraph):
                pieces = shown_pieces(text, lambda md: self._fits_alone(md, title))
                for k, piece in enumerate(pieces):  # a sentence too long for the slide, in pieces
                    items.append(Item(text=piece))
                    says.append(sentence(piece) if k == len(pieces) - 1 else say(piece))
                    opens.append(k == 0)
            counts.append(len(items) - before)
        return self._items("prose", items, says, title, say_title, None, counts, opens)

    def _fits_alone(self, md: str, title: str | None) -> bool:
        """Whether one sentence fits a prose slide (set large, as when it is being read)."""
        if self.fits is None:
            return True
        probe = Scene(
            id="s1", layout="prose", title=title, part=PROBE_PART, items=[Item(text=md)], narration=""
        )
        return self.fits(probe)

    def _led(
        self,
        layout: Layout,
        lead: str | None,
        a: int,
        title: str | None,
        part: Part,
        say_title: bool,
        narration: Narrator,
        silent: float = SILENT_SECONDS,
        **shown: object,
    ) -> Scene:
        """A part (from item `a`) of a table or code unit: its lead paragraph shown on the first only."""
        items = [Item(text=lead)] if lead and a == 0 else []
        said = title if say_title and a == 0 else None
        return self._scene(
            layout, title, part, narration=narration, say_title=said, items=items, silent=silent, **shown
        )

    def _table(self, unit: TableUnit, title: str | None, say_title: bool) -> list[Scene]:
        table = unit.table
        says = [row_sentence(table.header, row) for row in table.rows]

        def drawn_as(form: TableForm | None) -> Make:
            def make(a: int, b: int, part: Part) -> Scene:
                narration = Narrator()
                if a == 0 and unit.lead:
                    narration.add(sentence(unit.lead))
                for n in range(a, b):
                    narration.add(says[n], n - a)
                shown = Table(
                    header=list(table.header),
                    rows=[list(r) for r in table.rows[a:b]],
                    align=list(table.align),
                    form=form,
                )
                return self._led("table", unit.lead, a, title, part, say_title, narration, table=shown)

            return make

        weights = [max(speech_weight(s), 0.01) for s in says]
        free = drawn_as(None)
        n = len(table.rows)
        if self.fits is None or n == 0:
            return self.parts(weights, free)
        if len(balanced_groups(weights, self.limit)) == 1 and self.fits(free(0, n, None)):
            return [free(0, n, None)]  # one slide: the form its rows fit in
        return shared_rows(self.one_form(weights, drawn_as("grid"), drawn_as("cards")))

    def _code(self, unit: CodeUnit, title: str | None, say_title: bool) -> list[Scene]:
        lines = unit.code.text.split("\n")

        def make(a: int, b: int, part: Part) -> Scene:
            narration = Narrator()
            if a == 0 and unit.lead:
                narration.add(sentence(unit.lead), 0)
            code = Code(text="\n".join(lines[a:b]), language=unit.code.language)
            reading = min(10.0, SILENT_SECONDS + CODE_LINE_SECONDS * (b - a))
            return self._led(
                "code", unit.lead, a, title, part, say_title, narration, silent=reading, code=code
            )

        return self.parts([0.0] * len(lines), make)

    def _image(self, unit: ImageUnit, title: str | None, say_title: bool) -> list[Scene]:
        ref = ImageRef(path=unit.image.src, alt=unit.image.alt)
        if isinstance(unit.text, Prose):
            split = [md_sentences(p) for p in unit.text.paragraphs]
            items = [Item(text=s) for sentences in split for s in sentences]
            says = [sentence(i.text) for i in items]
            return self._items("image_text", items, says, title, say_title, ref, [len(x) for x in split])
        if isinstance(unit.text, Listing):
            return self._items(
                "image_text", _list_items(unit.text), _list_says(unit.text), title, say_title, ref
            )
        narration = Narrator()
        narration.add(sentence(unit.image.alt))
        return [
            self._scene(
                "full_image",
                title,
                None,
                narration=narration,
                say_title=title if say_title else None,
                image=ref.model_copy(update={"fit": "cover"}),
            )
        ]

    def _quote(self, unit: QuoteUnit, title: str | None, say_title: bool) -> list[Scene]:
        quote = unit.quote
        items = [Item(text=p) for p in quote.paragraphs]
        says = [" ".join(sentence(s) for s in md_sentences(p)) for p in quote.paragraphs]

        def make(a: int, b: int, part: Part) -> Scene:
            narration = Narrator()
            for n in range(a, b):
                narration.add(says[n], n - a)
            last = b == len(items)
            if last and quote.attribution:
                narration.add(sentence(quote.attribution))
            return self._scene(
                "quote",
                title,
                part,
                narration=narration,
                say_title=title if say_title and a == 0 else None,
                items=items[a:b],
                subtitle=quote.attribution if last else None,
            )

        return self.parts([speech_weight(s) for s in says], make)

    def _page(self, unit: PageUnit) -> list[Scene]:
        """A page with its picture is that picture, its notes (or text) said over it; without one,
        its title and text are laid out here (beside its first image, if it has one)."""
        page = unit.page
        if page.picture is None and page.narration is None and page.text:
            image = page.images[0] if page.images else None
            ref = ImageRef(path=image.src, alt=image.alt) if image is not None else None
            marker = "•" if len(page.text) > 1 else None
            items = [Item(text=t, marker=marker) for t in page.text]
            layout: Layout = "image_text" if ref else "bullets" if marker else "statement"
            says = [sentence(t) for t in page.text]
            return self._items(layout, items, says, page.title, True, ref)
        narration = Narrator()
        if page.narration is not None:
            narration.add(say(page.narration))
        else:
            for line in page.text:
                narration.add(sentence(line))
        if page.picture is not None:
            ref = ImageRef(path=page.picture.src, alt=page.picture.alt)
            return [self._scene("picture", page.title, None, narration=narration, say_title=None, image=ref)]
        image = page.images[0] if page.images else None
        ref = ImageRef(path=image.src, alt=image.alt) if image is not None else None
        items = [Item(text=t, marker="•" if len(page.text) > 1 else None) for t in page.text]
        layout = "image_text" if image is not None else "bullets" if len(items) > 1 else "statement"
        return [
            self._scene(layout, page.title, None, narration=narration, say_title=None, items=items, image=ref)
        ]


def _list_items(unit: Listing) -> list[Item]:
    lead = [Item(text=unit.lead)] if unit.lead else []
    return lead + [_item(i) for i in unit.items]


def _item(item: ListItem) -> Item:
    return Item(text=item.text, marker=item.marker or None, level=min(item.level, 4))


def _list_says(unit: Listing) -> list[str]:
    lead = [sentence(unit.lead)] if unit.lead else []
    return lead + [sentence(i.text) for i in unit.items]


def shared_rows(parts: list[Scene]) -> list[Scene]:
    """The parts of a split table, each told how many rows the fullest holds (`rows_per_part`)."""
    tables = [p.table for p in parts if p.table is not None]
    if len(parts) < 2 or not tables:
        return parts
    most = max(len(t.rows) for t in tables)
    return [
        p.model_copy(update={"table": p.table.model_copy(update={"rows_per_part": most})})
        if p.table is not None
        else p
        for p in parts
    ]
