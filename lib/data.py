"""Small data sets that ship with installed packages (no downloads), split deterministically."""
from __future__ import annotations

from typing import NamedTuple

import numpy as np


class Split(NamedTuple):
    """A train/test split: images or features ``x_*`` (float32) and integer labels ``y_*`` (int64)."""
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


def digits(seed: int = 0, test_fraction: float = 0.25) -> Split:
    """scikit-learn's 1,797 handwritten digits as 8x8 float32 images in [0, 1] (pixel counts 0..16 / 16).

    The split is stratified by class and fixed by ``seed``.
    """
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    data = load_digits()
    images = (data.images / 16.0).astype(np.float32)
    labels = data.target.astype(np.int64)
    x_train, x_test, y_train, y_test = train_test_split(
        images, labels, test_size=test_fraction, random_state=seed, stratify=labels)
    return Split(x_train, y_train, x_test, y_test)
