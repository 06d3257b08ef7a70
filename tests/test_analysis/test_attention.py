"""mmuniformer.analysis.attention: the recorded maps are the attention
SDPA computed (an explicit softmax(QK^T/sqrt d) of the same block, which
reproduces the block's attention output), recording changes no output,
rollout rows sum to 1 and equal a hand-written product, the light models'
kept tokens are the ones the block selected; and the grid and array
helpers on tiny hand-made inputs."""
import math
import sys

import numpy as np
import pytest
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


# -- the grid helpers on hand-made records (expected values by hand) ---------
def _record(spatial, attn, kept=None, stage=3, name='blocks3.0'):
    return dict(name=name, stage=stage, spatial=tuple(spatial),
                attn=torch.as_tensor(attn, dtype=torch.float32)[None],
                kept=None if kept is None else torch.tensor([kept]))


def test_query_index_of_a_point_and_the_mean():
    # (T, H, W) = (4, 2, 3): the middle step is t = 2; (0.99, 0.99) is the
    # last row and column: (2 * 2 + 1) * 3 + 2
    assert attention.query_index((4, 2, 3), (0.99, 0.99)) == 17
    assert attention.query_index((2, 3), (0.0, 0.6)) == 3
    # a tall 4x2 grid: y = 0.6 is row 2 (of H = 4), x = 0.9 column 1
    assert attention.query_index((4, 2), (0.9, 0.6)) == 2 * 2 + 1
    assert attention.query_index((2, 3), 'mean') is None
    assert attention.query_index((2, 3), None) is None


def test_query_map_of_a_hand_made_attention():
    # head 0 attends to itself, head 1 uniformly, on a 2x3 grid
    eye = np.eye(6)
    uniform = np.full((6, 6), 1 / 6)
    r = _record((2, 3), np.stack([eye, uniform]))
    # the point (0.9, 0.2) is row 0, column 2: token 2
    got = attention.query_map(r, (0.9, 0.2))
    want = np.full((2, 3), (0 + 1 / 6) / 2)
    want[0, 2] = (1 + 1 / 6) / 2
    np.testing.assert_allclose(got, want, atol=1e-7)
    # head 0 alone, the point (0, 0.99) is token 3: a one-hot at (1, 0)
    got = attention.query_map(r, (0.0, 0.99), head=0)
    np.testing.assert_array_equal(got, [[0, 0, 0], [1, 0, 0]])
    # the mean of the rows: each head's rows average to 1/6 per token
    np.testing.assert_allclose(attention.query_map(r, 'mean'),
                               np.full((2, 3), 1 / 6), atol=1e-7)


def test_query_map_of_a_pruning_block():
    # 2x3 grid keeping tokens 1 and 4: tokens [cls, kept 1, kept 4, rep]
    rows = np.zeros((4, 4))
    rows[2] = [.1, .2, .3, .4]  # the query of grid token 4
    rows[3] = [.4, .3, .2, .1]  # the representative's row
    r = _record((2, 3), rows[None], kept=[1, 4])
    # (0.5, 0.75) is row 1, column 1: token 4, kept second; the
    # representative's weight .4 is shared by the 4 dropped tokens
    got = attention.query_map(r, (0.5, 0.75))
    np.testing.assert_allclose(got, [[.1, .2, .1], [.1, .3, .1]],
                               atol=1e-7)
    # a dropped token (0) reads the representative's row
    got = attention.query_map(r, (0.0, 0.0))
    np.testing.assert_allclose(got, [[.025, .3, .025], [.025, .2, .025]],
                               atol=1e-7)
    np.testing.assert_array_equal(attention.kept_map(r),
                                  [[0, 1, 0], [0, 1, 0]])


def test_pooling_matrix_of_small_grids():
    np.testing.assert_array_equal(
        attention.pooling_matrix((4,), (2,)).numpy(),
        [[.5, .5, 0, 0], [0, 0, .5, .5]])
    # (2, 4) -> (1, 2): each cell is a 2x2 block of the row-major grid
    want = np.zeros((2, 8))
    want[0, [0, 1, 4, 5]] = .25
    want[1, [2, 3, 6, 7]] = .25
    np.testing.assert_array_equal(
        attention.pooling_matrix((2, 4), (1, 2)).numpy(), want)


def test_rollout_of_two_hand_made_blocks():
    # stage 3 on a 1x2 grid, stage 4 on its 1x1 pooling
    s3 = _record((1, 2), [[[.2, .8], [.6, .4]]])
    s4 = _record((1, 1), [[[1.]]], stage=4, name='blocks4.0')
    # (A + I) / 2 = [[.6, .4], [.3, .7]]; pooled: the mean of both rows;
    # stage 4 ((1 + 1) / 2 = 1) changes nothing
    table = attention.rollout([s3, s4])
    np.testing.assert_allclose(table.numpy(), [[.45, .55]], atol=1e-12)
    np.testing.assert_allclose(attention.rollout_map([s3, s4]),
                               [[.45, .55]], atol=1e-7)
    with pytest.raises(ValueError, match='cls token'):
        attention.rollout([_record((1, 2), np.full((1, 3, 3), 1 / 3))])


# -- the array helpers -------------------------------------------------------
def test_to_tensor_normalises_and_lays_out():
    mean = np.array(attention.MEAN)
    std = np.array(attention.STD)
    frames = np.broadcast_to(mean + std, (2, 4, 5, 3)).astype(np.float32)
    video = attention.to_tensor(frames, True)
    assert video.shape == (1, 3, 2, 4, 5)
    torch.testing.assert_close(video, torch.ones_like(video))
    image = attention.to_tensor(frames, False, mean=(0, 0, 0),
                                std=(1, 1, 1))
    assert image.shape == (1, 3, 4, 5)
    torch.testing.assert_close(image[0, :, 0, 0],
                               torch.tensor(mean + std, dtype=torch.float32))


def test_overlay_shape_dtype_and_time_stretch():
    frames = np.zeros((4, 8, 10, 3), dtype=np.uint8)
    # the first time step is the low end, the second the high end
    heat = np.stack([np.zeros((2, 2)), np.ones((2, 2))])
    out = attention.overlay(frames, heat, alpha=1.)
    assert out.shape == (4, 8, 10, 3) and out.dtype == np.uint8
    # JET: blue at the low end (frames 0, 1), red at the high end (2, 3)
    for i in (0, 1):
        assert (out[i, ..., 2] > 100).all() and (out[i, ..., 0] == 0).all()
    for i in (2, 3):
        assert (out[i, ..., 0] > 100).all() and (out[i, ..., 2] == 0).all()
    # alpha 0: the frames unchanged
    np.testing.assert_array_equal(attention.overlay(frames + 7, heat, 0.),
                                  frames + 7)


def test_write_frames_png_and_gif(tmp_path):
    from PIL import Image
    frames = np.stack([np.full((6, 5, 3), v, np.uint8) for v in (0, 90, 200)])
    png = attention.write_frames(frames, str(tmp_path / 'a' / 'x.png'))
    np.testing.assert_array_equal(np.asarray(Image.open(png)), frames[1])
    gif = Image.open(attention.write_frames(frames, str(tmp_path / 'x.gif')))
    assert gif.n_frames == 3 and gif.size == (5, 6)
