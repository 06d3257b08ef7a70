"""Turn official UniFormer checkpoints into OpenMMLab 2.0 model checkpoints.

The one place that knows the official containers and families: the
adapter (:mod:`mmuniformer.checkpoint.adapter`), the Runner hook and the
tools all unwrap, detect and convert through this module.

============  ===================  ===========================================
family        detected by          mapping
============  ===================  ===========================================
``video``     ``model_state`` or   trunk + final BN -> ``backbone.*``;
              5D ``patch_embed1``  ``head.*`` -> ``cls_head.fc_cls.*``
                                   (rows optionally in MMAction2's order);
                                   light: ``norm_cls``/``head_cls`` ->
                                   ``cls_head.norm_cls/head_cls.*``
``image``     ``model`` / 4D stem  ``image_layout='backbone'``: trunk ->
              + ``head.*``         ``backbone.*`` (a backbone-init
                                   checkpoint; ``norm``, ``head``,
                                   ``aux_head``, light ``norm_cls`` /
                                   ``head_cls`` dropped).
                                   ``'classifier'`` (MMPretrain
                                   ``ImageClassifier`` with
                                   ``UniFormerClsBackbone``): trunk + ``norm``
                                   -> ``backbone.*``, ``head`` ->
                                   ``head.fc``, ``aux_head`` ->
                                   ``head.aux_fc``
``det``       ``rpn_head.`` /      unchanged (mmdet 2.x and 3.x share the
              ``roi_head.``        Mask / Cascade R-CNN key names)
``seg``       ``decode_head.``     unchanged (mmseg 0.x and 1.x share them)
``pose``      ``keypoint_head.``   ``keypoint_head.*`` -> ``head.*``; unused
                                   ``backbone.norm1..3`` dropped
``mm``        ``backbone.`` only   already converted: unchanged
============  ===================  ===========================================

The result is ``{'state_dict': ..., 'meta': {...}}``; ``meta['uniformer']``
records the family, head_dim and label order so that loading can check them.
"""
import re
from collections import OrderedDict
from typing import Dict, Optional, Tuple

import torch

from ..labels import dataset_for_num_classes, head_permutation
from .weights import entry_for_file

WRAPPER_KEYS = ('model_state', 'state_dict', 'model')
BACKBONE_PREFIX = 'backbone.'
STAGE_NORM_KEY = re.compile(r'^norm[1-4]\.')


class CheckpointMismatchError(RuntimeError):
    """A checkpoint does not fit the model it is loaded into."""


def _is_state_dict(obj) -> bool:
    return isinstance(obj, dict) and len(obj) > 0 and all(
        isinstance(v, torch.Tensor) for v in obj.values())


def unwrap_checkpoint(ckpt, source: str = '<checkpoint>'
                      ) -> Tuple['OrderedDict[str, torch.Tensor]', str]:
    """Return ``(state_dict, wrapper)`` with ``module.`` stripped.

    ``wrapper`` is the container key (``'model_state'``, ``'state_dict'``,
    ``'model'``) or ``'plain'``.

    Args:
        ckpt (dict): the checkpoint as read.
        source (str): its name, for errors. Defaults to ``'<checkpoint>'``.
    """
    if not isinstance(ckpt, dict):
        raise CheckpointMismatchError(
            f'{source}: expected a dict checkpoint, got {type(ckpt).__name__}')
    for key in WRAPPER_KEYS:
        if key in ckpt and _is_state_dict(ckpt[key]):
            state, wrapper = ckpt[key], key
            break
    else:
        if not _is_state_dict(ckpt):
            raise CheckpointMismatchError(
                f'{source}: no state dict found; expected one of the keys '
                f'{list(WRAPPER_KEYS)} or a plain state dict, got top-level '
                f'keys {sorted(ckpt)[:20]}')
        state, wrapper = ckpt, 'plain'
    if all(k.startswith('module.') for k in state):
        state = {k[len('module.'):]: v for k, v in state.items()}
    return OrderedDict(state), wrapper


def select_backbone(state: Dict[str, torch.Tensor]
                    ) -> Tuple['OrderedDict[str, torch.Tensor]', bool]:
    """Keep the ``backbone.`` part of a full-model state dict (prefix
    stripped). Returns ``(state, had_prefix)``.

    Args:
        state (dict): an unwrapped state dict.
    """
    if any(k.startswith(BACKBONE_PREFIX) for k in state):
        return OrderedDict((k[len(BACKBONE_PREFIX):], v)
                           for k, v in state.items()
                           if k.startswith(BACKBONE_PREFIX)), True
    return OrderedDict(state), False


