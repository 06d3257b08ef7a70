"""Lightweight (hourglass) UniFormer XXS / XS, 2D and 3D from one code.

Stages 1-2 are the classic local MHRA blocks (``mlp_ratio=3``). Stages 3-4
use :class:`~mmuniformer.models.layers.pruning.PruningMHRABlock`: a learnable
``cls_token`` joins the global attention, and from stage-3 block 1 on only
the best-scored tokens attend (see :mod:`mmuniformer.models.layers.pruning`).
The trunk is :class:`UniFormerTrunk` with the light blocks
(:meth:`UniFormerLightTrunk._build_block`) and a stage forward that threads
the cls token and the pruning score through stages 3-4.

Module names equal the official checkpoints' (``cls_token``,
``cls_upsample``, ``patch_embed1.proj.{0,1,3,4}``, ``blocks{1..4}.N``,
``norm``, ``norm_cls``, ``head``, ``head_cls``, dense ``norm1..4``).
"""
from typing import List, Optional, Tuple, Union

import torch
from mmengine.model.weight_init import trunc_normal_init
from torch import nn

from ...registry import MODELS
from ..layers.blocks import (BLOCK_LN_EPS, EMBED_LN_EPS, ConvStemEmbed,
                             LocalMHRABlock, PatchEmbed, batch_norm,
                             layer_norm)
from ..layers.pruning import PruningMHRABlock
from .base import UniFormerTrunk


class UniFormerLightTrunk(UniFormerTrunk):
    """The four stages of light UniFormer (shared by 2D and 3D).

    Args:
        arch (str | dict): ``'xxs'``, ``'xs'`` or a custom light dict (see
            :func:`mmuniformer.models.arch.resolve_arch`,
            ``family='light'``). Default ``'xxs'``.
        layer_scale_init (float, optional): gammas in every block (the video
            ``ls_fp32`` checkpoints: 0.1); overrides the arch's
            ``layer_scale``. Default None.
        fp32_attention (bool): attention core in float32 under autocast.
            Default False.
        **kwargs: the options of :class:`UniFormerTrunk`. ``channels_last``
            may only be None or False: the pruning blocks gather tokens, so
            there is no channels-last path to keep. ``cpu_kernels``: only
            the linear layers take the oneDNN route. ``with_cp``
            checkpoints blocks of all four stages.
    """
    arch_family = 'light'
    supports_channels_last = False

    def __init__(self, arch: Union[str, dict] = 'xxs',
                 layer_scale_init: Optional[float] = None,
                 fp32_attention: bool = False, **kwargs):
        self.layer_scale_init = layer_scale_init
        self.fp32_attention = fp32_attention
        super().__init__(arch=arch, **kwargs)

    def _resolve_arch(self, arch, head_dim):
        cfg = super()._resolve_arch(arch, head_dim)
        if self.layer_scale_init is not None:
            cfg['layer_scale'] = float(self.layer_scale_init)
        return cfg

    def _build_patch_embed(self, stage, in_channels, embed_dims):
        if stage == 0:
            return ConvStemEmbed(in_channels, embed_dims, first=True,
                                 act_cfg=self.act_cfg, ndim=self.ndim)
        return PatchEmbed(self.ndim, in_channels, embed_dims,
                          kernel_size=2 if self.ndim == 2 else (1, 2, 2))

    def _build_block(self, stage, index, drop_path):
        dims = self.embed_dims[stage]
        ls = self.arch['layer_scale']
        if stage < 2:
            return LocalMHRABlock(self.ndim, dims, self.arch['mlp_ratio'],
                                  drop=self.drop_rate, drop_path=drop_path,
                                  act_cfg=self.act_cfg, layer_scale_init=ls)
        return PruningMHRABlock(
            self.ndim, dims, dims // self.head_dim, self.arch['mlp_ratio'],
            prune_ratio=self.arch['prune_ratio'][stage - 2][index],
            trade_off=self.arch['trade_off'][stage - 2][index],
            downsample=stage == 2 and index == self.depths[2] - 1,
            qkv_bias=self.qkv_bias, drop=self.drop_rate,
            attn_drop=self.attn_drop_rate, drop_path=drop_path,
            act_cfg=self.act_cfg, layer_scale_init=ls,
            fp32_attention=self.fp32_attention)

    def _build_extra_layers(self):
        # stays zero at init, as officially (the default init touches only
        # Linear and LayerNorm)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, self.embed_dims[2]))
        self.cls_upsample = nn.Linear(self.embed_dims[2], self.embed_dims[3])

    def _extra_stage_modules(self, stage):
        return [self.cls_upsample] if stage == 3 else []

    def _freeze_stages(self):
        super()._freeze_stages()
        if self.frozen_stages >= 3:
            self.cls_token.requires_grad = False

    def _forward_stage(self, stage, x, state):
        """Stages 1-2 as the classic trunk; stages 3-4 carry ``state =
        (cls token (B, 1, C), score (B, N) or None)`` from block to block:
        the cls token enters at stage 3 and is widened by ``cls_upsample``
        for stage 4."""
        if stage < 2:
            return super()._forward_stage(stage, x, state)
        if stage == 2:
            cls, score = self.cls_token.expand(x.shape[0], -1, -1), None
        else:
            cls, score = state
            cls = self.cls_upsample(cls)
        last = self.depths[stage] - 1
        for j in range(self.depths[stage]):
            # the score after the model's last block is never read
            cls, x, score = self._block_call(stage, j, x)(
                cls, x, score, need_score=stage < 3 or j < last)
        return x, (cls, score)

    def forward_light(self, x: torch.Tensor, last_stage: int = 3
                      ) -> Tuple[List[torch.Tensor], Optional[torch.Tensor]]:
        """Raw maps of stages ``0..last_stage`` and the cls token
        ``(B, 1, C)`` after the last stage run (None before stage 3)."""
        outs, state = self.run_stages(x, last_stage)
        return outs, None if state is None else state[0]


