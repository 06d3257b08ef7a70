"""Test oracle: the official UniFormer forward written as plain functions.

This restates the reference document (shared/reference/uniformer_official.md
§1, §4, §5) directly on a state dict with torch.nn.functional, without any
of mmuniformer's modules: explicit softmax attention, explicit eps values,
explicit right/bottom zero padding of windows. It exists only to check
that the package's modules compute the official function (eval mode).

The oracle is strict about the weights it is given (:class:`StrictState`):
every tensor the official forward reads must be in the state dict (a
missing bias or layer scale is a ``KeyError`` naming it, not a silently
skipped term), and every tensor it does not read is named in a
``ValueError`` at the end of the forward (an extra layer scale, a qkv bias
the official model lacks, a stray buffer). Whether blocks carry a layer
scale and the qkv a bias is said by the caller (``layer_scale``,
``qkv_bias``), never guessed from the keys.
"""
import difflib

import torch
import torch.nn.functional as F

BN_EPS = 1e-5
BLOCK_LN_EPS = 1e-6
EMBED_LN_EPS = 1e-5
ATTN_SCALE_POWER = -0.5  # softmax(q k^T * head_dim ** -0.5)

# layer scale per block type: None (no gamma), 'global' (SABlocks only,
# B-LS ImageNet file), 'all' (CBlocks too: token-labeling L, light ls_fp32)
LAYER_SCALE = (None, 'global', 'all')


class StrictState:
    """A read-only view of a state dict that records what the oracle reads.

    ``sd[key]`` raises a ``KeyError`` naming the missing key and the closest
    present names; :meth:`check_all_used` raises a ``ValueError`` naming
    every tensor that was never read (``num_batches_tracked`` excepted, and
    the prefixes in ``ignore``).
    """

    def __init__(self, sd, qkv_bias=True, layer_scale=None, train=False,
                 temporal_embed=False):
        if isinstance(sd, StrictState):
            sd = sd._sd
        if layer_scale not in LAYER_SCALE:
            raise ValueError(f'layer_scale must be one of {LAYER_SCALE}, '
                             f'got {layer_scale!r}')
        self._sd = sd
        self.used = set()
        self.qkv_bias = qkv_bias
        self.layer_scale = layer_scale
        self.train = train  # BatchNorm on batch statistics (training mode)
        self.temporal_embed = temporal_embed  # video STD=True embeddings
        self.act = F.gelu  # the MLPs' activation (official: exact GELU)

    def __getitem__(self, key):
        if key not in self._sd:
            close = difflib.get_close_matches(key, list(self._sd), 3, 0.6)
            raise KeyError(f'the reference needs {key!r}, which the state '
                           f'dict lacks (closest: {close})')
        self.used.add(key)
        return self._sd[key]

    def __contains__(self, key):
        return key in self._sd

    def __iter__(self):
        return iter(self._sd)

    def gamma(self, prefix, local):
        """The block's layer scale if the layout has one, else None."""
        if self.layer_scale == 'all' or (self.layer_scale == 'global'
                                         and not local):
            return self[prefix]
        return None

    def check_all_used(self, ignore=()):
        unused = sorted(
            k for k in self._sd if k not in self.used
            and not k.endswith('num_batches_tracked')
            and not k.startswith(tuple(ignore)))
        if unused:
            raise ValueError(
                f'{len(unused)} tensors of the state dict are not part of '
                f'the official forward (qkv_bias={self.qkv_bias}, '
                f'layer_scale={self.layer_scale!r}): {unused[:8]}')


def strict(sd, qkv_bias=True, layer_scale=None, train=False,
           temporal_embed=False):
    if isinstance(sd, StrictState):
        return sd
    return StrictState(sd, qkv_bias, layer_scale, train, temporal_embed)


def _conv(nd, x, sd, prefix, stride=1, padding=0, groups=1):
    fn = F.conv2d if nd == 2 else F.conv3d
    return fn(x, sd[prefix + '.weight'], sd[prefix + '.bias'],
              stride=stride, padding=padding, groups=groups)


def _bn(x, sd, prefix):
    """Eval: running statistics. Training (``sd.train``): the batch's
    statistics (biased variance), the running buffers are not updated."""
    train = getattr(sd, 'train', False)
    mean, var = sd[prefix + '.running_mean'], sd[prefix + '.running_var']
    return F.batch_norm(x, None if train else mean, None if train else var,
                        sd[prefix + '.weight'], sd[prefix + '.bias'], train,
                        0., BN_EPS)


