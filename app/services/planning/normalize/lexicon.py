"""The user's lexicon: what the voice says for names and jargon, per language, before the built-in rules.

A TOML file (`--lexicon words.toml`), one table per language (`[vi]`, `[en]`, `[en-us]`) and `[all]`:

    [vi]
    "UBND" = "Ủy ban nhân dân"          # a word (or phrase) -> what is said, matched as a whole word
    ignore_case = true                  # optional: the words of this table match in any case

    [[vi.regex]]                        # a pattern -> what is said; \\1 or \\g<name> insert a group,
    pattern = '(\\d+) ?mAh'             # spoken as t2v says it ("5000" -> "năm nghìn")
    say = '\\1 mi li am pe giờ'
    ignore_case = false                 # optional
    whole_words = true                  # optional: a match must start and end at word edges

For a language tag such as en-us, entries of [en-us] come first, then [en], then [all]; inside a table,
words come before patterns, and the longest word wins. What a user's entry says is final: the built-in
rules do not touch it.

User patterns never hang a render: they run on RE2 (google-re2), whose matching time is linear in the
text whatever the pattern, so backreferences and lookarounds are not available; `\\w`, `\\d` and `\\b`
are ASCII there (write `\\pL` for any letter; `whole_words`, on by default, checks word edges in every
script). The file, the entries and the patterns are capped in size (MAX_* below).
"""

from __future__ import annotations

import re
import sys
import unicodedata
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import re2

from app.errors import InputError
from app.services.planning.normalize.scanner import Found, Rule

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

MAX_LEXICON_BYTES = 1_000_000
MAX_WORDS = 10_000  # word entries in one lexicon, all tables together
MAX_PATTERNS = 200  # regex entries in one lexicon
MAX_WORD_LENGTH = 200
MAX_PATTERN_LENGTH = 500
MAX_SAY_LENGTH = 1_000

ALL_LANGUAGES = "all"
_LANGUAGE_KEY = re.compile(r"[a-z]{2,3}(?:-[a-z0-9]{1,8})*")
TABLE_OPTIONS = frozenset({"ignore_case", "regex"})
_REGEX_KEYS = frozenset({"pattern", "say", "ignore_case", "whole_words"})
_TEMPLATE = re.compile(r"\\(?:(?P<number>\d{1,2})|g<(?P<group>\w+)>|(?P<backslash>\\)|(?P<other>.?))", re.S)
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class RegexEntry:
    """A user pattern and what to say for its matches (a template: literal text and group references)."""

    pattern: str
    say: str
    ignore_case: bool = False
    whole_words: bool = True


@dataclass(frozen=True)
class LexiconTable:
    """The entries of one language (or of all languages)."""

    words: Mapping[str, str] = field(default_factory=dict)
    regex: tuple[RegexEntry, ...] = ()
    ignore_case: bool = False


