"""Synthetic checkpoints in the official layouts (§3.1, §4, §6 of the
reference), built from random weights so tests need no downloads."""
from collections import OrderedDict

import torch
from conftest import randomize_state

from mmuniformer.models import UniFormer, UniFormer3D


def imagenet_state(arch, num_classes=10, token_labeling=False, seed=0):
    """Official ImageNet layout: trunk + final BN ``norm`` + ``head``
    (+ ``aux_head`` for token labeling)."""
    trunk = UniFormer(arch, out_indices=(3, ))
    state = OrderedDict((k, v) for k, v in randomize_state(trunk, seed).items()
                        if not k.startswith('norm4.'))
    c = trunk.embed_dims[-1]
    gen = torch.Generator().manual_seed(seed + 1)
    state['norm.weight'] = 1 + 0.1 * torch.randn(c, generator=gen)
    state['norm.bias'] = 0.1 * torch.randn(c, generator=gen)
    state['norm.running_mean'] = 0.1 * torch.randn(c, generator=gen)
    state['norm.running_var'] = torch.rand(c, generator=gen) + 0.5
    state['norm.num_batches_tracked'] = torch.tensor(100)
    state['head.weight'] = 0.05 * torch.randn(num_classes, c, generator=gen)
    state['head.bias'] = 0.05 * torch.randn(num_classes, generator=gen)
    if token_labeling:
        state['aux_head.weight'] = 0.05 * torch.randn(num_classes, c,
                                                      generator=gen)
        state['aux_head.bias'] = 0.05 * torch.randn(num_classes, generator=gen)
    return state


def video_state(arch, num_classes=10, seed=0):
    """Official video layout: 3D trunk + final BN ``norm`` + ``head``."""
    model = UniFormer3D(arch)
    state = OrderedDict(randomize_state(model, seed))
    gen = torch.Generator().manual_seed(seed + 2)
    state['head.weight'] = 0.05 * torch.randn(num_classes, 512 if isinstance(
        arch, str) else arch['embed_dims'][-1], generator=gen)
    state['head.bias'] = 0.05 * torch.randn(num_classes, generator=gen)
    return state


def dense_state(arch, seed=0, prefix='backbone.'):
    """Official det/seg/pose backbone layout (``norm1..4``), prefixed."""
    model = UniFormer(arch)
    return OrderedDict((prefix + k, v)
                       for k, v in randomize_state(model, seed).items())
