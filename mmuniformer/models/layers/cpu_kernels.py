"""Faster CPU kernels for the two ops that dominate UniFormer on CPU.

Same math as ``F.linear`` / ``F.conv{2,3}d``; only the library routine that
does the arithmetic changes. Both are measured in
``tools/analysis_tools/benchmark.py`` and tested against the plain ops at
1e-4 (``tests/test_models/test_cpu_kernels.py``).

* :class:`Linear` (``nn.Linear`` with the same parameters) runs its fp32
  products on the CPU through oneDNN, the library PyTorch already uses for
  CPU convolutions (``torch.ops.mkldnn._linear_pointwise``, the op inductor
  emits), instead of ``addmm``'s BLAS. PyTorch's wheels use MKL as BLAS, and
  MKL runs its AVX2 code on AMD processors: on the AVX-512 AMD EPYC of our CI
  a 2048^3 fp32 product took 83 ms through ``torch.mm`` and 38 ms through
  oneDNN (207 vs 457 GFLOP/s, 2 threads). The backward pass is two more
  oneDNN products. In inference, ``fc1 -> GELU`` of the token MLP is one
  oneDNN call with GELU (erf) as a post-op.
* :func:`depthwise_conv` computes the gradients of a stride-1 "same"
  depthwise conv in channels-last with forward convolutions: the input
  gradient is the conv of the output gradient with the flipped kernel, the
  weight gradient a depthwise conv of the padded input with the output
  gradient as kernel (batch folded into the time/height axis). oneDNN's own
  backward of these convs is 10-25x slower than its forward on this CPU
  (e.g. 5x5x5, 64 channels, 2x4x40x40: forward 0.6 ms, input gradient
  6.8 ms, weight gradient 7.6 ms; as forward convs 0.6 ms and 4.2 ms).

Both fall back to the plain op whenever the fast path does not apply:
other devices or dtypes, autocast, tracing, ONNX export, ``torch.compile``
(inductor has its own kernels), or a PyTorch without these oneDNN ops.
``MMUNIFORMER_CPU_KERNELS=0`` in the environment turns both off.
"""
import functools
import os
from typing import Optional

import torch
import torch.nn.functional as F
from torch import nn


def _tracing() -> bool:
    if torch.jit.is_tracing() or torch.jit.is_scripting():
        return True
    if torch.onnx.is_in_onnx_export():
        return True
    compiler = getattr(torch, 'compiler', None)
    return bool(compiler is not None and compiler.is_compiling())


def _enabled() -> bool:
    return os.environ.get('MMUNIFORMER_CPU_KERNELS', '1') != '0'


def _plain_cpu_fp32(*tensors: torch.Tensor) -> bool:
    """fp32 CPU tensors outside autocast, tracing and compiling."""
    if not _enabled() or _tracing():
        return False
    if torch.is_autocast_enabled('cpu'):
        return False
    return all(t.device.type == 'cpu' and t.dtype == torch.float32
               and t.layout == torch.strided for t in tensors)


# ------------------------------------------------------------ oneDNN linear
@functools.lru_cache(maxsize=None)
def onednn_linear_available() -> bool:
    """Whether this PyTorch has oneDNN's fused linear op and it computes
    ``x @ w.T + b`` (checked once on a small product)."""
    op = getattr(torch.ops.mkldnn, '_linear_pointwise', None)
    if op is None or not torch.backends.mkldnn.is_available():
        return False
    try:
        gen = torch.Generator().manual_seed(0)
        x = torch.randn(5, 7, generator=gen)
        w = torch.randn(3, 7, generator=gen)
        b = torch.randn(3, generator=gen)
        out = op(x, w, b, 'none', [None], 'none')
        gelu = op(x, w, b, 'gelu', [None], 'none')
    except (RuntimeError, TypeError):
        return False
    return bool(torch.allclose(out, F.linear(x, w, b), atol=1e-5)
                and torch.allclose(gelu, F.gelu(F.linear(x, w, b)),
                                   atol=1e-5))


def _dense_rows(m: torch.Tensor) -> torch.Tensor:
    """``m`` (2D) if its rows are packed (strides ``(K, 1)``), else a
    contiguous copy."""
    if m.stride(1) == 1 and m.stride(0) == m.shape[1]:
        return m
    return m.contiguous()


