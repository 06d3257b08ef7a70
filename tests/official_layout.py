"""Test checkpoints in the official layouts, built from the key lists in
``../shared/reference/official_keys/*.json``.

Those lists were made by instantiating the official model code, so the
names, shapes and containers here are independent of our own modules.
Values are random (seeded) but plausible: BN variances positive, norm
weights near one, so no term of the computation is trivially zero.

Usage::

    layout = load_layout('video_small_k400')      # dict with 'keys', ...
    ckpt = official_checkpoint('video_small_k400')  # {'model_state': {...}}
    state = official_state('det_small_backbone')    # flat state dict
    tiny = official_state('video_small_k400', depths=(1, 1, 4, 1))

``depths`` keeps only the first blocks of each stage (the official names
and shapes of those blocks, unchanged), for small fast models with the
official widths; the matching arch dicts are ``TINY_*`` below.
"""
import json
import os
import os.path as osp
from collections import OrderedDict

import re

import torch

from conftest import SHARED, skip_or_fail  # noqa: E402

KEYS_DIR = osp.join(SHARED, 'reference', 'official_keys')

# Official widths with fewer blocks (stage 3 hybrid: block 4 is global), for
# ``official_state(..., depths=TINY_DEPTHS)``. head_dim as the family's.
TINY_DEPTHS = (1, 1, 4, 1)
TINY_S = dict(depths=TINY_DEPTHS, embed_dims=(64, 128, 320, 512),
              head_dim=64)  # S, B (same widths), det/seg/pose S
TINY_S_PLUS = dict(TINY_S, head_dim=32, conv_stem=True)  # S-dagger
TINY_L_LS = dict(depths=TINY_DEPTHS, embed_dims=(128, 192, 448, 640),
                 head_dim=64, layer_scale='all')  # token labeling L+LS
# layer scale of each official family, as the strict oracles take it
# (reference_uniformer.LAYER_SCALE): B-LS in the SABlocks only, TL L in
# every block (uniformer_official.md, layer-scale placement)
LAYER_SCALE = {'image_base_ls_in1k': 'global', 'image_large_ls_tl': 'all'}


def layer_scale_of(family):
    """The layer scale of an official family ('global', 'all' or None)."""
    return LAYER_SCALE.get(family.split('+')[0])


_BLOCK = re.compile(r'^(?:backbone\.)?blocks(\d)\.(\d+)\.')


def layout_names():
    """Every family listed in the shared folder (empty if it is absent)."""
    if not osp.isdir(KEYS_DIR):
        return []
    return sorted(f[:-5] for f in os.listdir(KEYS_DIR) if f.endswith('.json'))


def load_layout(family):
    """The JSON record of one official family; skips (or, in CI, fails)
    when ``../shared`` is not there."""
    path = osp.join(KEYS_DIR, family + '.json')
    if not osp.isfile(path):
        msg = (f'official key layout {path} not found (set MMUNIFORMER_SHARED '
               'to the folder that holds reference/)')
        skip_or_fail(msg)
    with open(path) as f:
        return json.load(f)


def _random_tensor(name, shape, gen):
    shape = tuple(shape)
    if name.endswith('num_batches_tracked'):
        return torch.tensor(100)
    if name.endswith('running_var'):
        return torch.rand(shape, generator=gen) + 0.5
    if name.endswith('running_mean'):
        return 0.1 * torch.randn(shape, generator=gen)
    if len(shape) == 1 and ('norm' in name or 'gamma' in name):
        if name.endswith('bias'):
            return 0.1 * torch.randn(shape, generator=gen)
        return 1 + 0.1 * torch.randn(shape, generator=gen)
    if len(shape) == 0:
        return torch.randn((), generator=gen)
    fan_in = 1
    for s in shape[1:]:
        fan_in *= s
    if len(shape) == 1:
        fan_in = 100
    return torch.randn(shape, generator=gen) * fan_in**-0.5


def official_state(family, seed=0, num_classes=None, prefix=None,
                   depths=None):
    """A flat state dict with exactly the official names and shapes.

    ``num_classes`` resizes classification heads (``head``, ``aux_head``,
    ``head_cls``) for small test heads; ``prefix`` replaces the ``backbone.``
    prefix of det/seg/pose layouts when given; ``depths`` keeps only the
    first ``depths[i]`` blocks of stage ``i + 1``.
    """
    layout = load_layout(family)
    gen = torch.Generator().manual_seed(seed)
    state = OrderedDict()
    for name, shape in layout['keys'].items():
        block = _BLOCK.match(name)
        if depths is not None and block and \
                int(block.group(2)) >= depths[int(block.group(1)) - 1]:
            continue
        shape = list(shape)
        head = name.split('.')[0]
        if num_classes is not None and head in ('head', 'aux_head',
                                                'head_cls'):
            shape[0] = num_classes
        if prefix is not None and name.startswith('backbone.'):
            name = prefix + name[len('backbone.'):]
        state[name] = _random_tensor(name, shape, gen)
    return state


def official_checkpoint(family, seed=0, num_classes=None, extra=None,
                        depths=None):
    """The state dict inside the official container (``model_state`` for
    video, ``model`` for ImageNet, ``state_dict`` for det/seg/pose)."""
    layout = load_layout(family)
    ckpt = {layout['container']: official_state(family, seed, num_classes,
                                                depths=depths)}
    if extra:
        ckpt.update(extra)
    return ckpt