@dataclass(frozen=True)
class Lexicon:
    """A user's lexicon, checked and compiled once; `rules(language)` gives what the normalizer applies."""

    tables: Mapping[str, LexiconTable] = field(default_factory=dict)
    source: str = "lexicon"
    _compiled: Mapping[str, _CompiledTable] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        compiled = {key: _compile_table(self.source, key, table) for key, table in self.tables.items()}
        object.__setattr__(self, "_compiled", compiled)

    @classmethod
    def load(cls, path: str | Path) -> Lexicon:
        """Read a lexicon file; any problem is an InputError naming the file, the entry and the problem."""
        path = Path(path)
        name = path.name
        try:
            size = path.stat().st_size
            if size > MAX_LEXICON_BYTES:
                raise InputError(f"{name}: the lexicon is {size} bytes, more than {MAX_LEXICON_BYTES}")
            data = path.read_bytes()
        except OSError as error:
            raise InputError(f"{name}: cannot read the lexicon: {error.strerror or error}") from None
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise InputError(f"{name}: the lexicon is not valid UTF-8") from None
        return cls.from_toml(text, source=name)

    @classmethod
    def from_toml(cls, text: str, source: str = "lexicon") -> Lexicon:
        if len(text.encode("utf-8", "replace")) > MAX_LEXICON_BYTES:
            raise InputError(f"{source}: the lexicon is more than {MAX_LEXICON_BYTES} bytes")
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as error:
            raise InputError(f"{source}: invalid TOML: {_one_line(str(error))}") from None
        return cls.from_mapping(data, source)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], source: str = "lexicon") -> Lexicon:
        """A lexicon from already parsed data (a theme or project file, the service's options)."""
        if not isinstance(data, Mapping):
            raise InputError(f"{source}: a lexicon is a table of languages ([vi], [en], [all])")
        tables: dict[str, LexiconTable] = {}
        for raw_key, value in data.items():
            key = str(raw_key).strip().lower().replace("_", "-")
            if key != ALL_LANGUAGES and not _LANGUAGE_KEY.fullmatch(key):
                raise InputError(
                    f"{source}: unknown section [{raw_key}]: "
                    "expected a language code (vi, en, en-us...) or all"
                )
            if key in tables:
                raise InputError(f"{source}: section [{raw_key}] is given twice")
            tables[key] = _parse_table(source, str(raw_key), value)
        words = sum(len(table.words) for table in tables.values())
        patterns = sum(len(table.regex) for table in tables.values())
        if words > MAX_WORDS:
            raise InputError(f"{source}: {words} words, more than {MAX_WORDS}")
        if patterns > MAX_PATTERNS:
            raise InputError(f"{source}: {patterns} regex entries, more than {MAX_PATTERNS}")
        return cls(tables, source)

    def rules(self, language: str, speak_group: Callable[[str], str]) -> list[Rule]:
        """The rules for a language tag, most specific table first. `speak_group` says a regex group's
        text (the built-in normalization of the same language)."""
        tag = language.strip().lower().replace("_", "-")
        keys: list[str] = []
        parts = tag.split("-")
        for count in range(len(parts), 0, -1):
            keys.append("-".join(parts[:count]))
        keys.append(ALL_LANGUAGES)
        rules: list[Rule] = []
        for key in keys:
            compiled = self._compiled.get(key)
            if compiled is not None:
                rules += compiled.words
                rules += [
                    _RegexRule(entry, pattern, template, speak_group)
                    for entry, pattern, template in compiled.regex
                ]
        return rules


# Parsing -----------------------------------------------------------------------------------------------


def _parse_table(source: str, name: str, value: Any) -> LexiconTable:
    if not isinstance(value, Mapping):
        raise InputError(f'{source}: [{name}] must be a table of "word" = "what to say"')
    words: dict[str, str] = {}
    regex: list[RegexEntry] = []
    ignore_case = value.get("ignore_case", False)
    if not isinstance(ignore_case, bool):
        raise InputError(f"{source}: [{name}] ignore_case must be true or false")
    for key, said in value.items():
        if key in TABLE_OPTIONS:
            continue
        where = f"[{name}] {_quote(key)}"
        if not isinstance(said, str):
            raise InputError(
                f"{source}: {where}: expected a string, what to say (the only options of a table are "
                f"ignore_case and [[{name}.regex]])"
            )
        written = _SPACES.sub(" ", unicodedata.normalize("NFC", key).strip())
        if not written:
            raise InputError(f"{source}: {where}: the word is empty")
        if len(written) > MAX_WORD_LENGTH:
            raise InputError(f"{source}: {where}: the word is longer than {MAX_WORD_LENGTH} characters")
        if len(said) > MAX_SAY_LENGTH:
            raise InputError(f"{source}: {where}: what to say is longer than {MAX_SAY_LENGTH} characters")
        lookup = written.lower() if ignore_case else written
        if lookup in words:
            raise InputError(f"{source}: {where}: the word is given twice")
        words[lookup] = unicodedata.normalize("NFC", said)
    entries = value.get("regex", [])
    if not isinstance(entries, list):
        raise InputError(f"{source}: [{name}] regex must be a list of [[{name}.regex]] tables")
    for number, entry in enumerate(entries, 1):
        regex.append(_parse_regex(source, f"[[{name}.regex]] #{number}", entry))
    return LexiconTable(words, tuple(regex), ignore_case)


