"""The official ImageNet light UniFormer as an MMPretrain backbone.

A separate module (imported by the light classification configs'
``custom_imports``) so that the light backbones in :mod:`.light` stay as
they are: this one only adds the official final BatchNorm ``norm`` and
returns the stage-4 cls token beside the map, for
:class:`mmuniformer.models.heads.cls_heads.LightClsHead`.
"""
from typing import Tuple

import torch

from ...registry import MODELS
from ..layers.blocks import batch_norm
from .light import UniFormerLightTrunk


@MODELS.register_module()
class UniFormerLightClsBackbone(UniFormerLightTrunk):
    """Light XXS / XS trunk ending in the final BatchNorm ``norm``.

    ``(B, 3, H, W) -> ((B, C4, h, w) after ``norm``, (B, C4) cls token)``:
    the map the official ``head`` pools and the cls token the official
    training-only ``head_cls`` reads (its ``norm_cls`` is in the head).
    Keys are the official ones under ``backbone.`` (``patch_embed*``,
    ``blocks*``, ``cls_token``, ``cls_upsample``, ``norm``).

    Args: as :class:`UniFormerLightTrunk` (``arch`` 'xxs' / 'xs',
        ``drop_path_rate``...); ``out_indices`` is always ``(3, )``.
    """
    ndim = 2

    def __init__(self, arch='xxs', **kwargs):
        out_indices = kwargs.pop('out_indices', (3, ))
        if tuple(self._check_out_indices(out_indices)) != (3, ):
            raise ValueError('UniFormerLightClsBackbone returns the last '
                             f'stage only (out_indices=(3, )), got '
                             f'{out_indices}')
        super().__init__(arch=arch, out_indices=(3, ), **kwargs)
        self.norm = batch_norm(2, self.embed_dims[-1])
        self._freeze_stages()  # again, now that ``norm`` exists

    def _extra_stage_modules(self, stage):
        norm = getattr(self, 'norm', None)
        return super()._extra_stage_modules(stage) + (
            [norm] if stage == 3 and norm is not None else [])

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        self.check_input(x, 'images of shape (B, C, H, W)')
        stages, cls = self.forward_light(x)
        return self.norm(stages[3]), cls[:, 0]
