"""Documents to plans: input validation, Markdown and plain-text scenes, splitting long scenes at
sentence ends, the limits; sentences and speakable text."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.core.fsutil import human_size
from app.errors import InputError
from app.services.documents import (
    DEFAULT_MAX_BYTES,
    Document,
    document_from_bytes,
    load_document,
    looks_like_markdown,
    strip_front_matter,
)
from app.services.planning import (
    Plan,
    PlanLimits,
    Scene,
    ScriptLimits,
    estimate_seconds,
    plan_document,
    speakable,
    split_sentences,
    split_words,
)

ROOT = Path(__file__).resolve().parent.parent
PUNCT = ".,;:!?…\"'()“”。！？，"
MARKUP = ("*", "_", "`", "#", "~", "<", ">", "[", "](", "http", "://", "&amp;", "&lt;", "|")


def words(text: str) -> list[str]:
    """Words as the ear hears them: case and punctuation do not matter."""
    return [w.strip(PUNCT).lower() for w in text.split() if w.strip(PUNCT)]


def planned(doc: Document, seconds: float = 20.0, limits: ScriptLimits | None = None) -> Plan:
    return plan_document(doc, PlanLimits(max_scene_seconds=seconds, script=limits))


def md(text: str, seconds: float = 20.0) -> Plan:
    return planned(Document(text, "md", "test.md"), seconds)


def txt(text: str, seconds: float = 20.0) -> Plan:
    return planned(Document(text, "txt", "test.txt"), seconds)


def said(plan: Plan) -> str:
    return " ".join(s.narration for s in plan.scenes)


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


# ---------------------------------------------------------------------------------------------- input


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        load_document(tmp_path / "nope.md")


def test_directory(tmp_path: Path) -> None:
    folder = tmp_path / "notes.md"
    folder.mkdir()
    with pytest.raises(InputError, match="is a directory"):
        load_document(folder)


@pytest.mark.parametrize(("data", "message"), [(b"", "is empty"), (b" \n\t\r\n  \n", "only whitespace")])
def test_empty_and_blank(tmp_path: Path, data: bytes, message: str) -> None:
    with pytest.raises(InputError, match=message):
        load_document(write(tmp_path, "a.txt", data))


def test_bom_only_is_empty(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="is empty"):
        load_document(write(tmp_path, "a.txt", b"\xef\xbb\xbf"))


@pytest.mark.parametrize(
    "data",
    [
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00",  # NUL bytes
        bytes(range(1, 9)) * 50 + b"some text",  # mostly control characters, no NUL
    ],
)
def test_binary(tmp_path: Path, data: bytes) -> None:
    with pytest.raises(InputError, match="binary"):
        load_document(write(tmp_path, "a.txt", data))


def test_not_utf8(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not UTF-8") as info:
        load_document(write(tmp_path, "a.txt", "Un café très crème.".encode("latin-1")))
    assert "\n" not in str(info.value)


def test_utf16_is_named(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"UTF-16.*UTF-8"):
        load_document(write(tmp_path, "a.txt", "Hello".encode("utf-16")))


@pytest.mark.parametrize("name", ["notes.rst", "README"])
def test_unsupported_extension(tmp_path: Path, name: str) -> None:
    with pytest.raises(InputError, match="unsupported file type") as info:
        load_document(write(tmp_path, name, b"Hello."))
    for ext in (".txt", ".text", ".md", ".markdown"):
        assert ext in str(info.value)


@pytest.mark.parametrize(
    ("name", "fmt"), [("a.txt", "txt"), ("a.TEXT", "txt"), ("a.md", "md"), ("a.Markdown", "md")]
)
def test_supported_extensions(tmp_path: Path, name: str, fmt: str) -> None:
    doc = load_document(write(tmp_path, name, b"Hello there."))
    assert (doc.format, doc.name, doc.text) == (fmt, name, "Hello there.")


def test_too_large_is_refused_before_reading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "big.txt"
    with path.open("wb") as f:  # sparse: 3 MB on paper, nothing on disk
        f.truncate(3 * 1024 * 1024)

    def no_reading(*args: object, **kwargs: object) -> None:
        raise AssertionError("the file was opened")

    monkeypatch.setattr(Path, "open", no_reading)
    with pytest.raises(InputError, match="2 MB") as info:
        load_document(path)
    assert "3 MB" in str(info.value) and "limit" in str(info.value)


def test_custom_limit_in_human_units(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="1 KB limit"):
        load_document(write(tmp_path, "a.md", b"word " * 300), max_bytes=1024)
    assert load_document(write(tmp_path, "b.md", b"word " * 200), max_bytes=1024).text


def test_human_size() -> None:
    assert human_size(DEFAULT_MAX_BYTES) == "2 MB"
    assert human_size(1536) == "1.5 KB"
    assert human_size(500) == "500 bytes"


def test_bom_is_stripped_and_lines_normalized(tmp_path: Path) -> None:
    doc = load_document(write(tmp_path, "a.md", b"\xef\xbb\xbf# Title\r\n\r\nBody text.\r\n"))
    assert doc.text == "# Title\n\nBody text.\n"
    plan = planned(doc)
    assert plan.scenes[0].title == "Title"
    assert "\ufeff" not in said(plan)


def test_decomposed_vietnamese_is_composed(tmp_path: Path) -> None:
    import unicodedata

    nfd = unicodedata.normalize("NFD", "Xin chào Việt Nam.")
    doc = load_document(write(tmp_path, "a.txt", nfd.encode()))
    assert doc.text == "Xin chào Việt Nam."


# ------------------------------------------------------------------------------------ bytes (stdin, uploads)


def test_bytes_guess_markdown_and_text() -> None:
    doc = document_from_bytes(b"# Title\n\nSome *text*.\n", None, None, DEFAULT_MAX_BYTES)
    assert (doc.format, doc.name) == ("md", "input")
    doc = document_from_bytes(b"Just words.\r\n\r\nMore words.\n", None, None, DEFAULT_MAX_BYTES)
    assert doc.format == "txt"
    assert [s.narration for s in planned(doc).scenes] == ["Just words.", "More words."]


def test_bytes_format_sources() -> None:
    data = b"# Title\n\nText."
    assert document_from_bytes(data, None, "txt", DEFAULT_MAX_BYTES).format == "txt"
    assert document_from_bytes(data, "talk.md", "txt", DEFAULT_MAX_BYTES).format == "md"  # the name wins
    assert document_from_bytes(b"plain", "notes", "md", DEFAULT_MAX_BYTES).format == "md"
    with pytest.raises(InputError, match="unsupported format"):
        document_from_bytes(data, None, "doc", DEFAULT_MAX_BYTES)
    with pytest.raises(InputError, match="the format says docx, but the content is text, not DOCX"):
        document_from_bytes(data, None, "docx", DEFAULT_MAX_BYTES)
    with pytest.raises(InputError, match=r"the name says \.pdf, but the content is text, not PDF"):
        document_from_bytes(data, "talk.pdf", None, DEFAULT_MAX_BYTES)
    with pytest.raises(InputError, match=r"unsupported file type \.rst.*\.md"):
        document_from_bytes(data, "talk.rst", None, DEFAULT_MAX_BYTES)


def test_bytes_validation() -> None:
    # The CLI reads one byte more than the limit from stdin, so "more than" is all it can know.
    with pytest.raises(InputError, match="larger than the 2 MB limit"):
        document_from_bytes(b"a" * (DEFAULT_MAX_BYTES + 1), None, None, DEFAULT_MAX_BYTES)
    with pytest.raises(InputError, match="input is empty"):
        document_from_bytes(b"", None, None, DEFAULT_MAX_BYTES)
    with pytest.raises(InputError, match="binary"):
        document_from_bytes(b"ab\x00cd", "x.txt", None, DEFAULT_MAX_BYTES)
    with pytest.raises(InputError, match="not UTF-8"):
        document_from_bytes(b"caf\xe9", None, None, DEFAULT_MAX_BYTES)
    doc = document_from_bytes(b"\xef\xbb\xbfHello.", None, None, DEFAULT_MAX_BYTES)
    assert doc.text == "Hello."


def test_looks_like_markdown() -> None:
    assert looks_like_markdown("Intro\n\n## Part two\n")
    assert looks_like_markdown("See [the docs](https://example.com).")
    assert looks_like_markdown("```\ncode\n```")
    assert looks_like_markdown("- one\n- two\n\nSome `code` here.")
    assert not looks_like_markdown("A letter.\n\nDear Ana, - I hope you are well.")
    assert not looks_like_markdown("- shopping\n- list")


# ------------------------------------------------------------------------------------------ Markdown

RICH = """---
title: Front matter names the talk
tags: [a, b]
---
Before the *first* heading.

