"""Test-only pieces for the robustness tests, importable by subprocesses
(``custom_imports``) through PYTHONPATH=<repo>/tests."""
import os
import signal

from mmengine.hooks import Hook
from mmengine.registry import HOOKS


@HOOKS.register_module(name='TestKillAt', force=True)
class KillAt(Hook):
    """SIGKILL this process right before batch ``batch`` of epoch ``epoch``
    (both 1-based): a crash with no chance to clean up."""

    def __init__(self, epoch: int, batch: int):
        self.epoch, self.batch = epoch, batch

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        if runner.epoch + 1 == self.epoch and batch_idx + 1 == self.batch:
            os.kill(os.getpid(), signal.SIGKILL)


@HOOKS.register_module(name='TestSignalAt', force=True)
class SignalAt(Hook):
    """Send signal ``name`` (e.g. ``'SIGTERM'``) to this process inside
    iteration ``at`` (1-based), after its batch was drawn: a scheduler's
    preemption notice at a known iteration."""

    def __init__(self, at: int, name: str = 'SIGTERM'):
        self.at, self.signum = at, getattr(signal, name)

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        if runner.iter + 1 == self.at:
            os.kill(os.getpid(), self.signum)


# -- bad videos ---------------------------------------------------------------
def _mdat(data: bytes):
    """(offset, size) of the top-level ``mdat`` box of an mp4 file."""
    import struct
    pos = 0
    while pos + 8 <= len(data):
        size, kind = struct.unpack('>I4s', data[pos:pos + 8])
        if kind == b'mdat':
            return pos, size
        pos += size
    raise ValueError('no mdat box')


def make_bad_videos(root: str, good: str) -> dict:
    """Write the faulty files next to ``good`` (a 16-frame mp4 under
    ``root``); returns ``{case: relative path}``. ``missing`` is not
    written."""
    import os.path as osp

    import numpy as np

    from mmuniformer.datasets.synthetic_motion import render_clip, write_mp4
    data = open(osp.join(root, good), 'rb').read()
    cases = dict(zero='bad/zero.mp4', truncated='bad/truncated.mp4',
                 notvideo='bad/notvideo.mp4', missing='bad/missing.mp4',
                 undecodable='bad/undecodable.mp4', short='bad/short.mp4')
    os.makedirs(osp.join(root, 'bad'), exist_ok=True)
    open(osp.join(root, cases['zero']), 'wb').close()
    with open(osp.join(root, cases['truncated']), 'wb') as f:
        f.write(data[:len(data) // 2])  # the index (moov) is at the end
    with open(osp.join(root, cases['notvideo']), 'w') as f:
        f.write('<html><body>404 Not Found</body></html>\n')
    # header (moov) intact and saying 16 frames, the second half of the
    # frame data zeroed: opens, 9 frames decode, then the decoder fails
    pos, size = _mdat(data)
    start = pos + 8 + (size - 8) // 2
    broken = bytearray(data)
    broken[start:pos + size] = bytes(pos + size - start)
    with open(osp.join(root, cases['undecodable']), 'wb') as f:
        f.write(bytes(broken))
    write_mp4(osp.join(root, cases['short']),
              render_clip(0, np.random.default_rng(3), frames=3, size=64))
    return cases


@HOOKS.register_module(name='TestDumpRankWeights', force=True)
class DumpRankWeights(Hook):
    """Save this rank's final weights as ``work_dir/rank{RANK}.pth``."""

    def after_run(self, runner):
        import torch
        model = getattr(runner.model, 'module', runner.model)
        rank = os.environ.get('RANK', '0')
        torch.save(model.state_dict(),
                   os.path.join(runner.work_dir, f'rank{rank}.pth'))
        runner.logger.info(f'rank {rank}: model wrapped in '
                           f'{type(runner.model).__name__}')


# -- subprocesses -------------------------------------------------------------
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TESTS = os.path.join(REPO, 'tests')
MOTION_CFG = os.path.join(
    REPO, 'configs', 'recognition', 'uniformer',
    'uniformer-tiny_scratch_1xb16-8x2x1-8e_motion-rgb.py')


def subprocess_env() -> dict:
    """Environment for child processes: this checkout and tests/ first on
    PYTHONPATH (so they import this mmuniformer and these helpers), one
    thread each (results comparable to the parent's single-thread runs)."""
    env = dict(os.environ)
    env['PYTHONPATH'] = os.pathsep.join(
        [REPO, TESTS] + [p for p in env.get('PYTHONPATH', '').split(
            os.pathsep) if p])
    env['OMP_NUM_THREADS'] = '1'
    return env


def train_script(package: str = 'mmaction') -> str:
    """The script `mim train <package>` runs."""
    import importlib
    root = os.path.dirname(importlib.import_module(package).__file__)
    return os.path.join(root, '.mim', 'tools', 'train.py')


def write_motion_cfg(path, root: str, ann: str, batch_size: int,
                     max_epochs: int, custom_hooks: str,
                     checkpoint: str = 'dict(interval=1, save_best=None)',
                     extra: str = '') -> str:
    """A child of the shipped motion config for subprocess runs: the given
    generated data, no workers, no validation or test, ``custom_hooks`` /
    ``checkpoint`` as config source text."""
    with open(path, 'w') as f:
        f.write(f"""
_base_ = [{MOTION_CFG!r}]
custom_imports = dict(imports=['mmuniformer', 'robust_helpers'],
                      allow_failed_imports=False)
train_dataloader = dict(
    batch_size={batch_size}, num_workers=0, persistent_workers=False,
    dataset=dict(ann_file={ann!r}, data_prefix=dict(video={root!r})))
val_dataloader = None
val_cfg = None
val_evaluator = None
test_dataloader = None
test_cfg = None
test_evaluator = None
train_cfg = dict(max_epochs={max_epochs}, val_begin=100, val_interval=100)
default_hooks = dict(checkpoint={checkpoint}, logger=dict(interval=1))
custom_hooks = {custom_hooks}
{extra}
""")
    return str(path)


# -- log lines ----------------------------------------------------------------
class LogLines:
    """``with LogLines(logger) as lines:`` collects the messages (INFO and
    up) that ``logger`` handles in the block."""

    def __init__(self, logger):
        import logging
        self.logger, self.lines = logger, []
        self.handler = logging.Handler(level=logging.INFO)
        self.handler.emit = lambda record: self.lines.append(
            record.getMessage())

    def __enter__(self):
        self.logger.addHandler(self.handler)
        return self.lines

    def __exit__(self, *exc):
        self.logger.removeHandler(self.handler)


def train_logged(runner) -> str:
    """Train ``runner``; returns its log messages as one text."""
    with LogLines(runner.logger) as lines:
        runner.train()
    return '\n'.join(lines)
