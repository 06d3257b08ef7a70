"""mmengine's per-parameter optimizer and init lines become one line each
when a config asks for it (``default_hooks.quiet_logs =
dict(type='mmuniformer.QuietLogsHook')``, mmuniformer.quiet_logs), and
MMUNIFORMER_VERBOSE_LOGS=1 restores them. The hook is driven here through
the stages a Runner calls: built (before the optimizer), ``before_run``
(before ``init_weights``), ``before_train``, ``after_run``."""
import logging

import pytest
import torch
from mmengine.logging import MMLogger
from mmengine.model import BaseModule
from mmengine.optim import DefaultOptimWrapperConstructor
from torch import nn

import mmuniformer  # noqa: F401
from mmuniformer.engine import QuietLogsHook
from mmuniformer.quiet_logs import VERBOSE_ENV


class _Net(BaseModule):

    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(4, 8), nn.LayerNorm(8))
        self.head = nn.Linear(8, 3)

    def init_weights(self):
        super().init_weights()


class _Records(logging.Handler):

    def __init__(self):
        super().__init__()
        self.lines = []

    def emit(self, record):
        self.lines.append(record.getMessage())


@pytest.fixture
def records():
    logger = MMLogger.get_instance(f'quiet_logs_{id(object())}',
                                   log_level='INFO')
    handler = _Records()
    logger.addHandler(handler)
    yield handler.lines
    logger.removeHandler(handler)


def _build_optimizer():
    ctor = DefaultOptimWrapperConstructor(
        dict(type='OptimWrapper',
             optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.05)),
        dict(norm_decay_mult=0., bias_decay_mult=0.))
    return ctor(_Net())


def test_paramwise_options_summarised(records, monkeypatch):
    monkeypatch.delenv(VERBOSE_ENV, raising=False)
    hook = QuietLogsHook()  # the Runner builds hooks, then the optimizer
    wrapper = _build_optimizer()
    hook.before_run()
    hook.after_run()
    decays = [g['weight_decay'] for g in wrapper.optimizer.param_groups]
    # settings still applied: 2 linear biases + LN weight/bias lose decay
    assert sorted(decays) == [0.] * 4 + [0.05] * 2
    assert not [r for r in records if r.startswith('paramwise_options --')]
    summary = [r for r in records if r.startswith('paramwise_cfg:')]
    assert len(summary) == 1, records
    # mmengine logs (and we count) the parameters a paramwise_cfg changed
    assert '4 parameters' in summary[0]
    assert 'weight_decay=0.0 x4' in summary[0]


def test_verbose_env_restores_per_parameter_lines(records, monkeypatch):
    monkeypatch.setenv(VERBOSE_ENV, '1')
    hook = QuietLogsHook()
    _build_optimizer()
    hook.before_run()
    assert len([r for r in records
                if r.startswith('paramwise_options --')]) == 4


def test_init_info_is_one_line(records, monkeypatch, tmp_path):
    monkeypatch.delenv(VERBOSE_ENV, raising=False)
    net = _Net()
    net.head.init_cfg = None
    net.init_cfg = dict(type='Constant', val=0.5, layer='Linear')
    hook = QuietLogsHook()
    hook.before_run()
    net.init_weights()
    hook.before_train()
    lines = [r for r in records if 'init_weights of _Net' in r]
    assert len(lines) == 1, records
    assert '6 parameter tensors' in lines[0]
    assert 'body: 2 (0.weight, 0.bias) ConstantInit: val=0.5' in lines[0]
    assert 'body: 2 (1.weight, 1.bias) The value is the same' in lines[0]
    assert 'head: 2 (weight, bias) ConstantInit: val=0.5' in lines[0]
    assert not [r for r in records if ' - torch.Size(' in r]
    assert torch.all(net.head.weight == 0.5)
    hook.after_run()


def test_without_the_hook_mmengine_logs_are_unchanged(records, monkeypatch):
    """Nothing is summarised by the import alone (issue 17)."""
    monkeypatch.delenv(VERBOSE_ENV, raising=False)
    _build_optimizer()
    assert len([r for r in records
                if r.startswith('paramwise_options --')]) == 4
    assert not [r for r in records if r.startswith('paramwise_cfg:')]


def test_known_host_deprecation_log_warnings_dropped(monkeypatch):
    """MMAction2's video readers build mmengine's FileClient, which logs two
    deprecation warnings per run; other warnings still pass."""
    from mmengine.fileio import FileClient
    from mmengine.logging import print_log
    monkeypatch.delenv(VERBOSE_ENV, raising=False)
    logger = MMLogger.get_instance(f'quiet_logs_dep_{id(object())}',
                                   log_level='INFO')
    handler = _Records()
    logger.addHandler(handler)
    hook = QuietLogsHook()
    FileClient('disk')
    print_log('something else is deprecated', logger=logger.instance_name,
              level=logging.WARNING)
    assert handler.lines == ['something else is deprecated']
    hook.after_run()  # the run is over: the host's notices show again
    FileClient('disk')
    logger.removeHandler(handler)
    assert len(handler.lines) > 1 and 'FileClient' in handler.lines[1]


@pytest.mark.parametrize('verbose', ['', '1'])
def test_known_python_deprecation_warnings_filtered(verbose):
    """In a fresh process (pytest restores warning filters after
    collection): the GradScaler notice AmpOptimWrapper triggers is gone
    once the hook is built, back with MMUNIFORMER_VERBOSE_LOGS=1; other
    warnings pass."""
    import os
    import subprocess
    import sys
    code = ('import mmuniformer, torch, warnings\n'
            'from mmuniformer.engine import QuietLogsHook\n'
            'QuietLogsHook()\n'
            'torch.cuda.amp.GradScaler(enabled=False)\n'
            'warnings.warn("another FutureWarning", FutureWarning)\n')
    env = dict(os.environ, **{VERBOSE_ENV: verbose})
    res = subprocess.run([sys.executable, '-c', code], capture_output=True,
                         text=True, env=env, timeout=300)
    assert res.returncode == 0, res.stderr
    assert 'another FutureWarning' in res.stderr
    assert ('GradScaler(args...)` is deprecated' in res.stderr) == \
        bool(verbose)
