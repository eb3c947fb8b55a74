"""The benchmark's controls: a useless source, the rest of the task untouched."""

import numpy as np
from numpy.testing import assert_allclose, assert_array_equal

from skdatn.benchmark import available_methods
from skdatn.benchmark._controls import CONTROLS, noise_source, shuffle_pairs


def test_noise_source_keeps_labels_moments_and_the_target(mfeat_task):
    t = mfeat_task
    noisy = noise_source(t, 0)
    Xs, Ps = noisy.X_source.X, noisy.pairs.source
    assert Xs.shape == t.X_source.X.shape and Ps.shape == t.pairs.source.shape
    assert_array_equal(noisy.X_source.y, t.X_source.y)
    assert noisy.pairs.target is t.pairs.target
    assert noisy.fit_params["X_unlabeled"] is t.X_unlabeled
    assert noisy.fit_params["X_source"] is noisy.X_source
    # Noise with the source's per-feature mean and std, unrelated to the rows.
    real = np.vstack([t.X_source.X, t.pairs.source])
    fake = np.vstack([Xs, Ps])
    assert_allclose(fake.mean(axis=0), real.mean(axis=0), atol=0.25 * real.std() + 1e-9)
    assert_allclose(fake.std(axis=0), real.std(axis=0), rtol=0.2, atol=1e-9)
    assert abs(np.corrcoef(fake[:, 0], real[:, 0])[0, 1]) < 0.2
    # Seeded; the caller's split is unchanged.
    assert_array_equal(noise_source(t, 0).X_source.X, Xs)
    assert not np.array_equal(noise_source(t, 1).X_source.X, Xs)
    assert t.fit_params["X_source"] is t.X_source


def test_shuffled_pairs_permute_the_target_side_only(mfeat_task):
    t = mfeat_task
    shuffled = shuffle_pairs(t, 0)
    assert shuffled.pairs.source is t.pairs.source
    assert shuffled.fit_params["X_source"] is t.X_source
    Pt = shuffled.pairs.target
    assert not np.array_equal(Pt, t.pairs.target)
    # The same rows in another order.
    assert_array_equal(np.sort(Pt, axis=0), np.sort(t.pairs.target, axis=0))
    assert_array_equal(shuffle_pairs(t, 0).pairs.target, Pt)


def test_controls_are_benchmark_methods():
    methods = available_methods()
    for name in CONTROLS:
        assert name in methods and not methods[name].baseline
    assert "CCA" in methods and methods["CCA"].baseline
