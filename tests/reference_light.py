"""Test oracle: the official light (hourglass) UniFormer XXS / XS forward as
plain functions over a state dict.

Restates shared/reference/uniformer_light.md (§2, §3) step by step with
torch.nn.functional only, without any of mmuniformer's modules, and in the
official manner: the pruning ranks tokens by a full descending sort, keeps
the first ``floor(N * ratio)``, and un-sorts with the inverse permutation
(the package uses top-k + scatter instead). Eval mode only (no DropPath).
The pruning state is a plain dict ``{'score': None | (B, N) tensor}``.
Weights are read strictly (``reference_uniformer.StrictState``): a missing
tensor is a ``KeyError``, an unread one a ``ValueError``; ``layer_scale``
(None or 'all', the video ``ls_fp32`` layout) is the caller's to say.
"""
import math

import torch
import torch.nn.functional as F

from .reference_uniformer import (ATTN_SCALE_POWER, BLOCK_LN_EPS,
                                  EMBED_LN_EPS, StrictState, _bn, _conv, _ln,
                                  _ln_channels_first, _mlp_tokens, cblock,
                                  strict)

CLS_LN_EPS = 1e-5  # norm_cls, §2.7

# §1: depths, dims, head_dim; stage-3 block 0 keeps all tokens, all other
# stage-3/4 blocks keep half; trade-off lists equal the ratio lists.
VARIANTS = {
    'xxs': dict(depths=(2, 5, 8, 2), dims=(56, 112, 224, 448), head_dim=28),
    'xs': dict(depths=(3, 5, 9, 3), dims=(64, 128, 256, 512), head_dim=32),
}


def default_ratios(depths):
    """(prune ratios of stage 3, of stage 4): §1 table."""
    return ([1.] + [.5] * (depths[2] - 1), [.5] * depths[3])


# -- §2.4 attention with score update ----------------------------------------
def attention_with_score(z, sd, p, num_heads):
    """Returns (output (B, M, C), r (B, M)): r = head-mean of the cls
    query's softmax row, not renormalised."""
    B, M, C = z.shape
    d = C // num_heads
    qkv = F.linear(z, sd[p + 'qkv.weight'],
                   sd[p + 'qkv.bias'] if getattr(sd, 'qkv_bias', True) else None)
    qkv = qkv.reshape(B, M, 3, num_heads, d).permute(2, 0, 3, 1, 4)
    q, k, v = qkv[0], qkv[1], qkv[2]
    attn = ((q @ k.transpose(-2, -1)) * d**ATTN_SCALE_POWER).softmax(-1)
    r = attn[:, :, 0, :].mean(1)
    out = (attn @ v).transpose(1, 2).reshape(B, M, C)
    return F.linear(out, sd[p + 'proj.weight'], sd[p + 'proj.bias']), r


def update_score(state, r, t):
    """The three rules of §2.4 on the (possibly sorted) score."""
    g = state['score']
    M = r.shape[1]
    if g is None:
        state['score'] = r[:, 1:]
    elif g.shape[1] == M - 1:
        state['score'] = (1 - t) * g + t * r[:, 1:]
    else:
        K = M - 2
        kept = (1 - t) * g[:, :K] + t * r[:, 1:K + 1]
        state['score'] = torch.cat([kept, g[:, K:]], dim=1)


def pool_score(g, spatial):
    """§2.5 step 11: average-pool 2x2 (time kept), rescale to the old sum."""
    B = g.shape[0]
    total = g.sum(1, keepdim=True)
    if len(spatial) == 2:
        pooled = F.avg_pool2d(g.reshape(B, 1, *spatial), 2, 2)
    else:
        pooled = F.avg_pool3d(g.reshape(B, 1, *spatial), (1, 2, 2),
                              (1, 2, 2))
    pooled = pooled.flatten(1)
    return pooled * (total / pooled.sum(1, keepdim=True))


def evo_block(nd, cls, x, sd, p, num_heads, ratio, trade_off, state,
              downsample=False):
    """§2.5 EvoSABlock forward; returns (cls, x)."""
    sd = sd if isinstance(sd, StrictState) else strict(sd)
    C = x.shape[1]
    spatial = x.shape[2:]
    g1, g2 = sd.gamma(p + 'gamma_1', False), sd.gamma(p + 'gamma_2', False)

    def scale(gamma, y):
        return y if gamma is None else gamma * y

    x = x + _conv(nd, x, sd, p + 'pos_embed', padding=1, groups=C)
    X = x.flatten(2).transpose(1, 2)  # (B, N, C), raster order
    B, N, _ = X.shape
    if ratio == 1:
        z = torch.cat([cls, X], dim=1)
        a, r = attention_with_score(_ln(z, sd, p + 'norm1', BLOCK_LN_EPS), sd,
                                    p + 'attn.', num_heads)
        update_score(state, r, trade_off)
        z = z + scale(g1, a)
        z = z + scale(g2, _mlp_tokens(_ln(z, sd, p + 'norm2', BLOCK_LN_EPS),
                                      sd, p + 'mlp'))
        cls = z[:, :1]
        return cls, z[:, 1:].transpose(1, 2).reshape(B, C, *spatial)
    K = math.floor(N * ratio)
    order = torch.argsort(state['score'], dim=1, descending=True)
    X = torch.gather(X, 1, order[..., None].expand(-1, -1, C))
    state['score'] = torch.gather(state['score'], 1, order)
    Xk, Xd = X[:, :K], X[:, K:]
    gd = state['score'][:, K:]
    w = gd / gd.sum(1, keepdim=True)
    rep = (w[..., None] * Xd).sum(1, keepdim=True)
    z = torch.cat([cls, Xk, rep], dim=1)
    a, r = attention_with_score(_ln(z, sd, p + 'norm1', BLOCK_LN_EPS), sd,
                                p + 'attn.', num_heads)
    update_score(state, r, trade_off)
    z = z + scale(g1, a)
    m = _mlp_tokens(_ln(z, sd, p + 'norm2', BLOCK_LN_EPS), sd, p + 'mlp')
    z = z + scale(g2, m)
    Xd = Xd + scale(g1, a[:, -1:]) + scale(g2, m[:, -1:])
    cls = z[:, :1]
    X = torch.cat([z[:, 1:K + 1], Xd], dim=1)
    inverse = torch.argsort(order, dim=1)
    X = torch.gather(X, 1, inverse[..., None].expand(-1, -1, C))
    state['score'] = torch.gather(state['score'], 1, inverse)
    x = X.transpose(1, 2).reshape(B, C, *spatial)
    if downsample:
        state['score'] = pool_score(state['score'], spatial)
    return cls, x


