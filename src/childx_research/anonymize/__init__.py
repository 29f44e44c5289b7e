"""Anonymisation of Swedish chat and mail: nothing identifying gets through.

Public API:

- :func:`anonymize_conversations` — the one entry point: conversations in, anonymised
  conversations and a report (counts only) out. ``style="pseudonym"`` (default) puts in
  realistic surrogates, consistent inside a conversation; ``style="tags"`` puts in
  ``[NAMN]``, ``[TELEFON]`` ....
- :func:`detect` — the personal data in one text, as :class:`Span` (start, end, label).
- :func:`check_anonymised` / :func:`guard` — what the detector still finds in an anonymised
  conversation; ``guard`` raises :class:`PersonalDataFound` naming the type and the
  message index, never the string (used before anything is shown to an annotator).
- :func:`require_sealed` — the check everything that accepts anonymised text runs: the
  anonymiser's seal (a keyed digest, :mod:`.seal`) must match *and* the guard must pass;
  an edited or forged conversation raises :class:`NotSealed` naming the conversation
  and message index, never the text.

Labels: PERSON, PLATS, ORGANISATION, TELEFON, EPOST, PERSONNUMMER, ADRESS, ANVANDARNAMN,
URL, and IDNUMMER (a personnummer-shaped number whose check digit is wrong, or another
long ID-like number: masked, but not called a personnummer).

What is deliberately *not* masked: national services and platforms (BRIS, ECPAT, Polisen,
Socialtjänsten, 1177, 112, 114 14, UMO, Snapchat, Instagram ...; ``wordlists/tjanster.txt``),
service web addresses (polisen.se, 1177.se, umo.se, bris.se ...: referrals, not personal
data; a platform's bare domain is kept, but a profile link on it is masked), "Sverige",
and ordinary words that happen to be names ("bo", "klara", "vilja") unless a capital
letter inside a sentence or the context ("jag heter", "min kille") shows a name.
"""

from .core import (RECORD_KEY, STYLES, Finding, PersonalDataFound, anonymize_conversations,
                   check_anonymised, guard)
from .detect import IDNUMMER, LABELS, Span, detect, detect_messages
from .lexicon import load_lexicon
from .seal import NotSealed, load_key, require_sealed, require_sealed_dataset, verify_seal, write_manifest
from .surrogate import TAGS

__all__ = [
    "anonymize_conversations", "detect", "detect_messages", "check_anonymised", "guard",
    "Span", "Finding", "PersonalDataFound", "LABELS", "IDNUMMER", "TAGS", "STYLES", "RECORD_KEY",
    "load_lexicon", "NotSealed", "load_key", "require_sealed", "require_sealed_dataset", "verify_seal",
    "write_manifest",
]
