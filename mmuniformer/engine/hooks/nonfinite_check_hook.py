"""Non-finite losses, gradient norms and weights stop the run before a
checkpoint is written from them.

mmengine has no such check, and MMDetection's ``CheckInvalidLossHook`` asserts
every 50 iterations with an empty message (its message argument is
``logger.info(...)``, i.e. None), does not look at the gradient norm and lives
in MMDetection only. Ours checks every iteration, names the iteration, and
refuses to let a checkpoint (regular or best) be written from non-finite
weights; CheckpointHook deletes the previous checkpoint *before* writing the
new one, so the check runs before it, at a higher priority.
"""
import math
from typing import Optional

import torch
from mmengine.hooks import Hook

from ...registry import HOOKS
from ..utils import is_training


class NonFiniteError(RuntimeError):
    """Training produced a non-finite loss, gradient norm or weight."""


def first_nonfinite(named_tensors) -> Optional[str]:
    """Name of the first floating tensor holding NaN/inf, else None.

    Called every iteration (weights, when no gradient norm is logged): the
    per-tensor flags stay on their device and are read with one
    synchronisation per device, not one per tensor."""
    named = [(name, value) for name, value in named_tensors
             if isinstance(value, torch.Tensor) and value.is_floating_point()
             and value.numel()]
    by_device = {}
    for index, (_, value) in enumerate(named):
        by_device.setdefault(value.device, []).append(index)
    bad = []
    for indices in by_device.values():
        flags = torch.stack([torch.isfinite(named[i][1]).all()
                             for i in indices]).cpu()
        bad += [i for i, ok in zip(indices, flags.tolist()) if not ok]
    return named[min(bad)][0] if bad else None


def _where(runner, batch_idx=None) -> str:
    text = f'iteration {runner.iter + 1} (epoch {runner.epoch + 1}'
    if batch_idx is not None:
        try:
            total = len(runner.train_dataloader)
        except TypeError:
            total = '?'
        text += f', batch {batch_idx + 1} of {total}'
    return text + ')'


@HOOKS.register_module()
class NonFiniteCheckHook(Hook):
    """Stop training at the first non-finite loss or gradient norm.

    * every iteration: each ``loss*`` value in the train step's outputs must
      be finite; the gradient norm that ``clip_grad`` logs
      (``train/grad_norm``) too, except under ``AmpOptimWrapper``, whose
      GradScaler skips such a step and lowers the scale (normal AMP
      behaviour, not divergence); without ``clip_grad`` the weights are
      checked instead, so a non-finite step is caught in the same iteration;
    * before CheckpointHook acts (end of epoch, after validation) and before
      any checkpoint is written: every weight must be finite. CheckpointHook
      removes the old regular / best checkpoint before saving the new one,
      so this check runs first (priority ``HIGH``) and a NaN run never
      replaces or deletes a good checkpoint.

    Raises :class:`NonFiniteError` naming the iteration, the values and the
    first non-finite weight.
    """
    priority = 'HIGH'

    def __init__(self, check_grad_norm: bool = True):
        self.check_grad_norm = check_grad_norm
        self._grad_before = None

    @staticmethod
    def _grad_history(runner):
        buf = runner.message_hub.log_scalars.get('train/grad_norm')
        return None if buf is None else buf.data[0]

    @staticmethod
    def _amp(runner) -> bool:
        from mmengine.optim import AmpOptimWrapper
        return isinstance(getattr(runner, 'optim_wrapper', None),
                          AmpOptimWrapper)

    def _check_weights(self, runner, when: str):
        model = getattr(runner.model, 'module', runner.model)
        bad = first_nonfinite(model.state_dict().items())
        if bad is not None:
            raise NonFiniteError(
                f'weight {bad!r} is non-finite {when}; training stopped '
                'without writing a checkpoint of these weights (the last '
                'good checkpoints are kept). Lower the learning rate, check '
                'the data, or resume from the last good checkpoint.')

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        self._grad_before = self._grad_history(runner)

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        bad = {}
        for key, value in (outputs or {}).items():
            if 'loss' not in key:
                continue
            if isinstance(value, torch.Tensor):
                value = value.detach().float().mean().item()
            if isinstance(value, (int, float)) and not math.isfinite(value):
                bad[key] = value
        if bad:
            values = ', '.join(f'{k}={v}' for k, v in bad.items())
            raise NonFiniteError(
                f'non-finite loss at {_where(runner, batch_idx)}: {values}. '
                'Training stopped before any checkpoint of these weights was '
                'written. Lower the learning rate (optim_wrapper.optimizer.'
                'lr), enable clip_grad, or check the inputs of this batch.')
        history = self._grad_history(runner)
        fresh = history is not None and history is not self._grad_before \
            and len(history) > 0
        if self.check_grad_norm and fresh and not self._amp(runner):
            norm = float(history[-1])
            if not math.isfinite(norm):
                raise NonFiniteError(
                    f'non-finite gradient norm at {_where(runner, batch_idx)}'
                    f': grad_norm={norm} (loss was finite). Training stopped '
                    'before any checkpoint of these weights was written.')
        elif not fresh and not self._amp(runner):
            self._check_weights(runner, f'after {_where(runner, batch_idx)}')

    def after_train_epoch(self, runner):
        self._check_weights(runner, f'at the end of epoch {runner.epoch + 1}')

    def after_val_epoch(self, runner, metrics=None):
        if is_training(runner):  # not in a standalone val / test
            self._check_weights(runner, 'at validation')

    def before_save_checkpoint(self, runner, checkpoint):
        bad = first_nonfinite(checkpoint.get('state_dict', {}).items())
        if bad is not None:
            raise NonFiniteError(
                f'refusing to save a checkpoint at {_where(runner)}: weight '
                f'{bad!r} is non-finite.')
