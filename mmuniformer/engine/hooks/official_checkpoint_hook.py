"""Load official UniFormer checkpoints with ``load_from`` / ``mim test``."""
from mmengine.hooks import Hook
from mmengine.logging import MMLogger

from ...checkpoint.adapter import CheckpointMismatchError, check_head_dim
from ...checkpoint.convert import (LABEL_ORDERS, check_image_heads,
                              convert_checkpoint, image_layout_for,
                              unwrap_checkpoint)
from ...registry import HOOKS

# Families whose keys already match OpenMMLab 2.0 models.
_NATIVE = ('mm', 'det', 'seg')


@HOOKS.register_module()
class OfficialCheckpointHook(Hook):
    """Convert an official UniFormer checkpoint while the Runner loads it.

    The Runner calls ``after_load_checkpoint`` between reading a file
    (``load_from``, ``mim test --checkpoint``, a path or a URL) and putting
    it into the model, so an official video / ImageNet / pose checkpoint is
    rewritten in place into the OpenMMLab layout (see
    :mod:`mmuniformer.checkpoint.convert`); mm-format, det and seg checkpoints
    pass unchanged. ``label_order='mmaction'`` reorders an official
    Kinetics head into MMAction2's label-map order, the order of
    MMAction2-format annotation files; set it in Kinetics configs.

    An official ImageNet file loaded into an image classifier (MMPretrain
    ``ImageClassifier`` with ``UniFormerClsBackbone``) keeps its final BN
    and heads (``head`` -> ``head.fc``, token labeling ``aux_head`` ->
    ``head.aux_fc``, the ``'classifier'`` layout); a plain file in a
    token-labeling config or the reverse is refused. Into any other model
    it initialises the backbone only.
    """
    priority = 'VERY_HIGH'

    def __init__(self, label_order: str = 'official'):
        if label_order not in LABEL_ORDERS:
            raise ValueError(f'label_order must be one of {LABEL_ORDERS}, '
                             f'got {label_order!r}')
        self.label_order = label_order

    def before_run(self, runner) -> None:
        """``load_from`` / ``--checkpoint`` may name weights of the table
        or ``hf://...``: the Runner loads right after ``before_run``."""
        if getattr(runner, '_load_from', None):
            from ...checkpoint.download import resolve_checkpoint
            runner._load_from = resolve_checkpoint(runner._load_from)

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        model = getattr(runner.model, 'module', runner.model)
        layout = image_layout_for(model)
        try:
            converted = convert_checkpoint(checkpoint, source='load_from',
                                           label_order=self.label_order,
                                           strict_label_order=False,
                                           image_layout=layout)
        except CheckpointMismatchError:
            return  # not a UniFormer checkpoint: leave it to mmengine
        meta_in = converted['meta']['uniformer']
        family, label_order = meta_in['family'], meta_in['label_order']
        if family == 'image' and layout == 'classifier':
            check_image_heads(model.state_dict().keys(),
                              unwrap_checkpoint(checkpoint)[0], 'load_from')
        # a head_dim recorded in the file must match the model's (it changes
        # no shape, so a mismatch would load silently)
        check_head_dim(getattr(getattr(model, 'backbone', None), 'head_dim',
                               None), checkpoint, None)
        if family in _NATIVE:
            return
        for key in ('model_state', 'model'):
            checkpoint.pop(key, None)
        checkpoint['state_dict'] = converted['state_dict']
        meta = checkpoint.setdefault('meta', {})
        if isinstance(meta, dict):
            meta.update(converted['meta'])
        order = f', head rows in {label_order} order' if label_order else ''
        MMLogger.get_current_instance().info(
            f'OfficialCheckpointHook: converted an official {family} '
            f'checkpoint ({len(converted["state_dict"])} tensors{order})')
