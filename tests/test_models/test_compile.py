"""torch.compile: the trunk traces as ONE graph (no graph break in the block
loop, either layout) and the compiled model gives eager's numbers, forward
and backward. Inductor's speed is measured by the benchmark tool; here the
cheap ``aot_eager`` backend checks tracing and autograd."""
import pytest
import torch
from conftest import TINY, randomize_state

from mmuniformer.models import UniFormer, UniFormer3D


def _model(ndim, channels_last):
    if ndim == 2:
        return UniFormer(TINY, attn_mode='hybrid', window_size=3,
                         channels_last=channels_last)
    return UniFormer3D(TINY, channels_last=channels_last)


def _input(ndim):
    return torch.randn((2, 3, 64, 80) if ndim == 2 else (2, 3, 4, 64, 64))


@pytest.mark.parametrize('ndim,channels_last', [(2, True), (3, True),
                                                (3, False)])
def test_one_graph_no_breaks(ndim, channels_last):
    torch._dynamo.reset()
    model = _model(ndim, channels_last).train()
    explanation = torch._dynamo.explain(model)(_input(ndim))
    assert explanation.graph_break_count == 0, explanation.break_reasons
    assert explanation.graph_count == 1


@pytest.mark.parametrize('ndim', [2, 3])
def test_compiled_matches_eager(ndim):
    torch._dynamo.reset()
    eager = _model(ndim, True).train()
    randomize_state(eager, seed=4)
    twin = _model(ndim, True).train()
    twin.load_state_dict(eager.state_dict())
    compiled = torch.compile(twin, backend='aot_eager')
    x = _input(ndim)
    results = []
    for model in (eager, compiled):
        out = model(x)
        out = out if isinstance(out, tuple) else (out, )
        sum((o * o).mean() for o in out).backward()
        params = model.named_parameters()
        results.append((out, {k.replace('_orig_mod.', ''): p.grad
                              for k, p in params}))
    assert compiled._orig_mod is twin
    (out_e, grad_e), (out_c, grad_c) = results
    for a, b in zip(out_e, out_c):
        torch.testing.assert_close(b, a, atol=1e-4, rtol=1e-4)
    assert grad_e.keys() == grad_c.keys()
    for key in grad_e:  # 1e-4 of each gradient's scale (see channels-last)
        scale = max(grad_e[key].abs().max().item(), 1.)
        torch.testing.assert_close(grad_c[key], grad_e[key],
                                   atol=1e-4 * scale, rtol=1e-4, msg=key)
