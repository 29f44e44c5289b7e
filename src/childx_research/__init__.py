"""ChildX research workbench: generate → anonymise → annotate → train → evaluate → trends/report.

Importing the package switches every Hugging Face library to offline mode and turns
telemetry off: nothing about this data may leave the machine.
"""

import os as _os

for _var, _value in {
    "HF_HUB_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "HF_HUB_DISABLE_IMPLICIT_TOKEN": "1",
    "DO_NOT_TRACK": "1",
    "WANDB_DISABLED": "true",
}.items():
    _os.environ.setdefault(_var, _value)

__version__ = "0.1.0"