def _ln_channels_first(x, sd, prefix, eps):
    y = x.movedim(1, -1)
    y = F.layer_norm(y, y.shape[-1:], sd[prefix + '.weight'],
                     sd[prefix + '.bias'], eps)
    return y.movedim(-1, 1)


def _ln(x, sd, prefix, eps):
    return F.layer_norm(x, x.shape[-1:], sd[prefix + '.weight'],
                        sd[prefix + '.bias'], eps)


def _attention(tokens, sd, prefix, num_heads):
    """Plain MHSA on (B, N, C) with an explicit softmax."""
    B, N, C = tokens.shape
    hd = C // num_heads
    qkv = F.linear(tokens, sd[prefix + '.qkv.weight'],
                   sd[prefix + '.qkv.bias'] if sd.qkv_bias else None)
    qkv = qkv.reshape(B, N, 3, num_heads, hd).permute(2, 0, 3, 1, 4)
    q, k, v = qkv[0], qkv[1], qkv[2]
    attn = (q @ k.transpose(-2, -1)) * hd**ATTN_SCALE_POWER
    attn = attn.softmax(dim=-1)
    out = (attn @ v).transpose(1, 2).reshape(B, N, C)
    return F.linear(out, sd[prefix + '.proj.weight'], sd[prefix + '.proj.bias'])


def _mlp_tokens(x, sd, prefix):
    x = F.linear(x, sd[prefix + '.fc1.weight'], sd[prefix + '.fc1.bias'])
    x = getattr(sd, 'act', F.gelu)(x)
    return F.linear(x, sd[prefix + '.fc2.weight'], sd[prefix + '.fc2.bias'])


def cblock(nd, x, sd, p):
    sd = sd if isinstance(sd, StrictState) else strict(sd)
    C = x.shape[1]
    x = x + _conv(nd, x, sd, p + 'pos_embed', padding=1, groups=C)
    y = _bn(x, sd, p + 'norm1')
    y = _conv(nd, y, sd, p + 'conv1')
    y = _conv(nd, y, sd, p + 'attn', padding=2, groups=C)
    y = _conv(nd, y, sd, p + 'conv2')
    g1, g2 = sd.gamma(p + 'gamma_1', True), sd.gamma(p + 'gamma_2', True)
    x = x + (y if g1 is None else g1 * y)
    y = _bn(x, sd, p + 'norm2')
    y = _conv(nd, sd.act(_conv(nd, y, sd, p + 'mlp.fc1')), sd, p + 'mlp.fc2')
    return x + (y if g2 is None else g2 * y)


def sablock(nd, x, sd, p, num_heads, window=None):
    sd = sd if isinstance(sd, StrictState) else strict(sd)
    C = x.shape[1]
    x = x + _conv(nd, x, sd, p + 'pos_embed', padding=1, groups=C)
    g1, g2 = sd.gamma(p + 'gamma_1', False), sd.gamma(p + 'gamma_2', False)
    if window is None:
        shape = x.shape
        t = x.flatten(2).transpose(1, 2)
        y = _attention(_ln(t, sd, p + 'norm1', BLOCK_LN_EPS), sd, p + 'attn',
                       num_heads)
        t = t + (y if g1 is None else g1 * y)
        y = _mlp_tokens(_ln(t, sd, p + 'norm2', BLOCK_LN_EPS), sd, p + 'mlp')
        t = t + (y if g2 is None else g2 * y)
        return t.transpose(1, 2).reshape(shape)
    # windowed, 2D only: LN, zero-pad right/bottom, no mask, crop back
    B, _, H, W = x.shape
    t = x.permute(0, 2, 3, 1)
    shortcut = t
    t = _ln(t, sd, p + 'norm1', BLOCK_LN_EPS)
    ph, pw = (window - H % window) % window, (window - W % window) % window
    t = F.pad(t, (0, 0, 0, pw, 0, ph))
    Hp, Wp = H + ph, W + pw
    out = torch.zeros_like(t)
    for i in range(0, Hp, window):
        for j in range(0, Wp, window):
            win = t[:, i:i + window, j:j + window, :].reshape(B, -1, C)
            res = _attention(win, sd, p + 'attn', num_heads)
            out[:, i:i + window, j:j + window, :] = res.reshape(
                B, window, window, C)
    y = out[:, :H, :W, :]
    t = shortcut + (y if g1 is None else g1 * y)
    y = _mlp_tokens(_ln(t, sd, p + 'norm2', BLOCK_LN_EPS), sd, p + 'mlp')
    t = t + (y if g2 is None else g2 * y)
    return t.permute(0, 3, 1, 2)


