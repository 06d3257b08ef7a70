"""Lightweight (hourglass) UniFormer XXS / XS, 2D and 3D from one code.

Stages 1-2 are the classic local MHRA blocks (``mlp_ratio=3``). Stages 3-4
use :class:`PruningMHRABlock`: a learnable ``cls_token`` joins the global
attention, and from stage-3 block 1 on only the ``floor(N * ratio)`` tokens
with the highest running score attend; the others are merged into one
score-weighted "representative" token whose attention and MLP outputs are
then added to every dropped token (the "fast update").

The pruning state (the per-token score ``(B, N)``) is passed explicitly from
block to block and returned, never stored on a module, so two forwards of
one model may interleave (threads, nested use). Instead of the official
sort / un-sort of every block, the kept set is found with one ``topk`` and
written back with ``scatter``: the token order inside attention does not
change any result (attention is permutation-equivariant), and the order
among exactly tied scores is unspecified officially too.

Module names equal the official checkpoints' (``cls_token``,
``cls_upsample``, ``patch_embed1.proj.{0,1,3,4}``, ``blocks{1..4}.N``,
``norm``, ``norm_cls``, ``head``, ``head_cls``, dense ``norm1..4``).
"""
import copy
import math
from typing import List, Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
import torch.utils.checkpoint as cp
from mmcv.cnn import build_activation_layer
from mmcv.cnn.bricks.drop import DropPath
from mmengine.model.weight_init import trunc_normal_init
from torch import nn

from ...checkpoint.adapter import guard_state_dict_loading
from ...registry import MODELS
from .base import NUM_STAGES, UniFormerTrunk
from ..layers.blocks import (BLOCK_LN_EPS, EMBED_LN_EPS, LocalMHRABlock,
                     MultiHeadSelfAttention, PatchEmbed, TokenMlp,
                     batch_norm, conv_nd, layer_norm, layer_scaled)
from ..layers.cpu_kernels import depthwise_conv_nd

# Released variants (spec §1). ``prune_ratio``/``trade_off``: one list per
# attention stage (3, 4); ratio = kept fraction. None = the official lists.
LIGHT_ARCH_ZOO = {
    'xxs': dict(depths=(2, 5, 8, 2), embed_dims=(56, 112, 224, 448),
                head_dim=28),
    'xs': dict(depths=(3, 5, 9, 3), embed_dims=(64, 128, 256, 512),
               head_dim=32),
}
LIGHT_DEFAULTS = dict(mlp_ratio=3., prune_ratio=None, trade_off=None,
                      layer_scale=None)
LIGHT_REQUIRED = ('depths', 'embed_dims', 'head_dim')


def default_prune_ratio(depths) -> Tuple[tuple, tuple]:
    """Official lists: stage-3 block 0 keeps all tokens, every other
    attention block half of them."""
    return ((1., ) + (.5, ) * (depths[2] - 1), (.5, ) * depths[3])


def _per_stage(value, depths, name) -> Tuple[tuple, tuple]:
    if value is None:
        return default_prune_ratio(depths)
    if len(value) != 2:
        raise ValueError(f'{name} needs one list per attention stage (3 and '
                         f'4), got {value!r}')
    out = []
    for stage, lst in zip((2, 3), value):
        lst = tuple(float(v) for v in lst)
        if len(lst) < depths[stage]:
            raise ValueError(
                f'{name} of stage {stage + 1} has {len(lst)} entries for '
                f'{depths[stage]} blocks: {lst}')
        out.append(lst[:depths[stage]])  # extra entries are ignored (§1)
    return tuple(out)


