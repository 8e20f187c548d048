"""Speech engines beyond espeak: HTTP servers (OpenAI-compatible, request-then-download) and piper.

`tts_service` chooses among them by voice spec; everything here writes audio files that
`audio.to_pcm_wav` turns into the one WAV format the pipeline joins.
"""
