"""Loading a checkpoint into a model: the adapter.

Every load into a UniFormer model fills it completely or stops, naming
every missing, extra and wrongly shaped key:

* ``init_cfg=dict(type='Pretrained', checkpoint=...)`` of a backbone
  (:func:`load_pretrained`): unwrap the container and select the
  ``backbone.`` part (:mod:`~mmuniformer.checkpoint.convert`), then adapt
  to the backbone -- inflate 2D kernels to 3D the official way (repeat over
  the temporal kernel, divide by its size) and check every key
  (:func:`adapt_state_dict`). Keys a backbone is known not to own (``head``,
  ``aux_head``, the ImageNet final BN ``norm`` in a dense backbone, unused
  stage norms) are dropped and reported once; missing keys the backbone adds
  itself (dense ``norm1..4``) are reported once. Anything else raises
  :class:`CheckpointMismatchError`.
* a whole model (``load_from``, ``--resume``, ``mim test --checkpoint``
  through :class:`~mmuniformer.engine.hooks.OfficialCheckpointHook`, and
  the tools through :func:`load_as_mm_checkpoint`): :func:`check_fill`
  compares every tensor of the model with the (converted) checkpoint.
  Partial loading (fine-tuning a new head) happens only when asked for
  (``allow_partial=True``) and lists what was skipped.
* any other ``load_state_dict`` of a UniFormer backbone -- the hosts' own
  ``init_recognizer``, ``init_detector``, ``init_model``, inferencers and
  ``vis_cam`` call mmengine's ``load_checkpoint`` directly, without the
  Runner's hooks: :func:`guard_state_dict_loading` registers a
  ``load_state_dict`` pre-hook on every backbone that refuses a state dict
  that leaves the backbone half-loaded or not loaded at all (an official
  file given as it is) and names ``tools/model_converters/convert_official.py``.
"""
import contextlib
import re
import threading
from collections import OrderedDict
from typing import Dict, Iterable, List, Optional, Tuple

import torch
from torch import nn

from .convert import (CheckpointMismatchError, STAGE_NORM_KEY,
                      check_image_heads, convert_checkpoint,
                      describe_state_dict, image_layout_for,
                      recorded_head_dim, select_backbone, unwrap_checkpoint)
from .download import resolve_checkpoint
from .reader import (UnreadableCheckpointError, load_checkpoint_file,
                     read_checkpoint)

__all__ = ['CheckpointMismatchError', 'UnreadableCheckpointError',
           'adapt_state_dict', 'check_fill', 'check_head_dim',
           'guard_state_dict_loading', 'head_dim_from_checkpoint',
           'load_as_mm_checkpoint', 'load_checkpoint_file', 'load_pretrained',
           'load_state_into', 'read_checkpoint', 'select_backbone',
           'unwrap_checkpoint']

# Keys of official classification / video checkpoints that no backbone owns.
HEAD_KEY = re.compile(r'^(head|aux_head|head_cls|norm_cls)\.')
LAYER_SCALE_KEY = re.compile(r'\.gamma_[12]$')
FINAL_NORM_KEY = re.compile(r'^norm\.')
CONVERTER = 'tools/model_converters/convert_official.py'
PARTIAL_SWITCH = ("custom_hooks=[dict(type='mmuniformer.OfficialCheckpointHook"
                  "', allow_partial=True)]")
_TRUSTED = threading.local()
CHECKED = 'mmuniformer_checked'  # _metadata flag, see mark_checked

# the name this module has exported before
head_dim_from_checkpoint = recorded_head_dim


def check_head_dim(model_head_dim: Optional[int], ckpt: dict,
                   source: Optional[str], name_guess: str = 'error'):
    """Refuse a checkpoint whose head_dim contradicts the model's.

    head_dim changes no tensor shape, so a wrong value loads silently and
    gives wrong outputs. A value recorded in the checkpoint's meta is always
    binding; one known from the weights table for a released file of that
    name (:mod:`~mmuniformer.checkpoint.weights`) raises too, or with
    ``name_guess='warn'`` is a warning (for files renamed by users).

    Args:
        model_head_dim (int, optional): the model's; None skips the check.
        ckpt (dict): the checkpoint as read.
        source (str, optional): its file name.
        name_guess (str): ``'error'`` or ``'warn'``. Defaults to
            ``'error'``.
    """
    if model_head_dim is None:
        return
    recorded = recorded_head_dim(ckpt, None)
    guessed = recorded if recorded is not None else \
        recorded_head_dim(ckpt, source)
    if guessed is None or guessed == model_head_dim:
        return
    fix = (f'the config builds head_dim={model_head_dim}: set '
           f'head_dim={guessed} in the backbone config (e.g. --cfg-options '
           f'model.backbone.head_dim={guessed})')
    if recorded is not None or name_guess == 'error':
        raise CheckpointMismatchError(
            f'{source} was trained with head_dim={guessed} but {fix}; the '
            'weights would load without error and give wrong outputs.')
    import warnings
    warnings.warn(f'{source} is named like an official file with '
                  f'head_dim={guessed} but {fix}')


