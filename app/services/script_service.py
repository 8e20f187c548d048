"""From a document (Markdown or plain text) to a `Script` of narrated scenes.

Two jobs: refuse input that cannot become a video with one clear line (`InputError`), and turn what is
accepted into scenes whose narration is plain speakable text, never markup, each short enough to keep a
slide on screen for a sensible time.

Decisions worth knowing:

- Markdown: every top-level heading starts a scene and titles it; the title is read aloud first, as a
  sentence. Text before the first heading is an untitled scene. A horizontal rule starts a new untitled
  scene. Code blocks are shown (CODE) and never read. Images are dropped from both slide and voice: the
  video cannot show the picture, so its alt text would describe nothing on screen. Link text is kept, link
  URLs are not; a bare URL (or autolink) is spoken as its host name. Tables become one PARAGRAPH per row
  ("a | b"), read as "a, b.". Front matter is ignored.
- Plain text: a scene per blank-line-separated paragraph.
- Every narrated block ends as a sentence (a "." is added when it has no closing punctuation), so that
  headings and list items are spoken with a pause instead of running together.
- A scene with nothing to say (an untitled run of code blocks) is merged into the previous scene's slide,
  or the next one's when it comes first; a document with nothing to say at all is an `InputError`.
- Long scenes are split at block ends, then sentence ends, then clause marks, then words, into the
  fewest scenes that fit `max_scene_seconds`, balanced so that no part is a tiny leftover.
- Limits (`ScriptLimits`, from the settings) are checked as soon as the script exists, before any
  speech is made: a word longer than `max_word_chars` is not a word a voice can say (espeak spells
  it letter by letter: a 60,000-character blob is hours of spelling), so the document is refused
  with the word's start; scripts written without spaces (CJK, Thai, ...) are exempt, code blocks and
  URLs are never read. A script over `max_scenes` scenes or `max_narration_minutes` of estimated
  speech is refused too: rendering it would take a long time, and it was most likely not meant.
"""

from __future__ import annotations

import html
import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Literal
from urllib.parse import urlsplit

from markdown_it import MarkdownIt
from markdown_it.token import Token

from app.core.threads import check_cancelled
from app.errors import InputError
from app.services.models import BlockKind, Scene, Script, SlideBlock

if TYPE_CHECKING:
    from app.config import Settings

DocFormat = Literal["md", "txt"]

DEFAULT_MAX_BYTES = 2 * 1024 * 1024
DEFAULT_WORDS_PER_MINUTE = 175
DEFAULT_MAX_SCENE_SECONDS = 20.0

EXTENSIONS: dict[str, DocFormat] = {".txt": "txt", ".text": "txt", ".md": "md", ".markdown": "md"}
FORMATS: tuple[DocFormat, ...] = ("md", "txt")
_FORMAT_NAMES: dict[str, DocFormat] = {"md": "md", "markdown": "md", "txt": "txt", "text": "txt"}

# A Han character or kana is spoken in about the time of 0.6 English words; CJK text has no spaces to count.
CJK_WORDS_PER_CHAR = 0.6
# Share of control bytes (besides whitespace) above which the input is binary, not text.
BINARY_CONTROL_RATIO = 0.1

_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f"
_CJK_CHAR = re.compile(f"[{_CJK}]")
_WORD_UNIT = re.compile(f"[{_CJK}]|[^\\s{_CJK}]+")
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Document:
    """Validated, decoded input: NFC text with "\\n" line ends and no stray control characters."""

    text: str
    format: DocFormat
    name: str = "input"


@dataclass(frozen=True)
class ScriptLimits:
    """What a render accepts beyond the input size; the defaults live in `app.config.Settings`."""

    max_word_chars: int
    max_scenes: int
    max_narration_minutes: float

    @classmethod
    def from_settings(cls, settings: Settings) -> ScriptLimits:
        return cls(settings.max_word_chars, settings.max_scenes, settings.max_narration_minutes)


# --------------------------------------------------------------------------------------------------
# Loading and validation
# --------------------------------------------------------------------------------------------------