def _mm(x: torch.Tensor, w: torch.Tensor,
        b: Optional[torch.Tensor] = None, gelu: bool = False):
    """``x (M, K) @ w (N, K).T + b`` (then GELU) through oneDNN. A
    transposed ``w`` is read in place, a transposed ``x`` copied first."""
    return torch.ops.mkldnn._linear_pointwise(
        x, w, b, 'gelu' if gelu else 'none', [None], 'none')


class _OneDNNLinear(torch.autograd.Function):
    """``F.linear`` on 2D input with oneDNN products in both passes."""

    @staticmethod
    def forward(ctx, x, weight, bias):
        ctx.save_for_backward(x, weight)
        ctx.has_bias = bias is not None
        return _mm(x, weight, bias)

    @staticmethod
    def backward(ctx, grad):
        x, weight = ctx.saved_tensors
        grad = grad.contiguous()
        grad_x = grad_w = grad_b = None
        if ctx.needs_input_grad[0]:
            grad_x = _mm(grad, weight.t())           # (M, N) @ (N, K)
        if ctx.needs_input_grad[1]:
            # oneDNN copies a transposed first operand (the second it reads
            # in place): copy x.T and transpose the (K, N) result, or copy
            # grad.T, whichever moves fewer elements
            (M, K), N = x.shape, grad.shape[1]
            if M * K + K * N < M * N:
                grad_w = _mm(x.t(), grad.t()).t().contiguous()
            else:
                grad_w = _mm(grad.t(), x.t())        # (N, M) @ (M, K)
        if ctx.has_bias and ctx.needs_input_grad[2]:
            grad_b = grad.sum(0)
        return grad_x, grad_w, grad_b


def linear(x: torch.Tensor, weight: torch.Tensor,
           bias: Optional[torch.Tensor] = None, gelu: bool = False,
           onednn: bool = True) -> torch.Tensor:
    """``F.linear(x, weight, bias)`` (then exact GELU if ``gelu``) for
    ``x (..., K)``, through oneDNN on fp32 CPU tensors."""
    tensors = (x, weight) if bias is None else (x, weight, bias)
    if not (onednn and x.dim() >= 2 and _plain_cpu_fp32(*tensors)
            and onednn_linear_available()):
        out = F.linear(x, weight, bias)
        return F.gelu(out) if gelu else out
    lead = x.shape[:-1]
    x2d = x.reshape(-1, x.shape[-1])
    if x2d.shape[0] == 0:
        out = F.linear(x, weight, bias)
        return F.gelu(out) if gelu else out
    # rows of a matrix with gaps between them (a slice of a wider tensor)
    # send oneDNN to a reference kernel hundreds of times slower: copy
    x2d = _dense_rows(x2d)
    weight = _dense_rows(weight)
    grad = torch.is_grad_enabled() and any(t.requires_grad for t in tensors)
    if not grad:
        out = _mm(x2d, weight, bias, gelu=gelu)
    else:
        out = _OneDNNLinear.apply(x2d, weight, bias)
        if gelu:
            out = F.gelu(out)
    return out.view(*lead, weight.shape[0])


class Linear(nn.Linear):
    """``nn.Linear`` (same parameters, same math) whose CPU fp32 products
    run through oneDNN (:func:`linear`); ``cpu_kernels = False`` (set by the
    owning backbone) uses ``F.linear``."""

    cpu_kernels = True

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return linear(x, self.weight, self.bias, onednn=self.cpu_kernels)

    def forward_gelu(self, x: torch.Tensor) -> torch.Tensor:
        """``GELU(self(x))``, fused into the product where it can be."""
        return linear(x, self.weight, self.bias, gelu=True,
                      onednn=self.cpu_kernels)


