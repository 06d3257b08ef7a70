"""Test oracle: the official UniFormer forward written as plain functions.

This restates the reference document (shared/reference/uniformer_official.md
§1, §4, §5) directly on a state dict with torch.nn.functional, without any
of mmuniformer's modules: explicit softmax attention, explicit eps values,
explicit right/bottom zero padding of windows. It exists only to check
that the package's modules compute the official function (eval mode).
"""
import torch
import torch.nn.functional as F

BN_EPS = 1e-5
BLOCK_LN_EPS = 1e-6
EMBED_LN_EPS = 1e-5


def _conv(nd, x, sd, prefix, stride=1, padding=0, groups=1):
    fn = F.conv2d if nd == 2 else F.conv3d
    return fn(x, sd[prefix + '.weight'], sd.get(prefix + '.bias'),
              stride=stride, padding=padding, groups=groups)


def _bn(x, sd, prefix):
    return F.batch_norm(x, sd[prefix + '.running_mean'],
                        sd[prefix + '.running_var'], sd[prefix + '.weight'],
                        sd[prefix + '.bias'], False, 0., BN_EPS)


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
                   sd.get(prefix + '.qkv.bias'))
    qkv = qkv.reshape(B, N, 3, num_heads, hd).permute(2, 0, 3, 1, 4)
    q, k, v = qkv[0], qkv[1], qkv[2]
    attn = (q @ k.transpose(-2, -1)) * hd**-0.5
    attn = attn.softmax(dim=-1)
    out = (attn @ v).transpose(1, 2).reshape(B, N, C)
    return F.linear(out, sd[prefix + '.proj.weight'], sd[prefix + '.proj.bias'])


def _mlp_tokens(x, sd, prefix):
    x = F.linear(x, sd[prefix + '.fc1.weight'], sd[prefix + '.fc1.bias'])
    x = F.gelu(x)
    return F.linear(x, sd[prefix + '.fc2.weight'], sd[prefix + '.fc2.bias'])


def cblock(nd, x, sd, p):
    C = x.shape[1]
    x = x + _conv(nd, x, sd, p + 'pos_embed', padding=1, groups=C)
    y = _bn(x, sd, p + 'norm1')
    y = _conv(nd, y, sd, p + 'conv1')
    y = _conv(nd, y, sd, p + 'attn', padding=2, groups=C)
    y = _conv(nd, y, sd, p + 'conv2')
    if p + 'gamma_1' in sd:
        y = sd[p + 'gamma_1'] * y
    x = x + y
    y = _bn(x, sd, p + 'norm2')
    y = _conv(nd, F.gelu(_conv(nd, y, sd, p + 'mlp.fc1')), sd, p + 'mlp.fc2')
    if p + 'gamma_2' in sd:
        y = sd[p + 'gamma_2'] * y
    return x + y


def sablock(nd, x, sd, p, num_heads, window=None):
    C = x.shape[1]
    x = x + _conv(nd, x, sd, p + 'pos_embed', padding=1, groups=C)
    g1 = sd.get(p + 'gamma_1')
    g2 = sd.get(p + 'gamma_2')
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


def _patch_embed(nd, x, sd, stage, video_stem=False):
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
        else:
            x = _conv(3, x, sd, p + 'proj', stride=(1, 2, 2))
    else:
        x = _conv(2, x, sd, p + 'proj', stride=4 if stage == 1 else 2)
    return _ln_channels_first(x, sd, p + 'norm', EMBED_LN_EPS)


def _depth(sd, stage):
    idx = {int(k.split('.')[1]) for k in sd if k.startswith(f'blocks{stage}.')}
    return max(idx) + 1 if idx else 0


def forward_stages(nd, x, sd, head_dim, mode='global', window_size=14):
    """Raw stage maps of the official model (eval mode)."""
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


def video_features(x, sd, head_dim=64):
    """Official video model: last stage after the final BN ``norm``."""
    return _bn(forward_stages(3, x, sd, head_dim)[-1], sd, 'norm')


def video_logits(x, sd, head_dim=64):
    feat = video_features(x, sd, head_dim)
    return F.linear(feat.flatten(2).mean(-1), sd['head.weight'],
                    sd['head.bias'])


def dense_features(x, sd, head_dim=64, mode='global', window_size=14):
    """Official dense backbone: per-stage LayerNorms ``norm1..4`` (1e-6)."""
    outs = forward_stages(2, x, sd, head_dim, mode, window_size)
    return [_ln_channels_first(o, sd, f'norm{i + 1}', BLOCK_LN_EPS)
            for i, o in enumerate(outs)]


def image_logits(x, sd, head_dim=64):
    """Official ImageNet model: final BN, mean over tokens, Linear head; TL
    checkpoints add 0.5 * max over tokens of ``aux_head``."""
    feat = _bn(forward_stages(2, x, sd, head_dim)[-1], sd, 'norm')
    tokens = feat.flatten(2).transpose(1, 2)
    logits = F.linear(tokens.mean(1), sd['head.weight'], sd['head.bias'])
    if 'aux_head.weight' in sd:
        aux = F.linear(tokens, sd['aux_head.weight'], sd['aux_head.bias'])
        logits = logits + 0.5 * aux.max(1)[0]
    return logits
