"""The book's one figure style: seaborn's whitegrid, a colour-blind-safe palette, one size and dpi.

Call ``use_style()`` once at the top of a notebook; build figures with seaborn/matplotlib as usual.
"""
from __future__ import annotations

#: Colour per verdict, shared by figures and the scoreboard (Okabe-Ito based, colour-blind safe).
VERDICT_COLORS = {
    "reproduced": "#009E73",
    "partially reproduced": "#E69F00",
    "not reproduced": "#D55E00",
    "inconclusive at this scale": "#56B4E9",
    "not testable here": "#999999",
}

FIGSIZE = (7.0, 4.0)
DPI = 110


def use_style():
    """Apply the house style to matplotlib and seaborn (idempotent)."""
    import matplotlib
    import seaborn as sns

    sns.set_theme(context="notebook", style="whitegrid", palette="colorblind", font_scale=0.95)
    matplotlib.rcParams.update({
        "figure.figsize": FIGSIZE,
        "figure.dpi": DPI,
        "savefig.dpi": DPI,
        "savefig.bbox": "tight",
        "axes.titleweight": "bold",
        "axes.spines.top": False,
        "axes.spines.right": False,
        "legend.frameon": False,
    })


def subplots(nrows: int = 1, ncols: int = 1, *, width: float | None = None, height: float | None = None,
             **kwargs):
    """``plt.subplots`` sized per panel from the house figure size, with a constrained layout."""
    import matplotlib.pyplot as plt

    w = width or FIGSIZE[0] * min(ncols, 2) / (1.25 if ncols > 1 else 1)
    h = height or FIGSIZE[1] * nrows / (1.1 if nrows > 1 else 1)
    return plt.subplots(nrows, ncols, figsize=(w, h), layout="constrained", **kwargs)


def log2_axis(ax, axis: str = "y"):
    """Put a base-2 log scale on ``axis`` ('x', 'y' or 'both')."""
    if axis in ("x", "both"):
        ax.set_xscale("log", base=2)
    if axis in ("y", "both"):
        ax.set_yscale("log", base=2)
    return ax
