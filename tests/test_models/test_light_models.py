"""Light UniFormer modules against the functional oracle
(tests/reference_light.py) with official-layout weights: ImageNet logits,
dense four maps and video backbone features, fp32 and fp64, XXS and XS;
plus the train/eval output contract and the stage controls."""
import pytest
import torch

from mmuniformer.models import (UniFormerLight, UniFormerLight3D,
                                UniFormerLightImageClassifier)
from tests import reference_light as R
from tests.light_layout import light_video_state
from tests.official_layout import official_state

IMAGE_SIZES = [(64, 64), (70, 90), (32, 64)]  # even, odd, tiny stage 4
SIZES = dict(xxs=IMAGE_SIZES, xs=[(70, 90)])


def _image_state(variant):
    return official_state(f'light_image_{variant}', num_classes=10)


@pytest.mark.parametrize('variant', ['xxs', 'xs'])
def test_image_classifier_logits(variant):
    sd = _image_state(variant)
    model = UniFormerLightImageClassifier(variant, num_classes=10)
    model.load_state_dict(sd, strict=True)
    model.eval()
    torch.manual_seed(1)
    for h, w in SIZES[variant]:
        x = torch.randn(2, 3, h, w)
        with torch.no_grad():
            got = model(x)
            want, want_cls = R.image_logits(x, sd, variant, with_cls=True)
            _, cls = model.forward_light(x)
            got_cls = model.head_cls(model.norm_cls(cls[:, 0]))
        assert (got - want).abs().max() <= 1e-4, (h, w)
        assert (got_cls - want_cls).abs().max() <= 1e-4, (h, w)


def test_image_classifier_float64_exact():
    sd = {k: v.double() if v.is_floating_point() else v
          for k, v in _image_state('xxs').items()}
    model = UniFormerLightImageClassifier('xxs', num_classes=10).double()
    model.load_state_dict(sd)
    model.eval()
    # stage 3: 3x4 tokens -> 6 kept; stage 4: 1x2 (the one-dropped rule)
    x = torch.randn(1, 3, 48, 64, dtype=torch.double)
    with torch.no_grad():
        diff = (model(x) - R.image_logits(x, sd, 'xxs')).abs().max()
    assert diff < 1e-10


def test_pruning_changes_the_output():
    """Pruning is part of the model (§2.9): all-ones ratios give other
    logits with the same weights."""
    sd = _image_state('xxs')
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        pruned = R.image_logits(x, sd, 'xxs')
        full = R.image_logits(x, sd, 'xxs', ratios=([1.] * 8, [1.] * 2))
        model = UniFormerLightImageClassifier(
            dict(depths=(2, 5, 8, 2), embed_dims=(56, 112, 224, 448),
                 head_dim=28, prune_ratio=([1.] * 8, [1.] * 2)),
            num_classes=10)
        model.load_state_dict(sd)
        got = model.eval()(x)
    assert (pruned - full).abs().max() > 1e-3
    assert (got - full).abs().max() <= 1e-4


def test_train_mode_returns_the_official_pair():
    model = UniFormerLightImageClassifier(
        dict(depths=(1, 1, 2, 1), embed_dims=(8, 16, 32, 64), head_dim=16),
        num_classes=7)
    x = torch.randn(2, 3, 64, 64)
    out = model.train()(x)
    assert isinstance(out, tuple) and [o.shape for o in out] == [(2, 7)] * 2
    assert model.eval()(x).shape == (2, 7)


@pytest.mark.parametrize('variant', ['xxs', 'xs'])
def test_dense_four_maps(variant):
    sd = _image_state(variant)
    for k in [k for k in sd if k.split('.')[0] in
              ('norm', 'norm_cls', 'head', 'head_cls')]:
        del sd[k]
    gen = torch.Generator().manual_seed(3)
    dims = R.VARIANTS[variant]['dims']
    for i, c in enumerate(dims):
        sd[f'norm{i + 1}.weight'] = 1 + .1 * torch.randn(c, generator=gen)
        sd[f'norm{i + 1}.bias'] = .1 * torch.randn(c, generator=gen)
    model = UniFormerLight(variant)
    model.load_state_dict(sd, strict=True)
    model.eval()
    for h, w in SIZES[variant]:
        x = torch.randn(1, 3, h, w)
        with torch.no_grad():
            got = model(x)
            want = R.dense_features(x, sd, variant)
        assert len(got) == 4
        for g, r in zip(got, want):
            assert g.shape == r.shape
            assert (g - r).abs().max() <= 1e-4, (h, w)
    assert model.cls_token.shape == (1, 1, dims[2])


@pytest.mark.parametrize('variant,ls,size', [
    ('xxs', False, (4, 64, 64)), ('xxs', True, (5, 48, 80)),
    ('xs', False, (3, 32, 64))])
def test_video_backbone_features(variant, ls, size):
    sd = light_video_state(variant, num_classes=10, layer_scale=ls)
    model = UniFormerLight3D(variant, layer_scale_init=.1 if ls else None,
                             return_cls_token=True)
    backbone_sd = {k: v for k, v in sd.items()
                   if k.split('.')[0] not in ('head', 'head_cls', 'norm_cls')}
    model.load_state_dict(backbone_sd, strict=True)
    model.eval()
    x = torch.randn(1, 3, *size)
    with torch.no_grad():
        feat, cls = model(x)
        got = torch.nn.functional.linear(feat.flatten(2).mean(-1),
                                         sd['head.weight'], sd['head.bias'])
        want = R.video_logits(x, sd, variant,
                              layer_scale='all' if ls else None)
    assert feat.shape[2] == (size[0] + 1) // 2
    assert cls.shape == (1, R.VARIANTS[variant]['dims'][3])
    assert (got - want).abs().max() <= 1e-4


def test_frozen_stages_and_norm_eval():
    model = UniFormerLight3D('xxs', frozen_stages=4, norm_eval=True)
    model.train()
    assert not any(p.requires_grad for p in model.parameters())
    model = UniFormerLight('xxs', frozen_stages=2, norm_eval=True)
    model.train()
    assert not any(p.requires_grad for p in model.blocks2.parameters())
    assert model.cls_token.requires_grad
    assert all(p.requires_grad for p in model.blocks3.parameters())
    assert not model.patch_embed1.proj[1].training


def test_with_cp_gives_the_same_gradients():
    torch.manual_seed(0)
    arch = dict(depths=(1, 1, 3, 2), embed_dims=(8, 16, 32, 64),
                head_dim=16)
    a = UniFormerLight(arch, with_cp=False)
    b = UniFormerLight(arch, with_cp=True)
    b.load_state_dict(a.state_dict())
    x = torch.randn(2, 3, 64, 64)
    for m in (a, b):
        m.train()
        sum(o.sum() for o in m(x)).backward()
    for (n, p), q in zip(a.named_parameters(), b.parameters()):
        assert torch.allclose(p.grad, q.grad, atol=1e-5), n


def test_bad_input_names_the_shape():
    with pytest.raises(ValueError, match=r'\(1, 3, 8, 8\)'):
        UniFormerLight3D('xxs')(torch.zeros(1, 3, 8, 8))
    with pytest.raises(ValueError, match="unknown light UniFormer arch"):
        UniFormerLight('small')
