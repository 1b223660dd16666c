"""lib.data: the digits split is deterministic, stratified, float32 in [0, 1]."""
import numpy as np

from lib.data import digits


def test_digits_shapes_types_and_range():
    split = digits()
    assert split.x_train.shape[1:] == (8, 8) and split.x_test.shape[1:] == (8, 8)
    assert len(split.x_train) + len(split.x_test) == 1797
    assert len(split.x_test) == 450  # ceil(0.25 * 1797)
    assert split.x_train.dtype == np.float32 and split.y_train.dtype == np.int64
    assert split.x_train.min() == 0.0 and split.x_train.max() == 1.0
    assert len(split.y_train) == len(split.x_train) and len(split.y_test) == len(split.x_test)


def test_digits_is_deterministic_per_seed():
    a, b, c = digits(seed=3), digits(seed=3), digits(seed=4)
    assert all(np.array_equal(u, v) for u, v in zip(a, b))
    assert not np.array_equal(a.y_test, c.y_test)


def test_digits_split_is_stratified():
    split = digits(test_fraction=0.2)
    train_share = np.bincount(split.y_train) / len(split.y_train)
    test_share = np.bincount(split.y_test) / len(split.y_test)
    assert np.all(np.abs(train_share - test_share) < 0.01)
