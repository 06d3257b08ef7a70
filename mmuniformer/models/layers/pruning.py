"""Token-pruning attention of the light (hourglass) UniFormer.

:class:`PruningMHRABlock` is the global MHRA block of stages 3-4 of the
light models: a learnable cls token joins the attention, and from stage-3
block 1 on only the ``floor(N * ratio)`` tokens with the highest running
score attend; the others are merged into one score-weighted
"representative" token whose attention and MLP outputs are then added to
every dropped token (the "fast update").

The pruning state (the per-token score ``(B, N)``) is passed explicitly from
block to block and returned, never stored on a module, so two forwards of
one model may interleave (threads, nested use). Instead of the official
sort / un-sort of every block, the kept set is found with one ``topk`` and
written back with ``scatter``: the token order inside attention does not
change any result (attention is permutation-equivariant), and the order
among exactly tied scores is unspecified officially too.

Attribute names equal the official ``EvoSABlock``'s (``pos_embed``,
``norm1``, ``attn.qkv``, ``attn.proj``, ``norm2``, ``mlp.fc1/fc2``,
``gamma_1/2``).
"""
import math
from typing import Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmcv.cnn.bricks.drop import DropPath
from torch import nn

from .blocks import (BLOCK_LN_EPS, MultiHeadSelfAttention, TokenMlp,
                     layer_norm, layer_scaled)
from .cpu_kernels import depthwise_conv_nd


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
    intended (they switch autocast off but keep fp16 q/k/v).

    Args:
        *args: as :class:`MultiHeadSelfAttention` (``embed_dims``,
            ``num_heads``, ``qkv_bias=True``, ``attn_drop=0.``,
            ``proj_drop=0.``).
        fp32 (bool): attention core in float32 under autocast. Default
            False.
    """

    def __init__(self, *args, fp32: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fp32 = fp32

    def _core(self, q, k, v, need_score=True):
        out = F.scaled_dot_product_attention(
            q, k, v, dropout_p=self.attn_drop if self.training else 0.)
        if not need_score:
            return out, None
        logits = (q[:, :, :1] * self.head_dim**-0.5) @ k.transpose(-2, -1)
        return out, logits.softmax(-1).mean(1)[:, 0]

    def forward(self, x, need_score: bool = True):
        """``(output (B, M, C), cls-query attention (B, M) or None)``;
        ``need_score=False`` skips the cls-query row (the last block of the
        model, whose score nothing reads)."""
        B, M, C = x.shape
        qkv = self.qkv(x).reshape(B, M, 3, self.num_heads, self.head_dim)
        q, k, v = qkv.permute(2, 0, 3, 1, 4).unbind(0)
        if self.fp32 and q.dtype in (torch.float16, torch.bfloat16):
            # only a reduced-precision core is lifted; float64 stays float64
            with torch.autocast(device_type=x.device.type, enabled=False):
                out, r = self._core(q.float(), k.float(), v.float(),
                                    need_score)
        else:
            out, r = self._core(q, k, v, need_score)
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

    Args:
        ndim (int): spatial axes of the map, 2 or 3.
        embed_dims (int): channels ``C``.
        num_heads (int): attention heads.
        mlp_ratio (float): MLP hidden width / ``C``. Default 3.
        prune_ratio (float): kept fraction of the tokens, in (0, 1];
            1 attends over all. Default 1.
        trade_off (float): weight of this block's attention row in the
            running score. Default 0.5.
        downsample (bool): pool the score 2x2 for the next stage.
            Default False.
        qkv_bias (bool): bias of the qkv projection. Default True.
        drop (float): dropout of the MLP and projection. Default 0.
        attn_drop (float): attention dropout. Default 0.
        drop_path (float): stochastic depth. Default 0.
        act_cfg (dict): MLP activation. Default ``dict(type='GELU')``.
        layer_scale_init (float, optional): initial gamma; None: no gammas.
            Default None.
        fp32_attention (bool): see :class:`ScoredAttention`. Default False.
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

    def _attend(self, z, need_score=True):
        a, r = self.attn(self.norm1(z), need_score)
        a = layer_scaled(self.gamma_1, a)
        z = z + self.drop_path(a)
        m = layer_scaled(self.gamma_2, self.mlp(self.norm2(z)))
        return z + self.drop_path(m), a, m, r

    def forward(self, cls, x, score: Optional[torch.Tensor] = None,
                need_score: bool = True):
        """``(cls, x, new score)``. ``need_score=False`` (the model's last
        block) leaves out the score update and returns None for it: its
        cls-query row would be computed for nothing (and a traced FLOPs
        count, which drops dead ops, would not see it)."""
        x = x + self.pos_embed(x)
        B, C = x.shape[:2]
        spatial = x.shape[2:]
        tokens = x.flatten(2).transpose(1, 2)
        if self.prune_ratio >= 1:
            z, _, _, r = self._attend(torch.cat([cls, tokens], dim=1),
                                      need_score)
            score = update_score(score, r, self.trade_off) \
                if need_score else None
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
        z, a, m, r = self._attend(z, need_score)
        score = update_score(score, r, self.trade_off, kept, drop_mask) \
            if need_score else None
        fast = a[:, -1:] + m[:, -1:]
        tokens = tokens + drop_mask.unsqueeze(-1).to(tokens.dtype) * fast
        tokens = tokens.scatter(1, kept_c, z[:, 1:K + 1])
        x = tokens.transpose(1, 2).reshape(B, C, *spatial)
        if self.downsample and score is not None:
            score = pool_score(score, spatial)
        return z[:, :1], x, score
