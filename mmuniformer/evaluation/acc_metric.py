"""MMAction2's ``AccMetric`` that does not score non-finite outputs.

A clip with NaN / inf pixels (a broken decode, a bad normalisation) gives
NaN scores for every class; MMAction2's ``AccMetric`` ranks them with
``argsort`` and ``argmax`` like any other scores, so the clip counts as a
prediction of label 0 (right whenever the truth is 0). This subclass finds
the samples whose scores are not all finite, counts them as **wrong** for
every accuracy (top-k and mean class accuracy; never as any label), reports
their number as ``<prefix>/nonfinite`` (only when there are some, so the
metrics of a clean run are unchanged), and warns with the count and the
first sample indices; ``on_nonfinite='error'`` makes the evaluation fail
instead.

Why a metric and not a check in the test loop: the metric is where a score
becomes a label, it runs the same in ``ValLoop`` and ``TestLoop`` (and so
under ``save_best``), it is one config key (``val_evaluator.type``) and needs
no loop of our own.
"""
from typing import Dict, List

import numpy as np
from mmaction.evaluation import AccMetric as _MMAAccMetric
from mmaction.evaluation.functional import mean_class_accuracy
from mmengine.logging import print_log

from ..registry import METRICS


class NonFiniteOutputError(RuntimeError):
    """Evaluation met samples whose scores are NaN or infinite."""


def _finite(pred) -> bool:
    if isinstance(pred, dict):
        return all(_finite(v) for v in pred.values())
    return bool(np.isfinite(np.asarray(pred, dtype=np.float64)).all())


def _miss_row(num_classes: int, label: int) -> np.ndarray:
    """Scores whose argmax is not ``label`` (for mean class accuracy)."""
    row = np.zeros(num_classes, dtype=np.float32)
    row[label] = -1.
    return row


@METRICS.register_module()
class AccMetric(_MMAAccMetric):
    """``AccMetric`` counting non-finite outputs as wrong (module
    docstring).

    Args:
        on_nonfinite (str): ``'warn'`` (count them as wrong, report
            ``nonfinite``, warn) or ``'error'`` (raise
            :class:`NonFiniteOutputError`). Defaults to ``'warn'``.
        **kwargs: those of ``mmaction.evaluation.AccMetric``.
    """

    def __init__(self, on_nonfinite: str = 'warn', **kwargs):
        if on_nonfinite not in ('warn', 'error'):
            raise ValueError("on_nonfinite must be 'warn' or 'error', got "
                             f'{on_nonfinite!r}')
        super().__init__(**kwargs)
        self.on_nonfinite = on_nonfinite

    def compute_metrics(self, results: List) -> Dict:
        bad = [i for i, r in enumerate(results) if not _finite(r['pred'])]
        if not bad:
            return super().compute_metrics(results)
        text = (f'{len(bad)} of {len(results)} evaluated samples have '
                f'non-finite (NaN/inf) scores (sample indices '
                f'{bad[:10]}{" ..." if len(bad) > 10 else ""}): NaN/inf '
                'inputs or weights. They are counted as wrong, never as a '
                'label.')
        if self.on_nonfinite == 'error':
            raise NonFiniteOutputError(text)
        print_log(text, logger='current', level=30)
        if isinstance(results[0]['pred'], dict) or not all(
                np.ndim(r['label']) == 0 for r in results):
            raise NonFiniteOutputError(
                text + ' (multi-label or multi-stream scores: not scored; '
                'fix the inputs)')
        bad_set = set(bad)
        good = [r for i, r in enumerate(results) if i not in bad_set]
        out = super().compute_metrics(good) if good else {}
        for key in [k for k in out if k.startswith('top')]:
            out[key] = out[key] * len(good) / len(results)  # bad: misses
        topk = (self.metric_options or {}).get('top_k_accuracy', {}).get(
            'topk', (1, 5))
        if 'top_k_accuracy' in self.metrics and not good:
            for k in ((topk, ) if isinstance(topk, int) else topk):
                out[f'top{k}'] = 0.0
        if 'mean_class_accuracy' in self.metrics:
            num_classes = np.asarray(results[0]['pred']).shape[-1]
            preds = [_miss_row(num_classes, r['label']) if i in bad_set
                     else r['pred'] for i, r in enumerate(results)]
            out['mean1'] = mean_class_accuracy(
                preds, [r['label'] for r in results])
        out['nonfinite'] = len(bad)
        return out
