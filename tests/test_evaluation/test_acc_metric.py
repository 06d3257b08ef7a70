"""Non-finite outputs at evaluation are counted as wrong, never as label 0
(issue 18: NaN pixels give NaN scores, which MMAction2's AccMetric scores
as a prediction of label 0)."""
import numpy as np
import pytest
import torch

import mmuniformer  # noqa: F401


def _samples(scores, labels):
    return [dict(pred_score=torch.tensor(s, dtype=torch.float32),
                 gt_label=torch.tensor([lab])) for s, lab in
            zip(scores, labels)]


def _eye(label, n=4):
    row = [0.] * n
    row[label] = 1.
    return row


LABELS = [0, 0, 1, 2, 3, 3]
NAN = [float('nan')] * 4


def _metric(**kwargs):
    from mmaction.registry import METRICS
    from mmengine.registry import DefaultScope
    with DefaultScope.overwrite_default_scope('mmaction'):
        return METRICS.build(dict(type='mmuniformer.AccMetric', **kwargs))


def _evaluate(metric, scores, labels):
    metric.process(None, _samples(scores, labels))
    return metric.evaluate(len(labels))


def test_nan_scores_are_misses_and_counted():
    # samples 0 (label 0) and 4 (label 3) are NaN, the rest right:
    # top1 = 4/6; per class: 1/2, 1, 1, 1/2 -> mean 0.75; top5 with 4
    # classes would hit every finite sample, NaN ones are misses: 4/6
    scores = [NAN, _eye(0), _eye(1), _eye(2), NAN, _eye(3)]
    out = _evaluate(_metric(), scores, LABELS)
    assert out['acc/top1'] == pytest.approx(4 / 6)
    assert out['acc/top5'] == pytest.approx(4 / 6)
    assert out['acc/mean1'] == pytest.approx(0.75)
    assert out['acc/nonfinite'] == 2


def test_host_metric_scores_nan_as_label_0():
    """The fault being fixed, on the host's metric: sample 0 (NaN, true
    label 0) counts as right."""
    from mmaction.evaluation import AccMetric
    scores = [NAN, _eye(0), _eye(1), _eye(2), NAN, _eye(3)]
    out = _evaluate(AccMetric(), scores, LABELS)
    assert out['acc/top1'] == pytest.approx(5 / 6)


def test_inf_and_all_bad():
    scores = [[float('inf'), 0, 0, 0]] * 2
    out = _evaluate(_metric(), scores, [0, 0])
    assert out['acc/top1'] == 0 and out['acc/top5'] == 0
    assert out['acc/nonfinite'] == 2


def test_warns_with_count(capsys):
    from mmengine.logging import MMLogger
    MMLogger.get_instance('nonfinite_metric_test')
    _evaluate(_metric(), [NAN, _eye(1)], [0, 1])
    assert '1 of 2 evaluated samples have non-finite' in \
        capsys.readouterr().out


def test_error_mode_fails_the_evaluation():
    from mmuniformer.evaluation import NonFiniteOutputError
    with pytest.raises(NonFiniteOutputError, match='1 of 2 evaluated'):
        _evaluate(_metric(on_nonfinite='error'), [NAN, _eye(1)], [0, 1])


def test_clean_run_metrics_unchanged():
    from mmaction.evaluation import AccMetric
    rng = np.random.default_rng(0)
    scores = rng.normal(size=(12, 4)).tolist()
    labels = rng.integers(0, 4, size=12).tolist()
    ours = _evaluate(_metric(), scores, labels)
    host = _evaluate(AccMetric(), scores, labels)
    assert ours == host
