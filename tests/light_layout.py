"""Light video layouts the shared key lists do not hold, derived from the
spec's rules (uniformer_light.md §4.1, §3.3) applied to the official lists:

* video = image layout with a temporal kernel axis on every conv weight:
  3 for the stem convs and the DPE, 5 for the CBlock depthwise conv, 1 for
  every 1x1 conv and ``patch_embed2..4``; heads with 400 rows;
* ``ls_fp32`` = + ``gamma_1``/``gamma_2`` per block: ``(1, C, 1, 1, 1)`` in
  stages 1-2, ``(C,)`` in stages 3-4.

``test_light_checkpoint`` checks the first rule against the one official
video list there is (XXS) before it is trusted for XS.
"""
import re
from collections import OrderedDict

import torch

from .official_layout import _random_tensor, load_layout


def temporal_kernel(name):
    if name.startswith('patch_embed1.proj.'):
        return 3
    if name.startswith('patch_embed'):
        return 1
    if name.endswith('pos_embed.weight'):
        return 3
    if re.match(r'blocks[12]\.\d+\.attn\.weight$', name):
        return 5
    return 1


def video_layout_from_image(image_family, num_classes=400):
    keys = OrderedDict()
    for name, shape in load_layout(image_family)['keys'].items():
        shape = list(shape)
        if name.split('.')[0] in ('head', 'head_cls'):
            shape[0] = num_classes
        if len(shape) == 4:
            shape.insert(2, temporal_kernel(name))
        keys[name] = shape
    return keys


def add_layer_scale(keys):
    out = OrderedDict(keys)
    for name, shape in keys.items():
        m = re.match(r'(blocks([1-4])\.\d+)\.norm1\.weight$', name)
        if not m:
            continue
        C = shape[0]
        gshape = [1, C, 1, 1, 1] if m.group(2) in '12' else [C]
        out[m.group(1) + '.gamma_1'] = gshape
        out[m.group(1) + '.gamma_2'] = gshape
    return out


def light_video_state(variant, seed=0, num_classes=400, layer_scale=False):
    """Random flat state dict of a light video model (official names and
    shapes): XXS from its official list, XS derived (see module doc)."""
    if variant == 'xxs' and not layer_scale:
        keys = OrderedDict((k, list(v)) for k, v in load_layout(
            'light_video_xxs')['keys'].items())
        for name in keys:
            if name.split('.')[0] in ('head', 'head_cls'):
                keys[name][0] = num_classes
    else:
        keys = video_layout_from_image(f'light_image_{variant}', num_classes)
    if layer_scale:
        keys = add_layer_scale(keys)
    gen = torch.Generator().manual_seed(seed)
    return OrderedDict((k, _random_tensor(k, v, gen)) for k, v in keys.items())