# -- §2.1 / §3.1 embeddings ----------------------------------------------------
def stem(nd, x, sd):
    p = 'patch_embed1.proj.'
    if nd == 2:
        x = _conv(2, x, sd, p + '0', stride=2, padding=1)
    else:
        x = _conv(3, x, sd, p + '0', stride=(1, 2, 2), padding=1)
    x = F.gelu(_bn(x, sd, p + '1'))
    x = _conv(nd, x, sd, p + '3', stride=2, padding=1)
    return _bn(x, sd, p + '4')


def patch_embed(nd, x, sd, stage):
    p = f'patch_embed{stage}.'
    stride = 2 if nd == 2 else (1, 2, 2)
    x = _conv(nd, x, sd, p + 'proj', stride=stride)
    return _ln_channels_first(x, sd, p + 'norm', EMBED_LN_EPS)


def forward_stages(nd, x, sd, variant, ratios=None, layer_scale=None):
    """The four raw stage maps and the final cls token (B, 1, C4)."""
    sd = strict(sd, layer_scale=layer_scale)
    v = VARIANTS[variant]
    depths, head_dim = v['depths'], v['head_dim']
    r3, r4 = ratios or default_ratios(depths)
    outs = []
    state = {'score': None}
    cls = None
    for stage in range(1, 5):
        x = stem(nd, x, sd) if stage == 1 else patch_embed(nd, x, sd, stage)
        if stage == 3:
            cls = sd['cls_token'].expand(x.shape[0], -1, -1)
        if stage == 4:
            cls = F.linear(cls, sd['cls_upsample.weight'],
                           sd['cls_upsample.bias'])
        for j in range(depths[stage - 1]):
            p = f'blocks{stage}.{j}.'
            if stage <= 2:
                x = cblock(nd, x, sd, p)
                continue
            ratio = (r3 if stage == 3 else r4)[j]
            cls, x = evo_block(nd, cls, x, sd, p, x.shape[1] // head_dim,
                               ratio, ratio, state,
                               downsample=stage == 3 and j == depths[2] - 1)
        outs.append(x)
    return outs, cls


def classify(feat, cls, sd):
    """(head logits, head_cls logits) of §2.7."""
    feat = _bn(feat, sd, 'norm')
    logits = F.linear(feat.flatten(2).mean(-1), sd['head.weight'],
                      sd['head.bias'])
    c = F.layer_norm(cls[:, 0], cls.shape[-1:], sd['norm_cls.weight'],
                     sd['norm_cls.bias'], CLS_LN_EPS)
    return logits, F.linear(c, sd['head_cls.weight'], sd['head_cls.bias'])


def video_logits(x, sd, variant, ratios=None, with_cls=False,
                 layer_scale=None, train=False):
    """Official light video model, eval mode: ``head`` logits."""
    sd = strict(sd, layer_scale=layer_scale, train=train)
    outs, cls = forward_stages(3, x, sd, variant, ratios)
    pair = classify(outs[-1], cls, sd)
    sd.check_all_used()
    return pair if with_cls else pair[0]


def image_logits(x, sd, variant, ratios=None, with_cls=False,
                 layer_scale=None, train=False):
    sd = strict(sd, layer_scale=layer_scale, train=train)
    outs, cls = forward_stages(2, x, sd, variant, ratios)
    pair = classify(outs[-1], cls, sd)
    sd.check_all_used()
    return pair if with_cls else pair[0]


def dense_features(x, sd, variant, ratios=None, layer_scale=None):
    """Official det/seg backbone: norm1..4 (LN 1e-6) on each stage map."""
    sd = strict(sd, layer_scale=layer_scale)
    outs, _ = forward_stages(2, x, sd, variant, ratios)
    outs = [_ln_channels_first(o, sd, f'norm{i + 1}', BLOCK_LN_EPS)
            for i, o in enumerate(outs)]
    sd.check_all_used()
    return outs
