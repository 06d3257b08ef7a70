"""UniFormer3D: official numerics, shapes, freezing, checkpointing."""
import pytest
import torch
from conftest import TINY, randomize_state
from reference_uniformer import video_features

from mmuniformer.models import UniFormer3D


def test_matches_official_function():
    model = UniFormer3D(TINY).eval()
    sd = randomize_state(model)
    x = torch.randn(2, 3, 8, 64, 64)
    with torch.no_grad():
        ours = model(x)
        ref = video_features(x, sd, head_dim=TINY['head_dim'])
    assert ours.shape == ref.shape == (2, 64, 4, 2, 2)
    torch.testing.assert_close(ours, ref, atol=1e-4, rtol=1e-4)


def test_official_small_block_numerics():
    """Real S widths/heads (head_dim 64, 5 and 8 heads), reduced depth."""
    arch = dict(depths=(1, 1, 1, 1), embed_dims=(64, 128, 320, 512),
                head_dim=64)
    model = UniFormer3D(arch).eval()
    sd = randomize_state(model)
    x = torch.randn(1, 3, 4, 64, 64)
    with torch.no_grad():
        torch.testing.assert_close(model(x), video_features(x, sd),
                                   atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize('arch,frames', [('small', 8), ('small', 16),
                                         ('small', 32), ('base', 8),
                                         ('base', 16), ('base', 32)])
def test_shapes_s_and_b(arch, frames):
    model = UniFormer3D(arch).eval()
    with torch.no_grad():
        out = model(torch.randn(1, 3, frames, 32, 32))
    # only patch_embed1 halves time; spatial stride 32
    assert out.shape == (1, 512, frames // 2, 1, 1)


def test_variant_parameters_and_keys():
    small, base = UniFormer3D('s'), UniFormer3D('b')
    n_small = sum(p.numel() for p in small.parameters())
    n_base = sum(p.numel() for p in base.parameters())
    # official video S/B with a 400-class head: 21.40M / 49.81M (§2);
    # the head is 512*400+400 = 205,200 parameters.
    assert abs(n_small + 205_200 - 21.40e6) / 21.40e6 < 0.005
    assert abs(n_base + 205_200 - 49.81e6) / 49.81e6 < 0.005
    keys = set(small.state_dict())
    for key in ('patch_embed1.proj.weight', 'patch_embed1.norm.weight',
                'blocks1.0.attn.weight', 'blocks1.0.conv1.weight',
                'blocks2.3.mlp.fc2.weight', 'blocks3.7.attn.qkv.weight',
                'blocks4.2.attn.proj.bias', 'norm.running_var'):
        assert key in keys, key
    assert small.patch_embed1.proj.weight.shape == (64, 3, 3, 4, 4)
    assert small.patch_embed2.proj.weight.shape == (128, 64, 1, 2, 2)
    assert small.blocks1[0].attn.weight.shape == (64, 1, 5, 5, 5)


def test_layernorm_eps_and_drop_path_schedule():
    model = UniFormer3D('small', drop_path_rate=0.3)
    assert model.patch_embed1.norm.eps == 1e-5
    assert model.blocks3[0].norm1.eps == 1e-6
    assert model.blocks4[2].norm2.eps == 1e-6
    rates = [getattr(b.drop_path, 'drop_prob', 0.) for i in range(1, 5)
             for b in getattr(model, f'blocks{i}')]
    expected = torch.linspace(0, 0.3, 18).tolist()
    assert rates == pytest.approx(expected)


def test_temporal_embed_option():
    model = UniFormer3D(TINY, temporal_embed=True)
    assert model.patch_embed2.proj.weight.shape == (32, 16, 3, 2, 2)
    out = model.eval()(torch.randn(1, 3, 4, 32, 32))
    assert out.shape == (1, 64, 2, 1, 1)


def test_out_indices_multiscale():
    model = UniFormer3D(TINY, out_indices=(0, 1, 2, 3)).eval()
    outs = model(torch.randn(1, 3, 8, 64, 64))
    assert [tuple(o.shape) for o in outs] == [(1, 16, 4, 16, 16),
                                              (1, 32, 4, 8, 8),
                                              (1, 64, 4, 4, 4),
                                              (1, 64, 4, 2, 2)]
    single = UniFormer3D(TINY, out_indices=(1, )).eval()
    assert single(torch.randn(1, 3, 8, 64, 64)).shape == (1, 32, 4, 8, 8)


def test_frozen_stages_stay_frozen_through_train():
    model = UniFormer3D(TINY, frozen_stages=2)
    model.train()
    for module in (model.patch_embed1, model.blocks1, model.patch_embed2,
                   model.blocks2):
        assert not module.training
        assert all(not p.requires_grad for p in module.parameters())
    assert model.blocks3.training
    assert all(p.requires_grad for p in model.blocks3.parameters())
    before = model.blocks1[0].norm1.running_mean.clone()
    model(torch.randn(2, 3, 4, 32, 32))
    torch.testing.assert_close(model.blocks1[0].norm1.running_mean, before)


def test_norm_eval_keeps_bn_statistics():
    model = UniFormer3D(TINY, norm_eval=True).train()
    before = model.norm.running_mean.clone()
    model(torch.randn(2, 3, 4, 32, 32))
    torch.testing.assert_close(model.norm.running_mean, before)
    assert model.blocks3.training  # only BNs are switched to eval


def test_with_cp_same_gradients():
    x = torch.randn(1, 3, 4, 32, 32)
    plain = UniFormer3D(TINY).train()
    ckpt = UniFormer3D(TINY, with_cp=(1, 0, 2, 1)).train()
    ckpt.load_state_dict(plain.state_dict())
    assert ckpt.cp_blocks == (1, 0, 2, 1)
    plain(x.clone().requires_grad_()).sum().backward()
    ckpt(x.clone().requires_grad_()).sum().backward()
    for (name, p1), (_, p2) in zip(plain.named_parameters(),
                                   ckpt.named_parameters()):
        torch.testing.assert_close(p1.grad, p2.grad, atol=1e-5, rtol=1e-4,
                                   msg=name)
    assert UniFormer3D(TINY, with_cp=True).cp_blocks == TINY['depths']


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match='unknown UniFormer arch'):
        UniFormer3D('huge')
    with pytest.raises(ValueError, match='lacks'):
        UniFormer3D(dict(depths=(1, 1, 1, 1)))
    with pytest.raises(ValueError, match='out_indices'):
        UniFormer3D(TINY, out_indices=(4, ))
    with pytest.raises(ValueError, match='with_cp'):
        UniFormer3D(TINY, with_cp=(9, 0, 0, 0))
    with pytest.raises(ValueError, match=r'\(B, C, T, H, W\)'):
        UniFormer3D(TINY)(torch.randn(1, 3, 32, 32))