def _parse_regex(source: str, where: str, entry: Any) -> RegexEntry:
    if not isinstance(entry, Mapping):
        raise InputError(f"{source}: {where}: must be a table with pattern and say")
    unknown = sorted(set(entry) - _REGEX_KEYS)
    if unknown:
        raise InputError(
            f"{source}: {where}: unknown key {unknown[0]!r} (known: ignore_case, pattern, say, whole_words)"
        )
    for key in ("pattern", "say"):
        if not isinstance(entry.get(key), str):
            raise InputError(f"{source}: {where}: {key} is missing or not a string")
    for key in ("ignore_case", "whole_words"):
        if key in entry and not isinstance(entry[key], bool):
            raise InputError(f"{source}: {where}: {key} must be true or false")
    return RegexEntry(
        pattern=unicodedata.normalize("NFC", entry["pattern"]),
        say=unicodedata.normalize("NFC", entry["say"]),
        ignore_case=entry.get("ignore_case", False),
        whole_words=entry.get("whole_words", True),
    )


def _quote(text: str) -> str:
    return '"' + (text if len(text) <= 40 else text[:37] + "...") + '"'


def _one_line(message: str) -> str:
    return " ".join(message.split())


# Compiling ---------------------------------------------------------------------------------------------

# A template: literal text, or a group (number or name) whose text is said by the built-in rules.
Template = tuple[str | int, ...]


@dataclass(frozen=True)
class _CompiledTable:
    words: tuple[Rule, ...]
    regex: tuple[tuple[RegexEntry, Any, Template], ...]


def _compile_table(source: str, name: str, table: LexiconTable) -> _CompiledTable:
    word_rules: list[Rule] = []
    # Words starting with a letter or digit need a word edge before them; "+84" or ".NET" do not.
    for needs_edge in (True, False):
        chosen = [word for word in table.words if _is_word_char(word[0]) == needs_edge]
        if chosen:
            body = _trie_pattern(chosen if not table.ignore_case else [w.lower() for w in chosen])
            flags = re.IGNORECASE if table.ignore_case else 0
            pattern = re.compile((r"(?<!\w)" if needs_edge else "") + body, flags)
            word_rules.append(_WordRule(pattern, table.words, table.ignore_case))
    regex = []
    for number, entry in enumerate(table.regex, 1):
        where = f"[[{name}.regex]] #{number}"
        compiled = _compile_pattern(source, where, entry)
        regex.append((entry, compiled, _parse_template(source, where, entry.say, compiled)))
    return _CompiledTable(tuple(word_rules), tuple(regex))


def _compile_pattern(source: str, where: str, entry: RegexEntry) -> Any:
    shown = _quote(entry.pattern)
    if not entry.pattern:
        raise InputError(f"{source}: {where}: the pattern is empty")
    if len(entry.pattern) > MAX_PATTERN_LENGTH:
        raise InputError(f"{source}: {where}: the pattern is longer than {MAX_PATTERN_LENGTH} characters")
    if len(entry.say) > MAX_SAY_LENGTH:
        raise InputError(f"{source}: {where}: say is longer than {MAX_SAY_LENGTH} characters")
    options = re2.Options()
    options.log_errors = False  # the error goes into our one-line message, not to stderr
    options.case_sensitive = not entry.ignore_case
    try:
        compiled = re2.compile(entry.pattern, options)
    except re2.error as error:
        problem = error.args[0] if error.args else error
        if isinstance(problem, bytes):
            problem = problem.decode("utf-8", "replace")
        hint = (
            " (lookarounds and backreferences are not supported)" if "perl operator" in str(problem) else ""
        )
        raise InputError(
            f"{source}: {where}: invalid regex {shown}: {_one_line(str(problem))}{hint}"
        ) from None
    if compiled.search("") is not None:
        raise InputError(f"{source}: {where}: the pattern {shown} matches empty text")
    return compiled