def _patch_embed(nd, x, sd, stage):
    p = f'patch_embed{stage}.'
    if p + 'proj.0.weight' in sd:  # conv stem (2D)
        x = _conv(2, x, sd, p + 'proj.0', stride=2, padding=1)
        x = _bn(x, sd, p + 'proj.1')
        if p + 'proj.3.weight' in sd:
            x = F.gelu(x)
            x = _conv(2, x, sd, p + 'proj.3', stride=2, padding=1)
            x = _bn(x, sd, p + 'proj.4')
        return x
    if nd == 3:
        if stage == 1:
            x = _conv(3, x, sd, p + 'proj', stride=(2, 4, 4),
                      padding=(1, 0, 0))
        elif sd.temporal_embed:  # UNIFORMER.STD=True: k (3, 2, 2)
            x = _conv(3, x, sd, p + 'proj', stride=(1, 2, 2),
                      padding=(1, 0, 0))
        else:
            x = _conv(3, x, sd, p + 'proj', stride=(1, 2, 2))
    else:
        x = _conv(2, x, sd, p + 'proj', stride=4 if stage == 1 else 2)
    return _ln_channels_first(x, sd, p + 'norm', EMBED_LN_EPS)


def _depth(sd, stage):
    idx = {int(k.split('.')[1]) for k in sd if k.startswith(f'blocks{stage}.')}
    return max(idx) + 1 if idx else 0


def forward_stages(nd, x, sd, head_dim, mode='global', window_size=14,
                   qkv_bias=True, layer_scale=None):
    """Raw stage maps of the official model (eval mode). ``sd`` is a state
    dict or a :class:`StrictState` (whose flags then win)."""
    sd = strict(sd, qkv_bias, layer_scale)
    outs = []
    for stage in range(1, 5):
        x = _patch_embed(nd, x, sd, stage)
        for j in range(_depth(sd, stage)):
            p = f'blocks{stage}.{j}.'
            if stage <= 2:
                x = cblock(nd, x, sd, p)
            else:
                heads = x.shape[1] // head_dim
                window = None
                if stage == 3 and mode == 'window':
                    window = window_size
                elif stage == 3 and mode == 'hybrid' and (j + 1) % 4 != 0:
                    window = window_size
                x = sablock(nd, x, sd, p, heads, window)
        outs.append(x)
    return outs


def video_features(x, sd, head_dim=64, qkv_bias=True, layer_scale=None,
                   train=False, temporal_embed=False):
    """Official video model: last stage after the final BN ``norm``. A
    classification head in ``sd`` is allowed (not read); any other tensor
    the forward does not read is an error."""
    sd = strict(sd, qkv_bias, layer_scale, train, temporal_embed)
    out = _bn(forward_stages(3, x, sd, head_dim)[-1], sd, 'norm')
    sd.check_all_used(ignore=('head.', ))
    return out


def video_logits(x, sd, head_dim=64, qkv_bias=True, layer_scale=None,
                 train=False, temporal_embed=False):
    sd = strict(sd, qkv_bias, layer_scale, train, temporal_embed)
    feat = _bn(forward_stages(3, x, sd, head_dim)[-1], sd, 'norm')
    logits = F.linear(feat.flatten(2).mean(-1), sd['head.weight'],
                      sd['head.bias'])
    sd.check_all_used()
    return logits


def dense_features(x, sd, head_dim=64, mode='global', window_size=14,
                   qkv_bias=True, layer_scale=None, train=False):
    """Official dense backbone: per-stage LayerNorms ``norm1..4`` (1e-6)."""
    sd = strict(sd, qkv_bias, layer_scale, train)
    outs = forward_stages(2, x, sd, head_dim, mode, window_size)
    outs = [_ln_channels_first(o, sd, f'norm{i + 1}', BLOCK_LN_EPS)
            for i, o in enumerate(outs)]
    sd.check_all_used()
    return outs


def image_logits(x, sd, head_dim=64, qkv_bias=True, layer_scale=None,
                 train=False):
    """Official ImageNet model: final BN, mean over tokens, Linear head; TL
    checkpoints add 0.5 * max over tokens of ``aux_head``."""
    sd = strict(sd, qkv_bias, layer_scale, train)
    feat = _bn(forward_stages(2, x, sd, head_dim)[-1], sd, 'norm')
    tokens = feat.flatten(2).transpose(1, 2)
    logits = F.linear(tokens.mean(1), sd['head.weight'], sd['head.bias'])
    if 'aux_head.weight' in sd:
        aux = F.linear(tokens, sd['aux_head.weight'], sd['aux_head.bias'])
        logits = logits + 0.5 * aux.max(1)[0]
    sd.check_all_used()
    return logits
