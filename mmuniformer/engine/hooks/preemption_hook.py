"""Preemption: SIGTERM / SIGUSR1 save a resumable checkpoint and stop.

Schedulers send SIGTERM before they preempt or cancel a job (slurm after
``--signal``/``scancel``, Kubernetes, cloud spot instances); without a
handler Python dies at once (exit 143) and everything since the last epoch
checkpoint is lost -- up to 4 epochs at the demo's ``interval=4``.
:class:`PreemptionHook` catches the signals during training, finishes the
current iteration, writes ``preempt_iter_N.pth`` (model, optimizer,
schedulers, every rank's generator states through ``ExactResumeHook``),
points ``last_checkpoint`` at it and exits with status ``128 + signal``
after one log line. ``--resume`` then continues in the middle of the epoch:
the first ``batches_done`` batches of that epoch are skipped (same sampler
order) and the generator states are restored right before the next batch is
drawn, so with ``num_workers=0`` the run is bit-identical to an
uninterrupted one. With dataloader workers the skipped batches' random
augmentations are not replayed, so the rest of that epoch draws other
augmentations (same samples, same order). A second signal while the first is
handled restores the previous handler and re-sends itself (the default
action: exit now).

See ``docs/advanced_guides/robust_training.md`` for the ``sbatch`` line.
"""
import os
import signal
from typing import Optional, Sequence

import torch
from mmengine.dist import all_reduce, get_rank, get_world_size
from mmengine.dist import is_main_process
from mmengine.hooks import CheckpointHook as MMEngineCheckpointHook
from mmengine.hooks import Hook
from mmengine.logging import MMLogger
from mmengine.runner import EpochBasedTrainLoop

from ...registry import HOOKS
from ..utils import find_hook
from .checkpoint_hook import ATOMIC_BACKEND, atomic_write
from .exact_resume_hook import ExactResumeHook, set_rng_state

PREEMPT_TMPL = 'preempt_iter_{}.pth'


class Preempted(SystemExit):
    """Raised after the preemption checkpoint is written; its ``code`` is
    ``128 + signal number`` (what a shell reports for a signal)."""


class _SkipFirstBatches:
    """A batch sampler whose first pass skips ``skip`` batches and, right
    before the next one is drawn, restores the generator states."""

    def __init__(self, batch_sampler, skip: int, states: Optional[dict]):
        self.batch_sampler, self.skip, self.states = batch_sampler, skip, \
            states

    def __iter__(self):
        skip, self.skip = self.skip, 0
        states, self.states = self.states, None
        for index, batch in enumerate(self.batch_sampler):
            if index < skip:
                continue
            if states is not None:
                set_rng_state(states)
                states = None
            yield batch

    def __len__(self):
        return len(self.batch_sampler)

    def __getattr__(self, name):
        return getattr(self.batch_sampler, name)


@HOOKS.register_module()
class PreemptionHook(Hook):
    """Save a resumable checkpoint and stop on SIGTERM / SIGUSR1 (see the
    module docstring).

    Args:
        signals (Sequence[str]): the signals to catch. Defaults to
            ``('SIGTERM', 'SIGUSR1')``.
    """
    priority = 'LOWEST'  # after every other hook of the iteration

    def __init__(self, signals: Sequence[str] = ('SIGTERM', 'SIGUSR1')):
        self.signals = [getattr(signal, name) for name in signals]
        self._received = None
        self._previous = {}
        self._resume = None

    # -- signals ------------------------------------------------------------
    def _handler(self, signum, frame):
        if self._received is not None:  # second signal: default action
            self._restore()
            os.kill(os.getpid(), signum)
            return
        self._received = signum

    def _restore(self):
        for signum, previous in self._previous.items():
            signal.signal(signum, previous)
        self._previous = {}

    def before_train(self, runner):
        self._received = None
        try:
            self._previous = {s: signal.signal(s, self._handler)
                              for s in self.signals}
        except ValueError:  # not the main thread
            MMLogger.get_current_instance().warning(
                'PreemptionHook: not in the main thread, signals not caught')
        self._skip_resumed_batches(runner)

    def after_train(self, runner):
        self._restore()

    # -- mid-epoch resume ---------------------------------------------------
    def after_load_checkpoint(self, runner, checkpoint):
        meta = checkpoint.get('meta') or {}
        if getattr(runner, '_resume', False) and meta.get('preempted'):
            states = checkpoint.get('rng_state') or []
            self._resume = dict(
                meta['preempted'], states=states[get_rank()] if len(
                    states) == get_world_size() else None)

    def _skip_resumed_batches(self, runner):
        resume, self._resume = self._resume, None
        if not resume or not isinstance(runner.train_loop,
                                         EpochBasedTrainLoop):
            return  # IterBasedTrainLoop skips the done batches itself
        loader = runner.train_loop.dataloader
        done = resume['batches_done']
        object.__setattr__(loader, 'batch_sampler', _SkipFirstBatches(
            loader.batch_sampler, done, resume['states']))
        MMLogger.get_current_instance().info(
            f'PreemptionHook: continuing epoch {runner.epoch + 1} after '
            f'batch {done} of {len(loader)} (the run was stopped by '
            f'{resume["signal"]})')

    # -- the iteration boundary ---------------------------------------------
    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        received = self._received or 0
        if get_world_size() > 1:  # every rank stops at the same iteration
            flag = torch.tensor([received], dtype=torch.int64)
            all_reduce(flag, op='max')
            received = int(flag.item())
        if not received:
            return
        self._restore()
        name = signal.Signals(received).name
        by_epoch = isinstance(runner.train_loop, EpochBasedTrainLoop)
        ckpt = find_hook(runner, MMEngineCheckpointHook)
        out_dir = getattr(ckpt, 'out_dir', None) or runner.work_dir
        resume = find_hook(runner, ExactResumeHook)
        if resume is not None:
            resume.gather_states()
        filename = PREEMPT_TMPL.format(runner.iter + 1)
        meta = dict(preempted=dict(signal=name, batches_done=batch_idx + 1,
                                   epoch=runner.epoch + 1))
        backend_args = getattr(ckpt, 'backend_args', None) or dict(
            backend=ATOMIC_BACKEND)
        runner.save_checkpoint(out_dir, filename, meta=meta, by_epoch=False,
                               backend_args=backend_args)
        path = os.path.join(out_dir, filename)
        if is_main_process():
            atomic_write(os.path.join(runner.work_dir, 'last_checkpoint'),
                         path, 'w')
        where = (f'epoch {runner.epoch + 1}, batch {batch_idx + 1} of '
                 f'{len(runner.train_dataloader)}' if by_epoch else
                 f'iteration {runner.iter + 1}')
        message = (f'Preempted by {name}: stopped after iteration '
                   f'{runner.iter + 1} ({where}) and saved the resumable '
                   f'checkpoint {path}; continue with --resume.')
        MMLogger.get_current_instance().warning(message)
        raise Preempted(128 + received)


__all__ = ['PreemptionHook', 'Preempted', 'PREEMPT_TMPL']
