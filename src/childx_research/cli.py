"""The `childx` command line: one thin command per pipeline step.

Every command that reads a file turns bad input into one line on stderr
("childx: error: FILE:LINE: KEY: problem") and a non-zero exit, never a traceback.
Commands hold no logic: they parse options and call the package.
"""

from __future__ import annotations

import functools
import os
import sys
from pathlib import Path
from typing import Annotated, Callable, Optional

import typer
from rich.console import Console
from typer._click import exceptions as click_errors  # typer vendors its own click
from typer.core import TyperGroup

from .errors import InputError

EXIT_BAD_INPUT = 2


def one_line(message: str) -> str:
    """``message`` on one line: a newline or other control character (from a path, say)
    is shown escaped, so one error is always one line."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in message)


def print_error(message: str) -> None:
    # one line, no markup interpretation of user-supplied paths
    print(f"childx: error: {one_line(message)}", file=sys.stderr)


class OneLineErrors(TyperGroup):
    """The top-level command: usage errors (``--n 0``, an unknown option) print the same
    one line as bad input ("childx: error: …", exit 2) instead of click's multi-line box."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        try:
            rv = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click_errors.NoArgsIsHelpError as exc:
            print(exc.ctx.get_help() if exc.ctx else "")
            sys.exit(0)
        except click_errors.UsageError as exc:
            cmd = exc.ctx.command_path if exc.ctx else "childx"
            print_error(f"{exc.format_message()} (see `{cmd} --help`)")
            sys.exit(EXIT_BAD_INPUT)
        except click_errors.ClickException as exc:
            print_error(exc.format_message())
            sys.exit(exc.exit_code)
        except (typer.Abort, EOFError, KeyboardInterrupt):
            print_error("interrupted")
            sys.exit(130)
        sys.exit(rv if isinstance(rv, int) else 0)


