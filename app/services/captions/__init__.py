"""Captions: word timings -> cues by the subtitling industry's rules (segmentation, line breaks)."""
