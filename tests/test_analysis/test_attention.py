"""mmuniformer.analysis.attention: the recorded maps are the attention
SDPA computed (an explicit softmax(QK^T/sqrt d) of the same block, which
reproduces the block's attention output), recording changes no output,
rollout rows sum to 1 and equal a hand-written product, the light models'
kept tokens are the ones the block selected."""
import math
import sys

import numpy as np
import torch
from conftest import TINY, randomize_state

from mmuniformer.analysis import attention


def tiny_3d():
    from mmuniformer.models.backbones.uniformer3d import UniFormer3D
    model = UniFormer3D(arch=dict(TINY)).eval()
    randomize_state(model)
    return model


def reference_attention(block, x):
    """softmax(Q K^T / sqrt d) of a GlobalMHRABlock's attention for the
    block input ``x (B, C, *S)``, written from the block's parameters."""
    x = x + block.pos_embed(x)
    tokens = block.norm1(x.flatten(2).transpose(1, 2))
    B, N, C = tokens.shape
    h = block.attn.num_heads
    d = C // h
    w, b = block.attn.qkv.weight, block.attn.qkv.bias
    qkv = tokens @ w.t() + b
    q = qkv[..., :C].reshape(B, N, h, d).transpose(1, 2)
    k = qkv[..., C:2 * C].reshape(B, N, h, d).transpose(1, 2)
    v = qkv[..., 2 * C:].reshape(B, N, h, d).transpose(1, 2)
    logits = torch.einsum('bhnd,bhmd->bhnm', q, k) / math.sqrt(d)
    attn = torch.exp(logits - logits.amax(-1, keepdim=True))
    attn = attn / attn.sum(-1, keepdim=True)
    return attn, v, tokens


def test_recorded_maps_are_the_blocks_attention():
    model = tiny_3d()
    x = torch.randn(1, 3, 4, 64, 64)
    inputs, outputs = {}, {}
    from mmuniformer.models.layers.blocks import GlobalMHRABlock
    globals_ = [(n, m) for n, m in model.named_modules()
                if isinstance(m, GlobalMHRABlock)]
    assert len(globals_) >= 2
    name, block = globals_[0]
    block.register_forward_pre_hook(
        lambda m, a: inputs.__setitem__('x', a[0]))
    block.attn.register_forward_hook(
        lambda m, a, o: outputs.__setitem__('y', o))
    records = attention.record(model, x)
    assert [r['name'] for r in records] == [n for n, _ in globals_]
    ref, v, _ = reference_attention(block, inputs['x'])
    got = records[0]['attn']
    assert got.shape == ref.shape
    torch.testing.assert_close(got, ref, atol=1e-5, rtol=1e-4)
    # the reference is the matrix SDPA used: it reproduces the output
    B, h, N, d = v.shape
    y = (ref @ v).transpose(1, 2).reshape(B, N, h * d)
    y = block.attn.proj(y)
    torch.testing.assert_close(y, outputs['y'], atol=1e-5, rtol=1e-4)
    torch.testing.assert_close(got.sum(-1), torch.ones(B, h, N),
                               atol=1e-5, rtol=0)


def test_recording_changes_no_output_and_removes_hooks():
    model = tiny_3d()
    x = torch.randn(1, 3, 4, 64, 64)
    with torch.no_grad():
        before = [t.clone() for t in model(x)]
        with attention.AttentionRecorder(model):
            during = model(x)
        after = model(x)
    for a, b, c in zip(before, during, after):
        assert torch.equal(a, b) and torch.equal(a, c)
    assert all(not m._forward_hooks and not m._forward_pre_hooks
               for m in model.modules())


def test_rollout_rows_sum_to_one_and_match_hand_product():
    model = tiny_3d()
    records = attention.record(model, torch.randn(1, 3, 4, 64, 64))
    table = attention.rollout(records)
    s3 = [r for r in records if r['stage'] == 3]
    s4 = [r for r in records if r['stage'] == 4]
    n3, n4 = (int(np.prod(s[0]['spatial'])) for s in (s3, s4))
    assert table.shape == (n4, n3)
    torch.testing.assert_close(table.sum(-1), torch.ones(n4,
                               dtype=table.dtype), atol=1e-10, rtol=0)
    # by hand: (A + I)/2 per block, product; stage 4 reads the mean of its
    # 1x2x2 stage-3 cell (the (1, 2, 2) patch embedding)
    T3, H3, W3 = s3[0]['spatial']
    T4, H4, W4 = s4[0]['spatial']
    assert (T3, H3 // 2, W3 // 2) == (T4, H4, W4)
    pool = np.zeros((n4, n3))
    for t in range(T4):
        for i in range(H4):
            for j in range(W4):
                for di in range(2):
                    for dj in range(2):
                        src = (t * H3 + 2 * i + di) * W3 + 2 * j + dj
                        pool[(t * H4 + i) * W4 + j, src] = .25
    acc = np.eye(n3)
    for r in s3:
        a = r['attn'][0].double().mean(0).numpy()
        acc = ((a + np.eye(n3)) / 2) @ acc
    acc = pool @ acc
    for r in s4:
        a = r['attn'][0].double().mean(0).numpy()
        acc = ((a + np.eye(n4)) / 2) @ acc
    np.testing.assert_allclose(table.numpy(), acc, atol=1e-10)


def test_query_map_is_the_row_of_the_point():
    model = tiny_3d()
    records = attention.record(model, torch.randn(1, 3, 4, 64, 64))
    r = records[-1]
    T, H, W = r['spatial']
    got = attention.query_map(r, (0.99, 0.0), head=1)
    want = r['attn'][0, 1, (T // 2 * H + 0) * W + W - 1]
    np.testing.assert_allclose(got.ravel(), want.numpy(), atol=0)
    mean = attention.query_map(r, 'mean')
    np.testing.assert_allclose(mean.ravel(),
                               r['attn'][0].mean(0).mean(0).numpy(),
                               atol=1e-7)


def test_light_kept_tokens_are_the_selected_ones(monkeypatch):
    from mmuniformer.models.layers import pruning as light
    from mmuniformer.models.backbones.light import UniFormerLight
    model = UniFormerLight(arch='xxs').eval()
    randomize_state(model)
    chosen = []
    real = light.select_tokens

    def spy(score, ratio):
        out = real(score, ratio)
        # only the block's own selection, not the recorder's replay
        if sys._getframe(1).f_code.co_name == 'forward':
            chosen.append(out[0].clone())
        return out
    monkeypatch.setattr(light, 'select_tokens', spy)
    records = attention.record(model, torch.randn(1, 3, 128, 128))
    pruned = [r for r in records if r['kept'] is not None]
    assert len(pruned) == len(chosen) > 0
    for r, kept in zip(pruned, chosen):
        assert torch.equal(r['kept'].sort(-1).values, kept.sort(-1).values)
        grid = attention.kept_map(r)
        assert grid.sum() == kept.shape[1]
        # cls + kept + representative attend; rows still sum to 1
        assert r['attn'].shape[-1] == kept.shape[1] + 2
        qmap = attention.query_map(r, 'mean')
        assert qmap.shape == tuple(r['spatial'])
        np.testing.assert_allclose(qmap.sum(), 1 - r['attn'][0].mean(
            0).mean(0)[0].item(), atol=1e-5)