@MODELS.register_module()
class UniFormerLight(UniFormerLightTrunk):
    """Light UniFormer on images ``(B, 3, H, W)`` -> multi-scale maps, for
    MMDetection / MMSegmentation (the official det/seg backbone).

    Each returned stage map passes through LayerNorm ``norm{i+1}`` (eps
    1e-6). Stage sizes: ``ceil(H/4)`` after the stem, then floor halving.
    The stage-3 map holds every token (kept ones processed, dropped ones
    fast-updated). The cls token is computed (it shapes the attention) and
    dropped.

    Args:
        arch (str | dict): ``'xxs'``, ``'xs'`` or a custom light dict.
            Default ``'xxs'``.
        out_indices (Sequence[int]): default all four stages.
        **kwargs: as :class:`UniFormerLightTrunk`.
    """
    ndim = 2

    def __init__(self, arch: Union[str, dict] = 'xxs',
                 out_indices: Tuple[int, ...] = (0, 1, 2, 3), **kwargs):
        super().__init__(arch=arch, out_indices=out_indices, **kwargs)

    def _build_extra_layers(self):
        super()._build_extra_layers()
        for i in self.out_indices:
            self.add_module(f'norm{i + 1}',
                            layer_norm(self.embed_dims[i], BLOCK_LN_EPS))

    def _extra_stage_modules(self, stage):
        norm = getattr(self, f'norm{stage + 1}', None)
        return super()._extra_stage_modules(stage) + (
            [norm] if norm is not None else [])

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        self.check_input(x, 'images of shape (B, C, H, W)')
        stages, _ = self.forward_light(x, max(self.out_indices))
        return tuple(
            # non-negative dims: the legacy ONNX exporter cannot take -1
            getattr(self, f'norm{i + 1}')(stages[i].movedim(1, 3)).movedim(
                3, 1).contiguous() for i in self.out_indices)


