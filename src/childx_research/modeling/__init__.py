"""The form-filling model: two families behind one interface.

- :func:`train` (``train.train``): a training config (YAML) -> a model folder;
- :func:`predict` (``predict.predict``): a model folder + conversations -> form records
  with confidences, fields below their confidence bar flagged for a person, and a
  ``sammanfattning`` written from the predicted form.

Families: ``baseline`` (TF-IDF + logistic regression, :mod:`.baseline`) and
``transformer`` (one shared encoder, one head per field, :mod:`.transformer`).
Everything field-specific is derived from the form file; nothing here names a field.
Heavy libraries (torch, transformers, scikit-learn) are imported lazily.
"""

from __future__ import annotations

# Imported eagerly so that ``modeling.predict`` is the function, not the submodule of the
# same name (the submodule is ``childx_research.modeling.predict``). Heavy libraries are
# imported inside the functions.
from .predict import Predictor, load_model, predict  # noqa: E402
from .train import train  # noqa: E402

__all__ = ["train", "predict", "load_model", "Predictor"]