# Welcome to **t2v** <small>beta</small>

This tool turns _Markdown_ into video. See [the docs](https://example.com/docs "Docs") for more,
or visit <https://www.t2v.dev/start>.

- It **speaks** every scene.
- It draws `snake_case_names` too
  1. nested item

## How it works

Run the `render` command:

```bash
t2v render talk.md -o talk.mp4  # renders *all*
```

    indented_code = True

Captions follow the words <b>exactly</b> &amp; never &lt;lag&gt;.

| Stage | Tool |
|-------|------|
| Voice | espeak-ng |

> Quoted `wisdom` here.

<div class="note">Raw <em>HTML</em> block.<!-- hidden comment --></div>

***

After the rule.

### Empty heading
"""

RICH_PHRASES = [
    "front matter names the talk",
    "before the first heading",
    "welcome to t2v beta",
    "this tool turns markdown into video see the docs for more or visit t2v.dev",
    "it speaks every scene it draws snake case names too nested item",
    "how it works run the render command",
    "captions follow the words exactly & never lag",
    "stage voice tool espeak-ng",
    "quoted wisdom here",
    "raw html block",
    "after the rule",
    "empty heading",
]
RICH_WORDS = " ".join(RICH_PHRASES).split()


def test_markdown_narration_is_free_of_markup_and_keeps_every_word() -> None:
    plan = md(RICH)
    for scene in plan.scenes:
        assert scene.narration.strip() == scene.narration and scene.narration
        assert "  " not in scene.narration
        for bad in MARKUP:
            assert bad not in scene.narration, (bad, scene.narration)
        for bad in ("example.com", "images/flow.png", "hidden comment", "Docs", "renders", "indented"):
            assert bad not in scene.narration
    assert words(said(plan)) == RICH_WORDS


def test_markdown_scenes_titles_and_layouts() -> None:
    plan = md(RICH)
    assert plan.title == "Front matter names the talk"
    assert [(s.layout, s.title) for s in plan.scenes] == [
        ("title", "Front matter names the talk"),
        ("statement", None),
        ("bullets", "Welcome to **t2v** beta"),
        ("code", "How it works"),
        ("table", "How it works"),
        ("quote", "How it works"),
        ("prose", "How it works"),
        ("statement", None),
        ("statement", "Empty heading"),
    ]
    welcome = plan.scenes[2]
    assert [(i.marker, i.level) for i in welcome.items] == [(None, 0), ("•", 0), ("•", 0), ("1.", 1)]
    assert welcome.items[2].text == "It draws `snake_case_names` too"  # the slide shows code as written
    assert "https://www.t2v.dev/start" in welcome.items[0].text  # autolinks are shown, not read
    code = plan.scenes[3].code
    assert code is not None and code.language == "bash"
    assert code.text == "t2v render talk.md -o talk.mp4  # renders *all*\n\nindented_code = True"
    assert plan.scenes[3].narration == "How it works. Run the render command."  # ":" before unread code
    assert plan.scenes[4].narration.endswith("Stage: Voice; Tool: espeak-ng.")
    assert plan.scenes[8].narration == "Empty heading." and plan.scenes[8].items == []


def test_heading_is_read_as_a_sentence_and_items_pause() -> None:
    plan = md("# Hello world\n\n- first item\n- second item\n")
    assert plan.scenes[0].narration == "Hello world. first item. second item."


def test_code_is_shown_but_its_title_is_said() -> None:
    (scene,) = md("## Install\n\n```sh\npip install t2v\n```\n").scenes
    assert scene.narration == "Install." and scene.layout == "code"
    assert scene.code is not None and scene.code.text == "pip install t2v"


def test_nothing_to_say_is_an_input_error() -> None:
    with pytest.raises(InputError, match="no text to read aloud"):
        md("```\nonly code\n```\n\n![](x.png)\n")


def test_front_matter() -> None:
    assert strip_front_matter("---\ntitle: x\n---\nBody") == "Body"
    assert strip_front_matter("+++\ntitle = 'x'\n+++\nBody") == "Body"
    assert strip_front_matter("---\n---\nBody") == "Body"
    # A leading rule followed by ordinary text is not front matter.
    text = "---\n# Title\n\nText\n---\nMore"
    assert strip_front_matter(text) == text


def test_speakable() -> None:
    assert speakable("see https://www.example.com/a/b?c=1.") == "see example.com."
    assert speakable("use snake_case and *stars* and `ticks`") == "use snake case and stars and ticks"
    assert speakable("C# is not a # heading") == "C# is not a heading"


# ------------------------------------------------------------------------------------------ plain text


def test_plain_text_paragraphs_are_scenes() -> None:
    plan = txt("First line\nsame paragraph.\n\n\n  Second paragraph.  \n \nThird *one*\n")
    assert [s.narration for s in plan.scenes] == [
        "First line same paragraph.",
        "Second paragraph.",
        "Third one.",
    ]
    assert all(s.title is None for s in plan.scenes)
    assert [[i.text for i in s.items] for s in plan.scenes] == [
        ["First line same paragraph."],
        ["Second paragraph."],
        ["Third \\*one\\*"],  # shown as written: plain text has no markup
    ]


# ------------------------------------------------------------------------------------- long scenes


def long_paragraph(n: int = 40) -> str:
    parts = [
        f"Sentence {i} talks about e.g. Dr. Smith, who measured 3.14 meters of cable on day {i}."
        if i % 3 == 0
        else f"Here is another sentence, number {i}, with a handful of ordinary words in it!"
        for i in range(n)
    ]
    return " ".join(parts)


def assert_within(scenes: list[Scene], limit: float, wpm: int = 175) -> None:
    for scene in scenes:
        assert scene.narration
        assert estimate_seconds(scene.narration, wpm) <= 1.3 * limit, scene.narration


@pytest.mark.parametrize("limit", [20.0, 8.0])
def test_long_paragraph_is_split_at_sentence_ends(limit: float) -> None:
    text = long_paragraph()
    plan = txt(text, limit)
    assert len(plan.scenes) > 1
    assert_within(plan.scenes, limit)
    assert words(said(plan)) == words(text)
    for scene in plan.scenes:
        assert scene.narration[-1] in ".!"  # whole sentences only
        assert scene.narration[0].isupper()  # no scene starts mid-sentence
        assert not re.search(r"\b(e\.g|Dr)\.$", scene.narration)
        assert " ".join(i.text for i in scene.items) == scene.narration  # each slide shows its own part
    assert " ".join(i.text for s in plan.scenes for i in s.items) == text


def test_parts_are_balanced() -> None:
    # A bit more than one scene's worth becomes two similar halves, not a full scene and a crumb.
    text = " ".join(f"Sentence number {i} has six words." for i in range(11))  # 66 words, limit 58
    durations = [estimate_seconds(s.narration) for s in txt(text).scenes]
    assert len(durations) == 2 and min(durations) > 0.35 * sum(durations)


def test_continued_scene_keeps_title_and_reads_it_once() -> None:
    text = long_paragraph()
    plan = md(f"# Cables\n\n{text}\n\n- a short bullet\n")
    assert len(plan.scenes) > 1
    assert {s.title for s in plan.scenes} == {"Cables"}
    assert plan.scenes[0].narration.startswith("Cables. ")
    assert sum(s.narration.count("Cables") for s in plan.scenes) == 1
    assert words(said(plan)) == words("Cables " + text + " a short bullet")
    assert_within(plan.scenes, 20.0)


def test_short_paragraphs_stay_whole() -> None:
    paras = [" ".join(["word"] * 30) + "." for _ in range(4)]  # 30 words each, about 10 s
    plan = md("# T\n\n" + "\n\n".join(paras))
    assert len(plan.scenes) == 4  # split at paragraph ends, never inside one that fits
    assert [" ".join(i.text for i in s.items) for s in plan.scenes] == paras
    assert_within(plan.scenes, 20.0)


def test_one_huge_sentence_is_never_cut() -> None:
    clauses = ", ".join(" ".join(["alpha"] * 12) for _ in range(12))  # 144 words, commas every 12
    (scene,) = txt(clauses + ".").scenes
    assert scene.narration == clauses + "."  # a scene starts and ends at sentence ends only


# -------------------------------------------------------------------------------------- sentences


def test_sentences_keep_text_intact() -> None:
    text = (
        'Dr. Smith paid $3.14, e.g. for tea. "Why?" she asked. Wait… really! '
        "J. R. R. Tolkien wrote it. 你好。再见！"
    )
    sentences = split_sentences(text)
    assert "".join(sentences) == text
    assert [s.strip() for s in sentences] == [
        "Dr. Smith paid $3.14, e.g. for tea.",
        '"Why?"',
        "she asked.",
        "Wait… really!",
        "J. R. R. Tolkien wrote it.",
        "你好。",
        "再见！",
    ]


def test_vietnamese_sentences() -> None:
    text = (
        "Xin chào các bạn. Hôm nay chúng ta học cách làm video! Bạn đã sẵn sàng chưa? "
        "TP. Hồ Chí Minh có 9,3 triệu dân… Thật đông. Giá là 3.5 triệu đồng."
    )
    assert [s.strip() for s in split_sentences(text)] == [
        "Xin chào các bạn.",
        "Hôm nay chúng ta học cách làm video!",
        "Bạn đã sẵn sàng chưa?",
        "TP. Hồ Chí Minh có 9,3 triệu dân…",
        "Thật đông.",
        "Giá là 3.5 triệu đồng.",
    ]


def test_vietnamese_long_paragraph() -> None:
    sentence = "Mỗi cảnh có một giọng đọc và một trang chiếu riêng, được vẽ bằng phông chữ có dấu."
    text = " ".join([sentence] * 12)
    plan = txt(text, 10)
    assert len(plan.scenes) > 2
    assert all(s.narration.endswith(".") for s in plan.scenes)
    assert words(said(plan)) == words(text)
    assert_within(plan.scenes, 10)


def test_split_words_keeps_text() -> None:
    text = "  two words 中文字 end "
    assert "".join(split_words(text)) == text


# -------------------------------------------------------------------------------------- examples


@pytest.mark.parametrize(
    ("name", "scenes", "seconds"), [("demo.md", (7, 10), (45, 75)), ("vi.md", (3, 4), (8, 40))]
)
def test_examples(name: str, scenes: tuple[int, int], seconds: tuple[float, float]) -> None:
    plan = planned(load_document(ROOT / "examples" / name))
    assert scenes[0] <= len(plan.scenes) <= scenes[1]
    assert all(s.title for s in plan.scenes)
    total = sum(estimate_seconds(s.narration) for s in plan.scenes)
    assert seconds[0] <= total <= seconds[1], total
    for bad in MARKUP:
        assert bad not in said(plan)


def test_demo_shows_the_render_command() -> None:
    plan = planned(load_document(ROOT / "examples" / "demo.md"))
    code = [s.code.text for s in plan.scenes if s.code is not None]
    assert any("t2v render talk.md -o talk.mp4" in c for c in code)
    assert "-o talk.mp4" not in said(plan)
    layouts = {s.layout for s in plan.scenes}  # the demo shows what t2v does
    assert {"title", "bullets", "table", "code", "image_text", "prose", "quote"} <= layouts
    steps = next(s for s in plan.scenes if s.layout == "bullets")
    assert [i.marker for i in steps.items] == ["1.", "2.", "3."]
    assert (ROOT / "examples" / "pipeline.png").stat().st_size < 50_000


LIMITS = ScriptLimits(max_word_chars=100, max_scenes=50, max_narration_minutes=5)


def doc(text: str, fmt: str = "md") -> Document:
    return Document(text, fmt, "talk.md")  # type: ignore[arg-type]


def test_a_word_too_long_to_read_aloud_is_refused_but_code_and_urls_are_not() -> None:
    with pytest.raises(InputError, match=r"a 101-character word \(xxxxxxxx.*T2V_MAX_WORD_CHARS"):
        planned(doc("# Title\n\nSay " + "x" * 101 + " now."), limits=LIMITS)
    plan = planned(
        doc("# Title\n\nSay this.\n\n```\n" + "x" * 5000 + "\n```\n\nSee https://example.com/" + "p" * 500),
        limits=LIMITS,
    )
    assert "example.com" in said(plan)
    cjk = "这是一个很长的句子没有空格" * 40  # scripts without spaces are prose, however long the run
    assert said(planned(doc(cjk, "txt"), limits=LIMITS))


def test_too_many_scenes_or_too_much_narration_is_refused_before_any_speech() -> None:
    with pytest.raises(InputError, match=r"makes 51 scenes, over the limit of 50 \(T2V_MAX_SCENES\)"):
        planned(doc("".join(f"# Part {i}\n\n" for i in range(51))), limits=LIMITS)
    assert len(planned(doc("".join(f"# Part {i}\n\n" for i in range(50))), limits=LIMITS).scenes) == 50
    long = "The narrator reads this sentence aloud. " * 200  # about 7 minutes at 175 wpm
    with pytest.raises(InputError, match=r"about 7 min of narration, over the limit of 5 min"):
        planned(doc(long, "txt"), limits=LIMITS)


def test_runs_of_tokens_with_nothing_to_say_are_read_as_one() -> None:
    """espeak pauses at each of them: 2 MB of "!? " would be hours of silence."""
    assert speakable("Start. " + "!? " * 100_000 + "end. Wait ... what ?! a - b -- c") == (
        "Start.!? end. Wait... what?! a - b -- c"
    )
