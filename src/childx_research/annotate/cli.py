"""What ``childx annotate serve|push|pull|config`` do, kept out of the thin CLI module."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from typing import Callable

from ..errors import InputError
from ..forms import Form
from ..records import Conversation, FormRecord, check_unique_ids, read_conversations
from .server import (DEFAULT_DATA_DIR, DEFAULT_ENV_FILE, DEFAULT_PORT, HOST, LabelStudioError, connect, is_ready,
                     read_env_file, start_server)
from .tasks import PushResult, pull, push

Say = Callable[[str], None]


def default_url(env_file: Path | None = DEFAULT_ENV_FILE) -> str:
    env = read_env_file(env_file) if env_file else {}
    return os.environ.get("LABEL_STUDIO_URL") or env.get("LABEL_STUDIO_URL") or f"http://{HOST}:{DEFAULT_PORT}"


def client_for(url: str | None, env_file: Path | None = DEFAULT_ENV_FILE):
    """A client for a running Label Studio, with the token from the environment or ``.env``."""
    env = read_env_file(env_file) if env_file else {}
    token = os.environ.get("LABEL_STUDIO_USER_TOKEN") or env.get("LABEL_STUDIO_USER_TOKEN")
    url = (url or default_url(env_file)).rstrip("/")
    if not token:
        raise LabelStudioError("no API token: set LABEL_STUDIO_USER_TOKEN in the environment or in .env "
                               "(`childx annotate serve` writes one)")
    if not is_ready(url):
        raise LabelStudioError(f"Label Studio does not answer at {url} (start it with `childx annotate serve`)")
    if not is_ready(url, token):
        raise LabelStudioError(f"Label Studio at {url} refused the API token (LABEL_STUDIO_USER_TOKEN)")
    return connect(url, token)


def load_inputs(input: Path, form: Form, predictions: Path | None = None, model: Path | None = None
                ) -> tuple[list[Conversation], list[FormRecord] | None, str | None]:
    convs = read_conversations(input)
    if not convs:
        raise InputError("no conversations in the file", path=input)
    check_unique_ids(convs, input)
    preds: list[FormRecord] | None = None
    version: str | None = None
    if predictions is not None and model is not None:
        raise InputError("give --predictions or --model, not both")
    if predictions is not None:
        preds = _read_predictions(predictions, form)
    elif model is not None:
        from ..modeling import predict as model_predict

        preds = list(model_predict(model, convs))
        version = Path(model).resolve().name
    return convs, preds, version


def _read_predictions(path: Path, form: Form) -> list[FormRecord]:
    """Form records with confidence; a prediction may leave a field out (no pre-annotation)."""
    from ..records import iter_jsonl

    out = []
    for n, rec in enumerate(iter_jsonl(path, FormRecord), start=1):
        problems = form.check_values(rec.form, require_all=False)
        if problems:
            key, msg = problems[0]
            raise InputError(msg, path=path, line=getattr(rec, "_line", None) or n,
                             key=f"form.{key}" if key else "form")
        out.append(rec)
    return out


def run_push(client, input: Path, form: Form, *, predictions: Path | None = None, model: Path | None = None,
             model_version: str | None = None, overlap: int | None = None, title: str | None = None
             ) -> PushResult:
    convs, preds, version = load_inputs(input, form, predictions, model)
    return push(client, convs, form, predictions=preds, model_version=model_version or version, overlap=overlap,
                title=title, path=input)


def run_serve(form: Form, *, data_dir: Path = DEFAULT_DATA_DIR, port: int = DEFAULT_PORT,
              env_file: Path = DEFAULT_ENV_FILE, push_input: Path | None = None, predictions: Path | None = None,
              model: Path | None = None, model_version: str | None = None, wait: bool = True,
              say: Say = print) -> None:
    """Start Label Studio, push ``push_input`` when given, print how to log in, and keep it
    running until Ctrl-C (or return at once with ``wait=False``, leaving it running)."""
    t0 = time.perf_counter()
    if push_input is not None:  # refuse bad input before starting anything
        load_inputs(push_input, form, predictions, None)
    server = start_server(data_dir, port, env_file=env_file)
    try:
        if server.process is None:
            say(f"Label Studio körs redan på {server.url}.")
        if push_input is not None:
            r = run_push(server.client(), push_input, form, predictions=predictions, model=model,
                         model_version=model_version)
            say(f"✓ {r.summary()}")
        say(f"✓ klar efter {time.perf_counter() - t0:.0f} s (data: {Path(data_dir).resolve()})")
        say(server.login_help(env_file))
        if not wait or server.process is None:
            if server.process is not None:
                server.process = None  # leave it running
            return
        say("Stoppa med Ctrl-C.")
        for sig in (signal.SIGINT, signal.SIGTERM):  # also when started in the background
            signal.signal(sig, _interrupt)
        try:
            while server.process.poll() is None:
                time.sleep(1)
            raise LabelStudioError(f"Label Studio stopped unexpectedly; see {server.log_path}")
        except KeyboardInterrupt:
            say("Stoppar Label Studio …")
    finally:
        server.stop()


def _interrupt(*_args) -> None:
    raise KeyboardInterrupt


def run_pull(client, form: Form, out: Path, *, title: str | None = None, seed: int = 0):
    return pull(client, form, out, title=title, seed=seed)