# --------------------------------------------------------- pointwise conv
def pointwise_conv(conv: nn.modules.conv._ConvNd, x: torch.Tensor,
                   gelu: bool = False) -> torch.Tensor:
    """``conv(x)`` (then exact GELU if ``gelu``) for a 1x1(x1) ``conv``.

    A channels-last map ``(B, C, *S)`` is a row-major ``(B * prod(S), C)``
    matrix, so the conv is :func:`linear` on that view (oneDNN products in
    both passes) and the result is the channels-last view of its output.
    Other inputs take ``conv``'s own forward."""
    ndim = x.dim() - 2
    fmt = torch.channels_last if ndim == 2 else torch.channels_last_3d
    if not (getattr(conv, 'cpu_kernels', True) and conv.groups == 1
            and all(k == 1 for k in conv.kernel_size)
            and all(s == 1 for s in conv.stride)
            and not isinstance(conv.padding, str)
            and all(p == 0 for p in conv.padding)
            and x.is_contiguous(memory_format=fmt)
            and _plain_cpu_fp32(x, conv.weight)
            and onednn_linear_available()):
        out = conv._conv_forward(x, conv.weight, conv.bias)
        return F.gelu(out) if gelu else out
    C_out = conv.out_channels
    rows = x.movedim(1, -1)                       # (B, *S, C) view
    out = linear(rows, conv.weight.view(C_out, -1), conv.bias, gelu=gelu)
    return out.movedim(-1, 1)                     # channels-last view


class _Pointwise:
    """Forward of a 1x1(x1) conv through :func:`pointwise_conv`; mixed into
    ``nn.Conv2d`` / ``nn.Conv3d`` (same parameters, same math)."""

    cpu_kernels = True

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return pointwise_conv(self, x)

    def forward_gelu(self, x: torch.Tensor) -> torch.Tensor:
        """``GELU(self(x))``, fused into the product where it can be."""
        return pointwise_conv(self, x, gelu=True)


class PointwiseConv2d(_Pointwise, nn.Conv2d):
    """1x1 ``nn.Conv2d`` as a oneDNN product on channels-last CPU maps."""


class PointwiseConv3d(_Pointwise, nn.Conv3d):
    """1x1x1 ``nn.Conv3d`` as a oneDNN product on channels-last CPU maps."""


def pointwise_conv_nd(ndim: int, in_channels: int,
                      out_channels: int) -> nn.Module:
    """A 1x1(x1) conv with bias over ``ndim`` axes."""
    if ndim not in (2, 3):
        raise ValueError(f'ndim must be 2 or 3, got {ndim}')
    cls = PointwiseConv2d if ndim == 2 else PointwiseConv3d
    return cls(in_channels, out_channels, 1)


# --------------------------------------------------------- depthwise conv
def _conv(ndim: int):
    return F.conv2d if ndim == 2 else F.conv3d


def _depthwise_weight_grad(x: torch.Tensor, grad: torch.Tensor,
                           kernel: tuple, padding: tuple) -> torch.Tensor:
    """Weight gradient ``(C, 1, *k)`` of a stride-1 depthwise conv as one
    depthwise forward conv: the batch is laid end to end along the first
    spatial axis, the padded input is the signal and the output gradient
    (zero gaps between samples) the kernel.

    ``out[c, i..] = sum_n sum_s grad[n, c, s] * x_pad[n, c, s + i]``.
    """
    N, C = x.shape[:2]
    size = x.shape[2:]
    ndim = len(size)
    pad = []
    for p in reversed(padding):
        pad += [p, p]
    x_pad = F.pad(x, pad)                       # (N, C, S0 + 2p0, ...)
    first = x_pad.shape[2]                      # padded first axis
    signal = x_pad.transpose(0, 1).reshape(1, C, N * first, *x_pad.shape[3:])
    gap = first - size[0]
    kern = F.pad(grad, [0, 0] * (ndim - 1) + [0, gap])
    kern = kern.transpose(0, 1).reshape(C, 1, N * first, *size[1:])
    kern = kern[:, :, :N * first - gap]
    fmt = torch.channels_last if ndim == 2 else torch.channels_last_3d
    out = _conv(ndim)(signal.contiguous(memory_format=fmt),
                      kern.contiguous(memory_format=fmt), None, 1, 0, 1, C)
    return out.reshape(C, 1, *kernel)