def inflate_2d_to_3d(weight: torch.Tensor, time_kernel: int) -> torch.Tensor:
    """Official inflation: repeat a 2D kernel ``(O, I, k, k)`` ``time_kernel``
    times along a new axis 2 and divide by ``time_kernel``."""
    return weight.unsqueeze(2).repeat(1, 1, time_kernel, 1, 1) / time_kernel


def _compress(keys: Iterable[str], limit: int = 12) -> str:
    """Readable summary of a key list: group by the part before the last
    dot, e.g. ``head.{weight,bias}``."""
    groups: Dict[str, List[str]] = OrderedDict()
    for key in keys:
        stem, _, leaf = key.rpartition('.')
        groups.setdefault(stem, []).append(leaf)
    parts = [f'{stem}.{{{",".join(leaves)}}}' if stem else ','.join(leaves)
             for stem, leaves in groups.items()]
    more = f' ... (+{len(parts) - limit} more)' if len(parts) > limit else ''
    return ', '.join(parts[:limit]) + more


def kept_at_init(missing: Iterable[str], target: Dict[str, torch.Tensor],
                 state: Dict[str, torch.Tensor]) -> List[str]:
    """The keys of ``missing`` (backbone-level names) that a backbone keeps
    at its initialisation by design: stage norms ``norm1..4`` the
    checkpoint has none of (dense backbones add them), BN counters, and the
    gammas of a light layer-scale video backbone inflated from an ImageNet
    file without them (as officially).

    Args:
        missing (Iterable[str]): backbone keys not in ``state``.
        target (dict): the backbone's state dict.
        state (dict): the checkpoint's backbone part.
    """
    return [k for k in missing
            if STAGE_NORM_KEY.match(k) and not any(
                s.startswith(k.split('.')[0] + '.') for s in state)
            or k.endswith('num_batches_tracked')
            or ('cls_token' in target and LAYER_SCALE_KEY.search(k)
                and not any(LAYER_SCALE_KEY.search(s) for s in state))]


def adapt_state_dict(state: Dict[str, torch.Tensor], model: nn.Module,
                     source: str = '<checkpoint>') -> Tuple[dict, dict]:
    """Map a backbone-level state dict onto ``model``.

    Returns ``(new_state, report)`` where report holds ``loaded``,
    ``inflated``, ``dropped`` (expected extra keys) and ``kept_init``
    (expected missing keys). Raises :class:`CheckpointMismatchError` for
    any other extra, missing or mis-shaped key.
    """
    target = model.state_dict()
    out, inflated, dropped, unexpected, bad_shape = {}, [], [], [], []
    for key, value in state.items():
        if key not in target:
            if HEAD_KEY.match(key) or (
                    (FINAL_NORM_KEY.match(key) or STAGE_NORM_KEY.match(key))
                    and not any(t.startswith(key.split('.')[0] + '.')
                                for t in target)):
                dropped.append(key)
            else:
                unexpected.append(key)
            continue
        want = target[key]
        if value.shape == want.shape:
            out[key] = value
        elif (value.dim() + 1 == want.dim() == 5
              and value.shape[:2] == want.shape[:2]
              and value.shape[2:] == want.shape[3:]):
            out[key] = inflate_2d_to_3d(value, want.shape[2]).to(want.dtype)
            inflated.append(key)
        else:
            bad_shape.append(f'{key}: checkpoint {tuple(value.shape)} vs '
                             f'model {tuple(want.shape)}')
    missing = [k for k in target if k not in out]
    kept_init = kept_at_init(missing, target, state)
    missing = [k for k in missing if k not in kept_init]
    errors = []
    if bad_shape:
        errors.append('shape mismatch: ' + '; '.join(bad_shape[:10]) +
                      (f' ... (+{len(bad_shape) - 10} more)'
                       if len(bad_shape) > 10 else ''))
    if missing:
        errors.append(f'missing from the checkpoint ({len(missing)}): '
                      + _compress(missing))
    if unexpected:
        errors.append(f'not in the model ({len(unexpected)}): '
                      + _compress(unexpected))
    if errors:
        facts = describe_state_dict(state)
        raise CheckpointMismatchError(
            f'{source} does not fit {type(model).__name__}(depths='
            f'{getattr(model, "depths", "?")}, embed_dims='
            f'{getattr(model, "embed_dims", "?")}): ' + ' | '.join(errors) +
            f'. Checkpoint looks like: {facts}')
    report = dict(loaded=len(out), inflated=inflated, dropped=dropped,
                  kept_init=kept_init)
    return out, report


