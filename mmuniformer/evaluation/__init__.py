"""Metrics that MMAction2's lack (imports mmaction: loaded when a config
names ``mmuniformer.AccMetric``, never by ``import mmuniformer``)."""
from .acc_metric import AccMetric, NonFiniteOutputError

__all__ = ['AccMetric', 'NonFiniteOutputError']
