"""The abuse classifier that ships inside alt-profanity-check's wheel, scored with numpy directly: the same
numbers as its predict_prob (checked on load), about 8 times faster. Its model is scikit-learn's
CalibratedClassifierCV over five LinearSVCs with sigmoid calibration, whose predict_proba spends ~4 ms a call
in per-fold validation; the arithmetic itself is a sparse product and a logistic."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

log = logging.getLogger(__name__)
Predict = Callable[[Sequence[str]], Any]
_PROBES = ("well that was a fun little jump", "you are a worthless piece of shit", "I love my mom",
           "kill the dragon in the cave")


def load() -> Predict | None:
    """A scorer (texts -> the probability of abuse, each), or None when the package can't load."""
    try:
        from profanity_check import profanity_check as package
    except Exception as exc:  # a missing or broken install: the word lists still work
        log.warning("the abuse classifier (alt-profanity-check) could not load; word lists only: %s", exc)
        return None
    slow: Predict = package.predict_prob
    try:
        fast = _direct(package.model, package.vectorizer)
        if np.allclose(fast(list(_PROBES)), slow(list(_PROBES)), atol=1e-9):
            return fast
        log.warning("the abuse classifier's direct scoring disagrees with its package; using the package's")
    except Exception as exc:  # another model layout in a later release: the package's own path still works
        log.warning("the abuse classifier can't be scored directly (%s); using the package's", exc)
    return slow


def _direct(model: Any, vectorizer: Any) -> Predict:
    folds = model.calibrated_classifiers_
    if model.method != "sigmoid" or list(model.classes_) != [0, 1]:
        raise ValueError(f"a {model.method} calibration over classes {list(model.classes_)}")
    weights = np.vstack([f.estimator.coef_.ravel() for f in folds]).T
    intercepts = np.array([f.estimator.intercept_[0] for f in folds])
    a = np.array([f.calibrators[0].a_ for f in folds])
    b = np.array([f.calibrators[0].b_ for f in folds])

    def predict(texts: Sequence[str]) -> Any:
        decision = vectorizer.transform(texts) @ weights + intercepts
        return (1.0 / (1.0 + np.exp(a * decision + b))).mean(axis=1)  # each fold's sigmoid, averaged

    return predict