def describe_state_dict(state: Dict[str, torch.Tensor]) -> dict:
    """Facts about an (unwrapped, backbone-level) UniFormer state dict:
    ``spatial_ndim``, ``conv_stem``, ``token_labeling``, ``layer_scale``,
    ``dense_norms`` and ``depths``.

    Args:
        state (dict): backbone-level state dict.
    """
    stem = state.get('patch_embed1.proj.weight',
                     state.get('patch_embed1.proj.0.weight'))
    depths = []
    for stage in range(1, 5):
        idx = {int(m.group(1)) for k in state
               for m in [re.match(rf'blocks{stage}\.(\d+)\.', k)] if m}
        depths.append(max(idx) + 1 if idx else 0)
    return dict(
        spatial_ndim=None if stem is None else stem.dim() - 2,
        conv_stem='patch_embed1.proj.0.weight' in state,
        token_labeling=any(k.startswith('aux_head.') for k in state),
        layer_scale=any(k.endswith('gamma_1') for k in state),
        dense_norms=any(STAGE_NORM_KEY.match(k) for k in state),
        depths=tuple(depths),
    )


FAMILIES = ('video', 'image', 'det', 'seg', 'pose', 'mm')
LABEL_ORDERS = ('official', 'mmaction')
IMAGE_LAYOUTS = ('backbone', 'classifier')
# official ImageNet head names -> MMPretrain head names ('classifier' layout)
IMAGE_HEADS = (('head.', 'head.fc.'), ('aux_head.', 'head.aux_fc.'),
               ('norm_cls.', 'head.norm_cls.'), ('head_cls.', 'head.head_cls.'))


def image_layout_for(model: torch.nn.Module) -> str:
    """``'classifier'`` when ``model`` is an image classifier whose backbone
    owns the official final BatchNorm and whose head is MMPretrain's ``fc``
    (``UniFormerClsBackbone`` + ``LinearClsHead`` / ``TokenLabelingClsHead``),
    otherwise ``'backbone'``."""
    keys = model.state_dict().keys()
    return 'classifier' if ('backbone.norm.running_mean' in keys
                            and 'head.fc.weight' in keys) else 'backbone'


def check_image_heads(model_keys, state: dict, source: str):
    """Refuse an official ImageNet checkpoint whose heads do not match the
    classifier's: a token-labeling file (``aux_head``) needs the
    ``TokenLabelingClsHead`` configs (``*_tl_*``), a plain one the others.
    mmengine's ``load_from`` is not strict, so without this check a
    missing ``aux_head`` would only be a warning and the logits wrong."""
    has_aux = any(k.startswith('aux_head.') for k in state)
    wants_aux = 'head.aux_fc.weight' in model_keys
    if has_aux != wants_aux:
        what = ('a token-labeling checkpoint (with aux_head)' if has_aux
                else 'a plain (non token-labeling) checkpoint')
        fix = ("a token-labeling config (*_tl_*, head type "
               "'mmuniformer.TokenLabelingClsHead')" if has_aux else
               "a config with MMPretrain's LinearClsHead (not *_tl_*)")
        raise CheckpointMismatchError(
            f'{source} is {what}, but the model\'s head '
            f'{"has no" if has_aux else "has an"} aux_fc: use {fix}')


def detect_family(state: dict, wrapper: str) -> str:
    """Which official family an unwrapped state dict comes from (one of
    :data:`FAMILIES`, see the module docstring).

    Args:
        state (dict): from :func:`unwrap_checkpoint`.
        wrapper (str): its container key.
    """
    keys = list(state)
    if any(k.startswith(('rpn_head.', 'roi_head.')) for k in keys):
        return 'det'
    if any(k.startswith(('decode_head.', 'auxiliary_head.')) for k in keys):
        return 'seg'
    if any(k.startswith('keypoint_head.') for k in keys):
        return 'pose'
    if any(k.startswith('backbone.') for k in keys):
        return 'mm'
    stem = state.get('patch_embed1.proj.weight',
                     state.get('patch_embed1.proj.0.weight'))
    if stem is None:
        raise CheckpointMismatchError(
            'not a UniFormer checkpoint: no patch_embed1 / backbone keys '
            f'(first keys: {keys[:8]})')
    if wrapper == 'model_state' or stem.dim() == 5:
        return 'video'
    return 'image'


def _reorder_head(weight: torch.Tensor, bias: torch.Tensor,
                  label_order: str):
    if label_order == 'official':
        return weight, bias, None
    dataset = dataset_for_num_classes(weight.shape[0])
    perm = torch.from_numpy(head_permutation(dataset))
    return weight[perm], bias[perm], dataset


def _is_kinetics_head(family: str, state: dict) -> bool:
    head = state.get('head.weight')
    return family == 'video' and head is not None and \
        head.shape[0] in (400, 600)


