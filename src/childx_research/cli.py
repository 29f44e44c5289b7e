"""The `childx` command line: one thin command per pipeline step.

Every command that reads a file turns bad input into one line on stderr
("childx: error: FILE:LINE: KEY: problem") and a non-zero exit, never a traceback.
Commands hold no logic: they parse options and call the package.
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path
from typing import Annotated, Callable, Optional

import typer
from rich.console import Console

from .errors import InputError

app = typer.Typer(
    name="childx",
    help="ChildX research workbench: generate → anonymise → annotate → train → evaluate → trends/report.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console(stderr=True)

EXIT_BAD_INPUT = 2


def fail(message: str, code: int = EXIT_BAD_INPUT) -> None:
    # one line, no markup interpretation of user-supplied paths
    print(f"childx: error: {message}", file=sys.stderr)
    raise typer.Exit(code)


def friendly_errors(fn: Callable) -> Callable:
    """Turn bad input into the one-line error the format contract promises."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except InputError as exc:
            fail(str(exc))
        except (PermissionError, IsADirectoryError, NotADirectoryError) as exc:
            fail(f"{exc.filename}: {exc.strerror}")
        except KeyboardInterrupt:
            fail("interrupted", 130)

    return wrapper


FormOpt = Annotated[Optional[str], typer.Option("--form", help="Form file or id (default: stodklustret-v1).")]


# --- generate ---------------------------------------------------------------------------
@app.command()
@friendly_errors
def generate(
    n: Annotated[int, typer.Option("--n", min=1, help="Number of contacts.")] = 1000,
    seed: Annotated[int, typer.Option("--seed", help="Random seed (same seed, same bytes).")] = 1,
    out: Annotated[Path, typer.Option("--out", help="Output folder.")] = Path("data/generated"),
    config: Annotated[Optional[Path], typer.Option("--config", help="Generator config YAML.")] = None,
) -> None:
    """Synthetic Swedish contacts with gold forms, gold personal-data spans and a trend truth file."""
    from .generate import generate_to_dir

    result = generate_to_dir(n=n, seed=seed, out_dir=out, config_path=config)
    for name, path in result.items():
        console.print(f"[green]✓[/] {name}: {path}")


# --- validate ---------------------------------------------------------------------------
@app.command()
@friendly_errors
def validate(
    input: Annotated[Path, typer.Argument(help="JSON Lines file to check.")],
    kind: Annotated[str, typer.Option("--kind", help="contacts | conversations | forms")] = "contacts",
    form: FormOpt = None,
) -> None:
    """Check a file against formats.md and the form; print a one-line error on the first problem."""
    from .forms import load_form
    from .records import check_unique_ids, read_contacts, read_conversations, read_form_records

    f = load_form(form)
    if kind == "contacts":
        items = read_contacts(input, f)
    elif kind == "conversations":
        items = read_conversations(input)
    elif kind == "forms":
        items = read_form_records(input, f)
    else:
        raise InputError(f"unknown --kind {kind!r} (contacts, conversations or forms)")
    check_unique_ids(items, input)
    console.print(f"[green]✓[/] {input}: {len(items)} {kind} valid against form {f.id}")


# --- dataset ----------------------------------------------------------------------------
@app.command()
@friendly_errors
def dataset(
    input: Annotated[Path, typer.Option("--input", help="Contacts (conversation + gold) JSONL.")],
    out: Annotated[Path, typer.Option("--out", help="Output folder for the DatasetDict.")],
    form: FormOpt = None,
    seed: Annotated[int, typer.Option("--seed")] = 0,
) -> None:
    """Convert contacts with gold forms to a datasets.DatasetDict (train/validation/test) on disk."""
    from .forms import load_form
    from .records import contacts_to_dataset_dict, read_contacts
    from .datasets_io import save_dataset_dict

    f = load_form(form)
    dd = contacts_to_dataset_dict(read_contacts(input, f), f, seed=seed)
    save_dataset_dict(dd, out)
    console.print(f"[green]✓[/] {out}: " + ", ".join(f"{k} {len(v)}" for k, v in dd.items()))


# --- demo -------------------------------------------------------------------------------
@app.command()
@friendly_errors
def demo(
    out: Annotated[Path, typer.Option("--out", help="Where the demo run writes.")] = Path("runs/demo"),
    n: Annotated[int, typer.Option("--n", min=50, help="Number of generated contacts.")] = 3000,
    seed: Annotated[int, typer.Option("--seed")] = 7,
) -> None:
    """The whole pipeline on built-in synthetic data."""
    from .pipeline import run_demo

    run_demo(out=out, n=n, seed=seed, console=console)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