def load_pretrained(model: nn.Module, filename: str, map_location='cpu',
                    logger=None) -> dict:
    """Load any UniFormer checkpoint file into a UniFormer backbone.

    Checks that a head_dim known for the file agrees with the model's.
    Returns the report of :func:`adapt_state_dict`. An absent local file
    raises :class:`~mmuniformer.checkpoint.pretrained.MissingPretrainedError`
    saying where the file comes from and how to start without it.

    Args:
        model (nn.Module): a UniFormer backbone.
        filename (str): the checkpoint (path, URL, weights-table name).
        map_location (str): as for ``torch.load``. Defaults to ``'cpu'``.
        logger (logging.Logger, optional): gets one line on what was
            loaded, inflated, ignored and kept at init. Defaults to None.
    """
    from .pretrained import check_pretrained
    filename = resolve_checkpoint(filename)  # weights names, hf://
    check_pretrained(filename)
    ckpt = load_checkpoint_file(filename, map_location=map_location)
    return load_state_into(model, ckpt, source=str(filename), logger=logger)


def load_state_into(model: nn.Module, ckpt: dict, source: str,
                    logger=None) -> dict:
    """As :func:`load_pretrained` for an already-read checkpoint object."""
    check_head_dim(getattr(model, 'head_dim', None), ckpt, source)
    state, wrapper = unwrap_checkpoint(ckpt, source)
    state, _ = select_backbone(state)
    new_state, report = adapt_state_dict(state, model, source)
    with trusted_loading():
        model.load_state_dict(new_state, strict=False)
    report['wrapper'] = wrapper
    if logger is not None:
        lines = [f'{type(model).__name__}: loaded {report["loaded"]} tensors '
                 f'from {source} (container {wrapper!r})']
        if report['inflated']:
            lines.append(f'inflated 2D->3D ({len(report["inflated"])}): '
                         + _compress(report['inflated'], 6))
        if report['dropped']:
            lines.append('ignored, not part of the backbone: '
                         + _compress(report['dropped']))
        if report['kept_init']:
            lines.append('not in the checkpoint, kept at init: '
                         + _compress(report['kept_init']))
        logger.info('; '.join(lines))
    return report


@contextlib.contextmanager
def trusted_loading():
    """Inside, :func:`guard_state_dict_loading`'s check is off: for the
    adapter's own loads, whose state dict it has already checked."""
    _TRUSTED.depth = getattr(_TRUSTED, 'depth', 0) + 1
    try:
        yield
    finally:
        _TRUSTED.depth -= 1


def _mismatch(target: Dict[str, torch.Tensor], state: Dict[str, torch.Tensor]
              ) -> Tuple[List[str], List[str], List[str]]:
    """``(missing, unexpected, wrong_shape)`` of ``state`` against
    ``target`` (``num_batches_tracked`` may be missing)."""
    missing = [k for k in target if k not in state
               and not k.endswith('num_batches_tracked')]
    unexpected = [k for k in state if k not in target]
    wrong = [k for k in state if k in target
             and tuple(state[k].shape) != tuple(target[k].shape)]
    return missing, unexpected, wrong


def _describe_mismatch(target, state, missing, unexpected, wrong) -> str:
    parts = []
    if wrong:
        parts.append(f'{len(wrong)} of another shape (checkpoint vs model): '
                     + '; '.join(f'{k} {tuple(state[k].shape)} vs '
                                 f'{tuple(target[k].shape)}'
                                 for k in wrong[:6])
                     + (f' ... (+{len(wrong) - 6} more)'
                        if len(wrong) > 6 else ''))
    if missing:
        parts.append(f'{len(missing)} missing from the checkpoint: '
                     + _compress(missing, 8))
    if unexpected:
        parts.append(f'{len(unexpected)} not in the model: '
                     + _compress(unexpected, 8))
    return ' | '.join(parts)


def _backbone_hint(target, state) -> str:
    """What kind of mismatch it is, from the backbone parts' facts."""
    mine, _ = select_backbone(target)
    theirs, _ = select_backbone(state)
    if not theirs:
        return ''
    have, want = describe_state_dict(theirs), describe_state_dict(mine)
    diffs = [f'{key} {have[key]} vs {want[key]}' for key in
             ('spatial_ndim', 'depths', 'conv_stem', 'dense_norms',
              'layer_scale') if have[key] != want[key]]
    return (' The backbone differs (checkpoint vs model): '
            + ', '.join(diffs) + '.') if diffs else ''


