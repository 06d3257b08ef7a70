"""UniFormer video backbone (ICLR 2022) for MMAction2 recognizers."""
from typing import Tuple, Union

import torch

from ...registry import MODELS
from .base import UniFormerTrunk
from ..layers.blocks import PatchEmbed, batch_norm, relayout


@MODELS.register_module()
class UniFormer3D(UniFormerTrunk):
    """Spatio-temporal UniFormer on clips ``(B, 3, T, H, W)``.

    Only ``patch_embed1`` downsamples time (kernel (3, 4, 4), stride
    (2, 4, 4), temporal padding 1: ``T -> ceil(T / 2)``); ``patch_embed2..4``
    use (1, 2, 2) kernels (``(3, 2, 2)`` with ``temporal_embed=True``, the
    official ``STD`` switch, never used by a released checkpoint). Stages 1-2
    are local 3D MHRA (depthwise 5x5x5), stages 3-4 joint global attention
    over ``T/2 * H/s * W/s`` tokens.

    Output: for ``out_indices=(3,)`` (default) the last stage after the final
    BatchNorm ``norm``, ``(B, C4, T/2, H/32, W/32)``, which is the official
    model's feature before its mean-pool + Linear head (use MMAction2's
    ``I3DHead`` with ``dropout_ratio=0``). With several indices a tuple of
    maps is returned; the last stage is always the BN-normalised one.

    Args:
        arch (str | dict): ``'small'``/``'s'``, ``'base'``/``'b'`` or a
            custom dict. Default ``'small'``.
        temporal_embed (bool): 3-tap temporal kernels in
            ``patch_embed2..4``. Default False.
        **kwargs: the options of :class:`UniFormerTrunk` (``head_dim``,
            ``out_indices=(3, )``, ``drop_path_rate``, ``with_cp``,
            ``pretrained``, ``init_cfg``...).
    """
    ndim = 3
    allowed_arches = {'small', 'base'}

    def __init__(self, arch: Union[str, dict] = 'small',
                 temporal_embed: bool = False, **kwargs):
        self.temporal_embed = temporal_embed
        super().__init__(arch=arch, **kwargs)

    def _resolve_arch(self, arch, head_dim):
        cfg = super()._resolve_arch(arch, head_dim)
        if cfg['conv_stem'] or cfg['layer_scale']:
            raise ValueError('the video backbone has no conv stem or layer '
                             'scale variants')
        return cfg

    def _build_extra_layers(self):
        self.norm = batch_norm(3, self.embed_dims[-1])

    def _build_patch_embed(self, stage, in_channels, embed_dims):
        if stage == 0:
            return PatchEmbed(3, in_channels, embed_dims,
                              kernel_size=(3, 4, 4), stride=(2, 4, 4),
                              padding=(1, 0, 0))
        if self.temporal_embed:
            return PatchEmbed(3, in_channels, embed_dims,
                              kernel_size=(3, 2, 2), stride=(1, 2, 2),
                              padding=(1, 0, 0))
        return PatchEmbed(3, in_channels, embed_dims, kernel_size=(1, 2, 2))

    def _extra_stage_modules(self, stage):
        return [self.norm] if stage == 3 else []

    def forward(self, x: torch.Tensor
                ) -> Union[torch.Tensor, Tuple[torch.Tensor, ...]]:
        self.check_input(x, 'clips of shape (B, C, T, H, W)')
        stages = self.forward_stages(x)
        if len(stages) == 4:
            stages[3] = self.norm(stages[3])
        # hosts get plainly contiguous maps (a no-op in the contiguous mode);
        # gradients flow back channels-last
        outs = tuple(relayout(stages[i], torch.contiguous_format)
                     for i in self.out_indices)
        return outs[0] if len(outs) == 1 else outs
