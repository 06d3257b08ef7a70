"""UniFormer dense-prediction backbone (2D) for MMDetection / MMSegmentation /
MMPose."""
from typing import Optional, Tuple, Union

import torch

from ...registry import MODELS
from .base import UniFormerTrunk
from ..layers.blocks import BLOCK_LN_EPS, ConvStemEmbed, PatchEmbed, layer_norm

ATTN_MODES = ('global', 'window', 'hybrid')


@MODELS.register_module()
class UniFormer(UniFormerTrunk):
    """UniFormer on images ``(B, 3, H, W)``, returning multi-scale maps.

    Stages 1-2 are local MHRA (depthwise 5x5), stage 4 global attention.
    Stage 3 attention follows ``attn_mode``:

    * ``'global'``: every block attends over all ``H/16 * W/16`` tokens;
    * ``'window'``: every block attends inside ``window_size`` windows
      (zero-padded right/bottom after the LayerNorm, no mask);
    * ``'hybrid'``: block ``i`` is global iff ``(i + 1) % 4 == 0``,
      otherwise windowed (S: 3, 7; B: 3, 7, 11, 15, 19).

    The mode changes no parameter, so one checkpoint runs in all three.
    Each returned stage map passes through its own LayerNorm ``norm{i+1}``
    (eps 1e-6), as in the official dense backbones. Output: tuple of
    ``(B, C_i, H/s_i, W/s_i)`` for ``i`` in ``out_indices`` (strides 4, 8,
    16, 32; odd sizes floored by the patch-embedding convs, ceil with the
    conv stem).

    Args:
        arch (str | dict): ``'small'``, ``'small_plus'`` (S+, conv stem),
            ``'base'``, ``'base_ls'``, ``'large'`` (layer scale), or a custom
            dict. Default ``'small'``.
        head_dim (int, optional): 64 for the official non-token-labeling
            S/B weights that every downstream model starts from; 32 for
            token-labeling S/S+/B. Default None (the variant's).
        attn_mode (str): stage-3 attention, ``'global'``, ``'window'`` or
            ``'hybrid'`` (see above). Default ``'global'``.
        window_size (int): window of the windowed blocks. Default 14.
        out_indices (Sequence[int]): default all four stages.
        **kwargs: the other options of :class:`UniFormerTrunk`
            (``drop_path_rate``, ``frozen_stages``, ``with_cp``,
            ``pretrained``, ``init_cfg``...).
    """
    ndim = 2

    def __init__(self, arch: Union[str, dict] = 'small',
                 attn_mode: str = 'global', window_size: int = 14,
                 out_indices=(0, 1, 2, 3), **kwargs):
        if attn_mode not in ATTN_MODES:
            raise ValueError(f'attn_mode must be one of {ATTN_MODES}, got '
                             f'{attn_mode!r}')
        if attn_mode != 'global' and int(window_size) < 1:
            raise ValueError(f'window_size must be >= 1, got {window_size}')
        self.attn_mode = attn_mode
        self.window_size = int(window_size)
        super().__init__(arch=arch, out_indices=out_indices, **kwargs)

    def _build_extra_layers(self):
        for i in self.out_indices:
            self.add_module(f'norm{i + 1}',
                            layer_norm(self.embed_dims[i], BLOCK_LN_EPS))

    def _build_patch_embed(self, stage, in_channels, embed_dims):
        if self.arch['conv_stem']:
            return ConvStemEmbed(in_channels, embed_dims, first=stage == 0)
        size = 4 if stage == 0 else 2
        return PatchEmbed(2, in_channels, embed_dims, kernel_size=size)

    def _window_size(self, stage, index) -> Optional[int]:
        if stage != 2 or self.attn_mode == 'global':
            return None
        if self.attn_mode == 'hybrid' and (index + 1) % 4 == 0:
            return None
        return self.window_size

    def _extra_stage_modules(self, stage):
        norm = getattr(self, f'norm{stage + 1}', None)
        return [norm] if norm is not None else []

    def global_block_indices(self) -> Tuple[int, ...]:
        """Indices of stage-3 blocks that attend globally."""
        return tuple(j for j, block in enumerate(self.blocks3)
                     if block.window_size is None)

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        self.check_input(x, 'images of shape (B, C, H, W)')
        stages = self.forward_stages(x)
        outs = []
        for i in self.out_indices:
            norm = getattr(self, f'norm{i + 1}')
            # non-negative dims: see PatchEmbed.forward (ONNX legacy export)
            outs.append(norm(stages[i].movedim(1, 3)).movedim(3, 1)
                        .contiguous())
        return tuple(outs)
