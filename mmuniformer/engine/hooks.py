"""Load official UniFormer checkpoints with ``load_from`` / ``mim test``."""
from mmengine.hooks import Hook
from mmengine.logging import MMLogger

from ..models.checkpoint import CheckpointMismatchError, unwrap_checkpoint
from ..models.convert import (LABEL_ORDERS, applicable_label_order,
                              convert_checkpoint, detect_family)
from ..registry import HOOKS

# Families whose keys already match OpenMMLab 2.0 models.
_NATIVE = ('mm', 'det', 'seg')


@HOOKS.register_module()
class OfficialCheckpointHook(Hook):
    """Convert an official UniFormer checkpoint while the Runner loads it.

    The Runner calls ``after_load_checkpoint`` between reading a file
    (``load_from``, ``mim test --checkpoint``, a path or a URL) and putting
    it into the model, so an official video / ImageNet / pose checkpoint is
    rewritten in place into the OpenMMLab layout (see
    :mod:`mmuniformer.models.convert`); mm-format, det and seg checkpoints
    pass unchanged. ``label_order='mmaction'`` reorders an official
    Kinetics head into MMAction2's label-map order, the order of
    MMAction2-format annotation files; set it in Kinetics configs.
    """
    priority = 'VERY_HIGH'

    def __init__(self, label_order: str = 'official'):
        if label_order not in LABEL_ORDERS:
            raise ValueError(f'label_order must be one of {LABEL_ORDERS}, '
                             f'got {label_order!r}')
        self.label_order = label_order

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        try:
            state, wrapper = unwrap_checkpoint(checkpoint)
            family = detect_family(state, wrapper)
        except CheckpointMismatchError:
            return  # not a UniFormer checkpoint: leave it to mmengine
        if family in _NATIVE:
            return
        label_order = applicable_label_order(checkpoint, self.label_order)
        converted = convert_checkpoint(checkpoint, source='load_from',
                                       label_order=label_order)
        for key in ('model_state', 'model'):
            checkpoint.pop(key, None)
        checkpoint['state_dict'] = converted['state_dict']
        meta = checkpoint.setdefault('meta', {})
        if isinstance(meta, dict):
            meta.update(converted['meta'])
        MMLogger.get_current_instance().info(
            f'OfficialCheckpointHook: converted an official {family} '
            f'checkpoint ({len(converted["state_dict"])} tensors, head rows '
            f'in {label_order} order)')
