"""UniFormer building blocks, written once for 2D images and 3D videos.

Every module takes ``ndim`` (2 or 3), the number of spatial(-temporal) axes of
its channel-first input ``(B, C, *S)`` with ``S = (H, W)`` or ``(T, H, W)``.
Attribute names follow the official checkpoints (``pos_embed``, ``norm1``,
``conv1``, ``attn``, ``conv2``, ``attn.qkv``, ``attn.proj``, ``mlp.fc1``, ...)
so official weights load without renaming.

Memory layout: every block returns its output in the memory format of its
input (:func:`memory_format_of`), so the trunk picks the layout once, at its
entry. In channels-last (``torch.channels_last`` / ``channels_last_3d``) the
local blocks' BatchNorms, depthwise and pointwise convs, GELUs and residual
adds all stay channels-last, and the map -> tokens step of the global blocks
(``flatten(2).transpose(1, 2)``) is a free view instead of a copy.

Numerics follow the official code: block LayerNorms use eps 1e-6, patch
embedding LayerNorms eps 1e-5, BatchNorms PyTorch's defaults; window attention
zero-pads right/bottom after the LayerNorm and uses no attention mask.
"""
import functools
from typing import Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from mmcv.cnn import build_activation_layer, build_norm_layer
from mmcv.cnn.bricks.drop import DropPath
from torch import nn

from .cpu_kernels import Linear, depthwise_conv_nd, pointwise_conv_nd

BLOCK_LN_EPS = 1e-6
EMBED_LN_EPS = 1e-5


def conv_nd(ndim: int):
    """``nn.Conv2d`` or ``nn.Conv3d``."""
    if ndim not in (2, 3):
        raise ValueError(f'ndim must be 2 or 3, got {ndim}')
    return nn.Conv2d if ndim == 2 else nn.Conv3d


def batch_norm(ndim: int, channels: int) -> nn.Module:
    """BatchNorm over ``ndim`` spatial axes with PyTorch's default eps."""
    return build_norm_layer(dict(type=f'BN{ndim}d'), channels)[1]


def layer_norm(channels: int, eps: float) -> nn.Module:
    """LayerNorm over the last (channel) axis."""
    return build_norm_layer(dict(type='LN', eps=eps), channels)[1]


def memory_format_of(x: torch.Tensor) -> torch.memory_format:
    """``channels_last``/``channels_last_3d`` if ``x`` (4D/5D) is laid out
    channels-last and not also plainly contiguous, else
    ``contiguous_format``."""
    if x.dim() in (4, 5):
        fmt = torch.channels_last if x.dim() == 4 else torch.channels_last_3d
        if x.is_contiguous(memory_format=fmt) and not x.is_contiguous():
            return fmt
    return torch.contiguous_format


class _Relayout(torch.autograd.Function):
    """Same values in another memory format, gradient back in the input's.

    A plain ``x.contiguous()`` at the exit of a channels-last trunk hands
    the (contiguous) output gradient unchanged to the last stage, so the
    whole backward pass would run in the slow contiguous layout.
    """

    @staticmethod
    def forward(ctx, x, memory_format):
        ctx.input_format = memory_format_of(x)
        return x.contiguous(memory_format=memory_format)

    @staticmethod
    def backward(ctx, grad):
        return grad.contiguous(memory_format=ctx.input_format), None


def relayout(x: torch.Tensor,
             memory_format: torch.memory_format) -> torch.Tensor:
    """``x`` in ``memory_format``; its gradient keeps ``x``'s layout."""
    if memory_format_of(x) == memory_format:
        return x
    return _Relayout.apply(x, memory_format)


def channels_last_format(ndim: int) -> torch.memory_format:
    """The channels-last memory format for ``ndim`` spatial axes."""
    return torch.channels_last if ndim == 2 else torch.channels_last_3d


def _cube(value: int, ndim: int) -> Tuple[int, ...]:
    return (value, ) * ndim


