"""Loading a checkpoint into a host's model built without weights, and
saying how much of the model it filled: what the image demo
(``tools/demo/image_demo.py``) does for every task.

The hosts' inferencers (``DetInferencer``, ``MMSegInferencer``,
``MMPoseInferencer``) are built without weights here
(:func:`quiet_host_weight_messages`), and :func:`load_with_report` loads
the file afterwards, converting official files
(:func:`~mmuniformer.checkpoint.adapter.load_as_mm_checkpoint`). Unlike the
strict loads of the Runner, a checkpoint whose class layers have another
class count loads everything else, with a warning that lists every skipped
tensor and the config keys to set (:func:`class_count_hint`). A file that
fills the backbone only (an ImageNet file given to a detector) is refused
unless the caller allows random heads.
"""
import contextlib
import logging
import re
import warnings
from typing import Dict, Iterable, Optional, Tuple

import torch
from torch import nn

from .convert import CheckpointMismatchError

# Output layers whose first dimension is the class (or keypoint) count, with
# the config key that sets it and the rows per class (fc_cls: + background)
CLASS_LAYERS = (
    ('roi_head.bbox_head', 'fc_cls.weight', 'num_classes', 1),
    ('roi_head.mask_head', 'conv_logits.weight', 'num_classes', 0),
    ('decode_head', 'conv_seg.weight', 'num_classes', 0),
    ('auxiliary_head', 'conv_seg.weight', 'num_classes', 0),
    ('head', 'final_layer.weight', 'out_channels', 0),
)
HOST_WEIGHT_MESSAGES = ('Checkpoint is not loaded', 'weights is None')


class BackboneOnlyError(CheckpointMismatchError):
    """A checkpoint that would leave every tensor outside the model's
    backbone at its random initialisation."""


@contextlib.contextmanager
def quiet_host_weight_messages():
    """Drop the hosts' "Checkpoint is not loaded" / "weights is None"
    messages, whether they come as warnings or as mmengine log records.

    The inferencers are built without weights when the weights are loaded
    afterwards (:func:`load_with_report`), so those two messages would be
    wrong.
    """
    from mmengine.logging import MMLogger

    class _Drop(logging.Filter):

        def filter(self, record):
            msg = record.getMessage()
            return not any(text in msg for text in HOST_WEIGHT_MESSAGES)

    logger = MMLogger.get_current_instance()
    drop = _Drop()
    logger.addFilter(drop)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings(
                'ignore', message='(' + '|'.join(HOST_WEIGHT_MESSAGES) + ')')
            yield
    finally:
        logger.removeFilter(drop)


def class_count_hint(wrong_shape: Iterable[str],
                     state: Dict[str, torch.Tensor]) -> str:
    """The config keys to set when skipped tensors are class layers.

    Args:
        wrong_shape (Iterable[str]): keys whose checkpoint shape differs
            from the model's.
        state (dict): the converted checkpoint state dict.

    Returns:
        str: a sentence naming the checkpoint's class count(s) and the
        ``--cfg-options`` that set them (e.g.
        ``model.roi_head.bbox_head.num_classes=3``; Cascade stages indexed),
        or ``''`` when no skipped tensor is a class layer.
    """
    settings = {}
    for key in wrong_shape:
        for module, leaf, option, extra in CLASS_LAYERS:
            match = re.match(rf'^{re.escape(module)}(\.\d+)?\.'
                             rf'{re.escape(leaf)}$', key)
            if match:
                index = match.group(1) or ''  # Cascade: bbox_head.0 ...
                count = int(state[key].shape[0]) - extra
                settings[f'model.{module}{index}.{option}'] = count
    if not settings:
        return ''
    counts = sorted(set(settings.values()))
    return (f' The checkpoint was trained with '
            f'{"/".join(map(str, counts))} classes (or keypoints) and the '
            'config has another count; set it: --cfg-options ' +
            ' '.join(f'{k}={v}' for k, v in settings.items()) +
            ' (or edit the config).')


