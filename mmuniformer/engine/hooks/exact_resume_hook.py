"""Bit-exact resume: the generator states travel with the checkpoint.

mmengine's resume restores model, optimizer, schedulers, message hub,
epoch/iter (the sampler position: DefaultSampler reshuffles from
``seed + epoch``, IterBasedTrainLoop skips ``iter`` batches) and re-seeds from
the seed, but not the *state* of the python, numpy and torch generators, which
the data pipeline (in the main process when ``num_workers=0``), drop-path and
dropout use. :class:`ExactResumeHook` stores them in the checkpoint and
restores them. Dataloader workers need nothing: mmengine seeds them from
``(seed, rank, worker_id)`` when they start. It also falls back to the newest
readable checkpoint when the latest one cannot be read, and names an
unreadable ``load_from`` file.
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


@HOOKS.register_module()
class ExactResumeHook(Hook):
    """Make ``--resume`` continue exactly and survive a damaged checkpoint.

    * stores the python / numpy / torch generator states (every rank's, when
      distributed and saving at an epoch end) in each checkpoint and, when
      resuming, restores them right before training continues;
    * ``--resume`` without a path: if the latest checkpoint (named in
      ``work_dir/last_checkpoint``) is unreadable, resume from the newest
      readable ``epoch_*.pth`` / ``iter_*.pth`` instead and say so in the log;
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
        logger = MMLogger.get_current_instance()
        if resume and load_from is None:
            from mmengine.runner.checkpoint import find_latest_checkpoint
            latest = find_latest_checkpoint(runner.work_dir)
            if latest is None or not osp.isfile(latest):
                return
            reason = checkpoint_unreadable(latest)
            if reason is None:
                return
            pattern = osp.join(osp.dirname(latest), '*.pth')
            candidates = sorted(
                (p for p in glob.glob(pattern)
                 if _ckpt_step(p) >= 0 and osp.abspath(p) != osp.abspath(
                     latest)), key=_ckpt_step, reverse=True)
            for path in candidates:
                if checkpoint_unreadable(path) is None:
                    logger.warning(
                        f'The latest checkpoint {latest} is not readable '
                        f'({reason}); resuming from the newest readable '
                        f'checkpoint instead: {path}')
                    runner._load_from = path
                    return
            raise UnreadableCheckpointError(
                f'{latest} is not a readable checkpoint ({reason}) and no '
                f'other epoch_*/iter_* checkpoint in {osp.dirname(latest)} '
                'is readable; cannot resume.')
        if load_from and osp.isfile(str(load_from)):
            reason = checkpoint_unreadable(str(load_from))
            if reason is not None:
                raise unreadable_error(str(load_from), reason)

    # -- generator states ---------------------------------------------------
    def after_train_epoch(self, runner):
        # all ranks, before CheckpointHook (VERY_LOW) saves on rank 0
        if get_world_size() > 1:
            self._gathered = all_gather_object(rng_state())

    def before_save_checkpoint(self, runner, checkpoint):
        states = self._gathered if self._gathered is not None else [
            rng_state()]
        self._gathered = None
        checkpoint['rng_state'] = states

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
