"""The single place that knows official UniFormer checkpoint layouts.

A checkpoint file is turned into a backbone state dict in three steps:

1. **unwrap** the container: ``model_state`` (official video, PySlowFast),
   ``model`` (official ImageNet, DeiT recipe), ``state_dict`` (mmengine /
   mmcv 0.x-2.x det/seg/pose/action checkpoints, timm token-labeling saves)
   or a plain state dict; strip ``module.``;
2. **select** the backbone part: keys under ``backbone.`` when a full
   detector / segmentor / recognizer checkpoint is given;
3. **adapt** to the target backbone: inflate 2D kernels to 3D the official
   way (repeat over the temporal kernel and divide by its size), then check
   every key. Keys a backbone is known not to own (``head``, ``aux_head``,
   the ImageNet final BN ``norm`` in a dense backbone, unused stage norms)
   are dropped and reported once; missing keys the backbone adds itself
   (dense ``norm1..4``) are reported once. Anything else that does not fit
   raises :class:`CheckpointMismatchError` naming the keys -- never a silent
   half-load.
"""
import argparse
import os.path as osp
import pickle
import re
from collections import OrderedDict
from typing import Dict, Iterable, List, Optional, Tuple

import torch
from mmengine.runner.checkpoint import CheckpointLoader
from torch import nn

from .download import resolve_checkpoint

WRAPPER_KEYS = ('model_state', 'state_dict', 'model')
BACKBONE_PREFIX = 'backbone.'
# Keys of official classification / video checkpoints that no backbone owns.
HEAD_KEY = re.compile(r'^(head|aux_head|head_cls|norm_cls)\.')
LAYER_SCALE_KEY = re.compile(r'\.gamma_[12]$')
STAGE_NORM_KEY = re.compile(r'^norm[1-4]\.')
FINAL_NORM_KEY = re.compile(r'^norm\.')
# head_dim of official files, by file name (§9.1 of the reference): token
# labeling S / S+ / B and the non-TL S+ use 32, everything else 64.
HEAD_DIM_BY_NAME = (
    # light XXS / XS (uniformer_light.md §1): head_dim 28 / 32
    (re.compile(r'xxs'), 28),
    (re.compile(r'(^|[^a-z])xs([^a-z]|$)'), 32),
    (re.compile(r'dim64'), 64),
    (re.compile(r'large'), 64),
    (re.compile(r'uniformer_(small|small_plus|base)_tl_(224|384)'), 32),
    (re.compile(r'uniformer_small_plus(_in1k)?\.pth$'), 32),
    (re.compile(r'uniformer_(small|base)_(in1k|k400|k600)'), 64),
    (re.compile(r'uniformer.*(k400|k600|sthv1|sthv2|ucf101|hmdb51|kinetics|'
                r'something)'), 64),
    (re.compile(r'(mask_rcnn|cascade|fpn|upernet|top_down)'), 64),
)


class CheckpointMismatchError(RuntimeError):
    """A checkpoint does not fit the backbone it is loaded into."""


class UnreadableCheckpointError(RuntimeError):
    """A checkpoint file cannot be read at all (empty, truncated, corrupt or
    not a PyTorch file)."""


def unreadable_reason(exc: BaseException) -> str:
    """The loader's reason without torch's ``weights_only=False`` advice,
    which is wrong for a damaged file (and unsafe for an untrusted one)."""
    text = str(exc).strip() or type(exc).__name__
    found = re.search(r'Unsupported global[^\n]*', text)
    if found:
        # a readable file holding objects outside the allow-list: name them
        return ('it holds a Python object outside the allowed tensor/data '
                f'types ({found.group(0).strip()})')
    found = re.search(r'Unsupported operand[^\n]*', text)
    if found:
        return f'invalid pickle data ({found.group(0).strip()})'
    first = text.splitlines()[0].split('. ')[0]
    first = re.sub(r'\s*\(?Re-running `torch.load` with.*', '', first)
    if first.startswith('Weights only load failed'):
        rest = [ln.strip() for ln in text.splitlines()[1:]
                if ln.strip() and 'weights_only' not in ln
                and 'Please file an issue' not in ln
                and 'Check the documentation' not in ln]
        first = rest[0] if rest else 'the pickle stream is invalid'
    return f'{type(exc).__name__}: {first}'


