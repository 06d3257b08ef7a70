"""Shared fixtures. ``../shared`` (the project's real test data) is used
when present; tests that need it skip with the reason otherwise."""
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
    """Skip with the reason; under CI fail instead."""
    if in_ci():
        pytest.fail(msg)
    pytest.skip(msg)


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
