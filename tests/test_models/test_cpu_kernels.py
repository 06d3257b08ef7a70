"""The fast CPU kernels compute what the plain PyTorch ops compute (forward
and every gradient, to 1e-4 of each tensor's scale; references in float64
through the plain ops), take the fast route exactly where they claim to
(seen in the profiler), and fall back everywhere else."""
import pytest
import torch
import torch.nn.functional as F
from conftest import TINY
from torch import nn
from torch.profiler import profile

from mmuniformer.models import UniFormer, UniFormer3D
from mmuniformer.models.backbones.light import UniFormerLight, UniFormerLight3D
from mmuniformer.models.layers.blocks import ConvMlp, TokenMlp
from mmuniformer.models.layers.cpu_kernels import (DepthwiseConv2d, DepthwiseConv3d,
                                            Linear, PointwiseConv3d,
                                            depthwise_conv, depthwise_conv_nd,
                                            linear, onednn_linear_available,
                                            pointwise_conv_nd,
                                            set_cpu_kernels)

CL = {2: torch.channels_last, 3: torch.channels_last_3d}
needs_onednn = pytest.mark.requires(
    onednn_linear_available(),
    reason="this PyTorch has no working torch.ops.mkldnn._linear_pointwise")


def ops_of(fn):
    """Names of the ops ``fn`` runs (forward and whatever it calls)."""
    with profile() as prof:
        fn()
    return [e.name for e in prof.events()]


def close(a, b, what=''):
    scale = max(b.abs().max().item(), 1.)
    torch.testing.assert_close(a.double(), b.double(), atol=1e-4 * scale,
                               rtol=1e-4, msg=what)


def grads_of(fn, tensors, seed=0):
    """Forward ``fn()`` and gradients of a random projection of it."""
    for t in tensors:
        t.grad = None
    out = fn()
    gen = torch.Generator().manual_seed(seed)
    weight = torch.randn(out.shape, generator=gen, dtype=torch.float64)
    (out * weight.to(out.dtype)).sum().backward()
    return out.detach(), [t.grad.clone() for t in tensors]


# ------------------------------------------------------------------ linear
@needs_onednn
@pytest.mark.parametrize('shape,out_features', [
    ((37, 16), 64),        # narrow input: grad_w via x.T
    ((3, 25, 64), 16),     # narrow output: grad_w via grad.T
    ((2, 5, 48), 48),
])
@pytest.mark.parametrize('bias', [True, False])
def test_linear_equals_f_linear_forward_and_gradients(shape, out_features,
                                                      bias):
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(shape, generator=gen, requires_grad=True)
    w = torch.randn(out_features, shape[-1], generator=gen,
                    requires_grad=True)
    b = torch.randn(out_features, generator=gen, requires_grad=True) \
        if bias else None
    params = [x, w] + ([b] if bias else [])
    out, grads = grads_of(lambda: linear(x, w, b), params)
    ref_params = [p.detach().double().requires_grad_() for p in params]
    ref_b = ref_params[2] if bias else None
    ref_out, ref_grads = grads_of(
        lambda: F.linear(ref_params[0], ref_params[1], ref_b), ref_params)
    close(out, ref_out, 'output')
    for name, g, r in zip('xwb', grads, ref_grads):
        close(g, r, f'grad {name}')
    assert out.shape == (*shape[:-1], out_features)
    ran = ops_of(lambda: linear(x, w, b).sum().backward())
    # forward, grad input and grad weight: three oneDNN products, no BLAS
    assert ran.count('mkldnn::_linear_pointwise') == 3, ran
    assert not {'aten::addmm', 'aten::mm'} & set(ran)


@needs_onednn
def test_linear_reads_strided_and_empty_input():
    w = torch.randn(8, 16)
    x = torch.randn(16, 24).t()             # (24, 16), transposed
    close(linear(x, w), F.linear(x.double(), w.double()))
    x = torch.randn(3, 10, 40)[..., 5:21]   # rows with gaps between them
    close(linear(x, w), F.linear(x.double(), w.double()))
    assert linear(torch.randn(0, 16), w).shape == (0, 8)
    assert linear(torch.randn(2, 0, 16), w, gelu=True).shape == (2, 0, 8)


