"""The torch internals of DATN: networks, losses (one per equation), training.

Nothing in here knows about scikit-learn; the estimator in ``skdatn._datn``
turns validated numpy inputs into the tensors these functions take.
"""
