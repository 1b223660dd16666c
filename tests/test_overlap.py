"""lib.systems.overlap: gloo all-reduce against the sum computed directly, and the overlap bookkeeping."""
import socket

import numpy as np
import pytest
import torch

from lib.systems.overlap import allreduce, free_port, hidden_fraction, measure_overlap, time_matmul


@pytest.mark.slow  # spawns gloo workers
def test_allreduce_equals_the_direct_sum():
    rng = np.random.default_rng(0)
    tensors = [torch.from_numpy(rng.standard_normal((5, 7)).astype(np.float32)) for _ in range(2)]
    expected = tensors[0].numpy() + tensors[1].numpy()  # two terms: the float sum is the same in either order
    results = allreduce(tensors)
    assert len(results) == 2
    for got in results:
        np.testing.assert_array_equal(got.numpy(), expected)


def test_free_port_can_be_bound():
    port = free_port()
    assert 1024 <= port <= 65535
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", port))


def test_hidden_fraction_closed_form():
    # compute 10, comm 4: sequential 14; perfect overlap 10 hides all 4; no overlap hides nothing
    assert hidden_fraction(14.0, 10.0, 10.0, 4.0) == pytest.approx(1.0)
    assert hidden_fraction(14.0, 14.0, 10.0, 4.0) == pytest.approx(0.0)
    assert hidden_fraction(14.0, 12.0, 4.0, 10.0) == pytest.approx(0.5)
    assert hidden_fraction(14.0, 16.0, 10.0, 4.0) < 0


@pytest.mark.slow  # spawns gloo workers
def test_split_chain_matches_sequential_and_reports_every_mode():
    out = measure_overlap(tokens=8, hidden=16, layers=3, repeats=2, seed=1)
    assert out["same_result"] is True
    assert set(out["median"]) == {"sequential", "split overlap", "compute only", "comm only"}
    assert all(len(v) == 2 and min(v) > 0 for v in out["times"].values())


def test_odd_token_count_is_refused():
    with pytest.raises(ValueError):
        measure_overlap(tokens=7)


def test_time_matmul_is_positive_and_grows_with_the_work():
    small = time_matmul(8, 8, 8, repeats=3, inner=5)
    large = time_matmul(256, 256, 256, repeats=3, inner=5)  # 32,768 times the multiply-adds
    assert 0 < small < large


def test_time_matmul_refuses_empty_shapes():
    with pytest.raises(ValueError):
        time_matmul(0, 8, 8)
