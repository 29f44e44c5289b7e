"""What the (generated or annotated) data looks like: tables and seaborn charts.

Everything a person sees is Swedish and comes from the form's labels, so these work
for any form file. Used by ``notebooks/01_utforska_data.ipynb`` and ``childx demo``.
"""

from __future__ import annotations

from collections import Counter
from itertools import combinations
from typing import Any, Iterable

import pandas as pd

from .forms import Form, FormField
from .records import CHANNEL_LABELS_SV, ROLE_LABELS_SV, Contact


def _options(f: FormField, v: Any) -> list[str]:
    if v is None:
        return []
    return [v] if isinstance(v, str) else list(v)


def label_frequencies(forms: Iterable[dict[str, Any]], form: Form) -> pd.DataFrame:
    """One row per (field, option): count and share of contacts, zeros included."""
    forms = list(forms)
    counts: Counter[tuple[str, str]] = Counter()
    for values in forms:
        for f in form.choice_fields:
            for o in _options(f, values.get(f.key)):
                counts[(f.key, o)] += 1
    rows = []
    n = len(forms) or 1
    for f in form.choice_fields:
        for o in f.options:
            c = counts[(f.key, o.key)]
            rows.append({"fält": f.label, "alternativ": o.label, "field": f.key, "option": o.key,
                         "antal": c, "andel": c / n})
    return pd.DataFrame(rows)


def frequencies_by(contacts: Iterable[Contact], form: Form, field: str, by: str = "organisation") -> pd.DataFrame:
    """Share of contacts with each option of ``field`` per value of ``by`` (a conversation key)."""
    f = form.field(field)
    rows = []
    for c in contacts:
        group = getattr(c, by, None) or "okänd"
        for o in _options(f, c.gold.get(field)):
            rows.append({by: group, "alternativ": f.label_of(o)})
    df = pd.DataFrame(rows, columns=[by, "alternativ"])
    table = pd.crosstab(df[by], df["alternativ"])
    totals = Counter(getattr(c, by, None) or "okänd" for c in contacts)
    table = table.div(pd.Series(totals), axis=0)
    return table.reindex(columns=[o.label for o in f.options if o.label in table.columns])


def conversation_lengths(contacts: Iterable[Contact]) -> pd.DataFrame:
    return pd.DataFrame([
        {"id": c.id, "kanal": CHANNEL_LABELS_SV.get(c.channel or "", c.channel), "organisation": c.organisation,
         "meddelanden": len(c.messages), "tecken": sum(len(m.text) for m in c.messages),
         **{f"meddelanden ({ROLE_LABELS_SV[r].lower()})": sum(m.role == r for m in c.messages) for r in ROLE_LABELS_SV}}
        for c in contacts
    ])


def cooccurrence(forms: Iterable[dict[str, Any]], form: Form, field: str) -> pd.DataFrame:
    """How often two options of a multi field occur together (diagonal: alone or not, total)."""
    f = form.field(field)
    labels = [o.label for o in f.options]
    m = pd.DataFrame(0, index=labels, columns=labels)
    for values in forms:
        opts = [f.label_of(o) for o in _options(f, values.get(field))]
        for o in opts:
            m.loc[o, o] += 1
        for a, b in combinations(opts, 2):
            m.loc[a, b] += 1
            m.loc[b, a] += 1
    return m


def pii_counts(contacts: Iterable[Contact]) -> pd.DataFrame:
    counts = Counter(s.label for c in contacts for s in c.pii)
    return pd.DataFrame(sorted(counts.items()), columns=["typ", "antal"])


# --- charts --------------------------------------------------------------------------------

def plot_label_frequencies(freq: pd.DataFrame, form: Form, cols: int = 2):
    import matplotlib.pyplot as plt
    import seaborn as sns

    from .style import apply_style

    apply_style()
    fields = list(dict.fromkeys(freq["fält"]))
    rows = -(-len(fields) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(6.5 * cols, 2.6 * rows + 0.6), squeeze=False)
    for ax, name in zip(axes.flat, fields):
        part = freq[freq["fält"] == name]
        sns.barplot(data=part, y="alternativ", x="andel", ax=ax, color=sns.color_palette()[0])
        ax.set_title(name)
        ax.set_xlabel("Andel av kontakterna")
        ax.set_ylabel("")
        ax.xaxis.set_major_formatter(lambda x, _: f"{x:.0%}".replace("%", " %"))
    for ax in list(axes.flat)[len(fields):]:
        ax.set_visible(False)
    fig.suptitle("Hur ofta varje alternativ förekommer", fontsize=14, fontweight="bold")
    fig.tight_layout()
    return fig


def plot_heatmap(table: pd.DataFrame, title: str, fmt: str = ".0%", cbar_label: str = "Andel"):
    import matplotlib.pyplot as plt
    import seaborn as sns

    from .style import apply_style

    apply_style()
    fig, ax = plt.subplots(figsize=(1.0 + 0.9 * len(table.columns), 1.2 + 0.5 * len(table.index)))
    sns.heatmap(table, annot=True, fmt=fmt, cmap="Blues", ax=ax, cbar_kws={"label": cbar_label})
    ax.set_title(title)
    ax.set_xlabel("")
    ax.set_ylabel("")
    plt.setp(ax.get_xticklabels(), rotation=35, ha="right")
    fig.tight_layout()
    return fig


def plot_lengths(lengths: pd.DataFrame):
    import matplotlib.pyplot as plt
    import seaborn as sns

    from .style import apply_style

    apply_style()
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
    chat = lengths[lengths["kanal"] == "Chatt"]
    sns.histplot(chat, x="meddelanden", ax=axes[0], binwidth=2)
    axes[0].set_title("Chattar: antal meddelanden")
    axes[0].set_xlabel("Meddelanden per chatt")
    axes[0].set_ylabel("Antal chattar")
    sns.boxplot(lengths, x="tecken", y="kanal", ax=axes[1])
    axes[1].set_title("Längd i tecken per kontakt")
    axes[1].set_xlabel("Tecken per kontakt")
    axes[1].set_ylabel("")
    fig.tight_layout()
    return fig
