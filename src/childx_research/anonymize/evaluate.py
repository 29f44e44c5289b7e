"""How well the detector finds gold personal data: recall, leaks and precision per type.

Used by ``evaluation/benchmarks/anonymize_benchmark.py`` and notebook 02. A gold span
counts as found when every letter and digit of it lies inside detected spans; one that
does not is a *leak*. Precision: the share of detected spans that overlap a gold span.
Only for generated (synthetic) contacts: the examples it returns quote the text.
"""

from __future__ import annotations

import os
from collections import Counter, defaultdict

from .detect import detect_messages

STRUCTURED = ("TELEFON", "EPOST", "PERSONNUMMER", "URL", "ANVANDARNAMN", "ADRESS")
GOLD_LABELS = ("PERSON", "PLATS", "ORGANISATION", "TELEFON", "EPOST", "PERSONNUMMER", "ADRESS",
               "ANVANDARNAMN", "URL")


def evaluate_generated(contacts) -> dict:
    found_by = Counter()
    total_by = Counter()
    leaks_by = Counter()
    leak_examples: dict[str, list[str]] = defaultdict(list)
    extra_examples: dict[str, list[str]] = defaultdict(list)
    pred_total = Counter()
    pred_hit = Counter()
    label_confusion = Counter()
    for c in contacts:
        texts = [m.text for m in c.messages]
        det = detect_messages(texts, roles=[m.role for m in c.messages])
        for sp in c.pii:
            total_by[sp.label] += 1
            spans = det[sp.message]
            covered = set()
            for d in spans:
                covered.update(range(max(d.start, sp.start), min(d.end, sp.end)))
            need = [i for i in range(sp.start, sp.end) if texts[sp.message][i].isalnum()]
            if all(i in covered for i in need):
                found_by[sp.label] += 1
                over = [d.label for d in spans if d.start < sp.end and sp.start < d.end]
                label_confusion[(sp.label, over[0] if over else "-")] += 1
            else:
                leaks_by[sp.label] += 1
                if len(leak_examples[sp.label]) < int(os.environ.get("ANON_BENCH_EXAMPLES", "8")):
                    leak_examples[sp.label].append(f"{c.id}/{sp.message}: …{texts[sp.message][max(0, sp.start - 30):sp.end + 20]}…"
                                                   f" [{sp.text}]")
        for mi, spans in enumerate(det):
            golds = [g for g in c.pii if g.message == mi]
            for d in spans:
                pred_total[d.label] += 1
                if any(g.start < d.end and d.start < g.end for g in golds):
                    pred_hit[d.label] += 1
                elif len(extra_examples[d.label]) < int(os.environ.get("ANON_BENCH_EXAMPLES", "8")):
                    t = texts[mi]
                    extra_examples[d.label].append(f"{c.id}/{mi}: …{t[max(0, d.start - 30):d.end + 20]}… "
                                                   f"[{t[d.start:d.end]}]")
    per_type = {}
    for lab in list(GOLD_LABELS) + ["IDNUMMER"]:
        per_type[lab] = {
            "gold": total_by[lab], "found": found_by[lab], "leaks": leaks_by[lab],
            "recall": found_by[lab] / total_by[lab] if total_by[lab] else None,
            "detected": pred_total[lab],
            "precision": pred_hit[lab] / pred_total[lab] if pred_total[lab] else None,
        }
    all_gold = sum(total_by.values())
    all_pred = sum(pred_total.values())
    return {
        "contacts": len(contacts),
        "per_type": per_type,
        "recall_all": sum(found_by.values()) / all_gold if all_gold else None,
        "precision_all": sum(pred_hit.values()) / all_pred if all_pred else None,
        "structured_leaks": sum(leaks_by[lab] for lab in STRUCTURED),
        "leak_examples": dict(leak_examples),
        "extra_examples": dict(extra_examples),
        "label_agreement": sum(v for (g, p), v in label_confusion.items() if g == p or
                               (g == "PERSONNUMMER" and p == "IDNUMMER")) / max(1, sum(label_confusion.values())),
    }
