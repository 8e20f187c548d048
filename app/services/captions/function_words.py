"""Words a caption line should not end on, and words a new line may well start with.

Subtitle style guides (Netflix, BBC, DCMP) ask that a line or a cue never separate an article from
its noun, a preposition from its object, a conjunction from its clause, an auxiliary from its verb.
`STRONG` words need the word after them in every use; `WEAK` ones usually do (an auxiliary that can
also be a main verb, a Vietnamese preposition that also ends set phrases: "ở trên", "sắp tới").
The lists are per language, and all are consulted whatever the language: a document may mix
languages, and the few words they share (English "to", Vietnamese "to" = big) cost little.
Vietnamese demonstratives ("này", "đó") follow their noun, so a line may end on them.
"""

from __future__ import annotations

_ENGLISH_STRONG = """
a an the of to in on at by for with from into onto upon about under between through during
without within across against among toward towards via per than and or but nor if because
although though unless until whereas whether that which whom whose my your his her its our their
these those every I we they he she will would can could should shall must may might not
"""
_ENGLISH_WEAK = """
as over while since who where when this some any each no is are was were be been am has have had
do does did
"""
_VIETNAMESE_STRONG = """
và của các những là cho với trong một mà thì để khi nếu vì nhưng hoặc rằng tại bởi do như sẽ đã
đang bị rất cũng mọi mỗi từng cái chiếc
"""
_VIETNAMESE_WEAK = """
từ theo về đến tới trên dưới vào được có không nên hay ở
"""

# Good places to start a new line: conjunctions, prepositions and relative words open a phrase.
_ENGLISH_OPENERS = """
and or but nor so because although though unless until while whereas whether since that which who
whom whose where when if of to in on at by for with from into about over under between through
during without within across against among than as like
"""
_VIETNAMESE_OPENERS = """
và nhưng hoặc hay vì nên mà thì để khi nếu rằng của cho với trong từ theo về tại bởi do như đến
tới trên dưới vào
"""

STRONG: frozenset[str] = frozenset((_ENGLISH_STRONG + _VIETNAMESE_STRONG).lower().split())
WEAK: frozenset[str] = frozenset((_ENGLISH_WEAK + _VIETNAMESE_WEAK).lower().split()) - STRONG
OPENERS: frozenset[str] = frozenset((_ENGLISH_OPENERS + _VIETNAMESE_OPENERS).lower().split())

# Titles and abbreviations that always precede a name or a number: "Dr." + name stay on one line.
_TITLES = """
mr mrs ms dr prof sr jr st mt gen col lt sgt capt rev hon vol fig pp tp ts ths pgs gs bs ks
"""
TITLES: frozenset[str] = frozenset(_TITLES.split())

_EDGES = "\"'“”‘’«»()[]{}<>「」『』（）*_"


def bare(word: str) -> str:
    """The word without surrounding quotes or brackets, in lower case."""
    return word.strip(_EDGES).lower()
