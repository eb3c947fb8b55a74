"""Pieces of the training loop."""

import math

import torch

from skdatn._torch.training import _batches, _Plateau, make_optimizer


def test_batches_cycle_small_blocks_and_cover_large_ones():
    g = torch.Generator().manual_seed(0)
    assert _batches(5, None, 3, g, "cpu") == [None, None, None]
    assert _batches(5, 8, 2, g, "cpu") == [None, None]
    batches = _batches(10, 4, 5, g, "cpu")
    assert [b.numel() for b in batches] == [4] * 5
    first_pass = torch.cat(batches)[:10]
    assert sorted(first_pass.tolist()) == list(range(10))


def test_plateau_stops_after_patience():
    p = _Plateau(tol=0.1, n_iter_no_change=2)
    assert [p.should_stop(x) for x in [10.0, 5.0, 4.9, 4.8]] == [
        False,
        False,
        False,
        True,
    ]
    never = _Plateau(tol=0.1, n_iter_no_change=None)
    assert not any(never.should_stop(x) for x in [1.0] * 50)
    assert not _Plateau(0.0, 1).should_stop(math.inf)


def test_paper_optimizer_settings():
    opt = make_optimizer([torch.zeros(2, requires_grad=True)], "rmsprop", 1e-4)
    assert isinstance(opt, torch.optim.RMSprop)
    group = opt.param_groups[0]
    assert (group["lr"], group["alpha"], group["momentum"]) == (1e-4, 0.8, 0.8)


def test_adam_and_sgd_use_fused_kernels():
    params = [torch.zeros(2, requires_grad=True)]
    assert make_optimizer(params, "adam", 1e-3).defaults["fused"]
    assert make_optimizer(params, "sgd", 1e-3).defaults["fused"]
