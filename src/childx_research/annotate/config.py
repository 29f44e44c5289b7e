"""The Label Studio labeling config, derived from the form.

Everything shown to annotators comes from the form file: one ``<Choices>`` per single or
multi field (Swedish labels, the option key as ``alias`` so results hold the stable key,
the option's guideline as a hover hint, the field's guideline under its title), one
``<TextArea>`` per text field, and the conversation as a dialogue (``<Paragraphs>``
with the Swedish role names, so the two sides look different). A ``<ParagraphLabels>``
tag, "Missad personuppgift", lets an annotator mark personal data that anonymisation
missed; its labels are the personal-data types. A second one, "Modellens underlag", has a
label per choice field: a model's pre-annotation highlights there the words each field
was filled in from (the form record's ``evidence``), so the annotator sees *why* before
accepting; it is never read back as an answer.

Tag names for the conversation and the span tag contain a hyphen, so they can never
collide with a form's field keys (``[a-z0-9_]+``).
"""

from __future__ import annotations

from html import escape
from xml.etree import ElementTree as ET

from ..forms import Form
from ..records import CHANNEL_LABELS_SV, ROLE_LABELS_SV, Conversation

#: Name of the ``<Paragraphs>`` object tag and the task data key it reads.
DIALOG_TAG = "samtal-text"
DIALOG_KEY = "samtal"
#: Name of the span tag for personal data the anonymisation missed.
MISSED_TAG = "missad-personuppgift"
MISSED_TITLE = "Missad personuppgift"
#: Name of the span tag that shows a model's evidence per field (pre-annotations only).
EVIDENCE_TAG = "modellens-underlag"
EVIDENCE_TITLE = "Modellens underlag"
#: Keys inside each dialogue item.
SPEAKER_KEY = "roll"
TEXT_KEY = "text"
ROLE_KEY = "role"

#: Personal-data types an annotator can mark, with Swedish labels (``alias`` = the type).
#: The same types as the anonymiser's (formats.md, plus IDNUMMER).
PII_TYPES_SV: dict[str, str] = {
    "PERSON": "Namn",
    "PLATS": "Plats",
    "ORGANISATION": "Organisation/skola",
    "TELEFON": "Telefonnummer",
    "EPOST": "E-postadress",
    "PERSONNUMMER": "Personnummer",
    "ADRESS": "Adress",
    "ANVANDARNAMN": "Användarnamn",
    "URL": "Webbadress/profil",
    "IDNUMMER": "Annat id-nummer",
}
_PII_COLOURS = ("#d62728", "#ff7f0e", "#8c564b", "#e377c2", "#9467bd", "#bcbd22", "#17becf", "#7f7f7f",
                "#1f77b4", "#2ca02c")
#: Light colours for the evidence marks (the dark ones above mark missed personal data).
_EVIDENCE_COLOURS = ("#aec7e8", "#98df8a", "#ffbb78", "#c5b0d5", "#c49c94", "#f7b6d2", "#dbdb8d", "#9edae5")


def label_config(form: Form) -> str:
    """The labeling config XML for ``form`` (a string Label Studio accepts as ``label_config``)."""
    view = ET.Element("View")
    ET.SubElement(view, "Style").text = _CSS
    root = ET.SubElement(view, "View", {"className": "childx-layout"})

    left = ET.SubElement(root, "View", {"className": "childx-dialog"})
    ET.SubElement(left, "Header", {"value": "Samtalet (anonymiserat)", "size": "4"})
    ET.SubElement(left, "Paragraphs", {
        "name": DIALOG_TAG, "value": f"${DIALOG_KEY}", "layout": "dialogue", "nameKey": SPEAKER_KEY,
        "textKey": TEXT_KEY,
    })
    if form.choice_fields:
        ev = ET.SubElement(left, "View", {"className": "childx-evidence"})
        ET.SubElement(ev, "Header", {"value": EVIDENCE_TITLE, "size": "5"})
        _guide(ev, "Färgade ord i samtalet: det som modellen fyllde i ett fält utifrån (fältets namn står "
                   "vid markeringen). Kontrollera att det stämmer innan du godtar förslaget.")
        marks = ET.SubElement(ev, "ParagraphLabels", {"name": EVIDENCE_TAG, "toName": DIALOG_TAG})
        for i, f in enumerate(form.choice_fields):
            ET.SubElement(marks, "Label", {"value": evidence_label(f), "alias": f.key,
                                            "background": _EVIDENCE_COLOURS[i % len(_EVIDENCE_COLOURS)],
                                            "hint": f"{EVIDENCE_TITLE}: {f.label}"})
    missed = ET.SubElement(left, "View", {"className": "childx-missed"})
    ET.SubElement(missed, "Header", {"value": MISSED_TITLE, "size": "5"})
    _guide(missed, "Ser du en personuppgift som anonymiseringen missat? Välj typ nedan och markera texten "
                   "i samtalet. Den rapporteras så att anonymiseringen kan rättas.")
    labels = ET.SubElement(missed, "ParagraphLabels", {"name": MISSED_TAG, "toName": DIALOG_TAG})
    for i, (key, sv) in enumerate(PII_TYPES_SV.items()):
        ET.SubElement(labels, "Label", {"value": sv, "alias": key, "background": _PII_COLOURS[i % len(_PII_COLOURS)],
                                         "hint": f"{MISSED_TITLE}: {sv}"})

    right = ET.SubElement(root, "View", {"className": "childx-form"})
    ET.SubElement(right, "Header", {"value": form.title, "size": "4"})
    for f in form.fields:
        box = ET.SubElement(right, "View", {"className": "childx-field"})
        title = f.label + (" (välj ett eller flera)" if f.kind == "multi" else "")
        ET.SubElement(box, "Header", {"value": title, "size": "5"})
        if f.guideline:
            _guide(box, f.guideline)
        if f.kind == "text":
            ET.SubElement(box, "TextArea", {
                "name": f.key, "toName": DIALOG_TAG, "rows": "3", "maxSubmissions": "1", "editable": "true",
                "showSubmitButton": "false", "placeholder": f.guideline or f.label,
            })
            continue
        choices = ET.SubElement(box, "Choices", {
            "name": f.key, "toName": DIALOG_TAG, "choice": "multiple" if f.kind == "multi" else "single-radio",
            "required": "true", "requiredMessage": f"Fyll i {f.label!s}.", "showInline": "false",
        })
        for o in f.options:
            attrs = {"value": o.label, "alias": o.key}
            if o.guideline:
                attrs["hint"] = o.guideline
            ET.SubElement(choices, "Choice", attrs)
    ET.indent(view, space="  ")
    return ET.tostring(view, encoding="unicode")


