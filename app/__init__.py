"""t2v: text and documents to narrated videos."""

__version__ = "0.1.0"
