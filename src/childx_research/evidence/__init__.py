"""The evidence layer: what the conversation says, for every field and option.

Cue patterns are data beside the form (``annotation/forms/<form id>.evidence.yaml``);
another organisation's form brings its own file or none (:func:`load_finder` is then
``None`` and the model runs on its classifier alone). A cue is matched on spaCy's Swedish
tokenizer and rule-based sentence splitter (``spacy.blank("sv")`` + ``sentencizer``, no
downloaded model) with ``Matcher`` patterns, and given an **assertion status** in the
ConText/NegEx tradition (Chapman et al. 2001, Harkema et al. 2009): a trigger before or after
it in the same sentence, within a window and not across a terminating word ("men",
"och jag"), makes it *negated* ("har aldrig", "inte"), someone *other*'s ("min kompis"),
*hypothetical* or asked ("om jag skulle", the worker's questions) or *historical* ("när jag
var 14"). Every field names the statuses that make its cues not count. The worker's
question and the help-seeker's short answer are read together ("hur gammal är du?" ->
"15"); ages are derived from numbers, school years, "fyller 16" and birth years against
the contact's date, and only the help-seeker's own ("jag är 15", not "han är 17").

Why not medspaCy's ConText: medspaCy 1.3 (PyPI) would fit the algorithm, but its package
pulls in PyRuSH, pysbd and medspacy_quickumls (QuickUMLS with native simstring/unqlite
builds) that this project does not otherwise need, its rules are English clinical ones
(we would write every Swedish trigger ourselves anyway), and its targets are entities from
an NER step we do not have. The part we need — triggers with a direction, a window and
terminating words over spaCy tokens and sentences — is about a hundred lines here
(:mod:`.finder`), with the Swedish triggers as data in the same file as the cues.

The evidence becomes features of the form-filling model (``modeling/stacking.py``) and the
``evidence`` key of every predicted form record.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from ..forms import Form, resolve_form_path
from .finder import Evidence, EvidenceFinder, Found
from .rules import STATUSES, EvidenceRules, evidence_path, load_rules

__all__ = ["Evidence", "EvidenceFinder", "Found", "EvidenceRules", "STATUSES", "evidence_path", "load_rules",
           "load_finder", "finder_for_file"]


@lru_cache(maxsize=8)
def _cached(path: str, mtime: float, form_json: str) -> EvidenceFinder:
    form = Form.model_validate_json(form_json)
    return EvidenceFinder(form, load_rules(path, form))


def finder_for_file(path: str | Path, form: Form) -> EvidenceFinder:
    p = Path(path)
    return _cached(str(p.resolve()), p.stat().st_mtime, form.model_dump_json())


def load_finder(form: Form, form_path: str | Path | None = None) -> EvidenceFinder | None:
    """The finder for ``form``: its evidence file beside ``form_path`` (default: the form
    file of that id), or ``None`` when the form has none."""
    p = evidence_path(form_path if form_path is not None else resolve_form_path(form.id))
    return finder_for_file(p, form) if p.exists() else None