class _DepthwiseConv(torch.autograd.Function):
    """Stride-1, "same"-padded depthwise conv whose backward pass is made of
    forward convs (see the module docstring)."""

    @staticmethod
    def forward(ctx, x, weight, bias, padding):
        ctx.save_for_backward(x, weight)
        ctx.padding = padding
        ctx.has_bias = bias is not None
        return _conv(x.dim() - 2)(x, weight, bias, 1, padding, 1, x.shape[1])

    @staticmethod
    def backward(ctx, grad):
        x, weight = ctx.saved_tensors
        ndim = x.dim() - 2
        fmt = torch.channels_last if ndim == 2 else torch.channels_last_3d
        grad = grad.contiguous(memory_format=fmt)
        grad_x = grad_w = grad_b = None
        if ctx.needs_input_grad[0]:
            flipped = weight.flip(list(range(2, 2 + ndim)))
            grad_x = _conv(ndim)(grad, flipped, None, 1, ctx.padding, 1,
                                 x.shape[1])
        if ctx.needs_input_grad[1]:
            grad_w = _depthwise_weight_grad(x, grad, weight.shape[2:],
                                            ctx.padding)
        if ctx.has_bias and ctx.needs_input_grad[2]:
            grad_b = grad.sum([0] + list(range(2, 2 + ndim)))
        return grad_x, grad_w, grad_b, None


def depthwise_conv(conv: nn.modules.conv._ConvNd,
                   x: torch.Tensor) -> torch.Tensor:
    """``conv(x)`` for a depthwise ``conv`` (groups = channels), with the
    fast backward of :class:`_DepthwiseConv` where it applies: stride 1,
    no dilation, odd kernel with "same" zero padding, channels-last fp32 CPU
    input that needs a gradient somewhere."""
    ndim = x.dim() - 2
    fmt = torch.channels_last if ndim == 2 else torch.channels_last_3d
    tensors = [x, conv.weight] + ([conv.bias] if conv.bias is not None
                                  else [])
    fast = (getattr(conv, 'cpu_kernels', True)
            and torch.is_grad_enabled()
            and any(t.requires_grad for t in tensors)
            and conv.groups == conv.in_channels == conv.out_channels
            and conv.padding_mode == 'zeros'
            and all(s == 1 for s in conv.stride)
            and all(d == 1 for d in conv.dilation)
            and not isinstance(conv.padding, str)
            and all(k % 2 == 1 and p == k // 2
                    for k, p in zip(conv.kernel_size, conv.padding))
            and x.is_contiguous(memory_format=fmt)
            and _plain_cpu_fp32(*tensors))
    if not fast:
        return conv._conv_forward(x, conv.weight, conv.bias)
    return _DepthwiseConv.apply(x, conv.weight, conv.bias,
                                tuple(conv.padding))


class _Depthwise:
    """Forward of a depthwise conv through :func:`depthwise_conv`; mixed
    into ``nn.Conv2d`` / ``nn.Conv3d`` (same parameters, same math)."""

    cpu_kernels = True

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return depthwise_conv(self, x)


class DepthwiseConv2d(_Depthwise, nn.Conv2d):
    """Depthwise ``nn.Conv2d`` with the fast CPU backward."""


class DepthwiseConv3d(_Depthwise, nn.Conv3d):
    """Depthwise ``nn.Conv3d`` with the fast CPU backward."""


def depthwise_conv_nd(ndim: int, channels: int, kernel_size: int,
                      bias: bool = True) -> nn.Module:
    """A stride-1 "same"-padded depthwise conv over ``ndim`` axes."""
    if ndim not in (2, 3):
        raise ValueError(f'ndim must be 2 or 3, got {ndim}')
    cls = DepthwiseConv2d if ndim == 2 else DepthwiseConv3d
    return cls(channels, channels, kernel_size, padding=kernel_size // 2,
               groups=channels, bias=bias)


# ------------------------------------------------------------ the switch
FAST_MODULES = (Linear, _Pointwise, _Depthwise)


def set_cpu_kernels(model: nn.Module, enabled: bool) -> None:
    """Switch the fast CPU kernels of every module of ``model``."""
    for module in model.modules():
        if isinstance(module, FAST_MODULES):
            module.cpu_kernels = bool(enabled)