def resolve_light_arch(arch: Union[str, dict]) -> dict:
    """Full arch dict of a light variant name (``'xxs'``, ``'xs'``) or a
    custom dict with ``depths``, ``embed_dims``, ``head_dim`` and optionally
    ``mlp_ratio``, ``prune_ratio``, ``trade_off`` (two lists each),
    ``layer_scale`` (initial value of the ``ls_fp32`` gammas, or None)."""
    if isinstance(arch, str):
        if arch.lower() not in LIGHT_ARCH_ZOO:
            raise ValueError(f'unknown light UniFormer arch {arch!r}; choose '
                             f'one of {sorted(LIGHT_ARCH_ZOO)} or pass a dict '
                             f'with {LIGHT_REQUIRED}')
        cfg = dict(LIGHT_DEFAULTS, **copy.deepcopy(LIGHT_ARCH_ZOO[
            arch.lower()]))
    elif isinstance(arch, dict):
        missing = [k for k in LIGHT_REQUIRED if k not in arch]
        if missing:
            raise ValueError(f'custom light arch dict lacks {missing}')
        unknown = set(arch) - set(LIGHT_REQUIRED) - set(LIGHT_DEFAULTS)
        if unknown:
            raise ValueError(f'custom light arch dict has unknown keys '
                             f'{sorted(unknown)}')
        cfg = dict(LIGHT_DEFAULTS, **copy.deepcopy(arch))
    else:
        raise TypeError(f'arch must be a str or dict, got {type(arch)}')
    depths = tuple(int(d) for d in cfg['depths'])
    dims = tuple(int(d) for d in cfg['embed_dims'])
    if len(depths) != 4 or len(dims) != 4:
        raise ValueError(f'4 stages needed, got depths {depths}, dims {dims}')
    cfg['depths'], cfg['embed_dims'] = depths, dims
    cfg['head_dim'] = int(cfg['head_dim'])
    for dim in dims[2:]:
        if dim % cfg['head_dim']:
            raise ValueError(f'embed dim {dim} is not divisible by head_dim '
                             f'{cfg["head_dim"]}')
    ratio = _per_stage(cfg['prune_ratio'], depths, 'prune_ratio')
    cfg['prune_ratio'] = ratio
    cfg['trade_off'] = _per_stage(cfg['trade_off'], depths, 'trade_off') \
        if cfg['trade_off'] is not None else ratio
    flat = ratio[0] + ratio[1]
    if any(not 0 < r <= 1 for r in flat):
        raise ValueError(f'prune ratios are kept fractions in (0, 1], got '
                         f'{ratio}')
    if depths[2] and ratio[0][0] != 1:
        raise ValueError('stage-3 block 0 must keep all tokens (ratio 1): it '
                         'creates the score the later blocks rank by')
    if depths[2] and ratio[0][-1] == 1 and any(r < 1 for r in ratio[1]):
        raise ValueError('the last stage-3 block must prune (ratio < 1) when '
                         'stage 4 prunes: only a pruning block pools the '
                         'score to the stage-4 grid')
    return cfg


# -- the pruning rule, as functions of explicit tensors ---------------------
def pool_score(score: torch.Tensor, spatial: Sequence[int]) -> torch.Tensor:
    """Score of a ``spatial`` map -> score of the next stage's map.

    Average pool 2x2 (time kept, floor on odd sizes), then rescale so that
    each sample's sum is unchanged (= 2x2 sum pooling on even sizes).
    """
    B = score.shape[0]
    total = score.sum(1, keepdim=True)
    grid = score.reshape(B, 1, *spatial)
    if len(spatial) == 2:
        pooled = F.avg_pool2d(grid, 2, 2)
    else:
        pooled = F.avg_pool3d(grid, (1, 2, 2), (1, 2, 2))
    pooled = pooled.flatten(1)
    return pooled * (total / pooled.sum(1, keepdim=True))


def select_tokens(score: torch.Tensor, ratio: float
                  ) -> Tuple[torch.Tensor, torch.Tensor]:
    """``(kept_index (B, K), drop_mask (B, N))`` with ``K = floor(N*ratio)``
    the highest scores (any order) and ``drop_mask`` 1 on the others."""
    N = score.shape[1]
    K = math.floor(N * ratio)
    kept = score.topk(K, dim=1, sorted=False).indices
    drop_mask = torch.ones_like(score).scatter(1, kept, 0.)
    return kept, drop_mask


