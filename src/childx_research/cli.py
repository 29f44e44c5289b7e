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


# --- anonymize --------------------------------------------------------------------------
@app.command()
@friendly_errors
def anonymize(
    input: Annotated[Path, typer.Option("--input", help="Conversations JSONL (a contacts file works too).")],
    output: Annotated[Path, typer.Option("--output", help="Anonymised conversations JSONL.")],
    style: Annotated[str, typer.Option("--style", help="pseudonym (realistic surrogates) | tags ([NAMN] ...)")]
    = "pseudonym",
    report: Annotated[Optional[Path], typer.Option(
        "--report", help="Report JSON (counts only; default: <output stem>.report.json).")] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed for the surrogates (same seed, same bytes).")] = 0,
) -> None:
    """Replace personal data (names, places, schools, phone numbers, personnummer, e-mail,
    addresses, handles, URLs) in conversations; write a report of counts per type."""
    from .anonymize.cli import run_anonymize

    result = run_anonymize(input, output, style=style, report_path=report, seed=seed)
    console.print(f"[green]✓[/] {result['output']}: {result['conversations']} conversations, "
                  f"{result['replacements']} replacements ({result['summary']})")
    console.print(f"[green]✓[/] report: {result['report']}")


# --- trends -----------------------------------------------------------------------------
AsOfOpt = Annotated[Optional[str], typer.Option(
    "--as-of", help="Data are complete up to this date (default: the last contact's date). "
                    "A week is only assessed once the data reach its Sunday.")]


@app.command()
@friendly_errors
def trends(
    input: Annotated[Path, typer.Option("--input", help="Form records JSONL with started_at (contacts work too).")],
    out: Annotated[Path, typer.Option("--out", help="Output folder.")],
    by: Annotated[Optional[str], typer.Option("--by", help="Split the series: organisation.")] = None,
    form: FormOpt = None,
    as_of: AsOfOpt = None,
    charts: Annotated[bool, typer.Option("--charts/--no-charts", help="Also draw the alert charts.")] = True,
) -> None:
    """Weekly counts for every option of every field, and alerts on sudden and slow rises."""
    from .forms import load_form
    from .report.inputs import check_as_of, check_dates
    from .trends import analyse, load_dated_records, write_outputs

    f = load_form(form)
    check_as_of(as_of)
    records = load_dated_records(input, f)
    check_dates(records, input)
    result = analyse(records, f, by=by, as_of=as_of)
    paths = write_outputs(result, out)
    if charts:
        from .report import trend_charts

        paths.update({p.stem: p for p in trend_charts(result, f, out / "charts")})
    for note in result.notes:
        print(f"childx: note: {note}", file=sys.stderr)
    console.print(f"[green]✓[/] {result.table.n} contacts, {result.grid.n} weeks, "
                  f"{len(result.alerts)} alerts ({', '.join(f'{k} {v}' for k, v in result.summary()['alerts_by_method'].items()) or 'none'})")
    for name, path in paths.items():
        console.print(f"[green]✓[/] {name}: {path}")


# --- report -----------------------------------------------------------------------------
@app.command()
@friendly_errors
def report(
    forms: Annotated[Path, typer.Option("--forms", help="Form records JSONL with started_at (contacts work too).")],
    out: Annotated[Path, typer.Option("--out", help="Output folder for the report: new, empty or an earlier "
                                                    "report (replaced whole, only once the new one is done).")],
    conversations: Annotated[Optional[Path], typer.Option(
        "--conversations", help="Anonymised conversations JSONL, for emerging words and phrases.")] = None,
    form: FormOpt = None,
    config: Annotated[Optional[Path], typer.Option(
        "--config", help="Report settings YAML (default: report/config/<form id>.yaml).")] = None,
    as_of: AsOfOpt = None,
) -> None:
    """Publication-ready figures (PNG, SVG, CSV) and one self-contained HTML report."""
    from .forms import load_form
    from .records import read_conversations
    from .report import build_report
    from .report.inputs import check_as_of, check_dates
    from .report.output import check_out_dir
    from .trends import load_dated_records

    f = load_form(form)
    inputs = [forms, conversations, config]
    check_out_dir(out, inputs)            # before any work: refuse an output that would destroy data
    check_as_of(as_of)
    if conversations is not None:     # a year-1 date overflows the calendar in the terms step
        check_dates(read_conversations(conversations), conversations)
    records = load_dated_records(forms, f)
    check_dates(records, forms)
    convs = read_conversations(conversations) if conversations is not None else None
    html = build_report(records, f, out, conversations=convs, config=config, as_of=as_of, inputs=inputs)
    console.print(f"[green]✓[/] report: {html}")


# --- annotate ---------------------------------------------------------------------------
annotate_app = typer.Typer(
    name="annotate", no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
    help="Label Studio on this machine: serve it, push anonymised conversations, pull annotations.",
)
app.add_typer(annotate_app, name="annotate")
UrlOpt = Annotated[Optional[str], typer.Option(
    "--url", help="A running Label Studio (default: LABEL_STUDIO_URL or http://127.0.0.1:8080).")]
ProjectOpt = Annotated[Optional[str], typer.Option("--project", help="Project title (default: from the form).")]
EnvFileOpt = Annotated[Path, typer.Option("--env-file", help="Credentials file (git-ignored).")]
PredOpt = Annotated[Optional[Path], typer.Option(
    "--predictions", help="Form records with confidence (childx predict) to attach as pre-annotations.")]