@MODELS.register_module()
class UniFormerLightImageClassifier(UniFormerLightTrunk):
    """The official ImageNet light model: ``(B, 3, H, W)`` -> logits.

    Eval mode returns the ``head`` logits (BN ``norm`` -> mean -> Linear),
    training mode the official pair ``(head logits, head_cls logits)``
    (``norm_cls`` LN eps 1e-5 -> ``head_cls`` on the cls token); the
    official loss is ``0.5 CE(head) + 0.5 CE(head_cls)``. Keys equal the
    official ``uniformer_{xxs,xs}_*_in1k.pth`` files.

    Args:
        arch (str | dict): ``'xxs'``, ``'xs'`` or a custom light dict.
            Default ``'xxs'``.
        num_classes (int): rows of ``head`` and ``head_cls``. Default 1000.
        **kwargs: as :class:`UniFormerLightTrunk` (``out_indices`` is always
            ``(3, )``).
    """
    ndim = 2

    def __init__(self, arch: Union[str, dict] = 'xxs',
                 num_classes: int = 1000, **kwargs):
        self.num_classes = num_classes
        super().__init__(arch=arch, out_indices=(3, ), **kwargs)

    def _build_extra_layers(self):
        super()._build_extra_layers()
        C = self.embed_dims[-1]
        self.norm = batch_norm(2, C)
        self.norm_cls = layer_norm(C, EMBED_LN_EPS)
        self.head = nn.Linear(C, self.num_classes)
        self.head_cls = nn.Linear(C, self.num_classes)
        for head in (self.head, self.head_cls):
            trunc_normal_init(head, std=.02, bias=0.)

    def _extra_stage_modules(self, stage):
        return super()._extra_stage_modules(stage) + (
            [self.norm] if stage == 3 else [])

    def forward(self, x: torch.Tensor):
        self.check_input(x, 'images of shape (B, C, H, W)')
        stages, cls = self.forward_light(x)
        logits = self.head(self.norm(stages[3]).flatten(2).mean(-1))
        if not self.training:
            return logits
        return logits, self.head_cls(self.norm_cls(cls[:, 0]))


@MODELS.register_module()
class UniFormerLight3D(UniFormerLightTrunk):
    """Light UniFormer on clips ``(B, 3, T, H, W)`` for MMAction2.

    The stem halves time once (``ceil(T/2)``); ranking and attention are
    joint over ``T' * H * W`` tokens (raster order t, h, w); the score is
    pooled over space only. Output for ``out_indices=(3,)``: the last map
    after the final BatchNorm ``norm``, ``(B, C4, T', h, w)`` (the official
    ``head`` is a mean pool + Linear). ``return_cls_token=True`` returns
    ``(map, cls (B, C4))`` instead, for :class:`UniFormerLightHead`, whose
    training loss adds the official ``head_cls`` term.

    Args:
        arch (str | dict): ``'xxs'``, ``'xs'`` or a custom light dict.
            Default ``'xxs'``.
        return_cls_token (bool): also return the cls token. Default False.
        **kwargs: as :class:`UniFormerLightTrunk`; ``layer_scale_init`` is
            0.1 for the ``ls_fp32`` checkpoints (4x128, 4x160, 8x128), None
            otherwise; ``fp32_attention`` is the ``_fp32`` classes' intent
            (attention in float32 under AMP; no effect in float32).
    """
    ndim = 3

    def __init__(self, arch: Union[str, dict] = 'xxs',
                 return_cls_token: bool = False, **kwargs):
        super().__init__(arch=arch, **kwargs)
        self.return_cls_token = return_cls_token

    def _build_extra_layers(self):
        super()._build_extra_layers()
        self.norm = batch_norm(3, self.embed_dims[-1])

    def _extra_stage_modules(self, stage):
        return super()._extra_stage_modules(stage) + (
            [self.norm] if stage == 3 else [])

    def forward(self, x: torch.Tensor):
        self.check_input(x, 'clips of shape (B, C, T, H, W)')
        stages, cls = self.forward_light(x, max(self.out_indices))
        if len(stages) == 4:
            stages[3] = self.norm(stages[3])
        outs = tuple(stages[i] for i in self.out_indices)
        out = outs[0] if len(outs) == 1 else outs
        if self.return_cls_token:
            return out, cls[:, 0]
        return out
