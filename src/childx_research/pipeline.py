"""`childx demo`: the whole pipeline on built-in synthetic data. Calls the stages, holds no logic.

generate → validate → anonymise → annotate (Label Studio) → dataset → trends → report. Each step prints where
its outputs went; the run writes everything under ``out`` (default ``runs/demo``).
"""

from __future__ import annotations

import time
from pathlib import Path

from rich.console import Console
from rich.table import Table


def run_demo(out: Path, n: int = 2000, seed: int = 7, console: Console | None = None,
             transformer: str = "auto", dev: list[Path] | tuple[Path, ...] = ()) -> dict[str, Path]:
    """``transformer``: auto (full with a GPU or a local checkpoint, else small) | small | full | off.
    ``dev``: files of hand-labelled conversations the chosen model is measured on (never trained on)."""
    from .annotate.demo import simulated_round_trip
    from .anonymize import check_anonymised, write_manifest
    from .datasets_io import save_dataset_dict
    from .explore import label_frequencies
    from .forms import load_form
    from .generate import generate_to_dir
    from .records import check_unique_ids, read_contacts, to_dataset_dict, write_json, write_jsonl
    from .report import build_report
    from .trends import analyse, write_outputs

    console = console or Console(stderr=True)
    out = Path(out)
    outputs: dict[str, Path] = {}
    form = load_form()
    counter = iter(range(1, 100))
    times: dict[str, float] = {}   # step -> seconds (each step runs until the next begins)
    running: list[tuple[str, float]] = []
    t_demo = time.perf_counter()

    def end_step() -> None:
        if running:
            label, t0 = running.pop()
            times[label] = time.perf_counter() - t0

    def step(title: str) -> float:
        end_step()
        label = f"{next(counter)}. {title}"
        console.rule(f"[bold]{label}")
        running.append((label, time.perf_counter()))
        return running[-1][1]

    def done(t: float, text: str) -> None:
        console.print(f"{text} ({time.perf_counter() - t:.1f} s)")

    labelled = []
    if dev:  # read and checked before any work: a bad file is a one-line error now, not after training
        from .modeling.labelled import Labelled

        labelled = [Labelled(path, form) for path in dev]

    t = step("Generera syntetiska kontakter")
    paths = generate_to_dir(n=n, seed=seed, out_dir=out / "generated")
    outputs.update({f"generated/{k}": v for k, v in paths.items()})
    done(t, f"{n} kontakter med facit, personuppgifter och injicerade trender")

    t = step("Validera mot formuläret")
    contacts = read_contacts(paths["contacts"], form)
    check_unique_ids(contacts, paths["contacts"])
    done(t, f"{len(contacts)} kontakter giltiga mot {form.id}")

    t = step("Anonymisera")
    anon, report = anonymise_in_processes([c.conversation() for c in contacts], seed=seed)
    flagged = {c.id for c in anon if check_anonymised(c)}
    leaks = len(flagged)
    outputs["anonymised/conversations"] = out / "anonymised" / "conversations.jsonl"
    outputs["anonymised/report"] = out / "anonymised" / "report.json"
    write_jsonl(outputs["anonymised/conversations"], anon)
    from .anonymize.cli import counts_only

    write_json(outputs["anonymised/report"], counts_only(report))  # counts only, as `childx anonymize`
    total = report["total"]
    done(t, "Ersatt: " + ", ".join(f"{k} {v}" for k, v in total.items() if v)
         + f"; kontakter där detektorn fortfarande hittar något: {leaks}")

    t = step("Annotera i Label Studio (tillfällig server, annoteringar simulerade från facit)")
    if flagged:
        console.print(f"{len(flagged)} samtal där detektorn fortfarande hittar personuppgifter hålls tillbaka "
                      "(vakten skulle vägra dem)", markup=False, highlight=False)
    pulled = simulated_round_trip(contacts, form, out / "annotations", seed=seed,
                                  anonymised=[c for c in anon if c.id not in flagged], checked=True,
                                  say=lambda s: console.print(s, markup=False, highlight=False))
    if pulled is not None:
        outputs.update({f"annotations/{k}": v for k, v in pulled.paths.items() if k != "dataset"})
        single = pulled.agreement[pulled.agreement["typ"] == "single"]
        done(t, "Krippendorffs alfa: " + ", ".join(f"{r.fält} {r.alpha:.2f}" for r in single.itertuples()
                                                    if r.alpha == r.alpha))

    t = step("Dataset (train/validation/test) från anonymiserade samtal")
    gold = {c.id: c.gold for c in contacts}
    # what training uses comes out of Label Studio (the gold only when it is not installed)
    dd = pulled.dataset if pulled is not None else to_dataset_dict(((c, gold[c.id]) for c in anon), form, seed=seed)
    outputs["dataset"] = save_dataset_dict(dd, out / "dataset")
    write_manifest(outputs["dataset"], anon)  # the seals, so that training checks every row
    done(t, ", ".join(f"{k}: {len(v)}" for k, v in dd.items())
         + (" (från Label Studio)" if pulled is not None else ""))

    t = step("Träna båda modellfamiljerna, jämför på testdelen, behåll den bästa")
    from .modeling.compare import SMOKE_BELOW, demo_configs, resolve_transformer_mode, train_and_compare

    mode = resolve_transformer_mode(transformer)
    if mode == "small" and n >= SMOKE_BELOW:
        console.print("Transformern tränas här i en [bold]liten CPU-konfiguration[/] (transformer-liten: liten "
                      "kodare, 30 steg) så att demon tar minuter; transformern förväntas förlora mot baslinjen. Den fulla: "
                      "`childx demo --transformer full` (automatiskt med GPU eller lokal checkpoint, CHILDX_ENCODER).")
    elif mode == "off":
        console.print("Transformern hoppas över (--transformer off); `childx demo --transformer full` tränar den.")
    compared = train_and_compare(outputs["dataset"], out, demo_configs(n, mode),
                                 log=lambda s: console.print(s, markup=False, highlight=False))
    outputs["model"] = compared["model"]
    outputs["modelljamforelse"] = out / "modelljamforelse"
    cmp_table = Table(title="Modellerna på testdelen (högre är bättre, utom falsklarm, ECE och tid)")
    shown = compared["table"].drop(columns="family").set_index("modell").T
    cmp_table.add_column("mått")
    for name in shown.columns:
        cmp_table.add_column(str(name), justify="right")
    for measure, row in shown.iterrows():
        cmp_table.add_row(measure, *["–" if v is None or v != v else f"{v:.3f}" if isinstance(v, float) else str(v)
                                     for v in row])
    console.print(cmp_table)
    done(t, f"vald: {compared['best']} → {compared['model']}")

    if labelled:
        t = step("Handskrivna kontakter som modellen aldrig sett")
        from .modeling.labelled import labelled_figures

        figures = [labelled_figures(outputs["model"], data) for data in labelled]
        outputs["handskrivna"] = out / "handskrivna.json"
        write_json(outputs["handskrivna"], figures)
        console.print(labelled_table(figures, form))
        done(t, f"{sum(f['contacts'] for f in figures)} kontakter i {len(figures)} filer")

    step("Etikettfrekvenser")
    freq = label_frequencies(gold.values(), form)
    table = Table(title=f"Andel av {len(contacts)} kontakter per alternativ")
    for col in ("Fält", "Alternativ", "Antal", "Andel"):
        table.add_column(col, justify="right" if col in ("Antal", "Andel") else "left")
    for row in freq.itertuples():
        table.add_row(row.fält, row.alternativ, str(row.antal), f"{row.andel:.1%}".replace("%", " %"))
    console.print(table)

    t = step("Trender: veckoräkningar och larm")
    records = [c.form_record() for c in contacts]
    trends = analyse(records, form)
    outputs.update({f"trends/{k}": v for k, v in write_outputs(trends, out / "trends").items()})
    alerts = trends.alerts
    done(t, f"{len(alerts)} larm i {alerts[['field', 'option']].drop_duplicates().shape[0]} serier"
         if len(alerts) else "inga larm")

    t = step("Rapport")
    outputs["rapport"] = build_report(records, form, out / "rapport", conversations=anon, trends=trends)
    done(t, f"figurer och tabeller i {out / 'rapport'}")

    end_step()
    console.rule("[bold]Klart")
    for name, path in outputs.items():
        console.print(f"  {name}: {path}")
    console.print(f"\n[bold]Rapporten:[/] {outputs['rapport']}")
    console.print(step_times_table(times, time.perf_counter() - t_demo))
    return outputs


