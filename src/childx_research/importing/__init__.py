"""Importing an organisation's own conversations: chat exports (CSV, TSV, XLSX, JSON) and
mailboxes (mbox, .eml) into the workbench's conversation format (formats.md).

Public API:

- :func:`import_export` — read an export into validated conversations (nothing written);
- :func:`run_import` — what ``childx import`` does: import, anonymise (by default), write
  atomically, list skipped rows;
- :func:`load_mapping` / :class:`Mapping` — the mapping file (formats.md, "Import mapping");
- :func:`clean_body` / :func:`html_to_text` — a mail body without quotes and signature.
"""

from .clean import clean_body, html_to_text
from .mapping import Mapping, load_mapping
from .rows import ImportResult, Skipped
from .run import FORMATS, detect_format, import_export, run_import

__all__ = ["import_export", "run_import", "load_mapping", "Mapping", "ImportResult", "Skipped", "FORMATS",
           "detect_format", "clean_body", "html_to_text"]