def human_size(n: int) -> str:
    """Sizes in the units people think in, e.g. "2 MB", "1.5 KB", "300 bytes"."""
    if n < 1024:
        return f"{n} byte" if n == 1 else f"{n} bytes"
    value = float(n)
    for unit in ("KB", "MB", "GB", "TB"):
        value /= 1024
        if value < 1024 or unit == "TB":
            break
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    return f"{text} {unit}"


def _supported_extensions() -> str:
    return ", ".join(EXTENSIONS)


def load_document(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> Document:
    """Read a file, checking everything that is cheap to check before reading it whole."""
    path = Path(path)
    shown = str(path)
    try:
        if not path.exists():
            raise InputError(f"{shown}: no such file")
        if path.is_dir():
            raise InputError(f"{shown} is a directory, not a file")
        fmt = _format_from_suffix(path.name)
        if fmt is None:
            suffix = path.suffix or "(none)"
            raise InputError(f"{shown}: unsupported file type {suffix}; supported: {_supported_extensions()}")
        size = path.stat().st_size
        if size > max_bytes:
            raise InputError(f"{shown} is {human_size(size)}, over the {human_size(max_bytes)} limit")
        with path.open("rb") as f:
            data = f.read(max_bytes + 1)  # the file may have grown since stat()
    except OSError as e:
        raise InputError(f"{shown}: cannot read it ({e.strerror or e})") from e
    return _document(data, fmt, path.name, shown, max_bytes)


def document_from_bytes(
    data: bytes, filename: str | None, fmt: str | None, max_bytes: int = DEFAULT_MAX_BYTES
) -> Document:
    """Validate input that did not come from a file (stdin, an upload).

    The format comes from the filename's extension when it is a known one (browsers label Markdown
    uploads text/plain), then from `fmt`, and is guessed from the text when neither says.
    """
    name = filename or "input"
    chosen = _format_from_suffix(filename) if filename else None
    if chosen is None and fmt is not None:
        chosen = _FORMAT_NAMES.get(fmt.strip().lower())
        if chosen is None:
            raise InputError(f"unsupported format {fmt!r}; supported: {', '.join(FORMATS)}")
    if chosen is None and filename and Path(filename).suffix:
        raise InputError(
            f"{name}: unsupported file type {Path(filename).suffix}; supported: {_supported_extensions()}"
        )
    if len(data) > max_bytes:
        raise InputError(f"{name} is larger than the {human_size(max_bytes)} limit")
    doc = _document(data, chosen or "txt", name, name, max_bytes)
    if chosen is None and looks_like_markdown(doc.text):
        return Document(doc.text, "md", doc.name)
    return doc


def _format_from_suffix(filename: str) -> DocFormat | None:
    return EXTENSIONS.get(Path(filename).suffix.lower())


def _document(data: bytes, fmt: DocFormat, name: str, shown: str, max_bytes: int) -> Document:
    if len(data) > max_bytes:
        raise InputError(f"{shown} is larger than the {human_size(max_bytes)} limit")
    text = _decode(data, shown)
    if not text.strip(" \t\n\r\f\v\u200b\u200c\u200d\u2060"):
        raise InputError(f"{shown} is empty" if not text else f"{shown} contains only whitespace")
    return Document(text, fmt, name)


_CONTROL_BYTES = bytes(b for b in range(32) if b not in b"\t\n\r\f\v") + b"\x7f"
_STRAY_CONTROLS = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")


def _decode(data: bytes, shown: str) -> str:
    """UTF-8 only: guessing legacy encodings would put wrong words in the voice, silently."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError(f"{shown} is UTF-16 text; save it as UTF-8")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if b"\x00" in data:
        raise InputError(f"{shown} looks like a binary file, not text")
    controls = len(data) - len(data.translate(None, _CONTROL_BYTES))
    if data and controls / len(data) > BINARY_CONTROL_RATIO:
        raise InputError(f"{shown} looks like a binary file, not text (mostly control characters)")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise InputError(
            f"{shown} is not UTF-8 text (byte 0x{data[e.start]:02X} at offset {e.start}); save it as UTF-8"
        ) from e
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _STRAY_CONTROLS.sub(" ", text)
    return unicodedata.normalize("NFC", text)  # decomposed Vietnamese speaks and draws badly


_MD_STRONG = [
    re.compile(r"^#{1,6}[ \t]+\S", re.M),  # ATX heading
    re.compile(r"^(```|~~~)", re.M),  # fence
    re.compile(r"!?\[[^\]\n]+\]\([^)\s]+[^)]*\)"),  # link or image
    re.compile(r"\A---[ \t]*\n"),  # front matter
    re.compile(r"^\S.*\n(=+|-+)[ \t]*$", re.M),  # setext heading
]
_MD_WEAK = [
    re.compile(r"^[ \t]*([-*+]|\d+[.)])[ \t]+\S", re.M),  # list item
    re.compile(r"(\*\*|__)\S.*?\S\1"),  # strong
    re.compile(r"`[^`\n]+`"),  # inline code
    re.compile(r"^>[ \t]?\S", re.M),  # blockquote
    re.compile(r"^\|.*\|[ \t]*$", re.M),  # table row
]


def looks_like_markdown(text: str) -> bool:
    """A heading, fence, link or front matter is enough; weaker signs need company."""
    if any(p.search(text) for p in _MD_STRONG):
        return True
    return sum(1 for p in _MD_WEAK if p.search(text)) >= 2


# --------------------------------------------------------------------------------------------------
# Speakable text
# --------------------------------------------------------------------------------------------------

_URL = re.compile(r"\b(?:(?:https?|ftp)://|www\.)[^\s<>\"]*[^\s<>\".,;:!?'\")\]]", re.I)
_TAG = re.compile(r"</?[A-Za-z][^<>]*>")
# Known HTML elements only: other angle brackets are text ("<name>", "a < b") and are read as such.
_HTML_NAMES = (
    "a|abbr|article|aside|b|big|blockquote|body|br|center|cite|code|dd|del|details|dfn|div|dl|dt|em|"
    "figcaption|figure|font|footer|h[1-6]|head|header|hr|html|i|img|ins|kbd|li|mark|nav|ol|p|pre|q|s|"
    "samp|section|small|span|strike|strong|sub|summary|sup|table|tbody|td|tfoot|th|thead|tr|tt|u|ul|var"
)
_HTML_TAG = re.compile(rf"</?(?:{_HTML_NAMES})(?:\s[^<>]*)?/?>", re.I)
_BRACKETED_WORD = re.compile(r"<([^\s<>]+)>")
_HASH = re.compile(r"(?<![A-Za-z])#+")
# "word ," -> "word,", but " .venv" and " .5" start a word and keep their space
_SPACE_BEFORE_PUNCT = re.compile(r"\s+([,.;:!?…。！？，；：])(?!\w)")
_REPEATED_COMMA = re.compile(r",(?:\s*,)+")
# Runs of tokens with nothing to say ("!? !? !?", "-- --"): espeak pauses at each, so 2 MB of them
# would be hours of silence. One is kept.
_MUTE_RUN = re.compile(r"(?<!\S)([^\w\s]+)(?:\s+[^\w\s]+)+(?!\S)")
_CLOSERS = "\"'”’»)]}」』）"
_CLOSER_CLASS = f"[{re.escape(_CLOSERS)}]"
_SENTENCE_END_CHARS = ".!?…。！？:;,"


def _host(match: re.Match[str]) -> str:
    url = match.group(0)
    if "://" not in url:
        url = "http://" + url
    host = urlsplit(url).hostname or ""
    return host.removeprefix("www.")


def speakable(text: str) -> str:
    """What the voice reads: no markup characters, tags or URLs (a URL is read as its host)."""
    text = _URL.sub(_host, text)
    text = _HTML_TAG.sub(" ", text)
    text = _BRACKETED_WORD.sub(r"\1", text)
    text = text.replace("`", "").replace("*", "").replace("~", "").replace("\\", " ")
    text = text.replace("_", " ")  # snake_case reads as words
    text = _HASH.sub("", text)  # C# and F# keep theirs
    text = re.sub(r"\s*\|\s*", ", ", text)  # table cells
    text = _SPACE.sub(" ", text)
    text = _MUTE_RUN.sub(r"\1", text)
    text = _SPACE_BEFORE_PUNCT.sub(r"\1", text)
    text = _REPEATED_COMMA.sub(",", text)
    return text.lstrip(" ,;").rstrip()


def _is_symbol(word: str) -> bool:
    """An emoji, an arrow: nothing a voice says, and no punctuation."""
    return not any(c.isalnum() or c in _SENTENCE_END_CHARS or c in _CLOSERS for c in word)


def _as_sentence(text: str) -> str:
    """Close with a full stop unless already closed, so the voice pauses after headings and bullets.

    The stop goes before trailing symbols nobody says: "Thank you. 🎉", not "Thank you 🎉.".
    """
    head, tail = text, ""
    while True:  # peel the trailing symbols off, a word at a time (speakable text has single spaces)
        before, space, last = head.rpartition(" ")
        if not space or not before or not _is_symbol(last):
            break
        head, tail = before, space + last + tail
    if tail:
        return _as_sentence(head) + tail
    core = text.rstrip(_CLOSERS)
    if core.endswith(":") and core == text:  # it introduced a code block or list the voice skips
        return core[:-1] + "."
    if not core or core[-1] in _SENTENCE_END_CHARS:
        return text
    return text + ("。" if _CJK_CHAR.match(core[-1]) else ".")


def speech_weight(text: str) -> float:
    """How long `text` takes to say, in English-word equivalents; CJK characters count as a fraction."""
    total = 0.0
    for unit in _WORD_UNIT.findall(text):
        if _CJK_CHAR.match(unit):
            total += CJK_WORDS_PER_CHAR
        elif any(ch.isalnum() for ch in unit):
            total += 1
    return total


def estimate_seconds(text: str, words_per_minute: int = DEFAULT_WORDS_PER_MINUTE) -> float:
    """Speech time estimated from the word count; the same estimate the scene splitter uses."""
    return speech_weight(text) * 60.0 / words_per_minute


# --------------------------------------------------------------------------------------------------
# Splitting text without losing any of it: every splitter's pieces concatenate back to its input.
# --------------------------------------------------------------------------------------------------

# Never end a sentence: titles and "for example" forms that always precede more words.
_NO_END_AFTER = {
    "mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "vs", "e.g", "i.e", "cf", "viz", "approx",
    "fig", "figs", "vol", "ca", "gen", "col", "lt", "sgt", "capt", "rev", "hon", "mt", "ft",
    "tp", "ts", "ths", "pgs", "gs", "bs", "ks",
}  # fmt: skip
_SENTENCE_END = re.compile(
    rf"(?P<latin>[.!?…]+){_CLOSER_CLASS}*(?:\s+|$)|(?P<cjk>[。！？]+){_CLOSER_CLASS}*\s*",
)
_CLAUSE_END = re.compile(rf"[,;:–—]{_CLOSER_CLASS}*\s+|[，；：、]\s*")
_WORD_PIECE = re.compile(f"(?:[{_CJK}]|[^\\s{_CJK}]+)\\s*")


def _cut(text: str, ends: Iterable[int]) -> list[str]:
    pieces, start = [], 0
    for end in ends:
        if start < end < len(text):
            pieces.append(text[start:end])
            start = end
    pieces.append(text[start:])
    return [p for p in pieces if p]


def _is_sentence_end(text: str, m: re.Match[str]) -> bool:
    if m.group("cjk"):
        return True
    mark = m.group("latin")
    if "!" in mark or "?" in mark:
        return True
    if text[m.end() : m.end() + 1].islower():  # "e.g. this", "a.m. tomorrow", "wait… no"
        return False
    if mark != ".":
        return True
    before = text[max(0, m.start() - 24) : m.start()].split()  # a window: long texts stay linear
    word = before[-1].lstrip("(\"'“‘[") if before else ""
    if word.lower() in _NO_END_AFTER:
        return False
    return not (len(word) == 1 and word.isupper() and word != "I")  # an initial, as in "J. R. R."


def split_sentences(text: str) -> list[str]:
    """Sentences, each with its punctuation and trailing space; handles . ! ? … and 。！？."""
    return _cut(text, (m.end() for m in _SENTENCE_END.finditer(text) if _is_sentence_end(text, m)))


def split_clauses(text: str) -> list[str]:
    return _cut(text, (m.end() for m in _CLAUSE_END.finditer(text)))


def split_words(text: str) -> list[str]:
    """Words, or single characters in CJK text, which has no spaces to split at."""
    head = len(text) - len(text.lstrip())
    pieces = _WORD_PIECE.findall(text, head)
    if head and pieces:
        pieces[0] = text[:head] + pieces[0]
    return pieces or [text]


def _fine_pieces(text: str, limit: float) -> list[str]:
    """Pieces of at most `limit` words each where possible: sentences, then clauses, then words."""
    out: list[str] = []
    for sentence in split_sentences(text):
        check_cancelled()
        if speech_weight(speakable(sentence)) <= limit:
            out.append(sentence)
            continue
        for clause in split_clauses(sentence):
            if speech_weight(speakable(clause)) <= limit:
                out.append(clause)
            else:
                out.extend(split_words(clause))
    return out


def _greedy_groups(weights: Sequence[float], cap: float) -> list[int]:
    """Start index of each group; a weightless item always joins the group before it."""
    starts: list[int] = []
    total = 0.0
    for i, w in enumerate(weights):
        if not starts or (total > 0 and total + w > cap):
            starts.append(i)
            total = 0.0
        total += w
    return starts


def balanced_groups(weights: Sequence[float], cap: float) -> list[int]:
    """The fewest groups within `cap`, then the smallest largest group: no tiny leftover part."""
    starts = _greedy_groups(weights, cap)
    if len(starts) <= 1:
        return starts
    hi = cap
    lo = min(max(weights), hi)
    for _ in range(40):
        check_cancelled()
        mid = (lo + hi) / 2
        if len(_greedy_groups(weights, mid)) <= len(starts):
            hi = mid
        else:
            lo = mid
    return _greedy_groups(weights, hi)


# --------------------------------------------------------------------------------------------------
# Sections: what a document says, before it is cut into scenes
# --------------------------------------------------------------------------------------------------


@dataclass
class _Section:
    title: str | None = None
    blocks: list[SlideBlock] = field(default_factory=list)

    def is_empty(self) -> bool:
        return self.title is None and not self.blocks


@dataclass(frozen=True)
class _Atom:
    """The unit of scene splitting: a piece of one block (or the title) and its speech weight."""

    block: int  # index into the section's blocks; -1 for the title
    kind: BlockKind
    display: str
    weight: float
    ends_block: bool  # the block's last piece: its narration closes as a sentence


def _block_atoms(index: int, block: SlideBlock, limit: float, split: bool) -> list[_Atom]:
    if block.kind is BlockKind.CODE:
        return [_Atom(index, block.kind, block.text, 0.0, True)]
    pieces = _fine_pieces(block.text, limit) if split else [block.text]
    last = len(pieces) - 1
    atoms = []
    for n, piece in enumerate(pieces):
        if n % 1024 == 0:
            check_cancelled()
        atoms.append(_Atom(index, block.kind, piece, speech_weight(speakable(piece)), n == last))
    return atoms


def _section_atoms(section: _Section, limit: float) -> list[_Atom]:
    atoms: list[_Atom] = []
    title_weight = speech_weight(speakable(section.title)) if section.title else 0.0
    for i, block in enumerate(section.blocks):
        check_cancelled()
        weight = speech_weight(speakable(block.text)) if block.kind is not BlockKind.CODE else 0.0
        # The first block shares its scene with the title, so only the rest of the budget is its own.
        budget = limit - title_weight if not atoms else limit
        atoms.extend(_block_atoms(i, block, limit, split=weight > budget))
    if section.title:
        atoms.insert(0, _Atom(-1, BlockKind.PARAGRAPH, section.title, title_weight, True))
    return atoms


def _runs(atoms: Sequence[_Atom]) -> list[_Atom]:
    """Pieces of the same block that land in one scene become one piece again."""
    groups: list[list[_Atom]] = []
    for atom in atoms:
        if groups and groups[-1][0].block == atom.block:
            groups[-1].append(atom)
        else:
            groups.append([atom])
    return [
        _Atom(
            group[0].block,
            group[0].kind,
            "".join(a.display for a in group),  # joined once: many weightless pieces stay linear
            sum(a.weight for a in group),
            group[-1].ends_block,
        )
        for group in groups
    ]


def _narration(runs: Sequence[_Atom]) -> str:
    spoken = []
    for run in runs:
        if run.kind is BlockKind.CODE:
            continue
        text = speakable(run.display)
        if text:
            spoken.append(_as_sentence(text) if run.ends_block else text)
    return " ".join(spoken)


def _scenes_from_atoms(title: str | None, atoms: list[_Atom], limit: float) -> list[Scene]:
    weights = [a.weight for a in atoms]
    if title and len(atoms) > 1:  # the title is never a scene of its own when it has a body
        weights = [0.0, weights[0] + weights[1], *weights[2:]]
    starts = balanced_groups(weights, limit)
    scenes = []
    for start, end in zip(starts, [*starts[1:], len(atoms)], strict=True):
        check_cancelled()
        runs = _runs(atoms[start:end])
        blocks = tuple(
            SlideBlock(r.kind, r.display if r.kind is BlockKind.CODE else r.display.strip())
            for r in runs
            if r.block >= 0 and r.display.strip()
        )
        scenes.append(Scene(_narration(runs), title, blocks))
    return scenes


def _has_speech(text: str) -> bool:
    return any(ch.isalnum() for ch in text)


def _sections_to_scenes(sections: Iterable[_Section], limit: float) -> list[Scene]:
    """Scenes of every section; one with nothing to say lends its slide blocks to a neighbour."""
    scenes: list[Scene] = []
    orphans: list[SlideBlock] = []  # blocks met before any scene could show them
    for section in sections:
        check_cancelled()
        for scene in _scenes_from_atoms(section.title, _section_atoms(section, limit), limit):
            if not _has_speech(scene.narration):
                if scenes:
                    last = scenes[-1]
                    scenes[-1] = Scene(last.narration, last.title, (*last.blocks, *scene.blocks))
                else:
                    orphans.extend(scene.blocks)
                continue
            if orphans:
                scene = Scene(scene.narration, scene.title, (*orphans, *scene.blocks))
                orphans = []
            scenes.append(scene)
    return scenes


# --------------------------------------------------------------------------------------------------
# Markdown
# --------------------------------------------------------------------------------------------------

_FRONT_MATTER = re.compile(r"\A(---|\+\+\+)[ \t]*\n(?P<body>.*?)^(?:\1|\.\.\.)[ \t]*(?:\n|\Z)", re.S | re.M)
_FRONT_MATTER_KEY = re.compile(r"^[A-Za-z_][\w-]*[ \t]*[:=]")
_HTML_DROP = re.compile(r"<!--.*?(?:-->|\Z)|<(script|style)\b.*?(?:</\1\s*>|\Z)", re.S | re.I)
_TASK_MARK = re.compile(r"^\[[ xX]\]\s+")


def strip_front_matter(text: str) -> str:
    """Drop a leading YAML/TOML block, but not a leading rule: its first line must look like a key."""
    m = _FRONT_MATTER.match(text)
    if not m:
        return text
    first = next((line for line in m.group("body").splitlines() if line.strip()), "")
    if first and not _FRONT_MATTER_KEY.match(first):
        return text
    return text[m.end() :]


def _markdown() -> MarkdownIt:
    return MarkdownIt("commonmark").enable(["table", "strikethrough"])


def _html_text(raw: str) -> str:
    """Text inside raw HTML: comments, scripts and styles go whole, other tags go, entities decode."""
    text = _TAG.sub(" ", _HTML_DROP.sub(" ", raw))
    return _SPACE.sub(" ", html.unescape(text)).strip()


def _inline_text(token: Token) -> str:
    """The visible words of an inline token: no emphasis marks, no URLs of links, no images."""
    out: list[str] = []
    skipping: str | None = None  # inside inline <script> or <style>
    for child in token.children or ():
        kind = child.type
        if kind == "html_inline":
            tag = re.match(r"<(/?)([A-Za-z]+)", child.content)
            name = tag.group(2).lower() if tag else ""
            if skipping:
                if tag and tag.group(1) and name == skipping:
                    skipping = None
            elif name in ("script", "style") and tag and not tag.group(1):
                skipping = name
            elif name == "br":
                out.append(" ")
        elif skipping:
            continue
        elif kind in ("text", "text_special", "code_inline"):
            out.append(child.content)
        elif kind in ("softbreak", "hardbreak"):
            out.append(" ")
    return _SPACE.sub(" ", "".join(out)).strip()


class _MarkdownWalker:
    """Folds the token stream into sections; state is the open list items and table row."""

    def __init__(self) -> None:
        self.sections: list[_Section] = [_Section()]
        self.items: list[list[str]] = []  # words of each open list item, innermost last
        self.row: list[str] | None = None
        self.target = ""  # what the next inline token belongs to

    @property
    def current(self) -> _Section:
        return self.sections[-1]

    def new_section(self, title: str | None) -> None:
        if self.current.is_empty():
            self.current.title = title
        else:
            self.sections.append(_Section(title))

    def add(self, kind: BlockKind, text: str) -> None:
        if text.strip():
            self.current.blocks.append(SlideBlock(kind, text))

    def flush_item(self) -> None:
        """Show what the innermost list item said so far as one bullet, before anything nested."""
        if self.items and self.items[-1]:
            text = _TASK_MARK.sub("", " ".join(self.items[-1]))
            self.add(BlockKind.BULLET, text)
            self.items[-1] = []

    def text(self, text: str) -> None:
        if self.items:
            self.items[-1].append(text)
        else:
            self.add(BlockKind.PARAGRAPH, text)

    def walk(self, tokens: Sequence[Token]) -> list[_Section]:
        handlers: dict[str, Callable[[Token], None]] = {
            "heading_open": self._heading_open,
            "paragraph_open": lambda t: setattr(self, "target", "text"),
            "th_open": lambda t: setattr(self, "target", "cell"),
            "td_open": lambda t: setattr(self, "target", "cell"),
            "inline": self._inline,
            "list_item_open": self._item_open,
            "list_item_close": self._item_close,
            "fence": self._code,
            "code_block": self._code,
            "html_block": self._html,
            "hr": lambda t: self.new_section(None),
            "tr_open": lambda t: setattr(self, "row", []),
            "tr_close": self._row_close,
        }
        for token in tokens:
            handler = handlers.get(token.type)
            if handler:
                handler(token)
        return self.sections

    def _heading_open(self, token: Token) -> None:
        # A heading inside a list or quote is part of that block, not the start of a scene.
        self.target = "heading" if token.level == 0 else "text"

    def _inline(self, token: Token) -> None:
        text = _inline_text(token)
        if self.target == "heading":
            self.new_section(text or None)
        elif self.target == "cell" and self.row is not None:
            self.row.append(text)
        elif text:
            self.text(text)
        self.target = ""

    def _item_open(self, token: Token) -> None:
        self.flush_item()
        self.items.append([])

    def _item_close(self, token: Token) -> None:
        self.flush_item()
        self.items.pop()

    def _code(self, token: Token) -> None:
        self.flush_item()
        code = token.content.rstrip("\n").expandtabs(4)
        if code.strip():
            self.current.blocks.append(SlideBlock(BlockKind.CODE, code))

    def _html(self, token: Token) -> None:
        text = _html_text(token.content)
        if text:
            self.text(text)

    def _row_close(self, token: Token) -> None:
        if self.row and any(self.row):
            self.add(BlockKind.PARAGRAPH, " | ".join(self.row))
        self.row = None


def markdown_sections(text: str) -> list[_Section]:
    tokens = _markdown().parse(strip_front_matter(text))
    return [s for s in _MarkdownWalker().walk(tokens) if not s.is_empty()]


def text_sections(text: str) -> list[_Section]:
    """A section per paragraph; lines inside a paragraph are one run of text."""
    paragraphs = re.split(r"\n[ \t\f\v]*\n", text)
    sections = []
    for para in paragraphs:
        joined = _SPACE.sub(" ", para).strip()
        if joined:
            sections.append(_Section(None, [SlideBlock(BlockKind.PARAGRAPH, joined)]))
    return sections


# --------------------------------------------------------------------------------------------------
# The script
# --------------------------------------------------------------------------------------------------


def build_script(
    doc: Document,
    words_per_minute: int = DEFAULT_WORDS_PER_MINUTE,
    max_scene_seconds: float = DEFAULT_MAX_SCENE_SECONDS,
    limits: ScriptLimits | None = None,
) -> Script:
    """Scenes in document order; joined, their narration is every spoken word of the document in order.

    With `limits`, a script that breaks one is refused (`InputError`) before anything is spoken.
    """
    if words_per_minute <= 0 or not math.isfinite(max_scene_seconds) or max_scene_seconds <= 0:
        raise ValueError("words_per_minute and max_scene_seconds must be positive")
    limit = max_scene_seconds * words_per_minute / 60.0
    sections = markdown_sections(doc.text) if doc.format == "md" else text_sections(doc.text)
    scenes = _sections_to_scenes(sections, limit)
    if not scenes:
        raise InputError(f"{doc.name} has no text to read aloud")
    if limits is not None:
        check_limits(doc.name, scenes, words_per_minute, limits)
    title = next((s.title for s in sections if s.title), None)
    return Script(tuple(scenes), title)


# Scripts written without spaces between words: a long run of them is ordinary prose.
_NO_SPACE_SCRIPTS = _CJK + "\u0e00-\u0eff\u0f00-\u0fff\u1000-\u109f\u1780-\u17ff"


@lru_cache(maxsize=8)
def _long_word(max_chars: int) -> re.Pattern[str]:
    word = f"[^\\s{_NO_SPACE_SCRIPTS}]"
    # anchored at a word's start, so each word is scanned once (linear, whatever the limit)
    return re.compile(f"(?<!{word}){word}{{{max_chars + 1},}}")


def check_limits(name: str, scenes: Sequence[Scene], words_per_minute: int, limits: ScriptLimits) -> None:
    """Refuse what would read absurdly or render for hours: checked in time linear in the text."""
    if len(scenes) > limits.max_scenes:
        raise InputError(
            f"{name} makes {len(scenes):,} scenes, over the limit of {limits.max_scenes:,} "
            "(T2V_MAX_SCENES); split it into several documents"
        )
    too_long = _long_word(limits.max_word_chars)
    seconds = 0.0
    for scene in scenes:
        check_cancelled()
        word = too_long.search(scene.narration)
        if word is not None:
            n = word.end() - word.start()
            raise InputError(
                f"{name} has a {n:,}-character word ({word.group()[:24]}...) that cannot be read "
                f"aloud (limit {limits.max_word_chars:,}, T2V_MAX_WORD_CHARS); break it up or put it "
                "in a code block"
            )
        seconds += estimate_seconds(scene.narration, words_per_minute)
    if seconds > limits.max_narration_minutes * 60:
        raise InputError(
            f"{name} would be about {_duration(seconds)} of narration, over the limit of "
            f"{_duration(limits.max_narration_minutes * 60)} (T2V_MAX_NARRATION_MINUTES); "
            "split it into several documents"
        )


def _duration(seconds: float) -> str:
    minutes = round(seconds / 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"