def anonymise_in_processes(conversations: list, *, seed: int) -> tuple[list, dict]:
    """The demo's anonymisation on all cores (the same bytes as one process: `childx anonymize --jobs`)."""
    from .anonymize.cli import anonymise_lines, default_jobs
    from .records import Conversation

    lines, report = anonymise_lines(conversations, style="pseudonym", seed=seed, jobs=default_jobs())
    return [Conversation.model_validate_json(line) for line in lines], report


def _fmt(v, share: bool = False) -> str:
    if v is None or v != v:
        return "–"
    return f"{v:.0%}".replace("%", " %") if share else f"{v:.2f}"


def labelled_table(figures: list[dict], form) -> Table:
    """The chosen model's figures on hand-labelled files, one column per file."""
    table = Table(title="Modellen på handskrivna kontakter (aldrig sedda i träningen)")
    table.add_column("mått")
    for f in figures:
        table.add_column(f"{f['file']} ({f['contacts']})", justify="right")
    rows = [("medel-makro-F1", [_fmt(f["mean_macro_f1"]) for f in figures])]
    for field in form.choice_fields:
        rows.append((f"  {field.label}", [_fmt(f["fields"].get(field.key)) for f in figures]))
    for i, a in enumerate(figures[0]["alarms"] if figures else []):
        label = form.field(a["field"]).label
        rows.append((f"{label}: fångade", [f"{f['alarms'][i]['caught']} av {f['alarms'][i]['positives']}"
                                           for f in figures]))
        rows.append((f"{label}: falsklarm", [_fmt(f["alarms"][i]["false_alarm_rate"], True) for f in figures]))
    rows.append(("ifyllda av modellen ensam: rätt", [_fmt(f["alone_right"], True) for f in figures]))
    rows.append(("ifyllda av modellen ensam: andel av fälten", [_fmt(f["alone_coverage"], True) for f in figures]))
    rows.append(("underlag som träffar facit", [_fmt(f.get("evidence_precision"), True) for f in figures]))
    rows.append(("kontakter per sekund", [f"{f['contacts_per_s']:.0f}" if f.get("contacts_per_s") else "–"
                                          for f in figures]))
    for name, values in rows:
        table.add_row(name, *values)
    return table


def step_times_table(times: dict[str, float], total: float) -> Table:
    """Seconds per step and in total (wall clock)."""
    table = Table(title="Tid per steg")
    table.add_column("steg")
    table.add_column("sekunder", justify="right")
    for label, seconds in times.items():
        table.add_row(label, f"{seconds:.1f}")
    table.add_row("[bold]totalt", f"[bold]{total:.1f}")
    return table
