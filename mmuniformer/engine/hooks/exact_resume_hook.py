"""Bit-exact resume: the generator states travel with the checkpoint.

mmengine's resume restores model, optimizer, schedulers, message hub,
epoch/iter (the sampler position: DefaultSampler reshuffles from
``seed + epoch``, IterBasedTrainLoop skips ``iter`` batches) and re-seeds from
the seed, but not the *state* of the python, numpy and torch generators, which
the data pipeline (in the main process when ``num_workers=0``), drop-path and
dropout use. :class:`ExactResumeHook` stores them in the checkpoint and
restores them. Dataloader workers need nothing: mmengine seeds them from
``(seed, rank, worker_id)`` when they start. It also falls back to the newest
readable checkpoint when the latest one is missing or cannot be read, and
names an unreadable ``load_from`` file. ``checkpoint_unreadable`` moves to
``mmuniformer/checkpoint/reader.py`` with the checkpoint package's split.
"""
import glob
import os.path as osp
import random
import re

import numpy as np
import torch
from mmengine.dist import all_gather_object, get_rank, get_world_size
from mmengine.hooks import Hook
from mmengine.logging import MMLogger

from ...checkpoint.reader import (UnreadableCheckpointError,
                                  checkpoint_unreadable, unreadable_error)
from ...registry import HOOKS
from ..utils import is_training, saves_after_iter


def rng_state() -> dict:
    """States of the python, numpy and torch (CPU, CUDA) generators."""
    state = dict(python=random.getstate(), numpy=np.random.get_state(),
                 torch=torch.get_rng_state())
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state['cuda'] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict):
    """Inverse of :func:`rng_state`."""
    version, internal, gauss = state['python']
    random.setstate((version, tuple(internal), gauss))
    np.random.set_state(tuple(state['numpy']))
    torch.set_rng_state(state['torch'])
    if 'cuda' in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state['cuda'])


def _ckpt_step(path: str) -> int:
    found = re.search(r'(?:epoch|iter)_(\d+)\.pth$', osp.basename(path))
    return int(found.group(1)) if found else -1


def resumable_checkpoints(folder: str, exclude=()) -> list:
    """``epoch_*`` / ``iter_*`` / ``preempt_iter_*`` checkpoints in
    ``folder``, newest first (by modification time, then step); best
    checkpoints (no optimizer state) are not resumable."""
    excluded = {osp.abspath(p) for p in exclude}
    found = [p for p in glob.glob(osp.join(folder, '*.pth'))
             if _ckpt_step(p) >= 0 and not osp.basename(p).startswith(
                 'best_') and osp.abspath(p) not in excluded]
    return sorted(found, key=lambda p: (osp.getmtime(p), _ckpt_step(p)),
                  reverse=True)


@HOOKS.register_module()
class ExactResumeHook(Hook):
    """Make ``--resume`` continue exactly and survive a lost checkpoint.

    * stores the python / numpy / torch generator states in each checkpoint
      -- every rank's when distributed, gathered right before each save:
      epoch ends, iteration-based saves, the re-saves of ``save_best`` after
      validation (which hold the states after validation, the ones an
      uninterrupted run continues with) and preemption saves -- and, when
      resuming, restores them right before training continues;
    * ``--resume`` without a path: if the latest checkpoint (named in
      ``work_dir/last_checkpoint``) is missing or unreadable, or
      ``last_checkpoint`` itself is missing while checkpoints exist, resume
      from the newest readable ``epoch_*`` / ``iter_*`` / ``preempt_iter_*``
      checkpoint instead and say so in the log;
    * an unreadable ``load_from`` (or ``--resume PATH``) raises
      :class:`UnreadableCheckpointError` naming the file.
    """
    priority = 'VERY_HIGH'

    def __init__(self):
        self._pending = None
        self._gathered = None

    # -- which checkpoint to resume from -----------------------------------
    def before_run(self, runner):
        resume = getattr(runner, '_resume', False)
        load_from = getattr(runner, '_load_from', None)
        if resume and load_from is None:
            self._choose_resume(runner)
        elif load_from and osp.isfile(str(load_from)):
            reason = checkpoint_unreadable(str(load_from))
            if reason is not None:
                raise unreadable_error(str(load_from), reason)

    @staticmethod
    def _choose_resume(runner):
        from mmengine.runner.checkpoint import find_latest_checkpoint
        logger = MMLogger.get_current_instance()
        pointer = osp.join(runner.work_dir, 'last_checkpoint')
        latest = find_latest_checkpoint(runner.work_dir)
        if latest is None:
            folder, reason = runner.work_dir, f'{pointer} is missing'
            what = 'There is no latest checkpoint'
        else:
            reason = checkpoint_unreadable(latest)
            if reason is None:
                return
            folder = osp.dirname(latest)
            what = f'The latest checkpoint {latest} is not readable'
            reason = f'{reason}; named in {pointer}'
        candidates = resumable_checkpoints(folder, exclude=[latest or ''])
        for path in candidates:
            if checkpoint_unreadable(path) is None:
                logger.warning(
                    f'{what} ({reason}); resuming from the newest readable '
                    f'checkpoint instead: {path}')
                runner._load_from = path
                return
        if latest is None:
            return  # a fresh work_dir: mmengine trains from scratch
        raise UnreadableCheckpointError(
            f'{latest} is not a readable checkpoint ({reason}) and no '
            f'other epoch_*/iter_* checkpoint in {folder} is readable; '
            'cannot resume.')

    # -- generator states ---------------------------------------------------
    # Runner.save_checkpoint runs on rank 0 only, so every rank's states are
    # gathered (a collective) in the stage that precedes each save, before
    # CheckpointHook (VERY_LOW) acts.
    def gather_states(self):
        """Gather every rank's generator states for the next save (a
        collective: call it on all ranks)."""
        if get_world_size() > 1:
            self._gathered = all_gather_object(rng_state())

    def before_train_epoch(self, runner):
        self._gathered = None

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        self._gathered = None

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        if get_world_size() > 1 and saves_after_iter(runner, self):
            self.gather_states()

    def after_train_epoch(self, runner):
        self.gather_states()

    def after_val_epoch(self, runner, metrics=None):
        # save_best writes best_*.pth and re-saves the latest checkpoint
        if is_training(runner):
            self.gather_states()

    def before_save_checkpoint(self, runner, checkpoint):
        checkpoint['rng_state'] = (self._gathered if self._gathered
                                   is not None else [rng_state()])

    def after_load_checkpoint(self, runner, checkpoint):
        if getattr(runner, '_resume', False):
            self._pending = checkpoint.get('rng_state')

    def before_train(self, runner):
        states, self._pending = self._pending, None
        if not states:
            return
        logger = MMLogger.get_current_instance()
        if len(states) == get_world_size():
            set_rng_state(states[get_rank()])
            logger.info('ExactResumeHook: restored the python, numpy and '
                        'torch random generator states of the checkpoint')
        else:
            logger.warning(
                f'ExactResumeHook: the checkpoint holds generator states of '
                f'{len(states)} process(es), this run has {get_world_size()}'
                '; generators are seeded from the seed instead.')