def evidence_label(field) -> str:
    """The evidence span label of a choice field (distinct from every personal-data label)."""
    return f"Underlag: {field.label}"


def _guide(parent: ET.Element, text: str) -> None:
    """Guideline text under a title: a small, grey, non-interactive line."""
    ET.SubElement(ET.SubElement(parent, "View", {"className": "childx-guide"}), "Header", {"value": text, "size": "6"})


_CSS = """
.childx-layout { display: flex; flex-wrap: wrap; gap: 24px; align-items: flex-start; }
.childx-dialog { flex: 3 1 420px; min-width: 320px; }
.childx-form { flex: 2 1 320px; min-width: 280px; }
.childx-field { margin-bottom: 12px; padding-bottom: 8px; border-bottom: 1px solid #e5e5e5; }
.childx-guide, .childx-guide * { color: #555; font-size: 13px !important; font-weight: normal !important;
  line-height: 1.35 !important; margin: 0 0 6px 0 !important; }
.childx-missed, .childx-evidence { margin-top: 16px; }
.childx-dialog span[class^="time--"] { display: none; }
"""


def choice_map(form: Form) -> dict[str, dict[str, str]]:
    """For every choice field: Swedish label -> option key (to read results that hold labels)."""
    return {f.key: {o.label: o.key for o in f.options} for f in form.choice_fields}


def instructions_html(form: Form) -> str:
    """The annotation guidelines as HTML for the project's instructions page."""
    parts = [f"<h2>{escape(form.title)}</h2>",
             "<p>Läs hela samtalet och fyll i formuläret utifrån det som står i samtalet. "
             "Håll muspekaren över ett alternativ för att se riktlinjen. Markera personuppgifter "
             "som anonymiseringen missat med <b>Missad personuppgift</b>.</p>"]
    for f in form.fields:
        parts.append(f"<h3>{escape(f.label)}</h3>")
        if f.guideline:
            parts.append(f"<p>{escape(f.guideline)}</p>")
        items = [f"<li><b>{escape(o.label)}</b>" + (f": {escape(o.guideline)}" if o.guideline else "") + "</li>"
                 for o in f.options]
        if items:
            parts.append("<ul>" + "".join(items) + "</ul>")
    return "\n".join(parts)


def task_data(conv: Conversation, form: Form) -> dict:
    """The Label Studio task data for one (anonymised) conversation.

    ``conversation_id`` identifies the task (push never imports an id twice); the
    dialogue items carry the Swedish speaker name for display and the role key for
    the way back.
    """
    data = {
        "conversation_id": conv.id,
        "form_id": form.id,
        DIALOG_KEY: [{SPEAKER_KEY: ROLE_LABELS_SV[m.role], ROLE_KEY: m.role, TEXT_KEY: m.text}
                     for m in conv.messages],
        "organisation": conv.organisation or "",
        "channel": conv.channel or "",
        "kanal": CHANNEL_LABELS_SV.get(conv.channel or "", ""),
        "started_at": conv.started_at or "",
    }
    record = (conv.model_extra or {}).get("anonymisation")
    if isinstance(record, dict):  # the anonymiser's record and seal (no text), for the way back
        data["anonymisation"] = record
    return data


def conversation_from_task(data: dict) -> Conversation:
    """The conversation back from a task's data (inverse of :func:`task_data`)."""
    extra = {"anonymisation": data["anonymisation"]} if isinstance(data.get("anonymisation"), dict) else {}
    return Conversation(
        id=data["conversation_id"],
        organisation=data.get("organisation") or None,
        channel=data.get("channel") or None,
        started_at=data.get("started_at") or None,
        messages=[{"role": m[ROLE_KEY], "text": m[TEXT_KEY]} for m in data[DIALOG_KEY]],
        **extra,
    )