def merge_dropped(tokens: torch.Tensor, score: torch.Tensor,
                  drop_mask: torch.Tensor) -> torch.Tensor:
    """Representative token ``(B, 1, C)``: the mean of the dropped tokens
    weighted by their scores."""
    weight = score * drop_mask
    weight = weight / weight.sum(1, keepdim=True)
    return torch.bmm(weight.unsqueeze(1), tokens)


def update_score(score: Optional[torch.Tensor], cls_attn: torch.Tensor,
                 trade_off: float, kept: Optional[torch.Tensor] = None,
                 drop_mask: Optional[torch.Tensor] = None) -> torch.Tensor:
    """New score after an attention whose cls-query row (head mean) is
    ``cls_attn (B, M)`` (token 0 = cls; pruned blocks: last = rep token).

    * no score yet: the spatial part of ``cls_attn``;
    * full attention (``kept`` None): ``(1-t) g + t r``;
    * pruned: ``(1-t) g + t r`` for the kept tokens only, the dropped ones
      unchanged; except when a single token was dropped (stages of 1-2
      tokens), where the official length test treats the rep token's score
      as that token's and updates it too.
    """
    t = trade_off
    if score is None:
        return cls_attn[:, 1:]
    if kept is None:
        if score.shape[1] != cls_attn.shape[1] - 1:
            # only in all-ratio-1 configs at stage 4, where the stale score
            # is never read again: start afresh
            return cls_attn[:, 1:]
        return (1 - t) * score + t * cls_attn[:, 1:]
    K = kept.shape[1]
    kept_attn = cls_attn[:, 1:K + 1]
    if score.shape[1] == K + 1:
        full = torch.zeros_like(score).scatter(1, kept, kept_attn) + \
            drop_mask * cls_attn[:, -1:]
        return (1 - t) * score + t * full
    new = (1 - t) * score.gather(1, kept) + t * kept_attn
    return score.scatter(1, kept, new)