class _Mlp(nn.Module):
    """``fc1 -> act -> drop -> fc2 -> drop`` with the layers ``make_fc``
    builds. Exact GELU is fused into ``fc1`` (one oneDNN call) except while
    training with gradients, where ``fc1`` and ``act`` run as modules."""

    def __init__(self, make_fc, in_channels: int, hidden_channels: int,
                 out_channels: Optional[int], act_cfg: dict, drop: float):
        super().__init__()
        out_channels = out_channels or in_channels
        self.fc1 = make_fc(in_channels, hidden_channels)
        self.act = build_activation_layer(act_cfg)
        self.fc2 = make_fc(hidden_channels, out_channels)
        self.drop = nn.Dropout(drop)
        self._fusable_gelu = type(self.act) is nn.GELU and \
            self.act.approximate == 'none'

    def forward(self, x):
        if self._fusable_gelu and not (torch.is_grad_enabled()
                                       and self.training):
            x = self.fc1.forward_gelu(x)
        else:
            x = self.act(self.fc1(x))
        x = self.drop(x)
        return self.drop(self.fc2(x))


class ConvMlp(_Mlp):
    """Pointwise-conv MLP on channel-first maps: ``fc1 -> GELU -> fc2``.

    ``(B, C, *S) -> (B, C_out, *S)``; official class ``CMlp``.
    """

    def __init__(self, ndim: int, in_channels: int, hidden_channels: int,
                 out_channels: Optional[int] = None,
                 act_cfg: dict = dict(type='GELU'), drop: float = 0.):
        super().__init__(functools.partial(pointwise_conv_nd, ndim),
                         in_channels, hidden_channels, out_channels, act_cfg,
                         drop)


class TokenMlp(_Mlp):
    """Linear MLP on tokens: ``(..., C) -> (..., C_out)``; official ``Mlp``."""

    def __init__(self, in_channels: int, hidden_channels: int,
                 out_channels: Optional[int] = None,
                 act_cfg: dict = dict(type='GELU'), drop: float = 0.):
        super().__init__(Linear, in_channels, hidden_channels, out_channels,
                         act_cfg, drop)


class MultiHeadSelfAttention(nn.Module):
    """Multi-head self-attention over tokens ``(B, N, C) -> (B, N, C)``.

    Scale ``head_dim ** -0.5``; computed with ``scaled_dot_product_attention``.
    """

    def __init__(self, embed_dims: int, num_heads: int, qkv_bias: bool = True,
                 attn_drop: float = 0., proj_drop: float = 0.):
        super().__init__()
        if embed_dims % num_heads:
            raise ValueError(f'embed_dims {embed_dims} is not divisible by '
                             f'num_heads {num_heads}')
        self.num_heads = num_heads
        self.head_dim = embed_dims // num_heads
        self.attn_drop = attn_drop
        self.qkv = Linear(embed_dims, embed_dims * 3, bias=qkv_bias)
        self.proj = Linear(embed_dims, embed_dims)
        self.proj_drop = nn.Dropout(proj_drop)

    def forward(self, x):
        B, N, C = x.shape
        qkv = self.qkv(x).reshape(B, N, 3, self.num_heads, self.head_dim)
        q, k, v = qkv.permute(2, 0, 3, 1, 4).unbind(0)
        x = F.scaled_dot_product_attention(
            q, k, v, dropout_p=self.attn_drop if self.training else 0.)
        x = x.transpose(1, 2).reshape(B, N, C)
        return self.proj_drop(self.proj(x))


def _layer_scale(shape: Sequence[int], init: Optional[float]):
    if init is None:
        return None
    return nn.Parameter(init * torch.ones(shape))


def layer_scaled(gamma: Optional[torch.Tensor],
                 y: torch.Tensor) -> torch.Tensor:
    """``gamma * y`` with a layer scale, ``y`` without one (``None``)."""
    return y if gamma is None else gamma * y


class LocalMHRABlock(nn.Module):
    """Local relation aggregator (official ``CBlock``), channel-first.

    ``x + DPE(x)``; ``x + DropPath(conv2(dwconv5(conv1(BN(x)))))``;
    ``x + DropPath(ConvMlp(BN(x)))``. Shapes ``(B, C, *S) -> (B, C, *S)``.
    With ``layer_scale_init`` the two branches are scaled by ``gamma_1`` /
    ``gamma_2`` of shape ``(1, C, 1, ...)`` (token-labeling L checkpoints).
    """

    def __init__(self, ndim: int, embed_dims: int, mlp_ratio: float = 4.,
                 drop: float = 0., drop_path: float = 0.,
                 act_cfg: dict = dict(type='GELU'),
                 layer_scale_init: Optional[float] = None):
        super().__init__()
        C = embed_dims
        self.pos_embed = depthwise_conv_nd(ndim, C, 3)
        self.norm1 = batch_norm(ndim, C)
        self.conv1 = pointwise_conv_nd(ndim, C, C)
        self.attn = depthwise_conv_nd(ndim, C, 5)
        self.conv2 = pointwise_conv_nd(ndim, C, C)
        self.drop_path = DropPath(drop_path) if drop_path > 0 else nn.Identity()
        self.norm2 = batch_norm(ndim, C)
        self.mlp = ConvMlp(ndim, C, int(C * mlp_ratio), act_cfg=act_cfg,
                           drop=drop)
        scale_shape = (1, C) + _cube(1, ndim)
        self.gamma_1 = _layer_scale(scale_shape, layer_scale_init)
        self.gamma_2 = _layer_scale(scale_shape, layer_scale_init)

    def forward(self, x):
        x = x + self.pos_embed(x)
        y = self.conv2(self.attn(self.conv1(self.norm1(x))))
        x = x + self.drop_path(layer_scaled(self.gamma_1, y))
        y = self.mlp(self.norm2(x))
        return x + self.drop_path(layer_scaled(self.gamma_2, y))


