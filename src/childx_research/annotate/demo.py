"""The annotation step of ``childx demo`` (and notebook 03): a round trip through a real,
temporary Label Studio, with annotations simulated from the generated gold.

1. start Label Studio on a free port with a temporary data folder;
2. push the anonymised conversations, with the gold forms imported as the first
   annotator's annotations (one bulk request: the API's import of labelled data);
3. a second annotator, created through the invitation link, annotates a sample through
   the API one task at a time, as in the browser, answering like the gold with a little
   seeded noise, so that agreement has something to measure;
4. pull: annotations -> consensus forms -> the DatasetDict that training uses;
5. stop the server and delete its data.
"""

from __future__ import annotations

import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path
from random import Random
from typing import Any, Callable, Sequence

from ..forms import Form
from ..records import Contact, Conversation
from .server import Credentials, add_user, connect, label_studio_bin, start_server
from .tasks import PullResult, pull, push, submit_annotations

SECOND_ANNOTATOR = "annotator2@localhost"


def noisy_copy(form: Form, values: dict[str, Any], rng: Random, p: float = 0.15) -> dict[str, Any]:
    """``values`` with each single field changed to another option with probability ``p``
    (a plausible second annotator)."""
    out = dict(values)
    for f in form.single_fields:
        if rng.random() < p:
            out[f.key] = rng.choice([k for k in f.option_keys if k != values[f.key]])
    return out


@dataclass
class Simulated:
    """Simulated annotations: the first annotator's (the gold, with lead times) and a
    second annotator's on a sample (the gold with a little noise)."""

    first: dict[str, dict[str, Any]]
    first_lead: dict[str, float]
    second: dict[str, dict[str, Any]]
    second_lead: dict[str, float]


def simulate_annotations(contacts: Sequence[Contact], form: Form, ids: Sequence[str], *, seed: int = 0,
                         second_annotator: int = 40) -> Simulated:
    """Answers for the conversations ``ids`` from the contacts' gold (deterministic for ``seed``)."""
    rng = Random(f"childx-annotate-demo:{seed}")
    gold = {c.id: c.gold for c in contacts}
    ids = [i for i in ids if i in gold]
    first_lead = {cid: round(rng.uniform(60, 420), 1) for cid in ids}
    sample = sorted(rng.sample(ids, min(second_annotator, len(ids))))
    second = {cid: noisy_copy(form, gold[cid], rng) for cid in sample}
    second_lead = {cid: round(rng.uniform(60, 420), 1) for cid in sample}
    return Simulated({cid: gold[cid] for cid in ids}, first_lead, second, second_lead)


def second_annotator_annotates(url: str, admin_token: str, project_id: int, form: Form, sim: Simulated,
                               task_ids: dict[str, int] | None = None) -> int:
    """Create the second annotator (invitation link) and annotate as them through the API."""
    _, token = add_user(url, admin_token, SECOND_ANNOTATOR, secrets.token_urlsafe(12))
    return submit_annotations(connect(url, token), project_id, form, sim.second, lead_time=sim.second_lead,
                              task_ids=task_ids)


def clean_conversations(anonymised: Sequence[Conversation], say: Callable[[str], None] = print
                        ) -> list[Conversation]:
    """The anonymised conversations the guard accepts (the rest are held back, and counted)."""
    from ..anonymize import check_anonymised

    clean = [c for c in anonymised if not check_anonymised(c)]
    if len(clean) < len(anonymised):
        say(f"{len(anonymised) - len(clean)} samtal där detektorn fortfarande hittar personuppgifter hålls "
            f"tillbaka (vakten skulle vägra dem)")
    return clean


def simulated_round_trip(contacts: Sequence[Contact], form: Form, out_dir: str | Path, *, seed: int = 0,
                         anonymised: Sequence[Conversation] | None = None, second_annotator: int = 40,
                         say: Callable[[str], None] = print, checked: bool = False) -> PullResult | None:
    """Run steps 1–5 above; ``None`` (with a message) when Label Studio is not installed.
    ``checked``: the caller already left out what the anonymiser's guard finds something in
    (push runs the guard again before anything is imported)."""
    if label_studio_bin() is None:
        say("Label Studio är inte installerat (make labelstudio): annoteringssteget hoppas över.")
        return None
    if anonymised is None:
        from ..anonymize import anonymize_conversations

        anonymised, _ = anonymize_conversations([c.conversation() for c in contacts], seed=seed)
    if not checked:
        anonymised = clean_conversations(anonymised, say)
    sim = simulate_annotations(contacts, form, [c.id for c in anonymised], seed=seed,
                               second_annotator=second_annotator)
    creds = Credentials("admin@localhost", secrets.token_urlsafe(12), secrets.token_hex(20))
    with tempfile.TemporaryDirectory(prefix="childx-labelstudio-") as tmp:
        with start_server(Path(tmp) / "data", port=None, credentials=creds, env_file=None) as srv:
            say(f"Label Studio startad på {srv.url} ({srv.started_in:.0f} s, tillfällig datamapp)")
            client = srv.client()
            r = push(client, anonymised, form, annotations=sim.first, lead_times=sim.first_lead)
            say(r.summary())
            n = second_annotator_annotates(srv.url, srv.token, r.project_id, form, sim, task_ids=r.task_ids)
            say(f"annotatör 2 har annoterat {n} samtal via API:t")
            result = pull(client, form, out_dir, seed=seed)
            say(result.summary())
    return result
