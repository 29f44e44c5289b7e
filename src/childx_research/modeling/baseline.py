"""The fast baseline: TF-IDF + logistic regression, one model per field or option.

Features: TF-IDF on words (1–2-grams) and on character n-grams (``char_wb``, robust to
typos, youth spelling and Swedish inflection), computed separately over the help-seeker's
and the worker's messages (a ``ColumnTransformer`` keeps the two voices apart: what the
worker recommends is not what the young person lives through).

Heads: a multinomial logistic regression per single field, a binary one per option of
each multi field. Options that never (or always) occur in training get a constant score.
The output is logits per field, so calibration and decisions are shared with the
transformer (:mod:`.calibration`).

Windows (``baseline.windows``): a whole-conversation TF-IDF vector dilutes one decisive
sentence in a long mail ("I have to be out tonight and have nowhere to go" among twenty
lines about school). For the fields listed, the same fitted heads also score overlapping
windows of ``sentences`` help-seeker sentences (with the worker's text as it is), and an
option's score is the highest of the whole conversation's and its windows' — the option is
there if it is there anywhere, as the transformer pools its windows. For a single field
only its alarm options (``alarm: true`` in the form) are raised this way; calibration is fitted
on these pooled scores.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InputError
from ..forms import Form
from ..records import Conversation
from .data import Example, split_texts

FILE = "baseline.skops"
#: What an earlier version wrote: a pickle, which runs code when loaded; never loaded now.
LEGACY_FILE = "baseline.joblib"
#: Types beyond scikit-learn's and numpy's own that a baseline file may hold (skops refuses
#: any other type unless it is listed here; nothing in it is executed on load).
TRUSTED_TYPES = ("childx_research.modeling.baseline._ConstHead",)
CONST_LOGIT = 12.0
TEXT_COLUMNS = ("stodsokande", "stodperson")


def _frame(conversations: list[Conversation]):
    import pandas as pd

    rows = [split_texts(c) for c in conversations]
    return pd.DataFrame(rows, columns=list(TEXT_COLUMNS))


def _vectorizer(bcfg: dict[str, Any], n_docs: int):
    """Word and character TF-IDF per voice; each voice's columns are a separate block."""
    from sklearn.compose import ColumnTransformer
    from sklearn.feature_extraction.text import TfidfVectorizer

    min_df = int(bcfg.get("min_df", 2)) if n_docs >= 50 else 1

    def word():
        return TfidfVectorizer(analyzer="word", ngram_range=tuple(bcfg.get("word_ngrams", (1, 2))), min_df=min_df,
                               max_features=bcfg.get("max_features_word"), sublinear_tf=bcfg.get("sublinear_tf", True),
                               lowercase=True, strip_accents=None, token_pattern=r"(?u)\b\w+\b", dtype=np.float32)

    def char():
        return TfidfVectorizer(analyzer="char_wb", ngram_range=tuple(bcfg.get("char_ngrams", (2, 5))), min_df=min_df,
                               max_features=bcfg.get("max_features_char"), sublinear_tf=bcfg.get("sublinear_tf", True),
                               lowercase=True, strip_accents=None, dtype=np.float32)

    parts = []
    for col in TEXT_COLUMNS:
        parts.append((f"{col}_ord", word(), col))
        parts.append((f"{col}_tecken", char(), col))
    return ColumnTransformer(parts, sparse_threshold=1.0)


def voice_columns(vectorizer, roles: list[str]) -> np.ndarray:
    """Column indices of the feature blocks that belong to ``roles``."""
    cols = []
    for name, sl in vectorizer.output_indices_.items():
        if name.rsplit("_", 1)[0] in roles and sl.stop > sl.start:
            cols.append(np.arange(sl.start, sl.stop))
    return np.concatenate(cols) if cols else np.arange(0)


def reads_for(cfg: dict[str, Any], field_key: str) -> list[str]:
    """Whose messages a field is read from (config ``reads``; default: both voices)."""
    roles = (cfg.get("reads") or {}).get(field_key) or list(TEXT_COLUMNS)
    return [r for r in roles if r in TEXT_COLUMNS] or list(TEXT_COLUMNS)


class _ConstHead:
    """A head for a target with one class in training: fixed logits."""

    def __init__(self, logits: np.ndarray) -> None:
        self.const = np.asarray(logits, dtype=np.float64)

    def logits(self, X) -> np.ndarray:
        return np.tile(self.const, (X.shape[0], 1)) if self.const.ndim else np.full(X.shape[0], float(self.const))


def sentence_windows(text: str, size: int) -> list[str]:
    """Overlapping windows of ``size`` sentences (step ``size // 2``); none for a text of at
    most ``size`` sentences (the whole text is already scored)."""
    from .features import sentences, window_bounds

    sents = sentences(text)
    return [" ".join(sents[a:b]) for a, b in window_bounds(len(sents), size)]


