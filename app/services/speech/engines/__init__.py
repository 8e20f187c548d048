"""Speech engines beyond espeak: piper and HTTP servers (OpenAI-compatible, request-then-download),
and which engines and voices API callers may use (`access`).

`tts_service` chooses among them by voice spec; everything here writes audio files that
`audio.to_pcm_wav` turns into the one WAV format the pipeline joins.
"""

ESPEAK, PIPER, OPENAI, ASYNC = "espeak", "piper", "openai", "async"
ENGINES = (ESPEAK, PIPER, OPENAI, ASYNC)
HTTP_ENGINES = (OPENAI, ASYNC)
