"""Annotation in a real Label Studio: the labeling config from the form, the server,
push (anonymised conversations, pre-annotations, active-learning order) and pull
(annotations -> form records -> DatasetDict), and inter-annotator agreement.

Public API:

- :func:`label_config` — the labeling config XML for a form (:mod:`.config`);
- :func:`start_server` / :class:`LabelStudioServer` / :func:`connect` — Label Studio on
  127.0.0.1 from its own venv, nothing leaving the machine (:mod:`.server`);
- :func:`push` / :func:`pull` / :func:`submit_annotations` (:mod:`.tasks`);
- :func:`field_agreement`, :func:`disagreements`, :func:`lead_times`, :func:`lead_time_per_task`,
  :func:`anonymisation_failures` (:mod:`.agreement`).

Label Studio itself is imported by nothing here: it runs as a separate process, and the
workbench talks to it over HTTP with label-studio-sdk.
"""

from .agreement import (anonymisation_failures, disagreements, field_agreement, krippendorff_alpha,
                        lead_time_per_task, lead_times)
from .config import MISSED_TITLE, label_config
from .results import AnnotationRecord
from .server import (Credentials, LabelStudioError, LabelStudioServer, add_user, connect, label_studio_bin,
                     load_credentials, start_server)
from .tasks import NotAnonymised, PullResult, PushResult, project_title, pull, push, submit_annotations

__all__ = [
    "label_config", "MISSED_TITLE", "AnnotationRecord",
    "start_server", "LabelStudioServer", "LabelStudioError", "Credentials", "load_credentials", "connect",
    "add_user", "label_studio_bin",
    "push", "pull", "submit_annotations", "project_title", "PushResult", "PullResult", "NotAnonymised",
    "field_agreement", "disagreements", "lead_times", "lead_time_per_task", "anonymisation_failures",
    "krippendorff_alpha",
]
