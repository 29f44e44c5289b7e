"""The look of exploration charts in notebooks: the report's palette, notebook-sized.

Published figures use ``report.style`` (A4 sizes, captions, source lines); this is its
lighter sibling for exploring data on screen, with the same colours.
"""

from __future__ import annotations

from .report.style import OKABE_ITO as PALETTE  # one palette for every chart (colour-blind safe)


def apply_style() -> None:
    import matplotlib as mpl
    import seaborn as sns

    sns.set_theme(context="notebook", style="whitegrid", palette=PALETTE, font="DejaVu Sans")
    mpl.rcParams.update({
        "axes.titleweight": "bold",
        "axes.titlesize": 12,
        "axes.titlelocation": "left",
        "figure.dpi": 100,
        "savefig.dpi": 300,
        "savefig.bbox": "tight",
        "axes.formatter.use_locale": False,
        "svg.fonttype": "none",
    })