ModelOpt = Annotated[Optional[Path], typer.Option("--model", help="A model folder: predict and attach.")]
VersionOpt = Annotated[Optional[str], typer.Option("--model-version", help="Name of the predictions' model.")]


@annotate_app.command("serve")
@friendly_errors
def annotate_serve(
    data_dir: Annotated[Path, typer.Option("--data-dir", help="Label Studio's data (SQLite, files).")]
    = Path("label-studio-data"),
    port: Annotated[int, typer.Option("--port", min=1, max=65535)] = 8080,
    push_input: Annotated[Optional[Path], typer.Option(
        "--push", help="Anonymised conversations JSONL to push once the server is up.")] = None,
    predictions: PredOpt = None,
    model: ModelOpt = None,
    model_version: VersionOpt = None,
    form: FormOpt = None,
    env_file: EnvFileOpt = Path(".env"),
    wait: Annotated[bool, typer.Option("--wait/--no-wait", help="Keep running until Ctrl-C.")] = True,
) -> None:
    """Start Label Studio on 127.0.0.1 (nothing leaves the machine) and print how to log in."""
    from .annotate.cli import run_serve
    from .forms import load_form

    run_serve(load_form(form), data_dir=data_dir, port=port, env_file=env_file, push_input=push_input,
              predictions=predictions, model=model, model_version=model_version, wait=wait,
              say=lambda s: console.print(s, markup=False, highlight=False))


@annotate_app.command("push")
@friendly_errors
def annotate_push(
    input: Annotated[Path, typer.Option("--input", help="Anonymised conversations JSONL (childx anonymize).")],
    predictions: PredOpt = None,
    model: ModelOpt = None,
    model_version: VersionOpt = None,
    overlap: Annotated[Optional[int], typer.Option(
        "--overlap", min=1, help="Annotations wanted per task (2+ for agreement).")] = None,
    form: FormOpt = None,
    url: UrlOpt = None,
    project: ProjectOpt = None,
    env_file: EnvFileOpt = Path(".env"),
) -> None:
    """Create/update the form's project and import conversations (never twice), most uncertain first."""
    from .annotate.cli import client_for, run_push
    from .forms import load_form

    f = load_form(form)
    r = run_push(client_for(url, env_file), input, f, predictions=predictions, model=model,
                 model_version=model_version, overlap=overlap, title=project)
    console.print(f"[green]✓[/] {r.summary()}", highlight=False)


@annotate_app.command("pull")
@friendly_errors
def annotate_pull(
    out: Annotated[Path, typer.Option("--out", help="Output folder.")] = Path("data/annotations"),
    form: FormOpt = None,
    url: UrlOpt = None,
    project: ProjectOpt = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the train/validation/test split.")] = 0,
    env_file: EnvFileOpt = Path(".env"),
) -> None:
    """Export all annotations: form records, a DatasetDict (disk + Parquet), agreement, lead times,
    and missed personal data."""
    from .annotate.cli import client_for, run_pull
    from .forms import load_form

    f = load_form(form)
    r = run_pull(client_for(url, env_file), f, out, title=project, seed=seed)
    console.print(f"[green]✓[/] {r.summary()}", highlight=False)
    for name, path in r.paths.items():
        console.print(f"  {name}: {path}", highlight=False)


@annotate_app.command("config")
@friendly_errors
def annotate_config(form: FormOpt = None) -> None:
    """Print the Label Studio labeling config derived from the form."""
    from .annotate.config import label_config
    from .forms import load_form

    print(label_config(load_form(form)))


# --- train / predict / evaluate ---------------------------------------------------------
@app.command()
@friendly_errors
def train(
    config: Annotated[Path, typer.Option("--config", help="Training config YAML (training/configs/*.yaml).")],
    out: Annotated[Path, typer.Option("--out", help="Model folder to write.")],
    data: Annotated[Optional[Path], typer.Option(
        "--data", help="A dataset folder (childx dataset) or contacts JSONL; default: the config's data.")] = None,
) -> None:
    """Train the form-filling model (baseline or transformer, by the config) and write a model folder."""
    from .modeling.predict import train as run_train

    path = run_train(config, out, data=data, log=lambda m: console.print(m, markup=False, highlight=False))
    console.print(f"[green]✓[/] model: {path}")


@app.command()
@friendly_errors
def predict(
    model: Annotated[Path, typer.Option("--model", help="Model folder (childx train).")],
    input: Annotated[Path, typer.Option("--input", help="Conversations JSONL.")],
    output: Annotated[Path, typer.Option("--output", help="Form records JSONL (with confidence).")],
) -> None:
    """Fill in the form for each conversation: form records with confidences."""
    from .modeling.predict import predict_file

    n = predict_file(model, input, output)
    console.print(f"[green]✓[/] {output}: {n} form records")


@app.command()
@friendly_errors
def evaluate(
    gold: Annotated[Path, typer.Option("--gold", help="Gold form records (or contacts with gold) JSONL.")],
    pred: Annotated[Path, typer.Option("--pred", help="Predicted form records JSONL.")],
    out: Annotated[Path, typer.Option("--out", help="Output folder: metrics.json and charts.")],
    form: FormOpt = None,
) -> None:
    """Metrics (per-field F1, exact match, acute-risk recall, calibration, coverage) and charts."""
    from .evaluation import evaluate_files
    from .forms import load_form

    paths = evaluate_files(gold, pred, out, load_form(form))
    for name, path in paths.items():
        console.print(f"[green]✓[/] {name}: {path}")


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
