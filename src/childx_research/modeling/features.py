"""The baseline's TF-IDF features, computed faster and exactly as scikit-learn computes them.

Why by hand: scikit-learn's ``TfidfVectorizer.transform`` cuts every word into its
character n-grams again each time it meets it, in Python; on chat text, where the same few
thousand words come back all the time, that was most of the baseline's prediction time. And
the acute-risk windows (``baseline.windows``) made it vectorise each help-seeker sentence
two or three more times (once in the whole text, once in each overlapping window).

:class:`FastTfidf` reads a *fitted* ``ColumnTransformer`` of ``TfidfVectorizer`` blocks
(what :func:`.baseline._vectorizer` builds) and

- keeps, per block, a cache word -> the vocabulary indices of its n-grams, so a word is cut
  once per process, not once per occurrence;
- counts the help-seeker's text sentence by sentence (split where
  :func:`.baseline.sentence_windows` splits, always at white space) and adds the counts up
  for the whole text and for each window. Counts add up exactly: character n-grams
  (``char_wb``) never cross white space, and the word bigrams that cross a sentence
  boundary are counted once per boundary;
- applies the fitted vectorizer's own ``sublinear_tf``, ``idf_`` and ``norm`` to the counts,
  as ``TfidfTransformer.transform`` does.

The result equals ``vectorizer.transform`` (tested to float32 rounding); a vectorizer with
settings this does not reproduce (a custom analyzer, stop words, accents stripped…) makes
:meth:`FastTfidf.supports` false and the caller falls back to scikit-learn.
"""

from __future__ import annotations

import re
import numpy as np
import scipy.sparse as sp

#: Where a text is cut into sentences: after . ! ? and white space, and at line breaks
#: (always at white space, so no word or character n-gram crosses a cut). Shared by the
#: acute-risk windows, this module and the key sentence (``predict.help_seeker_spans``).
SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")
_CACHE_LIMIT = 100_000  # words per block (about 100 MB at most for a character block); then it starts over


def sentences(text: str) -> list[str]:
    """The non-empty sentences of ``text`` (cut at :data:`SENTENCE_END`), stripped."""
    return [s.strip() for s in SENTENCE_END.split(text) if s.strip()]