def raise_unreadable(filename, exc: BaseException):
    """Raise :class:`UnreadableCheckpointError` for ``filename``."""
    size = ''
    if isinstance(filename, str) and osp.isfile(filename):
        size = f' ({osp.getsize(filename)} bytes)'
    raise UnreadableCheckpointError(
        f'{filename}{size} is not a readable checkpoint: '
        f'{unreadable_reason(exc)}. The file is empty, truncated (e.g. a '
        'killed save or an interrupted download), corrupt or not a PyTorch '
        'checkpoint; download or save it again.') from exc


def load_checkpoint_file(filename: str, map_location='cpu') -> dict:
    """Read a checkpoint (local path, URL, ``open-mmlab://`` ...) with
    mmengine's loader, still ``weights_only``. Official ImageNet / token
    labeling saves also hold the training ``argparse.Namespace``, which is
    allowed here as plain data. A file that cannot be read raises
    :class:`UnreadableCheckpointError` naming it."""
    filename = resolve_checkpoint(filename)  # weights names, hf://
    if isinstance(filename, str) and osp.isfile(filename) \
            and osp.getsize(filename) == 0:
        raise_unreadable(filename, EOFError('the file is empty'))
    safe = getattr(torch.serialization, 'safe_globals', None)
    try:
        if safe is None:
            return CheckpointLoader.load_checkpoint(
                filename, map_location=map_location)
        with safe([argparse.Namespace]):
            return CheckpointLoader.load_checkpoint(
                filename, map_location=map_location)
    except FileNotFoundError:
        raise
    except (EOFError, RuntimeError, ValueError, OSError, KeyError,
            IndexError, AttributeError, TypeError, UnicodeDecodeError,
            pickle.UnpicklingError) as exc:
        raise_unreadable(filename, exc)


def _is_state_dict(obj) -> bool:
    return isinstance(obj, dict) and len(obj) > 0 and all(
        isinstance(v, torch.Tensor) for v in obj.values())


def unwrap_checkpoint(ckpt, source: str = '<checkpoint>'
                      ) -> Tuple['OrderedDict[str, torch.Tensor]', str]:
    """Return ``(state_dict, wrapper)`` with ``module.`` stripped.

    ``wrapper`` is the container key (``'model_state'``, ``'state_dict'``,
    ``'model'``) or ``'plain'``.
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
    stripped). Returns ``(state, had_prefix)``."""
    if any(k.startswith(BACKBONE_PREFIX) for k in state):
        return OrderedDict((k[len(BACKBONE_PREFIX):], v)
                           for k, v in state.items()
                           if k.startswith(BACKBONE_PREFIX)), True
    return OrderedDict(state), False


def describe_state_dict(state: Dict[str, torch.Tensor]) -> dict:
    """Facts about an (unwrapped, backbone-level) UniFormer state dict."""
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


def head_dim_from_checkpoint(ckpt: dict, filename: Optional[str]
                             ) -> Optional[int]:
    """head_dim recorded in the checkpoint's meta (our converter writes
    ``meta['uniformer']['head_dim']``) or known from an official file
    name; None when unknown."""
    meta = ckpt.get('meta') if isinstance(ckpt, dict) else None
    if isinstance(meta, dict) and isinstance(meta.get('uniformer'), dict):
        value = meta['uniformer'].get('head_dim')
        if value is not None:
            return int(value)
    if filename:
        name = osp.basename(str(filename)).lower()
        for pattern, value in HEAD_DIM_BY_NAME:
            if pattern.search(name):
                return value
    return None


def check_head_dim(model_head_dim: Optional[int], ckpt: dict,
                   source: Optional[str], name_guess: str = 'error'):
    """Refuse a checkpoint whose head_dim contradicts the model's.

    head_dim changes no tensor shape, so a wrong value loads silently and
    gives wrong outputs. A value recorded in the checkpoint's meta is always
    binding; one implied only by an official file name raises too, or with
    ``name_guess='warn'`` is a warning (for files renamed by users).
    """
    if model_head_dim is None:
        return
    recorded = head_dim_from_checkpoint(ckpt, None)
    guessed = recorded if recorded is not None else \
        head_dim_from_checkpoint(ckpt, source)
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
    kept_init = [k for k in missing
                 if STAGE_NORM_KEY.match(k) and not any(
                     s.startswith(k.split('.')[0] + '.') for s in state)
                 or k.endswith('num_batches_tracked')
                 # light ls_fp32 video models start their gammas from init
                 # when inflated from ImageNet weights (official, §3.4)
                 or ('cls_token' in target and LAYER_SCALE_KEY.search(k)
                     and not any(LAYER_SCALE_KEY.search(s) for s in state))]
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
