"""The planning stage of a render: a document -> the Plan the renderer consumes (and `t2v plan`
prints), with what only the render's options know: the frame and theme the scenes must fit
(`visuals.fits`, captions burned or not), the speaking rate, the voice's language and the lexicon.
"""

from __future__ import annotations

import json
import sys
import threading
from collections import OrderedDict
from collections.abc import Callable

from app.services.documents import Content, Document
from app.services.models import RenderOptions, VideoFormat
from app.services.planning import (
    Lexicon,
    Plan,
    PlanLimits,
    Scene,
    ScriptLimits,
    add_spoken,
    for_burned_captions,
    merge_lexicons,
    plan_document,
)
from app.services.speech import TTSConfig, detect_language
from app.services.tts_service import parse_voice_chain
from app.services.visuals import Theme, fits, load_theme

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

LANGUAGE_SAMPLE_CHARS = 1000  # a few sentences are plenty for the detector


def make_plan(
    document: Document | Content,
    options: RenderOptions,
    limits: ScriptLimits | None = None,
    language_of: Callable[[str], str] = detect_language,
    *,
    spoken: bool = True,
    config: TTSConfig | None = None,
) -> Plan:
    """What `t2v plan` prints and a render consumes: the planner's scenes, split where they do not fit
    the frame at the type floor (`visuals.fits`, with captions burned or not), and each scene's
    `spoken` text in the voice's language (the option's voice, else the document's, else detected),
    unless `spoken` is False (`config`: the operator's speech servers, for a voice without @URL).
    With captions burned, prose is shown as key points (the captions
    already say the sentence)."""
    fmt = options.video_format
    theme = load_theme(options.theme)  # read again when its logo changes: the logo's digest is in it

    def fits_frame(scene: Scene) -> bool:
        # the text's room does not depend on the picture's file (not resolved yet: never read here)
        shown = scene.model_copy(update={"image": None}) if scene.image is not None else scene
        return _FITS.fits(shown, fmt, theme, options.burn_captions)

    plan = plan_document(document, PlanLimits(options.rate, script=limits), fits=fits_frame)
    if not spoken and not options.burn_captions:
        return plan
    language = parse_voice_chain(options.voice, config=config).language if options.voice else None
    language = language or plan.language or language_of(_narration_sample(plan))
    if options.burn_captions:  # the captions say the sentence: the slide shows its key points
        plan = for_burned_captions(plan, language)
    return add_spoken(plan, language, lexicon_of(options)) if spoken else plan


class _FitsMemo:
    """`visuals.fits` remembered by what it depends on (the theme holds its logo's and fonts'
    digests): a re-render of an edited document lays out only the scenes that changed (the layout
    passes are most of planning's time: ~50 ms of a 20-scene re-render). In this process only (the
    service's workers re-render edited storyboards), shared by the renders of its threads."""

    SIZE = 4096  # scenes remembered (the least recently asked forgotten first)

    def __init__(self) -> None:
        self._known: OrderedDict[tuple[object, ...], bool] = OrderedDict()
        self._lock = threading.Lock()

    def fits(self, scene: Scene, fmt: VideoFormat, theme: Theme, captions_burned: bool) -> bool:
        key = (scene.model_dump_json(), fmt, theme, captions_burned)
        with self._lock:
            found = self._known.get(key)
            if found is not None:
                self._known.move_to_end(key)  # a scene asked again is kept over ones not asked since
                return found
        found = fits(scene, fmt, theme, captions_burned=captions_burned)  # outside the lock: a layout
        with self._lock:
            self._known[key] = found
            while len(self._known) > self.SIZE:
                self._known.popitem(last=False)
        return found


_FITS = _FitsMemo()


def lexicon_of(options: RenderOptions) -> Lexicon | None:
    """The options' lexicon (TOML text, checked when the options were parsed) over the theme file's
    `[lexicon]` (checked when the theme was loaded): the option's entries win."""
    flag = Lexicon.from_toml(options.lexicon, "option 'lexicon'") if options.lexicon else None
    themed = load_theme(options.theme).lexicon
    if not themed:
        return flag
    under = json.loads(themed)
    over = tomllib.loads(options.lexicon) if options.lexicon else {}
    return Lexicon.from_mapping(merge_lexicons(under, over), "lexicon (theme file and option)")


def _narration_sample(plan: Plan) -> str:
    sample: list[str] = []
    size = 0
    for scene in plan.scenes:
        if size >= LANGUAGE_SAMPLE_CHARS:
            break
        sample.append(scene.narration)
        size += len(scene.narration) + 1
    return " ".join(sample)[:LANGUAGE_SAMPLE_CHARS]