def window_bounds(n_sentences: int, size: int) -> list[tuple[int, int]]:
    """``(first, end)`` sentence indices of the overlapping windows of ``size`` sentences
    (step ``size // 2``); none for a text of at most ``size`` sentences (the whole text is
    already scored)."""
    if n_sentences <= size:
        return []
    step = max(1, size // 2)
    out = []
    for a in range(0, n_sentences, step):
        out.append((a, min(a + size, n_sentences)))
        if a + size >= n_sentences:
            break
    return out


class _Block:
    """One fitted ``TfidfVectorizer`` (word or ``char_wb``) of the column transformer."""

    def __init__(self, vec) -> None:
        self.kind = vec.analyzer
        self.vocab: dict[str, int] = vec.vocabulary_
        self.size = len(self.vocab)
        self.lo, self.hi = vec.ngram_range
        self.idf = np.asarray(vec.idf_, dtype=np.float64) if vec.use_idf else None
        self.sublinear = bool(vec.sublinear_tf)
        self.norm = vec.norm
        self.dtype = vec.dtype
        self.token = re.compile(vec.token_pattern).findall if self.kind == "word" else None
        self.cache: dict[str, list[int]] = {}

    # --- n-grams of one word, looked up once --------------------------------------------
    def _char_ids(self, w: str) -> list[int]:
        ids = self.cache.get(w)
        if ids is None:
            if len(self.cache) > _CACHE_LIMIT:
                self.cache.clear()
            v, out = self.vocab, []
            p = " " + w + " "
            n_p = len(p)
            for n in range(self.lo, self.hi + 1):
                # as scikit-learn's _char_wb_ngrams: a word shorter than n gives itself once
                if n >= n_p:
                    j = v.get(p)
                    if j is not None:
                        out.append(j)
                    break
                for k in range(n_p - n + 1):
                    j = v.get(p[k:k + n])
                    if j is not None:
                        out.append(j)
            self.cache[w] = ids = out
        return ids

    def ids(self, text: str) -> tuple[list[int], str | None, str | None]:
        """Vocabulary indices of one piece of text (with repeats), and its first and last
        word token (for the word bigrams that cross into the next piece)."""
        text = text.lower()
        if self.kind == "char_wb":
            out: list[int] = []
            for w in text.split():
                out += self._char_ids(w)
            return out, None, None
        toks = self.token(text)
        if not toks:
            return [], None, None
        v, out = self.vocab, []
        if self.lo <= 1:
            for t in toks:
                j = v.get(t)
                if j is not None:
                    out.append(j)
        for n in range(max(2, self.lo), self.hi + 1):
            for k in range(len(toks) - n + 1):
                j = v.get(" ".join(toks[k:k + n]))
                if j is not None:
                    out.append(j)
        return out, toks[0], toks[-1]

    def bridge(self, last: str, first: str) -> int | None:
        """The word bigram across a boundary between two pieces (``hi == 2`` only)."""
        return self.vocab.get(last + " " + first) if self.lo <= 2 <= self.hi else None

    # --- counts -> TF-IDF, as TfidfTransformer.transform ---------------------------------
    def tfidf(self, counts: sp.csr_matrix) -> sp.csr_matrix:
        from sklearn.preprocessing import normalize

        X = counts.astype(self.dtype)
        X.sum_duplicates()
        if self.sublinear:
            np.log(X.data, X.data)
            X.data += 1.0
        if self.idf is not None:
            X.data *= self.idf[X.indices]
        if self.norm is not None:
            X = normalize(X, norm=self.norm, copy=False)
        return X


def _joined(block: _Block, parts: list[tuple[list[int], str | None, str | None]]) -> list[int]:
    """The indices of pieces joined by white space: theirs, plus each word bigram that
    crosses from one piece's last word token to the next piece's first."""
    out = [j for ids, _, _ in parts for j in ids]
    last = None
    for _, first, end in parts:
        if first is not None:
            if last is not None:
                j = block.bridge(last, first)
                if j is not None:
                    out.append(j)
            last = end
    return out


def _rows(lists: list[list[int]], n_cols: int) -> sp.csr_matrix:
    indptr = np.zeros(len(lists) + 1, dtype=np.int64)
    np.cumsum([len(x) for x in lists], out=indptr[1:])
    flat: list[int] = []
    for x in lists:
        flat += x
    indices = np.array(flat, dtype=np.int32)
    M = sp.csr_matrix((np.ones(len(indices), dtype=np.float64), indices, indptr), shape=(len(lists), n_cols))
    M.sum_duplicates()
    return M


class FastTfidf:
    """Exact, cached TF-IDF for a fitted ``ColumnTransformer`` of word/``char_wb`` blocks."""

    def __init__(self, column_transformer, columns: tuple[str, ...]) -> None:
        self.columns = columns
        self.blocks: list[tuple[str, int, _Block]] = []  # (name, index of its text column, block)
        offset = 0
        for name, vec, col in column_transformer.transformers_:
            if name == "remainder":
                continue
            sl = column_transformer.output_indices_[name]
            if sl.start != offset:
                raise ValueError("blocks out of order")
            block = _Block(vec)
            if sl.stop - sl.start != block.size:
                raise ValueError("block size differs from its vocabulary")
            offset = sl.stop
            self.blocks.append((name, columns.index(col), block))
        self.width = offset

    @staticmethod
    def supports(column_transformer, columns: tuple[str, ...]) -> bool:
        from sklearn.feature_extraction.text import TfidfVectorizer

        try:
            for name, vec, col in column_transformer.transformers_:
                if name == "remainder":
                    if vec != "drop":
                        return False
                    continue
                if not (type(vec) is TfidfVectorizer and col in columns and vec.analyzer in ("word", "char_wb")
                        and vec.input == "content" and vec.lowercase and vec.strip_accents is None
                        and vec.preprocessor is None and vec.tokenizer is None and vec.stop_words is None
                        and not vec.binary and (vec.analyzer == "char_wb" or vec.ngram_range[1] <= 2)):
                    return False
                vec.idf_  # fitted  # noqa: B018
            return True
        except Exception:  # noqa: BLE001 - anything unexpected: use scikit-learn's own transform
            return False

    def transform(self, rows: list[tuple[str, ...]]) -> sp.csr_matrix:
        """Like ``column_transformer.transform(frame)`` for rows of texts, one per column."""
        blocks = []
        for _, col, block in self.blocks:
            blocks.append(block.tfidf(_rows([block.ids(r[col])[0] for r in rows], block.size)))
        return sp.hstack(blocks, format="csr")

    def transform_with_windows(self, rows: list[tuple[str, ...]], split_column: int, size: int | None):
        """Features of the rows, and of the windows of ``size`` sentences of column
        ``split_column`` (:func:`.baseline.sentence_windows`), with the other columns as
        their row's: ``(X, X_windows, owner)``; ``owner[k]`` is window k's row. Each sentence
        is counted once, and its counts added up for the whole text and for every window."""
        pieces: list[list[str]] = [sentences(r[split_column]) for r in rows]
        windows = [(i, a, b) for i, sents in enumerate(pieces)   # (row, first sentence, end)
                   for a, b in (window_bounds(len(sents), size) if size else [])]
        owner = np.asarray([w[0] for w in windows], dtype=np.int64)
        row_blocks, win_blocks = [], []
        for _, col, block in self.blocks:
            if col != split_column:
                X = block.tfidf(_rows([block.ids(r[col])[0] for r in rows], block.size))
                row_blocks.append(X)
                win_blocks.append(X[owner] if windows else None)
                continue
            row_lists: list[list[int]] = []
            win_lists: list[list[int]] = []
            by_row = [[block.ids(s) for s in sents] for sents in pieces]
            for parts in by_row:
                row_lists.append(_joined(block, parts))
            for i, a, b in windows:
                win_lists.append(_joined(block, by_row[i][a:b]))
            row_blocks.append(block.tfidf(_rows(row_lists, block.size)))
            win_blocks.append(block.tfidf(_rows(win_lists, block.size)) if windows else None)
        X = sp.hstack(row_blocks, format="csr")
        Xw = sp.hstack(win_blocks, format="csr") if windows else None
        return X, Xw, owner


def fast_tfidf(column_transformer, columns: tuple[str, ...]) -> FastTfidf | None:
    """A :class:`FastTfidf` for the transformer, or ``None`` when it has settings this does not
    reproduce (the caller then uses scikit-learn's transform)."""
    if not FastTfidf.supports(column_transformer, columns):
        return None
    try:
        return FastTfidf(column_transformer, columns)
    except (ValueError, AttributeError, KeyError):
        return None