class ScoredAttention(MultiHeadSelfAttention):
    """Multi-head self-attention that also returns the cls query's
    attention row averaged over heads, ``(B, M)`` (not renormalised).

    The output uses SDPA; the score row is recomputed for query 0 alone
    (one extra ``1 x M`` product per head). ``fp32=True`` runs both in
    float32 with autocast off, which is what the official ``_fp32`` classes
    intended (they switch autocast off but keep fp16 q/k/v, §3.2).
    """

    def __init__(self, *args, fp32: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fp32 = fp32

    def _core(self, q, k, v):
        out = F.scaled_dot_product_attention(
            q, k, v, dropout_p=self.attn_drop if self.training else 0.)
        logits = (q[:, :, :1] * self.head_dim**-0.5) @ k.transpose(-2, -1)
        return out, logits.softmax(-1).mean(1)[:, 0]

    def forward(self, x):
        B, M, C = x.shape
        qkv = self.qkv(x).reshape(B, M, 3, self.num_heads, self.head_dim)
        q, k, v = qkv.permute(2, 0, 3, 1, 4).unbind(0)
        if self.fp32:
            with torch.autocast(device_type=x.device.type, enabled=False):
                out, r = self._core(q.float(), k.float(), v.float())
        else:
            out, r = self._core(q, k, v)
        out = out.to(x.dtype).transpose(1, 2).reshape(B, M, C)
        return self.proj_drop(self.proj(out)), r


class PruningMHRABlock(nn.Module):
    """Global MHRA block with a cls token and token pruning (official
    ``EvoSABlock``). ``forward(cls (B,1,C), x (B,C,*S), score)`` returns
    ``(cls, x, score)``; ``score`` is ``None`` before the first block.

    ``prune_ratio`` 1: DPE, then attention + MLP over ``[cls; all tokens]``.
    Below 1: the ``floor(N * ratio)`` best-scored tokens, the cls token and
    the representative of the rest attend; the dropped tokens receive the
    representative's (pre-DropPath) attention and MLP outputs; tokens keep
    their raster positions. ``downsample`` pools the score for the next
    stage (last stage-3 block). ``layer_scale_init`` adds ``gamma_1`` /
    ``gamma_2`` ``(C,)`` (video ``ls_fp32`` checkpoints), which also scale
    the fast update.
    """

    def __init__(self, ndim: int, embed_dims: int, num_heads: int,
                 mlp_ratio: float = 3., prune_ratio: float = 1.,
                 trade_off: float = .5, downsample: bool = False,
                 qkv_bias: bool = True, drop: float = 0.,
                 attn_drop: float = 0., drop_path: float = 0.,
                 act_cfg: dict = dict(type='GELU'),
                 layer_scale_init: Optional[float] = None,
                 fp32_attention: bool = False):
        super().__init__()
        C = embed_dims
        self.prune_ratio = float(prune_ratio)
        self.trade_off = float(trade_off)
        self.downsample = downsample
        self.pos_embed = depthwise_conv_nd(ndim, C, 3)
        self.norm1 = layer_norm(C, BLOCK_LN_EPS)
        self.attn = ScoredAttention(C, num_heads, qkv_bias=qkv_bias,
                                    attn_drop=attn_drop, proj_drop=drop,
                                    fp32=fp32_attention)
        self.drop_path = DropPath(drop_path) if drop_path > 0 else nn.Identity()
        self.norm2 = layer_norm(C, BLOCK_LN_EPS)
        self.mlp = TokenMlp(C, int(C * mlp_ratio), act_cfg=act_cfg, drop=drop)
        if layer_scale_init is None:
            self.gamma_1 = self.gamma_2 = None
        else:
            self.gamma_1 = nn.Parameter(layer_scale_init * torch.ones(C))
            self.gamma_2 = nn.Parameter(layer_scale_init * torch.ones(C))

    def _attend(self, z):
        a, r = self.attn(self.norm1(z))
        a = layer_scaled(self.gamma_1, a)
        z = z + self.drop_path(a)
        m = layer_scaled(self.gamma_2, self.mlp(self.norm2(z)))
        return z + self.drop_path(m), a, m, r

    def forward(self, cls, x, score: Optional[torch.Tensor] = None):
        x = x + self.pos_embed(x)
        B, C = x.shape[:2]
        spatial = x.shape[2:]
        tokens = x.flatten(2).transpose(1, 2)
        if self.prune_ratio >= 1:
            z, _, _, r = self._attend(torch.cat([cls, tokens], dim=1))
            score = update_score(score, r, self.trade_off)
            x = z[:, 1:].transpose(1, 2).reshape(B, C, *spatial)
            return z[:, :1], x, score
        if score is None:
            raise ValueError('a pruning block needs the score of an earlier '
                             'full-attention block')
        kept, drop_mask = select_tokens(score, self.prune_ratio)
        K = kept.shape[1]
        kept_c = kept.unsqueeze(-1).expand(-1, -1, C)
        rep = merge_dropped(tokens, score, drop_mask)
        z = torch.cat([cls, tokens.gather(1, kept_c), rep], dim=1)
        z, a, m, r = self._attend(z)
        score = update_score(score, r, self.trade_off, kept, drop_mask)
        fast = a[:, -1:] + m[:, -1:]
        tokens = tokens + drop_mask.unsqueeze(-1).to(tokens.dtype) * fast
        tokens = tokens.scatter(1, kept_c, z[:, 1:K + 1])
        x = tokens.transpose(1, 2).reshape(B, C, *spatial)
        if self.downsample:
            score = pool_score(score, spatial)
        return z[:, :1], x, score


class LightStem(nn.Module):
    """``patch_embed1`` of the light models: conv3 s2 -> BN -> GELU -> conv3
    s2 -> BN (``proj.0/1/3/4``), C/2 hidden channels. In 3D the first conv
    has stride (1, 2, 2): time is halved once (``ceil(T / 2)``)."""

    def __init__(self, ndim: int, in_channels: int, embed_dims: int,
                 act_cfg: dict = dict(type='GELU')):
        super().__init__()
        conv = conv_nd(ndim)
        mid = embed_dims // 2
        first_stride = 2 if ndim == 2 else (1, 2, 2)
        self.proj = nn.Sequential(
            conv(in_channels, mid, 3, stride=first_stride, padding=1),
            batch_norm(ndim, mid), build_activation_layer(act_cfg),
            conv(mid, embed_dims, 3, stride=2, padding=1),
            batch_norm(ndim, embed_dims))

    def forward(self, x):
        return self.proj(x)


class UniFormerLightTrunk(UniFormerTrunk):
    """The four stages of light UniFormer (shared by 2D and 3D).

    Args:
        arch: ``'xxs'``, ``'xs'`` or a dict (see :func:`resolve_light_arch`).
        layer_scale_init: gammas in every block (the video ``ls_fp32``
            checkpoints: 0.1); overrides the arch's ``layer_scale``.
        fp32_attention: attention core in float32 under autocast.
        cpu_kernels: as :class:`UniFormerTrunk` (the light trunk computes
            contiguous, so only its linear layers take the oneDNN route).
        Others as :class:`UniFormerTrunk`. ``with_cp`` checkpoints blocks of
        all four stages.
    """

    def __init__(self,
                 arch: Union[str, dict] = 'xxs',
                 in_channels: int = 3,
                 qkv_bias: bool = True,
                 drop_rate: float = 0.,
                 attn_drop_rate: float = 0.,
                 drop_path_rate: float = 0.,
                 out_indices: Sequence[int] = (3, ),
                 frozen_stages: int = -1,
                 norm_eval: bool = False,
                 with_cp: Union[bool, Sequence[int]] = False,
                 layer_scale_init: Optional[float] = None,
                 fp32_attention: bool = False,
                 act_cfg: dict = dict(type='GELU'),
                 cpu_kernels: bool = True,
                 init_cfg: Optional[dict] = None):
        # the classic trunk's builder is skipped: its blocks differ
        super(UniFormerTrunk, self).__init__(init_cfg=init_cfg)
        guard_state_dict_loading(self)  # all-or-nothing load_state_dict
        self.arch = resolve_light_arch(arch)
        if layer_scale_init is not None:
            self.arch['layer_scale'] = float(layer_scale_init)
        depths = self.depths = self.arch['depths']
        dims = self.embed_dims = self.arch['embed_dims']
        self.head_dim = self.arch['head_dim']
        # contiguous layout: the pruning blocks gather tokens, so there is no
        # channels-last path to keep
        self._init_options(in_channels, out_indices, frozen_stages, norm_eval,
                           with_cp, channels_last=False)
        ls = self.arch['layer_scale']
        mlp_ratio = self.arch['mlp_ratio']
        dpr = torch.linspace(0, drop_path_rate, sum(depths)).tolist()
        cursor = 0
        for i in range(NUM_STAGES):
            if i == 0:
                embed = LightStem(self.ndim, in_channels, dims[0], act_cfg)
            else:
                embed = PatchEmbed(self.ndim, dims[i - 1], dims[i],
                                   kernel_size=2 if self.ndim == 2 else
                                   (1, 2, 2))
            self.add_module(f'patch_embed{i + 1}', embed)
            blocks = nn.ModuleList()
            for j in range(depths[i]):
                if i < 2:
                    block = LocalMHRABlock(
                        self.ndim, dims[i], mlp_ratio, drop=drop_rate,
                        drop_path=dpr[cursor + j], act_cfg=act_cfg,
                        layer_scale_init=ls)
                else:
                    block = PruningMHRABlock(
                        self.ndim, dims[i], dims[i] // self.head_dim,
                        mlp_ratio,
                        prune_ratio=self.arch['prune_ratio'][i - 2][j],
                        trade_off=self.arch['trade_off'][i - 2][j],
                        downsample=i == 2 and j == depths[2] - 1,
                        qkv_bias=qkv_bias, drop=drop_rate,
                        attn_drop=attn_drop_rate, drop_path=dpr[cursor + j],
                        act_cfg=act_cfg, layer_scale_init=ls,
                        fp32_attention=fp32_attention)
                blocks.append(block)
            cursor += depths[i]
            self.add_module(f'blocks{i + 1}', blocks)
        self.pos_drop = nn.Dropout(drop_rate)
        # stays zero at init, as officially (the default init touches only
        # Linear and LayerNorm)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dims[2]))
        self.cls_upsample = nn.Linear(dims[2], dims[3])
        self.cpu_kernels = cpu_kernels

    def _extra_stage_modules(self, stage):
        return [self.cls_upsample] if stage == 3 else []

    def _freeze_stages(self):
        super()._freeze_stages()
        if self.frozen_stages >= 3:
            self.cls_token.requires_grad = False

    def _run_light_blocks(self, stage, x, cls, score):
        for j, block in enumerate(getattr(self, f'blocks{stage + 1}')):
            use_cp = (j < self.cp_blocks[stage] and self.training
                      and x.requires_grad)
            if stage < 2:
                x = cp.checkpoint(block, x, use_reentrant=False) \
                    if use_cp else block(x)
            elif use_cp:
                cls, x, score = cp.checkpoint(block, cls, x, score,
                                              use_reentrant=False)
            else:
                cls, x, score = block(cls, x, score)
        return x, cls, score

    def forward_light(self, x: torch.Tensor, last_stage: int = 3
                      ) -> Tuple[List[torch.Tensor], Optional[torch.Tensor]]:
        """Raw maps of stages ``0..last_stage`` and the cls token
        ``(B, 1, C)`` after the last stage run (None before stage 3)."""
        outs, cls, score = [], None, None
        for i in range(last_stage + 1):
            x = getattr(self, f'patch_embed{i + 1}')(x)
            if i == 0:
                x = self.pos_drop(x)
            elif i == 2:
                cls = self.cls_token.expand(x.shape[0], -1, -1)
            elif i == 3:
                cls = self.cls_upsample(cls)
            x, cls, score = self._run_light_blocks(i, x, cls, score)
            outs.append(x)
        return outs, cls


@MODELS.register_module()
class UniFormerLight(UniFormerLightTrunk):
    """Light UniFormer on images ``(B, 3, H, W)`` -> multi-scale maps, for
    MMDetection / MMSegmentation (the official det/seg backbone).

    Each returned stage map passes through LayerNorm ``norm{i+1}`` (eps
    1e-6). Stage sizes: ``ceil(H/4)`` after the stem, then floor halving.
    The stage-3 map holds every token (kept ones processed, dropped ones
    fast-updated). The cls token is computed (it shapes the attention) and
    dropped. Default ``out_indices=(0, 1, 2, 3)``.
    """
    ndim = 2

    def __init__(self, arch='xxs', out_indices=(0, 1, 2, 3), **kwargs):
        super().__init__(arch=arch, out_indices=out_indices, **kwargs)
        for i in self.out_indices:
            self.add_module(f'norm{i + 1}',
                            layer_norm(self.embed_dims[i], BLOCK_LN_EPS))
        self._freeze_stages()

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
    """
    ndim = 2

    def __init__(self, arch='xxs', num_classes: int = 1000, **kwargs):
        super().__init__(arch=arch, out_indices=(3, ), **kwargs)
        C = self.embed_dims[-1]
        self.norm = batch_norm(2, C)
        self.norm_cls = layer_norm(C, EMBED_LN_EPS)
        self.head = nn.Linear(C, num_classes)
        self.head_cls = nn.Linear(C, num_classes)
        for head in (self.head, self.head_cls):
            trunc_normal_init(head, std=.02, bias=0.)
        self._freeze_stages()

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
        layer_scale_init: 0.1 for the ``ls_fp32`` checkpoints (4x128,
            4x160, 8x128), None otherwise.
        fp32_attention: the ``_fp32`` classes' intent (attention in float32
            under AMP); no effect in float32.
    """
    ndim = 3

    def __init__(self, arch='xxs', return_cls_token: bool = False,
                 **kwargs):
        super().__init__(arch=arch, **kwargs)
        self.return_cls_token = return_cls_token
        self.norm = batch_norm(3, self.embed_dims[-1])
        self._freeze_stages()

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
