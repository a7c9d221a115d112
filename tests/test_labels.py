"""unlearn_core.labels: the screen's vocabulary, and its copy of the estimator registry."""

from unlearn_core import labels, leakage


def test_estimator_table_equals_the_registry():
    """labels.ESTIMATORS is a copy (so that labelling loads no estimator); it must not drift."""
    registry = {name: (s.title, s.is_mi, s.unit) for name, s in leakage.specs().items()}
    assert labels.ESTIMATORS == registry


def test_estimator_label_says_mi_or_not():
    assert labels.estimator_label("knn") == "k-NN estimate of I(X_t; Z) (nats)"
    assert labels.estimator_label("tv", of="S") == (
        "Total variation between groups, a dependence measure, not MI (probability (0 to 1))")
    assert "(not MI)" not in labels.estimator_label("w2")
    assert labels.estimator_label("no-such-estimator") == "no-such-estimator estimate"
