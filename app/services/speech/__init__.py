"""Speech: a scene's narration -> a mono 16-bit WAV (at the engine's rate) and a timing for every word.

Engines (`engines/`): espeak-ng through a ctypes binding (`espeak`, offline, the default, with word
timings from its events), piper (offline, optional), OpenAI-compatible servers and request-then-download
vendors over the one pooled HTTP client; `engines.access` says which voices API callers may use.
`voices` parses voice specs and failover chains; `language` picks an espeak voice for a text; `wav`
converts any engine's audio to the one WAV format; `phrases` cuts a narration into sentences with the
pauses after them; `clips` finds where each sentence's sound is, times its words (espeak's marks, or
espeak's timing stretched onto another engine's sound) and joins the sentences; `timing` turns
espeak's word events into timings; `written` maps the timings of a scene's `spoken` text back to
its written narration. The seed's
`app.services.tts_service.TTSService` puts them together (slots, cache, failover).
"""

from app.services.speech.clips import scene_gap, scene_gaps
from app.services.speech.engines.access import CallerVoices, OfferedVoice
from app.services.speech.engines.config import TTSConfig
from app.services.speech.espeak import EspeakEngine, EspeakVoice, check_rate, list_voices
from app.services.speech.language import detect_language, voice_for_text
from app.services.speech.phrases import Break, BreakKind, Phrase, plan_breaks, split_phrases
from app.services.speech.timing import word_timings
from app.services.speech.voices import VoiceChain, VoiceSpec, parse_voice_chain, parse_voice_spec
from app.services.speech.written import spoken_breaks, written_words

__all__ = [
    "Break",
    "BreakKind",
    "CallerVoices",
    "EspeakEngine",
    "EspeakVoice",
    "OfferedVoice",
    "Phrase",
    "TTSConfig",
    "VoiceChain",
    "VoiceSpec",
    "check_rate",
    "detect_language",
    "list_voices",
    "parse_voice_chain",
    "parse_voice_spec",
    "plan_breaks",
    "scene_gap",
    "scene_gaps",
    "split_phrases",
    "spoken_breaks",
    "voice_for_text",
    "word_timings",
    "written_words",
]