def window_partition(x: torch.Tensor, window_size: int) -> torch.Tensor:
    """``(B, H, W, C)`` with H, W multiples of ``window_size`` ->
    ``(B * nH * nW, window_size ** 2, C)``."""
    B, H, W, C = x.shape
    ws = window_size
    x = x.view(B, H // ws, ws, W // ws, ws, C).permute(0, 1, 3, 2, 4, 5)
    return x.reshape(-1, ws * ws, C)


def window_merge(windows: torch.Tensor, window_size: int, B: int, H: int,
                 W: int) -> torch.Tensor:
    """Inverse of :func:`window_partition`: back to ``(B, H, W, C)``."""
    ws = window_size
    C = windows.shape[-1]
    x = windows.view(B, H // ws, W // ws, ws, ws, C).permute(0, 1, 3, 2, 4, 5)
    return x.reshape(B, H, W, C)


class GlobalMHRABlock(nn.Module):
    """Global relation aggregator (official ``SABlock`` / ``SABlock_Windows``).

    Input and output are channel-first ``(B, C, *S)``. After the DPE the map
    is turned into tokens, then ``x + DropPath(MHSA(LN(x)))`` and
    ``x + DropPath(Mlp(LN(x)))``. Attention is joint over all positions
    (``window_size=None``) or, for 2D maps, inside non-overlapping
    ``window_size`` x ``window_size`` windows: the normalised map is
    zero-padded on the right/bottom to a multiple of the window, attended
    without a mask (padded tokens take part as keys/values) and cropped back.
    ``layer_scale_init`` adds ``gamma_1``/``gamma_2`` of shape ``(C,)``.
    """

    def __init__(self, ndim: int, embed_dims: int, num_heads: int,
                 mlp_ratio: float = 4., qkv_bias: bool = True,
                 drop: float = 0., attn_drop: float = 0.,
                 drop_path: float = 0., act_cfg: dict = dict(type='GELU'),
                 window_size: Optional[int] = None,
                 layer_scale_init: Optional[float] = None):
        super().__init__()
        C = embed_dims
        self.ndim = ndim
        self.pos_embed = depthwise_conv_nd(ndim, C, 3)
        self.norm1 = layer_norm(C, BLOCK_LN_EPS)
        self.attn = MultiHeadSelfAttention(C, num_heads, qkv_bias=qkv_bias,
                                           attn_drop=attn_drop,
                                           proj_drop=drop)
        self.drop_path = DropPath(drop_path) if drop_path > 0 else nn.Identity()
        self.norm2 = layer_norm(C, BLOCK_LN_EPS)
        self.mlp = TokenMlp(C, int(C * mlp_ratio), act_cfg=act_cfg, drop=drop)
        self.gamma_1 = _layer_scale((C, ), layer_scale_init)
        self.gamma_2 = _layer_scale((C, ), layer_scale_init)
        self.window_size = window_size

    @property
    def window_size(self) -> Optional[int]:
        return self._window_size

    @window_size.setter
    def window_size(self, value: Optional[int]):
        if value is not None:
            if self.ndim != 2:
                raise ValueError('window attention is only defined for 2D '
                                 f'maps, this block has ndim={self.ndim}')
            if int(value) < 1:
                raise ValueError(f'window_size must be >= 1, got {value}')
            value = int(value)
        self._window_size = value

    def _windowed_attention(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, H, W, C)`` normalised map -> attended map, same shape."""
        B, H, W, C = x.shape
        ws = self.window_size
        pad_b, pad_r = (-H) % ws, (-W) % ws
        if pad_b or pad_r:
            x = F.pad(x, (0, 0, 0, pad_r, 0, pad_b))
        Hp, Wp = H + pad_b, W + pad_r
        windows = self.attn(window_partition(x, ws))
        x = window_merge(windows, ws, B, Hp, Wp)
        return x[:, :H, :W, :]

    def forward(self, x):
        fmt = memory_format_of(x)
        x = x + self.pos_embed(x)
        B, C = x.shape[:2]
        spatial = x.shape[2:]
        if self.window_size is None:
            x = x.flatten(2).transpose(1, 2)
            y = self.attn(self.norm1(x))
        else:
            x = x.permute(0, 2, 3, 1)
            y = self._windowed_attention(self.norm1(x))
        x = x + self.drop_path(layer_scaled(self.gamma_1, y))
        x = x + self.drop_path(layer_scaled(self.gamma_2,
                                            self.mlp(self.norm2(x))))
        if self.window_size is None:
            x = x.transpose(1, 2).reshape(B, C, *spatial)
        else:
            x = x.permute(0, 3, 1, 2)
        return x.contiguous(memory_format=fmt)


class PatchEmbed(nn.Module):
    """Non-overlapping patch embedding: conv ``proj`` then LayerNorm ``norm``.

    ``(B, C_in, *S) -> (B, C_out, *S')`` with ``S' = floor((S + 2p - k) / s)
    + 1`` per axis. The LayerNorm (eps 1e-5) acts on the channel axis.
    ``kernel_size``/``stride``/``padding`` may be ints or per-axis tuples
    (the video stem uses ``(3, 4, 4)/(2, 4, 4)/(1, 0, 0)``).
    """

    def __init__(self, ndim: int, in_channels: int, embed_dims: int,
                 kernel_size: Union[int, Sequence[int]],
                 stride: Union[int, Sequence[int], None] = None,
                 padding: Union[int, Sequence[int]] = 0):
        super().__init__()
        stride = kernel_size if stride is None else stride
        self.proj = conv_nd(ndim)(in_channels, embed_dims, kernel_size,
                                  stride=stride, padding=padding)
        self.norm = layer_norm(embed_dims, EMBED_LN_EPS)

    def forward(self, x):
        fmt = memory_format_of(x)
        x = self.proj(x)
        # Non-negative dims: the legacy ONNX exporter writes movedim(-1, 1)
        # as Transpose perm [0, -1, 1, ...], which onnxruntime refuses.
        last = x.dim() - 1
        x = self.norm(x.movedim(1, last)).movedim(last, 1)
        return x.contiguous(memory_format=fmt)


class ConvStemEmbed(nn.Module):
    """Overlapping conv embedding, no LayerNorm: the S+ stem (2D) and the
    light models' ``patch_embed1`` (2D and 3D).

    ``first=True`` (``patch_embed1``): ``proj = [conv3 s2, BN, GELU,
    conv3 s2, BN]`` with C_out/2 hidden channels, stride 4. Otherwise
    ``proj = [conv3 s2, BN]``, stride 2. Output sizes are ``ceil(S / 2)``
    per stride-2 conv. In 3D the first conv keeps time (stride (1, 2, 2)),
    so a first stem halves time once (``ceil(T / 2)``).

    Args:
        in_channels (int): input channels.
        embed_dims (int): output channels.
        first (bool): the two-conv stem of ``patch_embed1``.
        act_cfg (dict): activation between the convs. Default
            ``dict(type='GELU')``.
        ndim (int): spatial axes, 2 or 3. Default 2.
    """

    def __init__(self, in_channels: int, embed_dims: int, first: bool,
                 act_cfg: dict = dict(type='GELU'), ndim: int = 2):
        super().__init__()
        conv = conv_nd(ndim)
        first_stride = 2 if ndim == 2 else (1, 2, 2)
        if first:
            mid = embed_dims // 2
            layers = [
                conv(in_channels, mid, 3, stride=first_stride, padding=1),
                batch_norm(ndim, mid),
                build_activation_layer(act_cfg),
                conv(mid, embed_dims, 3, stride=2, padding=1),
                batch_norm(ndim, embed_dims),
            ]
        else:
            layers = [
                conv(in_channels, embed_dims, 3, stride=first_stride,
                     padding=1),
                batch_norm(ndim, embed_dims),
            ]
        self.proj = nn.Sequential(*layers)

    def forward(self, x):
        return self.proj(x)