def _parse_template(source: str, where: str, say: str, compiled: Any) -> Template:
    parts: list[str | int] = []
    literal: list[str] = []
    position = 0
    for reference in _TEMPLATE.finditer(say):
        literal.append(say[position : reference.start()])
        position = reference.end()
        if reference["backslash"]:
            literal.append("\\")
            continue
        if reference["other"] is not None:
            raise InputError(
                f"{source}: {where}: say has an unknown escape {reference.group()!r} "
                "(use \\1, \\g<name> or \\\\)"
            )
        group = reference["number"] or reference["group"]
        index = int(group) if group.isdigit() else compiled.groupindex.get(group)
        if index is None or not 0 <= index <= compiled.groups:
            raise InputError(
                f"{source}: {where}: say refers to group {group}, which the pattern does not have"
            )
        parts += ["".join(literal), index]
        literal = []
    literal.append(say[position:])
    parts.append("".join(literal))
    return tuple(part for part in parts if part != "")


Trie = dict[str, "Trie"]  # a character -> the words' continuations after it ("" marks a word's end)


def _trie_pattern(words: Sequence[str]) -> str:
    """One regex for many literal words, as a trie, so matching costs the length of a word, not the number
    of words. A space matches any run of whitespace; a word ending in a letter or digit must end there."""
    trie: Trie = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}
    return _node_pattern(trie, "")


def _node_pattern(node: Trie, previous: str) -> str:
    alternatives = [
        (r"\s+" if char == " " else re.escape(char)) + _node_pattern(child, char)
        for char, child in sorted(node.items())
        if char
    ]
    if "" in node:  # a word ends here; tried after the longer words through this node
        alternatives.append(r"(?!\w)" if _is_word_char(previous) else "")
    if len(alternatives) == 1:
        return alternatives[0]
    return "(?:" + "|".join(alternatives) + ")"


def _is_word_char(char: str) -> bool:
    return bool(char) and (char.isalnum() or char == "_")


@dataclass(frozen=True)
class _WordRule:
    pattern: re.Pattern[str]
    spoken: Mapping[str, str]
    ignore_case: bool

    def find(self, text: str, pos: int, endpos: int) -> Found | None:
        match = self.pattern.search(text, pos, endpos)
        if match is None:
            return None
        key = _SPACES.sub(" ", match.group())
        return match.start(), match.end(), self.spoken[key.lower() if self.ignore_case else key]


class _RegexRule:
    """A user pattern's matches over one text, found by one RE2 pass and handed out in order."""

    def __init__(
        self, entry: RegexEntry, compiled: Any, template: Template, speak: Callable[[str], str]
    ) -> None:
        self._entry = entry
        self._compiled = compiled
        self._template = template
        self._speak = speak
        self._text: str | None = None
        self._matches: Iterator[Any] = iter(())
        self._pending: Any = None

    def find(self, text: str, pos: int, endpos: int) -> Found | None:
        if self._text is not text:
            self._text = text
            self._matches = self._compiled.finditer(text)
            self._pending = next(self._matches, None)
        while self._pending is not None:
            match = self._pending
            start, end = match.span()
            if start >= pos and end > start and self._acceptable(text, start, end):
                if end > endpos:
                    return None
                return start, end, self._say(match)
            self._pending = next(self._matches, None)
        return None

    def _acceptable(self, text: str, start: int, end: int) -> bool:
        if not self._entry.whole_words:
            return True
        if _is_word_char(text[start]) and start > 0 and _is_word_char(text[start - 1]):
            return False
        return not (_is_word_char(text[end - 1]) and end < len(text) and _is_word_char(text[end]))

    def _say(self, match: Any) -> str:
        spoken = []
        for part in self._template:
            if isinstance(part, str):
                spoken.append(part)
            else:
                group = match.group(part) or ""
                spoken.append(self._speak(group) if group else "")
        return "".join(spoken)