def check_fill(model: nn.Module, state: Dict[str, torch.Tensor],
               source: str, allow_partial: bool = False,
               logger=None) -> dict:
    """Check that ``state`` (a whole-model, OpenMMLab-layout state dict)
    fills every tensor of ``model`` with the right shape.

    Args:
        model (nn.Module): the whole model (recognizer, detector ...).
        state (dict): the converted state dict; with ``allow_partial`` the
            keys that do not fit are removed from it in place.
        source (str): the file, for the message.
        allow_partial (bool): load only what fits and keep the rest at its
            initialisation (fine-tuning a new head); what is skipped is
            logged. Defaults to False.
        logger (logging.Logger, optional): for that list. Defaults to None.

    Returns:
        dict: ``missing``, ``unexpected`` and ``wrong_shape`` key lists
        (``unexpected`` without the tensors of parts the model lacks).

    Raises:
        CheckpointMismatchError: without ``allow_partial``, naming the file,
            every key that does not fit and the switches to use.
    """
    target = model.state_dict()
    missing, unexpected, wrong = _mismatch(target, state)
    # Tensors of a part the model does not have at all (a classification
    # head under MMAction2's clip_feature_extraction, whose FeatureHead has
    # no weights) are left out: every tensor of the model is still filled.
    # Extra tensors inside a part the model has (blocks of a deeper model)
    # still refuse the load.
    parts = {k.split('.')[0] for k in target}
    absent = [k for k in unexpected if k.split('.')[0] not in parts]
    if absent:
        for key in absent:
            state.pop(key)
        unexpected = [k for k in unexpected if k not in absent]
        if logger is not None:
            logger.info(
                f'{source}: {len(absent)} tensor(s) of parts that '
                f'{type(model).__name__} does not have are not used: '
                + ', '.join(sorted({k.split(".")[0] for k in absent})))
    # a model that is only a backbone keeps its new stage norms at init
    prefix = 'backbone.' if any(k.startswith('backbone.')
                                for k in target) else ''
    kept = {prefix + k for k in kept_at_init(
        [k[len(prefix):] for k in missing if k.startswith(prefix)],
        select_backbone(target)[0], select_backbone(state)[0])}
    missing = [k for k in missing if k not in kept]
    report = dict(missing=missing, unexpected=unexpected, wrong_shape=wrong)
    if not (missing or unexpected or wrong):
        return report
    what = _describe_mismatch(target, state, missing, unexpected, wrong)
    if allow_partial:
        for key in unexpected + wrong:
            state.pop(key)
        if logger is not None:
            logger.warning(f'{source}: partial load (allow_partial=True): '
                           f'{len(state)} tensors loaded; skipped, kept at '
                           f'init: {what}')
        if not state:
            raise CheckpointMismatchError(
                f'{source} holds no tensor of {type(model).__name__} at all')
        return report
    raise CheckpointMismatchError(
        f'{source} does not fill {type(model).__name__}: {what}.'
        + _backbone_hint(target, state) +
        ' Nothing was loaded: a half-loaded model gives wrong outputs. Use '
        'the config of the checkpoint\'s size, family and class count; to '
        'start only the backbone from this file use model.backbone.init_cfg='
        f"dict(type='Pretrained', checkpoint='{source}') instead of "
        'load_from; to load what fits and keep the rest at init (fine-tuning '
        f'a new head) set {PARTIAL_SWITCH}.')


def guard_state_dict_loading(module: nn.Module) -> None:
    """Make every ``load_state_dict`` that reaches ``module`` (a UniFormer
    backbone) fill it completely, or raise.

    mmengine's ``load_checkpoint`` (which the hosts' ``init_recognizer``,
    ``init_detector``, ``init_model``, inferencers and ``vis_cam`` call)
    loads with ``strict=False``: an official file given as it is, or one
    of another size or family, only warns and leaves a random or
    half-loaded model. The pre-hook registered here sees the backbone's part
    of the state dict before anything is copied and raises
    :class:`CheckpointMismatchError` naming what does not fit and
    ``tools/model_converters/convert_official.py``. Loads by the adapter
    (:func:`trusted_loading`) and state dicts that
    :class:`~mmuniformer.engine.hooks.OfficialCheckpointHook` has checked
    (:func:`mark_checked`) are let through.

    Args:
        module (nn.Module): the backbone.
    """
    module._uniformer_guarded = True
    module.register_load_state_dict_pre_hook(_fill_guard)


