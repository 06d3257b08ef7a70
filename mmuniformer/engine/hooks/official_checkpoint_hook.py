"""Strict loading for ``load_from``, ``--resume`` and ``mim test``."""
import os.path as osp
from typing import Optional

from mmengine.hooks import Hook
from mmengine.logging import MMLogger

from ...checkpoint.adapter import (CheckpointMismatchError, check_fill,
                                   check_head_dim, mark_checked)
from ...checkpoint.convert import (LABEL_ORDERS, check_image_heads,
                                   convert_checkpoint, image_layout_for,
                                   unwrap_checkpoint)
from ...checkpoint.reader import checkpoint_unreadable, unreadable_error
from ...registry import HOOKS

# Families whose keys already match OpenMMLab 2.0 models.
_NATIVE = ('mm', 'det', 'seg')
_UNNAMED = 'the checkpoint'


def _loaded_file(runner) -> str:
    """The file the Runner is loading: ``load_from`` / ``--resume PATH`` or
    the latest checkpoint of ``work_dir`` for a bare ``--resume``."""
    path = getattr(runner, '_load_from', None)
    if path is None and getattr(runner, '_resume', False):
        from mmengine.runner.checkpoint import find_latest_checkpoint
        path = find_latest_checkpoint(runner.work_dir)
    return str(path) if path is not None else _UNNAMED


@HOOKS.register_module()
class OfficialCheckpointHook(Hook):
    """Make the Runner's loading strict, and convert official files.

    * ``before_run``: a local ``load_from`` / ``--resume PATH`` / ``mim test
      --checkpoint`` file that is not a complete, safe PyTorch checkpoint
      raises :class:`~mmuniformer.checkpoint.reader.UnreadableCheckpointError`
      naming it and the reason (empty, truncated, corrupt, not a checkpoint,
      unsafe pickle ...), before mmengine's ``torch.load``.
    * ``after_load_checkpoint`` (between reading the file and putting it into
      the model): an official video / ImageNet / pose checkpoint is rewritten
      in place into the OpenMMLab layout (see
      :mod:`mmuniformer.checkpoint.convert`); mm-format, det and seg
      checkpoints pass unchanged. Then every tensor of the model must be
      filled with the right shape (:func:`~mmuniformer.checkpoint.adapter.
      check_fill`): a checkpoint of another size, family or head size fails
      here, before training or testing starts, naming the file, every key
      that does not fit and the switches to use.

    An official ImageNet file loaded into an image classifier (MMPretrain
    ``ImageClassifier`` with ``UniFormerClsBackbone``) keeps its final BN and
    heads (``head`` -> ``head.fc``, token labeling ``aux_head`` ->
    ``head.aux_fc``); a plain file in a token-labeling config or the reverse
    is refused.

    Args:
        label_order (str): ``'mmaction'`` reorders an official Kinetics head
            into MMAction2's label-map order (the order of MMAction2-format
            annotation files; set in the Kinetics configs), ``'official'``
            keeps it. Defaults to ``'official'``.
        allow_partial (bool): load only the tensors that fit and keep the
            others at their initialisation, e.g. to fine-tune a new head from
            a ``load_from`` file of another class count; what was skipped is
            logged as a warning. Defaults to False (all or nothing).
    """
    priority = 'VERY_HIGH'

    def __init__(self, label_order: str = 'official',
                 allow_partial: bool = False):
        if label_order not in LABEL_ORDERS:
            raise ValueError(f'label_order must be one of {LABEL_ORDERS}, '
                             f'got {label_order!r}')
        self.label_order = label_order
        self.allow_partial = bool(allow_partial)

    def before_run(self, runner) -> None:
        """``load_from`` / ``--checkpoint`` may name weights of the table or
        ``hf://...`` (resolved to a local file here: the Runner loads right
        after ``before_run``); an unreadable file is named before mmengine
        opens it."""
        if getattr(runner, '_load_from', None):
            from ...checkpoint.download import resolve_checkpoint
            runner._load_from = resolve_checkpoint(runner._load_from)
        path: Optional[str] = getattr(runner, '_load_from', None)
        if path is None or not osp.isfile(str(path)):
            return
        reason = checkpoint_unreadable(str(path))
        if reason is not None:
            raise unreadable_error(str(path), reason)

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        model = getattr(runner.model, 'module', runner.model)
        source = _loaded_file(runner)
        logger = MMLogger.get_current_instance()
        layout = image_layout_for(model)
        try:
            converted = convert_checkpoint(checkpoint, source=source,
                                           label_order=self.label_order,
                                           strict_label_order=False,
                                           image_layout=layout)
        except CheckpointMismatchError:
            converted = None  # not a UniFormer checkpoint: checked below
        if converted is None:
            state = unwrap_checkpoint(checkpoint, source)[0]
            family = None
        else:
            meta_in = converted['meta']['uniformer']
            family = meta_in['family']
            if family == 'image' and layout == 'classifier':
                check_image_heads(model.state_dict().keys(),
                                  unwrap_checkpoint(checkpoint)[0], source)
            # a head_dim recorded in the file, or the weights table's for a
            # released file of that name, must match the model's (it changes
            # no shape, so a mismatch would load silently)
            check_head_dim(getattr(getattr(model, 'backbone', None),
                                   'head_dim', None), checkpoint,
                           None if source == _UNNAMED else source)
            state = converted['state_dict']
        check_fill(model, state, source, allow_partial=self.allow_partial,
                   logger=logger)
        original = checkpoint.get('state_dict')
        self._replace_state(checkpoint, mark_checked(model, state, original))
        if family is None or family in _NATIVE:
            return
        meta = checkpoint.setdefault('meta', {})
        if isinstance(meta, dict):
            meta.update(converted['meta'])
        order = meta_in['label_order']
        order = f', head rows in {order} order' if order else ''
        logger.info(f'OfficialCheckpointHook: converted an official {family} '
                    f'checkpoint ({len(state)} tensors{order})')

    @staticmethod
    def _replace_state(checkpoint: dict, state: dict) -> None:
        for key in ('model_state', 'model'):
            checkpoint.pop(key, None)
        checkpoint['state_dict'] = state
