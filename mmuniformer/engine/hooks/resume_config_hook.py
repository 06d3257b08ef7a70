"""Say what a changed config does on ``--resume``, by one rule.

mmengine's resume restores the optimizer state (its ``param_groups`` hold
lr, weight decay, betas / momentum) and the parameter schedulers' state
(``begin``, ``end``, ``T_max`` ... in iterations, converted with the
iterations per epoch of the *first* run), and takes everything else from
the new config. It checks none of it: a new lr is silently replaced by the
checkpoint's, and a new batch size runs on a schedule built for another
number of iterations per epoch (batch 8 on a schedule made for 6 iterations
per epoch of batch 6 ends its warm-up and cosine at the wrong epochs).

The rule (documented in ``docs/advanced_guides/robust_training.md``, "Data
and configuration faults"):

* **the checkpoint wins** for what it holds: optimizer type and
  hyper-parameters (lr, weight decay, momentum / betas, eps) and the
  parameter schedule (``param_scheduler``);
* **the config wins** for what is built fresh: batch size, world size,
  data, ``max_epochs`` / ``max_iters``, hooks;
* every difference is listed with its winner in one warning at resume;
* a change of the **iterations per epoch** (batch size x world size, or the
  data set size) stops the run before the first iteration
  (:class:`ResumeConfigError`): the restored iteration-based schedule no
  longer lines up with epochs. Resume with the first run's batch size and
  world size, or start a new schedule from the weights with ``load_from=``
  (no ``--resume``); ``on_schedule_change='warn'`` accepts it knowingly.

The hook also records ``world_size``, ``batch_size`` and
``iters_per_epoch`` in each checkpoint's ``meta['run_shape']`` (mmengine's
meta has the config text, not the world size).
"""
from typing import Dict, List, Optional, Tuple

from mmengine.config import Config
from mmengine.hooks import Hook

from ...registry import HOOKS

_OPTIM_KEYS = ('type', 'lr', 'weight_decay', 'momentum', 'betas', 'eps')
_NOT_SET = '<not set>'


class ResumeConfigError(RuntimeError):
    """A resume whose config breaks the restored schedule."""


def _get(cfg, dotted: str):
    node = cfg
    for part in dotted.split('.'):
        if not hasattr(node, 'get'):
            return _NOT_SET
        node = node.get(part, _NOT_SET)
        if node is _NOT_SET:
            return _NOT_SET
    return node


def _norm(value):
    """Comparable form: ConfigDicts / tuples as plain dicts / lists."""
    if hasattr(value, 'to_dict'):
        value = value.to_dict()
    if isinstance(value, dict):
        return {k: _norm(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_norm(v) for v in value]
    return value


def config_differences(old: Config, new: Config, old_shape: Dict,
                       new_shape: Dict) -> List[Tuple[str, object, object,
                                                      str]]:
    """``[(key, checkpoint value, config value, winner)]`` for the keys of
    the rule (module docstring) that differ."""
    diffs = []
    for key in _OPTIM_KEYS:
        dotted = f'optim_wrapper.optimizer.{key}'
        a, b = _get(old, dotted), _get(new, dotted)
        if _norm(a) != _norm(b):
            diffs.append((dotted, a, b, 'checkpoint'))
    a, b = _get(old, 'param_scheduler'), _get(new, 'param_scheduler')
    if _norm(a) != _norm(b):
        diffs.append(('param_scheduler', a, b, 'checkpoint'))
    for dotted in ('train_cfg.max_epochs', 'train_cfg.max_iters'):
        a, b = _get(old, dotted), _get(new, dotted)
        if _norm(a) != _norm(b):
            diffs.append((dotted, a, b, 'config'))
    for key in ('batch_size', 'world_size', 'iters_per_epoch'):
        a = old_shape.get(key, _NOT_SET)
        b = new_shape.get(key)
        if key == 'batch_size' and a == _NOT_SET:
            a = _get(old, 'train_dataloader.batch_size')
        if a != _NOT_SET and a != b:
            diffs.append((key, a, b, 'config'))
    return diffs


def _shape(runner) -> Dict:
    loader = runner.train_dataloader
    return dict(world_size=runner.world_size,
                batch_size=getattr(loader, 'batch_size', None),
                iters_per_epoch=len(loader))


@HOOKS.register_module()
class ResumeConfigHook(Hook):
    """List what a changed config does on ``--resume`` (module docstring).

    Args:
        on_schedule_change (str): ``'error'`` stops a resume whose iterations
            per epoch changed, ``'warn'`` only lists it. Defaults to
            ``'error'``.
    """

    priority = 'VERY_HIGH'

    def __init__(self, on_schedule_change: str = 'error'):
        if on_schedule_change not in ('error', 'warn'):
            raise ValueError("on_schedule_change must be 'error' or 'warn', "
                             f'got {on_schedule_change!r}')
        self.on_schedule_change = on_schedule_change

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        checkpoint.setdefault('meta', {})['run_shape'] = _shape(runner)

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        if not getattr(runner, '_resume', False):
            return  # load_from: a new schedule, nothing to compare
        meta = checkpoint.get('meta') or {}
        old = self._old_config(meta)
        if old is None:
            return
        diffs = config_differences(old, runner.cfg,
                                   meta.get('run_shape') or {},
                                   _shape(runner))
        if not diffs:
            return
        lines = [f'  {key}: checkpoint {a!r} -> config {b!r}; {winner} '
                 'wins' for key, a, b, winner in diffs]
        text = ('resuming with a config that differs from the checkpoint\'s '
                '(rule: the checkpoint wins for the optimizer and the '
                'schedule it holds, the config for data, batch, world size '
                'and length; docs/advanced_guides/robust_training.md):\n'
                + '\n'.join(lines))
        schedule = [d for d in diffs if d[0] == 'iters_per_epoch'
                    or (d[0] in ('batch_size', 'world_size')
                        and 'run_shape' not in meta)]
        if schedule and self.on_schedule_change == 'error':
            raise ResumeConfigError(
                text + '\n  The iterations per epoch changed, so the '
                'restored iteration-based schedule (warm-up, cosine) no '
                'longer matches the epochs. Resume with the first run\'s '
                'batch size and world size, or start a new schedule from '
                'the weights with --cfg-options load_from=<checkpoint> (no '
                '--resume), or accept it: --cfg-options '
                'default_hooks.resume_config.on_schedule_change=warn')
        runner.logger.warning(text)

    @staticmethod
    def _old_config(meta: Dict) -> Optional[Config]:
        text = meta.get('cfg')
        if not text:
            return None
        try:
            return Config.fromstring(text, file_format='.py')
        except Exception:  # noqa: BLE001 - an unparsable dump: no check
            return None
