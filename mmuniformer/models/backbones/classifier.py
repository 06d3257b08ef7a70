"""The official ImageNet UniFormer: its trunk + final BatchNorm as a
backbone for MMPretrain's ``ImageClassifier``, and the whole official model
as one module for checking weights and image logits.

Official classification end: final BatchNorm ``norm`` ->
mean over tokens -> Linear ``head``; token labeling checkpoints add
``0.5 * max over tokens of aux_head(tokens)``. In MMPretrain the mean and
the Linear are its own ``GlobalAveragePooling`` and ``LinearClsHead``; the
token-labeling sum is
:class:`mmuniformer.models.heads.cls_heads.TokenLabelingClsHead`.
"""
from typing import Callable, Optional, Sequence, Union

import torch
from torch import nn

from ...registry import MODELS
from ..layers.blocks import batch_norm
from .uniformer import UniFormer


@MODELS.register_module()
class UniFormerClsBackbone(UniFormer):
    """The official ImageNet trunk ending in the final BatchNorm ``norm``.

    ``(B, 3, H, W) -> ((B, C4, H/32, W/32), )``: stage 4 after ``norm``, the
    feature the official model pools. The dense backbone's per-stage
    LayerNorms are not built (the official ImageNet model has none), so
    the keys are the official ones (``patch_embed*``, ``blocks*``,
    ``norm``) and an ImageNet checkpoint's trunk loads with ``strict=True``.
    MMPretrain has no neck for a lone BatchNorm, hence it lives here.

    To extend the model (e.g. a data-sample hook), override
    :meth:`forward_features` or :meth:`forward`; modules built in
    :meth:`_build_extra_layers` (call ``super()`` first) are in place before
    the stages are frozen.

    Args:
        arch (str | dict): as :class:`UniFormer`. Default ``'small'``.
        out_indices (Sequence[int]): must be ``(3, )`` (or ``-1``).
            Default ``(3, )``.
        **kwargs: as :class:`UniFormer` (``head_dim``, ``drop_path_rate``,
            ``frozen_stages`` -- 4 also freezes ``norm`` --, ``norm_eval``,
            ``with_cp``, ``pretrained``, ``init_cfg``...).
    """

    def __init__(self, arch: Union[str, dict] = 'small',
                 out_indices: Sequence[int] = (3, ), **kwargs):
        if tuple(UniFormer._check_out_indices(out_indices)) != (3, ):
            raise ValueError('UniFormerClsBackbone returns the last stage '
                             f'only (out_indices=(3, )), got {out_indices}')
        super().__init__(arch=arch, out_indices=(3, ), **kwargs)

    def _build_extra_layers(self):
        # the official final BatchNorm instead of the dense backbone's
        # per-stage output LayerNorms
        self.norm = batch_norm(2, self.embed_dims[-1])

    def _extra_stage_modules(self, stage):
        return [self.norm] if stage == 3 else []

    def forward_features(self, x: torch.Tensor,
                         mix_token: Optional[Callable] = None
                         ) -> torch.Tensor:
        if x.dim() != 4:
            raise ValueError(f'{type(self).__name__} expects images of shape '
                             f'(B, C, H, W), got {tuple(x.shape)}')
        if mix_token is None:
            return self.norm(self.forward_stages(x)[3])
        # token labeling's MixToken: the stride-4 map after patch_embed1
        # (+ pos_drop) is replaced by mix_token(map) before blocks1
        handle = self.pos_drop.register_forward_hook(
            lambda module, args, out: mix_token(out))
        try:
            return self.norm(self.forward_stages(x)[3])
        finally:
            handle.remove()

    def forward(self, x: torch.Tensor, mix_token: Optional[Callable] = None):
        """``mix_token``: training-only callable applied to the stride-4
        map (token labeling, :class:`mmuniformer.models.heads.mix_token.
        MixToken`); None (default) is the plain official forward."""
        return (self.forward_features(x, mix_token), )


@MODELS.register_module()
class UniFormerImageClassifier(UniFormerClsBackbone):
    """``(B, 3, H, W) -> (B, num_classes)`` logits of the official model.

    Its state-dict keys equal the official ImageNet files', so they load
    with ``strict=True``. For training and evaluation use MMPretrain's
    ``ImageClassifier`` (configs/classification/uniformer/).

    Args:
        arch (str | dict): as :class:`UniFormer`. Default ``'small'``.
        num_classes (int): rows of ``head``. Default 1000 (ImageNet-1K).
        token_labeling (bool): add ``aux_head`` (the TL checkpoints' dense
            head). Default False.
        **kwargs: as :class:`UniFormerClsBackbone` (``head_dim``...).
    """

    def __init__(self, arch: Union[str, dict] = 'small',
                 num_classes: int = 1000,
                 token_labeling: bool = False, **kwargs):
        super().__init__(arch=arch, **kwargs)
        channels = self.embed_dims[-1]
        self.head = nn.Linear(channels, num_classes)
        self.aux_head = nn.Linear(channels, num_classes) \
            if token_labeling else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        tokens = self.forward_features(x).flatten(2).transpose(1, 2)
        logits = self.head(tokens.mean(1))
        if self.aux_head is not None:
            logits = logits + 0.5 * self.aux_head(tokens).max(1)[0]
        return logits
