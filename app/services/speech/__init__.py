"""Speech: a scene's narration -> a mono 16-bit WAV (at the engine's rate) and a timing for every word.

Engines (`engines/`): espeak-ng through a ctypes binding (`espeak`, offline, the default, with word
timings from its events), piper (offline, optional), OpenAI-compatible servers and request-then-download
vendors over the one pooled HTTP client; `engines.access` says which voices API callers may use.
`voices` parses voice specs and failover chains; `language` picks an espeak voice for a text; `wav`
converts any engine's audio to the one WAV format; `timing` gives each word its time. The seed's
`app.services.tts_service.TTSService` puts them together (slots, cache, failover).
"""

from app.services.speech.engines.access import CallerVoices, OfferedVoice
from app.services.speech.engines.config import TTSConfig
from app.services.speech.espeak import EspeakEngine, EspeakVoice, check_rate, list_voices
from app.services.speech.language import detect_language, voice_for_text
from app.services.speech.timing import word_timings
from app.services.speech.voices import VoiceChain, VoiceSpec, parse_voice_chain, parse_voice_spec

__all__ = [
    "CallerVoices",
    "EspeakEngine",
    "EspeakVoice",
    "OfferedVoice",
    "TTSConfig",
    "VoiceChain",
    "VoiceSpec",
    "check_rate",
    "detect_language",
    "list_voices",
    "parse_voice_chain",
    "parse_voice_spec",
    "voice_for_text",
    "word_timings",
]