@needs_onednn
def test_fused_gelu_at_inference():
    x, w, b = torch.randn(50, 32), torch.randn(96, 32), torch.randn(96)
    with torch.no_grad():
        out = linear(x, w, b, gelu=True)
        ran = ops_of(lambda: linear(x, w, b, gelu=True))
    close(out, F.gelu(F.linear(x.double(), w.double(), b.double())))
    assert ran.count('mkldnn::_linear_pointwise') == 1
    assert 'aten::gelu' not in ran
    # with gradients: the product through oneDNN, then the plain GELU
    xg = x.clone().requires_grad_()
    close(linear(xg, w, b, gelu=True).detach(),
          F.gelu(F.linear(x.double(), w.double(), b.double())))


@pytest.mark.filterwarnings('ignore:`torch.jit.trace')
def test_linear_falls_back_off_the_fast_path(monkeypatch):
    x, w = torch.randn(10, 8), torch.randn(4, 8)
    plain = {'aten::linear', 'aten::addmm', 'aten::mm', 'aten::matmul'}

    def used_onednn(fn):
        ran = set(ops_of(fn))
        assert ran & plain or 'mkldnn::_linear_pointwise' in ran, ran
        return 'mkldnn::_linear_pointwise' in ran

    assert not used_onednn(lambda: linear(x.double(), w.double()))
    assert not used_onednn(lambda: linear(x, w, onednn=False))
    with torch.autocast('cpu', dtype=torch.bfloat16):
        assert not used_onednn(lambda: linear(x, w))
        assert linear(x, w).dtype == torch.bfloat16
    traced = torch.jit.trace(Linear(8, 4), x)
    assert 'mkldnn' not in str(traced.graph)
    monkeypatch.setenv('MMUNIFORMER_CPU_KERNELS', '0')
    assert not used_onednn(lambda: linear(x, w))
    monkeypatch.delenv('MMUNIFORMER_CPU_KERNELS')
    if onednn_linear_available():
        assert used_onednn(lambda: linear(x, w))


# ------------------------------------------------------------ pointwise conv
@needs_onednn
@pytest.mark.parametrize('ndim', [2, 3])
def test_pointwise_conv_equals_conv_and_stays_channels_last(ndim):
    torch.manual_seed(3)
    size = (6, 7) if ndim == 2 else (3, 5, 6)
    conv = pointwise_conv_nd(ndim, 12, 20)
    x = torch.randn(2, 12, *size).contiguous(memory_format=CL[ndim])
    x.requires_grad_()
    tensors = [x, conv.weight, conv.bias]
    out, grads = grads_of(lambda: conv(x), tensors)
    assert out.is_contiguous(memory_format=CL[ndim])
    ref = [t.detach().double().requires_grad_() for t in tensors]
    conv_fn = F.conv2d if ndim == 2 else F.conv3d
    ref_out, ref_grads = grads_of(lambda: conv_fn(*ref), ref)
    close(out, ref_out, 'output')
    for g, r in zip(grads, ref_grads):
        close(g, r, 'grad')
    assert 'mkldnn::_linear_pointwise' in ops_of(lambda: conv(x))
    # contiguous input: the conv's own forward
    plain = x.detach().contiguous()
    assert 'mkldnn::_linear_pointwise' not in ops_of(lambda: conv(plain))
    close(conv(plain).detach(), ref_out)


@needs_onednn
@pytest.mark.parametrize('mlp_cls', [TokenMlp, ConvMlp])
def test_mlp_fused_gelu_inference_equals_training_path(mlp_cls):
    torch.manual_seed(4)
    if mlp_cls is TokenMlp:
        mlp = TokenMlp(16, 64)
        x = torch.randn(2, 30, 16)
    else:
        mlp = ConvMlp(3, 16, 64)
        x = torch.randn(2, 16, 3, 4, 5).contiguous(
            memory_format=torch.channels_last_3d)
    mlp.eval()
    with torch.no_grad():
        fused = mlp(x)
        ran = ops_of(lambda: mlp(x))
    assert 'aten::gelu' not in ran
    step_by_step = mlp.fc2(mlp.act(mlp.fc1(x))).detach()
    close(fused, step_by_step)