app = typer.Typer(
    name="childx",
    cls=OneLineErrors,
    help="ChildX research workbench: generate → anonymise → annotate → train → evaluate → trends/report.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console(stderr=True)


def fail(message: str, code: int = EXIT_BAD_INPUT) -> None:
    print_error(message)
    raise typer.Exit(code)


def friendly_errors(fn: Callable) -> Callable:
    """Turn bad input into the one-line error the format contract promises."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except InputError as exc:
            fail(str(exc))
        except (PermissionError, IsADirectoryError, NotADirectoryError, FileExistsError) as exc:
            fail(f"{exc.filename}: {exc.strerror}")
        except OSError as exc:
            if exc.strerror is None:
                raise
            fail(f"{exc.filename}: {exc.strerror}" if exc.filename else exc.strerror)
        except KeyboardInterrupt:
            fail("interrupted", 130)
        except RecursionError:
            # a reader that does not name the file itself; never a traceback
            fail("an input is nested too deeply")
        except UnicodeEncodeError:
            fail("an input holds a lone surrogate (\\ud800-\\udfff) that cannot be written as text")
        except EOFError:
            fail("an input file ends early (truncated or damaged)")
        except Exception as exc:  # noqa: BLE001 - the last guard: never a traceback, never a value
            if os.environ.get("CHILDX_DEBUG"):
                raise
            fail(f"internal error ({type(exc).__name__}); please report it (CHILDX_DEBUG=1 shows the traceback)", 1)

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
    from .records import check_output_dir, write_output_marker

    check_output_dir(out, "generate", [config], legacy=("truth.json",))
    result = generate_to_dir(n=n, seed=seed, out_dir=out, config_path=config)
    write_output_marker(out, "generate")
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

    from .records import check_output_dir, check_unique_ids
    from .datasets_io import LEGACY_FILES

    check_output_dir(out, "dataset", [input], legacy=LEGACY_FILES)  # before any work
    f = load_form(form)
    contacts = read_contacts(input, f)
    check_unique_ids(contacts, input)
    dd = contacts_to_dataset_dict(contacts, f, seed=seed)
    save_dataset_dict(dd, out, inputs=[input])
    console.print(f"[green]✓[/] {out}: " + ", ".join(f"{k} {len(v)}" for k, v in dd.items()))


# --- import -----------------------------------------------------------------------------
@app.command("import")
@friendly_errors
def import_cmd(
    input: Annotated[Path, typer.Option("--input", help="An export: a table of messages (CSV, TSV, XLSX), "
                                        "a mailbox (mbox), an .eml file or a folder of them, JSON.")],
    output: Annotated[Path, typer.Option("--output", help="Conversations JSONL to write.")],
    format: Annotated[Optional[str], typer.Option(
        "--format", help="csv | tsv | xlsx | mbox | eml | json (default: from the extension).")] = None,
    mapping: Annotated[Optional[Path], typer.Option(
        "--mapping", help="Mapping YAML: columns, sender values, worker addresses (annotation/import/).")] = None,
    no_anonymise: Annotated[bool, typer.Option(
        "--no-anonymise", help="Write the raw text, not anonymised (only on this machine, never shared).")] = False,
    skip_bad: Annotated[bool, typer.Option(
        "--skip-bad", help="Leave out bad rows/mails and list them (number and reason) in <output>.skipped.csv.")]
    = False,
    style: Annotated[str, typer.Option("--style", help="Anonymiser: pseudonym (realistic surrogates) | tags "
                                       "([NAMN] ...)")] = "pseudonym",
    seed: Annotated[int, typer.Option("--seed", help="Seed for the anonymiser's surrogates.")] = 0,
) -> None:
    """Import an organisation's chat export or mailbox as conversations, anonymised by default."""
    from rich.markup import escape

    from .importing import run_import

    r = run_import(input, output, fmt=format, mapping=mapping, anonymise=not no_anonymise, skip_bad=skip_bad,
                   style=style, seed=seed)
    for note in r["notes"]:
        print(f"childx: note: {note}", file=sys.stderr)
    if no_anonymise:
        print(f"childx: warning: {output} holds raw, NOT anonymised text: keep it on this machine, "
              f"run childx anonymize before anyone reads it", file=sys.stderr)
    unit = {"line": "rows", "row": "rows", "record": "records", "mail": "mails"}[r["unit"]]
    console.print(f"[green]✓[/] {escape(r['output'])}: {r['conversations']} conversations, {r['messages']} "
                  f"messages from {r['read']} {unit}", highlight=False)
    if r["skipped_file"]:
        console.print(f"  skipped: {r['skipped']} (list: {r['skipped_file']})", markup=False, highlight=False)
    left_out = {"empty messages": r["empty_messages"], "rows of skip_roles": r["ignored_by_skip_roles"],
                "duplicate mails": r["duplicate_mails"]}
    if any(left_out.values()):
        console.print("  left out: " + ", ".join(f"{k} {v}" for k, v in left_out.items() if v), markup=False,
                      highlight=False)
    if r["attachments_not_imported"]:
        console.print(f"  attachments not imported: {r['attachments_not_imported']}", markup=False, highlight=False)
    if r["report"]:
        console.print(f"  anonymised: {r['replacements']} replacements; report: {r['report']}", markup=False,
                      highlight=False)


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
    jobs: Annotated[Optional[int], typer.Option(
        "--jobs", help="Processes to use (default: all cores); the output is the same for any number.")] = None,
) -> None:
    """Replace personal data (names, places, schools, phone numbers, personnummer, e-mail,
    addresses, handles, URLs) in conversations; write a report of counts per type."""
    from .anonymize.cli import run_anonymize

    result = run_anonymize(input, output, style=style, report_path=report, seed=seed, jobs=jobs)
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

    from .records import check_output_dir, write_output_marker

    check_output_dir(out, "trends", [input, form], legacy=("trends_summary.json",))
    f = load_form(form)
    check_as_of(as_of)
    records = load_dated_records(input, f)
    check_dates(records, input)
    result = analyse(records, f, by=by, as_of=as_of)
    paths = write_outputs(result, out)
    write_output_marker(out, "trends")
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
    convs = read_conversations(conversations) if conversations is not None else None
    if convs is not None:  # "new words" are published: only sealed, guarded anonymised text
        from .anonymize import require_sealed
        from .records import check_unique_ids

        check_dates(convs, conversations)  # a year-1 date overflows the calendar in the terms step
        check_unique_ids(convs, conversations)
        require_sealed(convs, path=conversations)
    records = load_dated_records(forms, f)
    check_dates(records, forms)
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
        "--data", help="A dataset folder (childx annotate pull) or contacts JSONL; default: the config's data.")] = None,
    allow_unsealed: Annotated[bool, typer.Option(
        "--allow-unsealed", help="Also train on data that is not sealed anonymised output (raw contacts, "
                                 "a dataset without seals): only for data known to hold no one's personal data.")]
    = False,
) -> None:
    """Train the form-filling model (baseline or transformer, by the config) and write a model folder.
    Only sealed anonymised data (or synthetic contacts generated in memory) unless --allow-unsealed."""
    from .modeling.train import train as run_train
    from .records import check_not_input

    check_not_input(out, [data, config])  # a model folder is replaced whole
    path = run_train(config, out, data=data, log=lambda m: console.print(m, markup=False, highlight=False),
                     allow_unsealed=allow_unsealed)
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
    from .records import check_not_input

    check_not_input(output, [input, model], option="--output")
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
    from .records import check_output_dir, write_output_marker

    check_output_dir(out, "evaluate", [gold, pred, form], legacy=("metrics.json",))
    paths = evaluate_files(gold, pred, out, load_form(form))
    write_output_marker(out, "evaluate")
    for name, path in paths.items():
        console.print(f"[green]✓[/] {name}: {path}")


# --- demo -------------------------------------------------------------------------------
@app.command()
@friendly_errors
def demo(
    out: Annotated[Path, typer.Option("--out", help="Where the demo run writes.")] = Path("runs/demo"),
    n: Annotated[int, typer.Option("--n", min=50, help="Number of generated contacts.")] = 2000,
    seed: Annotated[int, typer.Option("--seed")] = 7,
    transformer: Annotated[str, typer.Option(
        "--transformer", help="auto (full with a GPU or a local checkpoint in CHILDX_ENCODER, else small) | "
                              "small (a small CPU configuration, minutes) | full | off.")] = "auto",
    dev: Annotated[Optional[list[Path]], typer.Option(
        "--dev", help="A file of hand-labelled conversations (with `gold`, optionally gold `evidence`) to "
                      "measure the chosen model on; repeatable. `make demo` passes ../shared/data's dev sets "
                      "when they are there.")] = None,
) -> None:
    """The whole pipeline on built-in synthetic data; prints the time of each step at the end."""
    from .modeling.compare import resolve_transformer_mode
    from .pipeline import run_demo

    resolve_transformer_mode(transformer)  # a wrong value fails before any work
    run_demo(out=out, n=n, seed=seed, console=console, transformer=transformer, dev=list(dev or []))


def main() -> None:
    app()


if __name__ == "__main__":
    main()
