"""Real-data check: DATN beats a target-only SVC on the mfeat development tasks."""

import numpy as np
import pytest
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from skdatn import DATNClassifier
from skdatn.datasets import make_transfer_task

DEV_TASKS = [("fac", "fou"), ("fac", "zer"), ("pix", "fou")]


@pytest.mark.slow
@pytest.mark.parametrize("source, target", DEV_TASKS)
def test_datn_beats_target_only_svc(mfeat, source, target):
    views, y = mfeat
    datn, svc = [], []
    for seed in range(3):
        task = make_transfer_task(views[source], views[target], y, random_state=seed)
        clf = DATNClassifier(random_state=seed).fit(task.X, task.y, **task.fit_params)
        datn.append(clf.score(task.X_test, task.y_test))
        baseline = make_pipeline(StandardScaler(), SVC()).fit(task.X, task.y)
        svc.append(baseline.score(task.X_test, task.y_test))
    margin = np.mean(datn) - np.mean(svc)
    print(f"{source}->{target}: DATN {np.mean(datn):.3f} SVC {np.mean(svc):.3f}")
    assert margin >= 0.10, (datn, svc)