# ------------------------------------------------------------ depthwise conv
@pytest.mark.parametrize('ndim,kernel,batch,size,bias', [
    (3, 5, 2, (4, 9, 7), True),
    (3, 3, 1, (2, 5, 6), True),
    (3, 3, 3, (5, 4, 4), False),
    (2, 5, 2, (11, 9), True),
    (2, 3, 1, (7, 10), False),
])
def test_depthwise_conv_gradients_equal_the_plain_conv(ndim, kernel, batch,
                                                       size, bias):
    torch.manual_seed(5)
    conv = depthwise_conv_nd(ndim, 8, kernel, bias=bias)
    x = torch.randn(batch, 8, *size).contiguous(memory_format=CL[ndim])
    x.requires_grad_()
    tensors = [x, conv.weight] + ([conv.bias] if bias else [])
    out, grads = grads_of(lambda: conv(x), tensors)
    ref = [t.detach().double().requires_grad_() for t in tensors]
    conv_fn = F.conv2d if ndim == 2 else F.conv3d
    ref_out, ref_grads = grads_of(
        lambda: conv_fn(ref[0], ref[1], ref[2] if bias else None, 1,
                        kernel // 2, 1, 8), ref)
    close(out, ref_out, 'output')
    for name, g, r in zip(['input', 'weight', 'bias'], grads, ref_grads):
        close(g, r, f'grad {name}')
    # the backward pass is forward convs only
    ran = ops_of(lambda: conv(x).sum().backward())
    assert 'aten::convolution_backward' not in ran, ran


def test_depthwise_conv_falls_back_where_it_does_not_apply():
    x = torch.randn(1, 4, 3, 8, 8, requires_grad=True)
    conv = DepthwiseConv3d(4, 4, 3, padding=1, groups=4)

    def backward_ops(module, inp):
        return ops_of(lambda: module(inp).sum().backward())

    # contiguous input, stride 2, other padding, no gradient wanted
    assert 'aten::convolution_backward' in backward_ops(conv, x)
    x_cl = x.detach().contiguous(
        memory_format=torch.channels_last_3d).requires_grad_()
    for other in (DepthwiseConv3d(4, 4, 3, stride=2, padding=1, groups=4),
                  DepthwiseConv3d(4, 4, 3, padding=0, groups=4),
                  nn.Conv3d(4, 4, 3, padding=1)):
        assert 'aten::convolution_backward' in ops_of(
            lambda: depthwise_conv(other, x_cl).sum().backward())
    conv.cpu_kernels = False
    assert 'aten::convolution_backward' in backward_ops(conv, x_cl)
    with torch.no_grad():
        assert conv(x_cl).shape == x.shape


# ------------------------------------------------------------ the switch
@pytest.mark.parametrize('ndim', [2, 3])
def test_backbone_switch_reaches_every_fast_module(ndim):
    cls = UniFormer if ndim == 2 else UniFormer3D
    model = cls(TINY, cpu_kernels=False)
    fast = [m for m in model.modules() if hasattr(m, 'cpu_kernels')
            and isinstance(m, nn.Module) and m is not model]
    conv_cls = DepthwiseConv2d if ndim == 2 else DepthwiseConv3d
    assert any(isinstance(m, Linear) for m in fast)
    assert any(isinstance(m, conv_cls) for m in fast)
    assert all(m.cpu_kernels is False for m in fast)
    model.cpu_kernels = True
    assert all(m.cpu_kernels is True for m in fast)
    set_cpu_kernels(model, False)
    assert all(m.cpu_kernels is False for m in fast)
    with pytest.raises(ValueError, match='cpu_kernels'):
        cls(TINY, cpu_kernels='auto')


@pytest.mark.parametrize('ndim', [2, 3])
def test_light_backbones_take_the_same_switch(ndim):
    cls = UniFormerLight if ndim == 2 else UniFormerLight3D
    model = cls('xxs', cpu_kernels=False)
    linears = [m for m in model.modules() if isinstance(m, Linear)]
    assert linears and model.cpu_kernels is False
    assert all(m.cpu_kernels is False for m in linears)
    model.cpu_kernels = True
    assert all(m.cpu_kernels is True for m in linears)


@needs_onednn
def test_fast_and_plain_models_agree_and_differ_in_kernels():
    torch.manual_seed(6)
    fast = UniFormer3D(TINY).train()
    plain = UniFormer3D(TINY, cpu_kernels=False).train()
    plain.load_state_dict(fast.state_dict())
    x = torch.randn(2, 3, 4, 64, 64)
    outs = {}
    for name, model in (('fast', fast), ('plain', plain)):
        xi = x.clone().requires_grad_()
        out = model(xi)
        out.square().sum().backward()
        outs[name] = (out.detach(), xi.grad)
    close(outs['fast'][0], outs['plain'][0])
    close(outs['fast'][1], outs['plain'][1])
    fast_ops = ops_of(lambda: fast(x).sum().backward())
    plain_ops = ops_of(lambda: plain(x).sum().backward())
    assert 'mkldnn::_linear_pointwise' in fast_ops
    assert 'mkldnn::_linear_pointwise' not in plain_ops
    assert 'aten::convolution_backward' in plain_ops
    assert isinstance(fast.blocks1[0].conv1, PointwiseConv3d)
