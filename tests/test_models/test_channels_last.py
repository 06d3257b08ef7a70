"""Channels-last computation (the fast CPU path): same numbers as the
contiguous reference path and the official function, forward and backward,
and no layout flips inside the stages."""
import pytest
import torch
from conftest import TINY, randomize_state
from reference_uniformer import dense_features, video_features

from mmuniformer.models import UniFormer, UniFormer3D
from mmuniformer.models.layers.blocks import LocalMHRABlock, memory_format_of

CL = {2: torch.channels_last, 3: torch.channels_last_3d}


def _build(ndim, channels_last, **kwargs):
    if ndim == 2:
        # window 3 on a 4x5 stage-3 map: padded windows and a global block
        return UniFormer(TINY, attn_mode='hybrid', window_size=3,
                         channels_last=channels_last, **kwargs)
    return UniFormer3D(TINY, out_indices=(0, 1, 2, 3),
                       channels_last=channels_last, **kwargs)


def _input(ndim, batch=2):
    shape = (batch, 3, 64, 80) if ndim == 2 else (batch, 3, 4, 64, 80)
    return torch.randn(shape)


def _reference(ndim, x, sd):
    if ndim == 2:
        return dense_features(x, sd, TINY['head_dim'], 'hybrid', 3)
    ref = video_features(x, sd, head_dim=TINY['head_dim'])
    return ref


@pytest.mark.parametrize('ndim', [2, 3])
def test_fast_path_equals_reference_forward_and_gradients(ndim):
    fast, ref = _build(ndim, True), _build(ndim, False, cpu_kernels=False)
    sd = randomize_state(ref, seed=1)
    fast.load_state_dict(sd)
    fast.train(), ref.train()  # BN batch statistics in both
    x = _input(ndim)
    grads = {}
    outs = {}
    for name, model in (('fast', fast), ('ref', ref)):
        xi = x.clone().requires_grad_()
        out = model(xi)
        gen = torch.Generator().manual_seed(5)
        loss = sum((o * torch.randn(o.shape, generator=gen)).sum()
                   for o in out)
        loss.backward()
        outs[name] = out
        grads[name] = {'input': xi.grad}
        grads[name].update({k: p.grad for k, p in model.named_parameters()})
        # hosts get plainly contiguous (B, C, *S) maps in both modes
        assert all(o.is_contiguous() for o in out)
    for o_fast, o_ref in zip(outs['fast'], outs['ref']):
        torch.testing.assert_close(o_fast, o_ref, atol=1e-4, rtol=1e-4)
    assert grads['fast'].keys() == grads['ref'].keys()
    for key, g_ref in grads['ref'].items():
        # gradients are sums over every position (magnitudes ~1e2 here):
        # equal to 1e-4 of each tensor's scale, fp32 summation order aside
        # (floor 1: the last block's fc2 bias, followed by a training-mode
        # BN, has an exactly-zero true gradient)
        scale = max(g_ref.abs().max().item(), 1.)
        torch.testing.assert_close(grads['fast'][key], g_ref,
                                   atol=1e-4 * scale, rtol=1e-4, msg=key)


@pytest.mark.parametrize('ndim', [2, 3])
@pytest.mark.parametrize('channels_last', [True, False])
def test_both_layouts_match_the_official_function(ndim, channels_last):
    model = _build(ndim, channels_last).eval()
    sd = randomize_state(model, seed=2)
    x = _input(ndim, batch=1)
    with torch.no_grad():
        ours = model(x)
        ref = _reference(ndim, x, sd)
    if ndim == 3:
        ours = ours[3]
        ref = (ref, )
        ours = (ours, )
    for o, r in zip(ours, ref):
        torch.testing.assert_close(o, r, atol=1e-4, rtol=1e-4)


def _layouts_seen(model, x, backward=True):
    """Memory format of every 4D/5D module output (and gradient w.r.t. it)
    inside the trunk, recorded by hooks: ``{module name: {formats}}``."""
    seen = {}
    handles = []

    def record(name, tensor):
        if tensor is not None and tensor.dim() in (4, 5):
            seen.setdefault(name, set()).add(memory_format_of(tensor))

    for name, module in model.named_modules():
        # channel-first maps: everything in the local stages, and the
        # outputs of the patch embeddings and global blocks (inside those,
        # tokens / (B, H, W, C) maps are channel-last by construction)
        parts = name.split('.')
        local = parts[0] in ('blocks1', 'blocks2')
        whole = (len(parts) == 1 and parts[0].startswith('patch_embed')) or (
            len(parts) == 2 and parts[0] in ('blocks3', 'blocks4'))
        if not (local or whole):
            continue

        def fwd(mod, args, out, name=name):
            record(name, out)
            if backward and out.requires_grad:
                out.register_hook(lambda g: record(name + '.grad', g))

        handles.append(module.register_forward_hook(fwd))
    try:
        out = model(x.requires_grad_(backward))
        if backward:
            out = out if isinstance(out, tuple) else (out, )
            sum(o.square().sum() for o in out).backward()
    finally:
        for handle in handles:
            handle.remove()
    return seen


@pytest.mark.parametrize('ndim', [2, 3])
def test_no_layout_flips_inside_the_stages(ndim):
    model = _build(ndim, True).train()
    seen = _layouts_seen(model, _input(ndim))
    local = [n for n in seen if n.startswith(('blocks1', 'blocks2'))]
    # BN, depthwise and pointwise convs, the MLP, every block output
    assert any(n.endswith('.norm1') for n in local)
    assert any(n.endswith('.attn') for n in local)
    assert any(n.endswith('.mlp.fc2') for n in local)
    assert any(n.endswith('.grad') for n in local)
    assert 'patch_embed3' in seen and 'blocks4.0' in seen
    flips = {n: f for n, f in seen.items() if f != {CL[ndim]}}
    assert not flips, f'not channels-last: {flips}'


@pytest.mark.parametrize('ndim', [2, 3])
def test_reference_layout_stays_contiguous(ndim):
    model = _build(ndim, False).train()
    seen = _layouts_seen(model, _input(ndim), backward=False)
    flips = {n: f for n, f in seen.items()
             if f != {torch.contiguous_format}}
    assert not flips, f'not contiguous: {flips}'


def test_local_block_forward_makes_no_copies():
    """The profiler sees no copy/layout kernel in a channels-last local
    block (a hidden .contiguous() would show up as aten::copy_)."""
    from torch.profiler import profile
    block = LocalMHRABlock(3, 16).train()
    x = torch.randn(2, 16, 4, 8, 8).contiguous(
        memory_format=torch.channels_last_3d)
    with profile() as prof:
        block(x)
    ops = {e.name for e in prof.events()}
    assert 'aten::convolution' in ops  # the profiler did record the block
    assert not ops & {'aten::copy_', 'aten::clone', 'aten::contiguous'}, ops


def test_channels_last_switch():
    model = UniFormer3D(TINY)
    assert model.uses_channels_last(torch.zeros(1))  # auto: CPU -> on
    assert not model.uses_channels_last(torch.zeros(1, device='meta'))
    assert not UniFormer3D(TINY, channels_last=False).uses_channels_last(
        torch.zeros(1))
    assert UniFormer(TINY, channels_last=True).uses_channels_last(
        torch.zeros(1, device='meta'))
    with pytest.raises(ValueError, match='channels_last'):
        UniFormer3D(TINY, channels_last='yes')