def checkpoint_dataset_meta(ckpt: Optional[dict]) -> Optional[dict]:
    """The class names (and palette) a checkpoint was saved with.

    Args:
        ckpt (dict, optional): the checkpoint as read. None gives None.

    Returns:
        dict | None: the ``meta['dataset_meta']`` of an mm-format
        checkpoint (keys lowercased), or mmcv 0.x's ``meta['CLASSES']`` /
        ``meta['PALETTE']`` as ``classes`` / ``palette``; None when the
        checkpoint has neither.
    """
    meta = ckpt.get('meta') if isinstance(ckpt, dict) else None
    if not isinstance(meta, dict):
        return None
    if isinstance(meta.get('dataset_meta'), dict):
        return {k.lower(): v for k, v in meta['dataset_meta'].items()}
    if meta.get('CLASSES'):
        out = dict(classes=list(meta['CLASSES']))
        if meta.get('PALETTE'):
            out['palette'] = [list(c) for c in meta['PALETTE']]
        return out
    return None


def _backbone_only(checkpoint: str, family: str, model: nn.Module,
                   rest: list, holds_rest: bool) -> str:
    parts = ', '.join(sorted({k.split('.')[0] for k in rest}))
    what = 'fits the backbone only (its other tensors have other shapes)' \
        if holds_rest else 'holds backbone weights only'
    return (f'{checkpoint} ({family} checkpoint) {what}: it fills the '
            f'backbone of {type(model).__name__} and none of its '
            f'{len(rest)} other tensors ({parts})')


def load_with_report(model: nn.Module, checkpoint: str,
                     allow_random_heads: bool = False
                     ) -> Tuple[dict, str]:
    """Load ``checkpoint`` (mm-format or official) into ``model`` (a whole
    host model), loading every tensor that fits.

    Tensors of another shape are skipped with a warning that lists them
    with both shapes and the class-count options (:func:`class_count_hint`).
    A head_dim recorded in the checkpoint must match the model's; one
    implied by the file name only warns.

    Args:
        model (nn.Module): the model, with a ``backbone`` submodule.
        checkpoint (str): the checkpoint file.
        allow_random_heads (bool): load a checkpoint that fills the
            backbone only (e.g. an ImageNet file into a detector) with a
            warning that the rest stays randomly initialised, instead of
            raising :class:`BackboneOnlyError`. Defaults to False.

    Returns:
        tuple: ``(ckpt, summary)``: the checkpoint as read (for its meta)
        and one line, ``loaded N/M tensors from FILE (FAMILY checkpoint)``.

    Raises:
        CheckpointMismatchError: when no tensor fits, or the head_dim
            recorded in the file differs from the model's.
        BackboneOnlyError: when only backbone tensors fit (the file holds
            no other, or none of another fits) and ``allow_random_heads``
            is False. The model must not be used
            then: its backbone has been loaded, the rest has not.
    """
    from .adapter import load_as_mm_checkpoint
    quiet = logging.getLogger('mmuniformer.checkpoint.report')
    quiet.addHandler(logging.NullHandler())
    quiet.propagate = False  # the mismatches are reported below, compactly
    ckpt, converted = load_as_mm_checkpoint(
        model, checkpoint, strict=False, logger=quiet, name_guess='warn')
    state = converted['state_dict']
    family = converted['meta']['uniformer']['family']
    own = model.state_dict()
    loaded = [k for k in own if k in state and state[k].shape == own[k].shape]
    wrong_shape = [k for k in own if k in state and k not in loaded]
    if not loaded:
        raise CheckpointMismatchError(
            f'{checkpoint} ({family} checkpoint) has no weight for this '
            'model: wrong checkpoint for the config?')
    skipped = ''
    if wrong_shape:
        shapes = '; '.join(f'{k} {tuple(state[k].shape)} vs '
                           f'{tuple(own[k].shape)}' for k in wrong_shape)
        skipped = (f'{len(wrong_shape)} tensors of {checkpoint} do not fit '
                   'the model and were skipped (checkpoint vs model shape): '
                   f'{shapes}.{class_count_hint(wrong_shape, state)}')
    rest = [k for k in own if not k.startswith('backbone.')]
    if rest and not set(rest) & set(loaded):
        fact = _backbone_only(checkpoint, family, model, rest,
                              holds_rest=bool(set(rest) & set(state)))
        if not allow_random_heads:
            raise BackboneOnlyError(
                f'{fact}, which would stay randomly initialised and make '
                'the predictions meaningless. Use a checkpoint of the whole '
                'model (trained with this config, or an official '
                'detection / segmentation / pose file of its size).'
                + (f' {skipped}' if skipped else ''))
        warnings.warn(f'{fact}: they are randomly initialised (random '
                      'heads allowed)')
    if skipped:
        warnings.warn(skipped)
    return ckpt, (f'loaded {len(loaded)}/{len(own)} tensors from '
                  f'{checkpoint} ({family} checkpoint)')
