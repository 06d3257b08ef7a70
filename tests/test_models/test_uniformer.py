"""UniFormer (2D dense): official numerics in global / window / hybrid
mode, window padding, variants, freezing."""
import pytest
import torch
from conftest import TINY, randomize_state
from reference_uniformer import dense_features

from mmuniformer.models import UniFormer


@pytest.mark.parametrize('mode', ['global', 'window', 'hybrid'])
@pytest.mark.parametrize('size', [(64, 64), (100, 84), (83, 131)])
def test_matches_official_function(mode, size):
    # window 3 on stage-3 maps of 4x4 / 6x5 / 5x8: padding in most cases
    model = UniFormer(TINY, attn_mode=mode, window_size=3).eval()
    sd = randomize_state(model)
    x = torch.randn(2, 3, *size)
    with torch.no_grad():
        ours = model(x)
        ref = dense_features(x, sd, TINY['head_dim'], mode, 3)
    assert len(ours) == 4
    for o, r in zip(ours, ref):
        assert o.shape == r.shape
        torch.testing.assert_close(o, r, atol=1e-4, rtol=1e-4)


def test_window_padding_tokens_take_part_unmasked():
    """Official semantics: a 2x2 map in a 3x3 window is padded with five
    zero tokens that act as keys/values (k, v = qkv bias), no mask."""
    model = UniFormer(TINY, attn_mode='window', window_size=3).eval()
    randomize_state(model)
    block = model.blocks3[0]
    x = torch.randn(1, 2, 2, 64)
    with torch.no_grad():
        ours = block._windowed_attention(x)
        padded = torch.zeros(1, 3, 3, 64)
        padded[:, :2, :2] = x
        full = block.attn(padded.reshape(1, 9, 64)).reshape(1, 3, 3, 64)
        masked = block.attn(x.reshape(1, 4, 64)).reshape(1, 2, 2, 64)
    torch.testing.assert_close(ours, full[:, :2, :2])
    assert not torch.allclose(ours, masked, atol=1e-3)


def test_hybrid_block_indices():
    assert UniFormer('small', attn_mode='hybrid').global_block_indices() == (
        3, 7)
    assert UniFormer('base', attn_mode='hybrid').global_block_indices() == (
        3, 7, 11, 15, 19)
    assert UniFormer('small', attn_mode='window').global_block_indices() == ()
    assert UniFormer('small').global_block_indices() == tuple(range(8))
    model = UniFormer('small', attn_mode='hybrid', window_size=32)
    assert {b.window_size for b in model.blocks3} == {None, 32}
    assert all(b.window_size is None for b in model.blocks4)


@pytest.mark.parametrize('arch,params', [('small', 21.03e6),
                                         ('base', 49.26e6)])
def test_dense_parameter_counts(arch, params):
    """Official det/seg/pose backbones without head (§2)."""
    n = sum(p.numel() for p in UniFormer(arch).parameters())
    assert abs(n - params) / params < 0.005


def test_variants_keys_and_shapes():
    plus = UniFormer('small_plus')
    assert plus.head_dim == 32 and plus.blocks3[0].attn.num_heads == 10
    assert 'patch_embed1.proj.0.weight' in plus.state_dict()
    assert 'patch_embed1.proj.4.running_var' in plus.state_dict()
    assert not any(k.startswith('patch_embed1.norm')
                   for k in plus.state_dict())
    outs = plus.eval()(torch.randn(1, 3, 65, 65))
    # conv stem rounds up: 65 -> 33 -> 17, then 9, 5, 3
    assert [o.shape[-1] for o in outs] == [17, 9, 5, 3]
    large = UniFormer('large')
    assert large.embed_dims == (128, 192, 448, 640)
    assert large.blocks1[0].gamma_1.shape == (1, 128, 1, 1)
    assert large.blocks3[0].gamma_1.shape == (448, )
    base_ls = UniFormer('base_ls')
    assert base_ls.blocks1[0].gamma_1 is None
    assert base_ls.blocks4[0].gamma_2.shape == (512, )
    assert UniFormer('small', head_dim=32).blocks4[0].attn.num_heads == 16


def test_odd_sizes_are_floored():
    outs = UniFormer(TINY).eval()(torch.randn(1, 3, 41, 75))
    sizes = [tuple(o.shape[-2:]) for o in outs]
    assert sizes == [(10, 18), (5, 9), (2, 4), (1, 2)]


def test_out_indices_and_output_norms():
    model = UniFormer(TINY, out_indices=(3, ))
    assert hasattr(model, 'norm4') and not hasattr(model, 'norm1')
    outs = model.eval()(torch.randn(1, 3, 64, 64))
    assert len(outs) == 1 and outs[0].shape == (1, 64, 2, 2)
    assert UniFormer(TINY).norm2.eps == 1e-6


def test_frozen_stages_and_norm_eval():
    model = UniFormer(TINY, frozen_stages=1, norm_eval=True)
    model.train()
    assert not model.patch_embed1.training and not model.blocks1.training
    assert all(not p.requires_grad for p in model.norm1.parameters())
    assert all(p.requires_grad for p in model.blocks2.parameters())
    bn = model.blocks2[0].norm1
    assert not bn.training  # norm_eval
    before = bn.running_mean.clone()
    model(torch.randn(2, 3, 64, 64))
    torch.testing.assert_close(bn.running_mean, before)
    stem_only = UniFormer(TINY, frozen_stages=0).train()
    assert not stem_only.patch_embed1.training
    assert stem_only.blocks1.training


def test_bad_arguments():
    with pytest.raises(ValueError, match='attn_mode'):
        UniFormer(TINY, attn_mode='shifted')
    with pytest.raises(ValueError, match='divisible by head_dim'):
        UniFormer(dict(TINY, head_dim=24))
    with pytest.raises(ValueError, match=r'\(B, C, H, W\)'):
        UniFormer(TINY)(torch.randn(1, 3, 4, 32, 32))


def test_head_dim_argument_must_agree_with_custom_arch():
    with pytest.raises(ValueError, match='contradicts'):
        UniFormer(TINY, head_dim=32)
    assert UniFormer(TINY, head_dim=16).head_dim == 16