def mark_checked(model: nn.Module, state: 'OrderedDict', original=None
                 ) -> 'OrderedDict':
    """Mark ``state`` as checked against ``model`` (by :func:`check_fill`)
    so that the backbones' guard lets it through when mmengine loads it:
    a flag in the state dict's ``_metadata`` entry of each guarded module,
    which ``load_state_dict`` hands to that module only.

    Args:
        model (nn.Module): the model it will be loaded into.
        state (dict): the state dict that will be loaded.
        original (dict, optional): the state dict it was made from, whose
            ``_metadata`` (module versions) is kept. Defaults to None.

    Returns:
        OrderedDict: ``state`` (a copy when it was a plain dict), marked.
    """
    state = state if isinstance(state, OrderedDict) else OrderedDict(state)
    meta = OrderedDict(getattr(original, '_metadata', None) or {})
    for name, module in model.named_modules():
        if getattr(module, '_uniformer_guarded', False):
            meta[name] = dict(meta.get(name, {}), **{CHECKED: True})
    state._metadata = meta
    return state


def _fill_guard(module, state_dict, prefix, local_metadata, strict,
                missing_keys, unexpected_keys, error_msgs):
    if getattr(_TRUSTED, 'depth', 0) or local_metadata.get(CHECKED):
        return
    state = {k[len(prefix):]: v for k, v in state_dict.items()
             if k.startswith(prefix)}
    target = module.state_dict()
    missing, unexpected, wrong = _mismatch(target, state)
    if not (missing or unexpected or wrong):
        return
    name = f'{type(module).__name__} ({prefix.rstrip(".") or "the model"})'
    if not state:
        what = (f'the state dict being loaded holds no {prefix or "backbone"}'
                '* tensors at all')
    else:
        what = _describe_mismatch(target, state, missing, unexpected, wrong)
    raise CheckpointMismatchError(
        f'{name} would be left half-loaded or not loaded at all: {what}. '
        'If the file is an official UniFormer checkpoint (containers '
        "'model_state' / 'model', or mmpose 0.x 'keypoint_head'), convert it "
        f'first: python {CONVERTER} SRC DST (the Runner converts it while '
        'loading: load_from / mim test --checkpoint with the configs\' '
        'OfficialCheckpointHook). A checkpoint of another size or family '
        'needs its own config; to start only the backbone from it use '
        "init_cfg=dict(type='Pretrained', checkpoint=...).")


def load_as_mm_checkpoint(model: nn.Module, filename: str,
                          label_order: str = 'official', strict: bool = True,
                          logger=None, name_guess: str = 'error'):
    """Load an official or mm-format checkpoint file into a whole model
    (recognizer, detector, segmentor, pose estimator, image classifier).

    Converts the file once, refuses a head_dim that contradicts the
    backbone's (:func:`check_head_dim`) and, with ``strict``, anything that
    does not fill the model (:func:`check_fill`).

    Args:
        model (nn.Module): the model.
        filename (str): the checkpoint.
        label_order (str): ``'official'`` or ``'mmaction'`` (reorders an
            official Kinetics head). Defaults to ``'official'``.
        strict (bool): refuse a partial fill; False loads what fits (the
            caller reports the rest). Defaults to True.
        logger (logging.Logger, optional): for mmengine's loader.
        name_guess (str): see :func:`check_head_dim`. Defaults to
            ``'error'``.

    Returns:
        tuple: ``(checkpoint, converted)``: the file as read (for its meta)
        and the :func:`~mmuniformer.checkpoint.convert.convert_checkpoint`
        result that was loaded.
    """
    from mmengine.runner.checkpoint import load_state_dict
    ckpt = read_checkpoint(filename)
    backbone = getattr(model, 'backbone', model)
    check_head_dim(getattr(backbone, 'head_dim', None), ckpt, str(filename),
                   name_guess=name_guess)
    layout = image_layout_for(model)
    converted = convert_checkpoint(ckpt, source=str(filename),
                                   label_order=label_order,
                                   strict_label_order=False,
                                   image_layout=layout)
    if converted['meta']['uniformer']['family'] == 'image' and \
            layout == 'classifier':
        check_image_heads(model.state_dict().keys(),
                          unwrap_checkpoint(ckpt, str(filename))[0],
                          str(filename))
    if strict:
        check_fill(model, converted['state_dict'], str(filename))
    with trusted_loading():
        load_state_dict(model, converted['state_dict'], strict=strict,
                        logger=logger)
    return ckpt, converted