def window_options(f, cfg: dict[str, Any]) -> list[int]:
    """Option indices of ``f`` whose score is pooled over windows: every option of a multi
    field but the exclusive ones; the alarm options of a single field."""
    if f.kind == "multi":
        return [j for j, o in enumerate(f.option_keys) if o not in f.exclusive_keys]
    return [j for j, o in enumerate(f.options) if o.alarm]


class BaselineModel:
    family = "baseline"

    def __init__(self, form: Form, vectorizer, heads: dict[str, Any], columns: dict[str, np.ndarray],
                 windows: dict[str, Any] | None = None) -> None:
        self.form = form
        self.vectorizer = vectorizer
        # single field: a classifier (or _ConstHead); multi field: one per option
        self.heads = heads
        # feature columns each field reads (its voices)
        self.columns = columns
        # {"sentences": n, "options": {field: [option index, ...]}} or None
        self.windows = windows or None

    # --- training --------------------------------------------------------------------
    @classmethod
    def fit(cls, train: list[Example], form: Form, cfg: dict[str, Any], seed: int = 1,
            log=print) -> "BaselineModel":
        from joblib import Parallel, delayed

        bcfg = cfg.get("baseline") or {}
        vec = _vectorizer(bcfg, len(train))
        X = vec.fit_transform(_frame([e.conversation for e in train])).tocsr()
        log(f"  TF-IDF: {X.shape[0]} samtal × {X.shape[1]} särdrag")
        columns = {f.key: voice_columns(vec, reads_for(cfg, f.key)) for f in form.choice_fields}
        views = {}
        for f in form.choice_fields:
            key = tuple(reads_for(cfg, f.key))
            if key not in views:
                views[key] = X[:, columns[f.key]]
        # a single field with an alarm option (acute risk) is recall-first: it keeps the class
        # weights of the multi options, whatever ``single_class_weight`` says
        alarm_fields = {k for k, _ in form.alarm_options}
        recall_first = {k: v for k, v in bcfg.items() if k != "single_class_weight"}
        jobs = []
        for f in form.choice_fields:
            Xf = views[tuple(reads_for(cfg, f.key))]
            if f.kind == "single":
                y = np.array([f.option_keys.index(e.values[f.key]) for e in train])
                jobs.append((f.key, None, Xf, y, len(f.options), recall_first if f.key in alarm_fields else bcfg))
            else:
                for j, o in enumerate(f.option_keys):
                    y = np.array([int(o in e.values[f.key]) for e in train])
                    jobs.append((f.key, j, Xf, y, None, bcfg))
        from ..progress import track

        fitted = list(track(Parallel(n_jobs=int(bcfg.get("n_jobs", 2)), prefer="threads", return_as="generator")(
            delayed(_fit_head)(Xf, y, hcfg, seed, k) for _, _, Xf, y, k, hcfg in jobs),
            "Tränar baslinjen (en modell per fält och alternativ)", total=len(jobs), unit="modeller"))
        heads: dict[str, Any] = {f.key: [None] * len(f.options) for f in form.multi_fields}
        for (key, j, *_), head in zip(jobs, fitted):
            if j is None:
                heads[key] = head
            else:
                heads[key][j] = head
        return cls(form, vec, heads, columns, _windows_config(bcfg, cfg, form))

    # --- scoring ---------------------------------------------------------------------
    def _fast(self):
        """The exact, cached TF-IDF (:mod:`.features`), built once per loaded model; ``None``
        when the vectorizer has settings it does not reproduce."""
        if not hasattr(self, "_fast_tfidf"):
            from .features import fast_tfidf

            self._fast_tfidf = fast_tfidf(self.vectorizer, TEXT_COLUMNS)
        return self._fast_tfidf

    def features(self, conversations: list[Conversation]):
        fast = self._fast()
        if fast is not None:
            return fast.transform([split_texts(c) for c in conversations])
        return self.vectorizer.transform(_frame(conversations)).tocsr()

    def logits(self, conversations: list[Conversation]) -> dict[str, np.ndarray]:
        """Per choice field: (n, n_options) logits (log-probabilities for single fields)."""
        fast = self._fast()
        windows = None
        if fast is not None:
            size = int(self.windows["sentences"]) if self.windows else None
            X, Xw, owner = fast.transform_with_windows([split_texts(c) for c in conversations],
                                                       TEXT_COLUMNS.index("stodsokande"), size)
            if Xw is not None:
                windows = (Xw, owner)
        else:
            X = self.features(conversations)
        out: dict[str, np.ndarray] = {}
        for f in self.form.choice_fields:
            Xf = X[:, self.columns[f.key]]
            head = self.heads[f.key]
            if f.kind == "single":
                out[f.key] = head.logits(Xf) if isinstance(head, _ConstHead) else _single_logits(head, Xf, len(f.options))
            else:
                cols = [h.logits(Xf) if isinstance(h, _ConstHead) else _binary_logit(h, Xf) for h in head]
                out[f.key] = np.stack(cols, axis=1).astype(np.float64)
        if self.windows and (fast is None or windows is not None):  # fast and no windows: none is long enough
            self._pool_windows(conversations, X, out, windows)
        return out

    def _pool_windows(self, conversations: list[Conversation], X_conv, out: dict[str, np.ndarray],
                      windows=None) -> None:
        """Raise each windowed option's score to its best window's (see the module docstring).
        Only the help-seeker's windows are vectorised; each voice is vectorised on its own, so
        a window's worker block is its conversation's, taken from ``X_conv``. ``windows``:
        ``(X, owner)`` already computed (by :mod:`.features`), ``None`` to compute them here."""
        if windows is None:
            windows = self._window_features(conversations, X_conv)
            if windows is None:
                return
        X, owner_a = windows
        for key, options in self.windows["options"].items():
            f = self.form.field(key)
            Xf = X[:, self.columns[key]]
            head = self.heads[key]
            z = out[key]
            if f.kind == "multi":
                for j in options:
                    h = head[j]
                    zw = h.logits(Xf) if isinstance(h, _ConstHead) else _binary_logit(h, Xf)
                    best = np.full(len(conversations), -np.inf)
                    np.maximum.at(best, owner_a, np.broadcast_to(zw, (Xf.shape[0],)).astype(np.float64))
                    z[:, j] = np.maximum(z[:, j], best)
                continue
            if isinstance(head, _ConstHead):
                continue
            zw = np.exp(_single_logits(head, Xf, len(f.options)))  # probabilities per window
            p = np.exp(z)
            raised = p.copy()
            for j in options:
                best = np.zeros(len(conversations))
                np.maximum.at(best, owner_a, zw[:, j])
                raised[:, j] = np.maximum(p[:, j], best)
            # the alarm options take their raised probabilities (together at most 1); the
            # others share what is left in their old proportions
            alarm = raised[:, options]
            total = alarm.sum(axis=1)
            over = total > 1.0
            alarm[over] /= total[over, None]
            others = [j for j in range(len(f.options)) if j not in options]
            rest_old = np.clip(p[:, others].sum(axis=1), 1e-12, None)
            rest_new = 1.0 - alarm.sum(axis=1)
            p[:, others] *= (rest_new / rest_old)[:, None]
            p[:, options] = alarm
            out[key] = np.log(np.clip(p, 1e-6, 1.0))

    def _window_features(self, conversations: list[Conversation], X_conv):
        """The windows' features with scikit-learn's own transform (when :mod:`.features`
        does not apply)."""
        import pandas as pd
        import scipy.sparse as sp

        size = int(self.windows["sentences"])
        rows, owner = [], []
        for i, conv in enumerate(conversations):
            for w in sentence_windows(conv.text_of("stodsokande"), size):
                rows.append((w, ""))
                owner.append(i)
        if not rows:
            return None
        worker = np.zeros(X_conv.shape[1])
        worker[voice_columns(self.vectorizer, ["stodperson"])] = 1.0
        owner_a = np.asarray(owner)
        X = (self.vectorizer.transform(pd.DataFrame(rows, columns=list(TEXT_COLUMNS))).tocsr()
             + X_conv[owner_a] @ sp.diags(worker)).tocsr()
        return X, owner_a

    # --- persistence -----------------------------------------------------------------
    # skops (made for scikit-learn models) instead of a pickle: loading it never runs code
    # from the file, and every type in it must be one that scikit-learn, numpy or
    # TRUSTED_TYPES names; anything else is refused before it is built.
    #
    # The TF-IDF vocabularies go in as arrays of terms (one numpy array per block, in column
    # order), not as the vectorizers' dicts: skops writes a dict item by item, which took
    # over ten minutes for the demo's 117,000 features. ``stop_words_`` (every term pruned by
    # min_df, for introspection only; scikit-learn says it may be removed) is not saved.
    def save(self, model_dir: Path) -> None:
        import skops.io as sio

        taken = {}
        for name, vec in _tfidf_blocks(self.vectorizer):
            taken[name] = (vec.vocabulary_, getattr(vec, "stop_words_", None))
        try:
            terms = {}
            for name, vec in _tfidf_blocks(self.vectorizer):
                vocab = taken[name][0]
                ordered = [""] * len(vocab)
                for term, i in vocab.items():
                    ordered[i] = term
                terms[name] = np.array(ordered, dtype=str)
                del vec.vocabulary_
                vec.stop_words_ = None
            sio.dump({"vectorizer": self.vectorizer, "vocabularies": terms, "heads": self.heads,
                      "columns": self.columns, "windows": self.windows}, Path(model_dir) / FILE, compression=8)
        finally:
            for name, vec in _tfidf_blocks(self.vectorizer):
                vec.vocabulary_, vec.stop_words_ = taken[name]

    @classmethod
    def load(cls, model_dir: Path, form: Form) -> "BaselineModel":
        import skops.io as sio

        path = Path(model_dir) / FILE
        if not path.exists() and (Path(model_dir) / LEGACY_FILE).exists():
            raise InputError(f"{LEGACY_FILE} is a pickle, which can run code when loaded, and is not loaded: "
                             "train the model again (childx train)", path=model_dir)
        untrusted = sio.get_untrusted_types(file=path)
        foreign = [t for t in untrusted if t not in TRUSTED_TYPES]
        if foreign:
            raise InputError(f"{FILE} holds {len(foreign)} type(s) that a baseline model never holds; "
                             "it is not loaded", path=model_dir)
        data = sio.load(path, trusted=list(untrusted))
        vocabularies = data.get("vocabularies") or {}
        for name, vec in _tfidf_blocks(data["vectorizer"]):
            if name not in vocabularies:
                raise InputError(f"{FILE} lacks the vocabulary of {name!r}: train the model again", path=model_dir)
            vec.vocabulary_ = {t: i for i, t in enumerate(vocabularies[name].tolist())}
        return cls(form, data["vectorizer"], data["heads"], data["columns"], data.get("windows"))


