"""`childx demo`: the whole pipeline on built-in synthetic data. Calls the stages, holds no logic."""

from __future__ import annotations

import time
from pathlib import Path

from rich.console import Console
from rich.table import Table


def run_demo(out: Path, n: int = 3000, seed: int = 7, console: Console | None = None) -> dict[str, Path]:
    from .datasets_io import save_dataset_dict
    from .explore import label_frequencies
    from .forms import load_form
    from .generate import generate_to_dir
    from .records import check_unique_ids, contacts_to_dataset_dict, read_contacts

    console = console or Console(stderr=True)
    out = Path(out)
    outputs: dict[str, Path] = {}
    form = load_form()

    def step(title: str):
        console.rule(f"[bold]{title}")
        return time.perf_counter()

    t = step("1. Generera syntetiska kontakter")
    paths = generate_to_dir(n=n, seed=seed, out_dir=out / "generated")
    outputs.update({f"generated/{k}": v for k, v in paths.items()})
    console.print(f"{n} kontakter på {time.perf_counter() - t:.1f} s")

    t = step("2. Validera mot formuläret")
    contacts = read_contacts(paths["contacts"], form)
    check_unique_ids(contacts, paths["contacts"])
    console.print(f"{len(contacts)} kontakter giltiga mot {form.id} ({time.perf_counter() - t:.1f} s)")

    t = step("3. Dataset (train/validation/test)")
    dd = contacts_to_dataset_dict(contacts, form, seed=seed)
    outputs["dataset"] = save_dataset_dict(dd, out / "dataset")
    console.print(", ".join(f"{k}: {len(v)}" for k, v in dd.items()) + f" ({time.perf_counter() - t:.1f} s)")

    step("4. Etikettfrekvenser")
    freq = label_frequencies((c.gold for c in contacts), form)
    table = Table(title=f"Andel av {len(contacts)} kontakter per alternativ", show_lines=False)
    for col in ("Fält", "Alternativ", "Antal", "Andel"):
        table.add_column(col, justify="right" if col in ("Antal", "Andel") else "left")
    for row in freq.itertuples():
        table.add_row(row.fält, row.alternativ, str(row.antal), f"{row.andel:.1%}".replace("%", " %"))
    console.print(table)

    console.rule("[bold]Klart")
    for name, path in outputs.items():
        console.print(f"  {name}: {path}")
    return outputs
