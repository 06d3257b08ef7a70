"""Shared fixtures. ``../shared`` (the project's real test data) is used
when present; tests that need it skip with the reason otherwise.

Every skip of the suite goes through this file: :func:`skip_or_fail`,
:func:`importorskip` and the ``requires(condition, reason)`` marker. Under
``CI=true`` each of them fails instead of skipping, the terminal summary
prints ``[skips] N skipped`` and a CI session with any skip (from here or
from a stray ``pytest.skip``) exits non-zero, so CI cannot pass with tests
silently left out (``tests/test_tools/test_skip_policy.py`` checks that no
test file calls pytest's own skips).
"""
import os
import os.path as osp
import sys

import pytest
import torch

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
SHARED = os.environ.get('MMUNIFORMER_SHARED',
                        osp.join(osp.dirname(REPO), 'shared'))
SHARED_DATA = osp.join(SHARED, 'data')
sys.path.insert(0, osp.dirname(osp.abspath(__file__)))

# A small custom arch: every block type, a hybrid stage 3 (block 3 global).
TINY = dict(depths=(1, 1, 4, 1), embed_dims=(16, 32, 64, 64), head_dim=16)


def in_ci():
    """``CI=true`` (``.ci/run`` sets it): missing shared data is a failure,
    not a skip, so CI cannot pass with tests silently left out."""
    return os.environ.get('CI', '').lower() in ('1', 'true', 'yes')


def skip_or_fail(msg):
    """Skip with the reason; under CI fail instead. Works at module level
    too (a failed module import is a collection error in CI)."""
    if in_ci():
        pytest.fail(f'CI=true forbids skips: {msg}', pytrace=False)
    pytest.skip(msg, allow_module_level=True)


def importorskip(modname, reason=None):
    """``pytest.importorskip`` that fails under CI: the module, or a skip
    (outside CI) naming what is missing and how to get it."""
    import importlib
    try:
        return importlib.import_module(modname)
    except ImportError as exc:
        skip_or_fail(reason or f'{modname} is not importable ({exc}); '
                     'bash tools/install.sh installs the test stack')


def pytest_configure(config):
    config.addinivalue_line(
        'markers', 'requires(condition, reason): run only where condition '
        'holds; skips outside CI, fails under CI=true (tests/conftest.py)')


def pytest_runtest_setup(item):
    for mark in item.iter_markers(name='requires'):
        condition = mark.args[0] if mark.args else mark.kwargs['condition']
        reason = mark.args[1] if len(mark.args) > 1 else mark.kwargs.get(
            'reason', 'requirement not met')
        if not condition:
            skip_or_fail(reason)


def _skipped(config):
    reporter = config.pluginmanager.get_plugin('terminalreporter')
    return len(reporter.stats.get('skipped', [])) if reporter else 0


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    n = _skipped(config)
    policy = 'CI=true: must be 0' if in_ci() else 'outside CI'
    terminalreporter.write_line(f'[skips] {n} skipped ({policy})')


def pytest_sessionfinish(session, exitstatus):
    if in_ci() and _skipped(session.config) and exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture
def shared_data():
    if not osp.isdir(SHARED_DATA):
        skip_or_fail(f'real test data not found at {SHARED_DATA} (set '
                     'MMUNIFORMER_SHARED to the folder that holds data/)')
    return SHARED_DATA


@pytest.fixture(autouse=True)
def _seed_and_threads():
    torch.manual_seed(0)
    yield


@pytest.fixture(autouse=True)
def _restore_default_scope():
    """Each test starts with the registry scope it found: a Runner sets
    mmengine's current ``DefaultScope`` (mmaction, mmpretrain, ...) for the
    rest of the process, and later tests that build unprefixed types would
    otherwise depend on which test ran before them."""
    from mmengine.registry import DefaultScope
    saved = dict(DefaultScope._instance_dict)
    yield
    DefaultScope._instance_dict.clear()
    DefaultScope._instance_dict.update(saved)


def randomize_state(model, seed=0):
    """Give every parameter and BN buffer random values so that no term of
    the computation is trivially zero or one (BN stats, layer scale, ...)."""
    gen = torch.Generator().manual_seed(seed)
    state = model.state_dict()
    for key, value in state.items():
        if not value.is_floating_point():
            continue
        if key.endswith('running_var'):
            state[key] = torch.rand(value.shape, generator=gen) + 0.5
        elif key.endswith('running_mean'):
            state[key] = torch.randn(value.shape, generator=gen) * 0.1
        elif 'gamma' in key or (key.endswith('weight') and value.dim() == 1):
            state[key] = 1 + 0.1 * torch.randn(value.shape, generator=gen)
        else:
            fan_in = value[0].numel() if value.dim() > 1 else 100
            state[key] = torch.randn(value.shape, generator=gen) * (
                fan_in ** -0.5)
    model.load_state_dict(state)
    return {k: v.clone() for k, v in model.state_dict().items()}


@pytest.fixture
def one_thread():
    """torch on one thread for the test (CPU-heavy tests on shared cores:
    OpenMP spin-waiting otherwise burns the other core)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def load_script(path, name):
    """Import a script of tools/ (not a package) as a module."""
    import importlib.util
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