def _tfidf_blocks(vectorizer):
    """``(name, fitted TfidfVectorizer)`` of each block of the fitted column transformer."""
    for name, vec, _ in vectorizer.transformers_:
        if hasattr(vec, "idf_") or hasattr(vec, "vocabulary_"):
            yield name, vec


def _windows_config(bcfg: dict[str, Any], cfg: dict[str, Any], form: Form) -> dict[str, Any] | None:
    wcfg = bcfg.get("windows") or {}
    fields = [k for k in wcfg.get("fields") or [] if k in form.by_key and form.field(k).kind != "text"]
    if not fields or not wcfg.get("sentences"):
        return None
    options = {k: v for k in fields if (v := window_options(form.field(k), cfg))}
    return {"sentences": int(wcfg["sentences"]), "options": options} if options else None


def _fit_head(X, y: np.ndarray, bcfg: dict[str, Any], seed: int, n_options: int | None):
    """A logistic regression; ``n_options`` is set for single fields (y = option index).

    ``solver: sgd`` (default) fits the logistic loss by stochastic gradient descent
    (``SGDClassifier(loss="log_loss")``, L2 penalty ``1 / (C·n)``): the same model as
    ``LogisticRegression`` at a fraction of the time on 100,000+ sparse features;
    ``solver: lbfgs`` uses ``LogisticRegression`` itself.
    """
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression, SGDClassifier

    classes = np.unique(y)
    if len(classes) == 1:
        if n_options is None:  # an option that is always or never present in training
            return _ConstHead(np.float64(CONST_LOGIT if classes[0] == 1 else -CONST_LOGIT))
        const = np.full(n_options, np.log(1e-6))
        const[classes[0]] = 0.0
        return _ConstHead(const)
    C = float(bcfg.get("C", 8.0))
    cw = bcfg.get("class_weight", "balanced")
    if n_options is not None and "single_class_weight" in bcfg:
        cw = bcfg["single_class_weight"]   # single fields may differ from the rare multi options
    if bcfg.get("solver", "sgd") == "sgd":
        model = SGDClassifier(loss="log_loss", alpha=1.0 / (C * X.shape[0]), class_weight=cw,
                              max_iter=int(bcfg.get("max_iter", 50)), tol=1e-4, random_state=seed)
    else:
        model = LogisticRegression(C=C, class_weight=cw, max_iter=int(bcfg.get("max_iter", 2000)), random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    return model


def _binary_logit(model, X) -> np.ndarray:
    p = model.predict_proba(X)[:, list(model.classes_).index(1)]
    p = np.clip(p, 1e-7, 1 - 1e-7)
    return np.log(p) - np.log1p(-p)


def _single_logits(model, X, n_options: int) -> np.ndarray:
    proba = model.predict_proba(X)
    out = np.full((X.shape[0], n_options), np.log(1e-6))
    out[:, model.classes_] = np.log(np.clip(proba, 1e-6, 1.0))
    return out