def convert_checkpoint(ckpt: dict, source: str = '<checkpoint>',
                       family: Optional[str] = None,
                       label_order: str = 'official',
                       strict_label_order: bool = True,
                       image_layout: str = 'backbone') -> dict:
    """Convert a loaded official checkpoint object; see module docstring.

    ``label_order='mmaction'`` reorders a 400/600-class official video head
    into MMAction2's label-map order. For any other checkpoint that is an
    error, or with ``strict_label_order=False`` (loading a file into a
    model, where the order is a config-wide setting) a no-op.
    ``meta['uniformer']['label_order']`` says what was applied.
    ``image_layout`` chooses the output of an official ImageNet file (see
    the module docstring; other families ignore it).

    Args:
        ckpt (dict): the checkpoint as read.
        source (str): its name. Defaults to ``'<checkpoint>'``.
        family (str, optional): expected family; None detects it.
        label_order (str): ``'official'`` or ``'mmaction'``. Defaults to
            ``'official'``.
        strict_label_order (bool): see above. Defaults to True.
        image_layout (str): ``'backbone'`` or ``'classifier'``. Defaults to
            ``'backbone'``.
    """
    if image_layout not in IMAGE_LAYOUTS:
        raise ValueError(f'image_layout must be one of {IMAGE_LAYOUTS}, got '
                         f'{image_layout!r}')
    if label_order not in LABEL_ORDERS:
        raise ValueError(f'label_order must be one of {LABEL_ORDERS}, got '
                         f'{label_order!r}')
    state, wrapper = unwrap_checkpoint(ckpt, source)
    detected = detect_family(state, wrapper)
    family = family or detected
    if family not in FAMILIES:
        raise ValueError(f'family must be one of {FAMILIES}, got {family!r}')
    if family != detected:
        raise CheckpointMismatchError(
            f'{source} looks like a {detected!r} checkpoint, not {family!r}')
    if label_order == 'mmaction' and not _is_kinetics_head(family, state):
        if strict_label_order:
            raise ValueError(
                f'--label-order mmaction only applies to official video '
                f'checkpoints with a 400/600-class (Kinetics) head; {source} '
                f'is a {family!r} checkpoint')
        label_order = 'official'
    out = OrderedDict()
    meta = dict(family=family, source=str(source), label_order=None)
    if family == 'video':
        for key, value in state.items():
            if key.startswith(('head.', 'head_cls.')):
                continue
            if key.startswith('norm_cls.'):  # light: training-only branch
                out['cls_head.' + key] = value
                continue
            out['backbone.' + key] = value
        if 'head.weight' in state:
            weight, bias, dataset = state['head.weight'], state['head.bias'], \
                None
            if label_order == 'mmaction':
                weight, bias, dataset = _reorder_head(weight, bias,
                                                      label_order)
            out['cls_head.fc_cls.weight'] = weight
            out['cls_head.fc_cls.bias'] = bias
            if 'head_cls.weight' in state:  # light: UniFormerLightHead
                w_cls, b_cls = state['head_cls.weight'], state['head_cls.bias']
                if label_order == 'mmaction':
                    w_cls, b_cls, _ = _reorder_head(w_cls, b_cls, label_order)
                out['cls_head.head_cls.weight'] = w_cls
                out['cls_head.head_cls.bias'] = b_cls
            meta['label_order'] = label_order
            meta['num_classes'] = int(weight.shape[0])
            meta['dataset'] = dataset
    elif family == 'image' and image_layout == 'classifier':
        for key, value in state.items():
            for official, ours in IMAGE_HEADS:
                if key.startswith(official):
                    out[ours + key[len(official):]] = value
                    break
            else:
                out['backbone.' + key] = value
        meta['image_layout'] = image_layout
        meta['token_labeling'] = 'aux_head.weight' in state
        if 'head.weight' in state:
            meta['num_classes'] = int(state['head.weight'].shape[0])
    elif family == 'image':
        for key, value in state.items():
            if key.startswith(('head.', 'aux_head.', 'norm.', 'head_cls.',
                               'norm_cls.')):
                continue
            out['backbone.' + key] = value
        meta['image_layout'] = image_layout
    elif family == 'pose':
        # the official pose backbone owns norm1..3 but never uses them (only
        # the stride-32 map feeds the head); our pose configs have norm4 only
        for key, value in state.items():
            if re.match(r'backbone\.norm[1-3]\.', key):
                continue
            if key.startswith('keypoint_head.'):
                key = 'head.' + key[len('keypoint_head.'):]
            out[key] = value
    else:  # det, seg, mm
        out.update(state)
    head_dim = recorded_head_dim(ckpt, source)
    if head_dim is not None:
        meta['head_dim'] = head_dim
    return dict(state_dict=out, meta=dict(uniformer=meta))


def recorded_head_dim(ckpt: dict, filename: Optional[str] = None
                      ) -> Optional[int]:
    """head_dim recorded in the checkpoint's meta (our converter writes
    ``meta['uniformer']['head_dim']``) or, failing that, the weights-table
    value of a released file of that name; None when neither is known.

    Args:
        ckpt (dict): the checkpoint as read.
        filename (str, optional): its path or URL. Defaults to None.
    """
    meta = ckpt.get('meta') if isinstance(ckpt, dict) else None
    if isinstance(meta, dict) and isinstance(meta.get('uniformer'), dict):
        value = meta['uniformer'].get('head_dim')
        if value is not None:
            return int(value)
    entry = entry_for_file(filename)
    return None if entry is None else entry.head_dim


def load_as_mm_checkpoint(*args, **kwargs):
    """:func:`mmuniformer.checkpoint.adapter.load_as_mm_checkpoint`, under
    the name the tools have imported from here."""
    from .adapter import load_as_mm_checkpoint as load
    return load(*args, **kwargs)
