"""Every numerical constant of the spec, seen: float64 models against the
strict functional oracles at 1e-8.

The float32 comparisons elsewhere (1e-4) cannot see an eps: 1e-6 -> 1e-5
in a LayerNorm over tokens of variance ~1 moves the output by ~5e-6. Here
model and oracle run in float64 (rounding ~1e-14), so each constant of
``shared/reference/uniformer_official.md`` (block LN eps 1e-6, patch-embed
LN eps 1e-5, BatchNorm eps 1e-5, dense ``norm1..4`` eps 1e-6, attention
scale ``head_dim ** -0.5``, right/bottom window padding, conv paddings) and
of ``uniformer_light.md`` (``norm_cls`` eps 1e-5, the same block and embed
values) moves the output by orders of magnitude more than the tolerance.
Inputs are scaled down (``SMALL``) so that the first LayerNorms see a token
variance near their eps, where a wrong eps changes the result the most.

Weights come from the official key lists (``official_layout``; names and
shapes independent of our modules) and the oracles are strict: a tensor
the official forward reads that the model lacks, or one the model has that
the official forward does not read, fails the test by name.
The hand mutations this file catches are listed in
``docs/advanced_guides/testing.md``.
"""
import pytest
import torch
from official_layout import TINY_DEPTHS, TINY_L_LS, TINY_S, TINY_S_PLUS
from official_layout import official_state

from tests import reference_light as RL
import reference_uniformer as RU
from tests.light_layout import light_video_state
from mmuniformer.models import (UniFormer, UniFormer3D,
                                UniFormerImageClassifier, UniFormerLight,
                                UniFormerLight3D,
                                UniFormerLightImageClassifier)

TOL = dict(atol=1e-8, rtol=1e-8)
SMALL = 0.05  # input scale: small token variance, so eps matters


def double(state):
    return {k: v.double() if v.is_floating_point() else v
            for k, v in state.items()}


def assert_same(ours, ref):
    ours = ours if isinstance(ours, (tuple, list)) else [ours]
    ref = ref if isinstance(ref, (tuple, list)) else [ref]
    assert len(ours) == len(ref)
    for o, r in zip(ours, ref):
        assert o.dtype == torch.float64 and o.shape == r.shape
        torch.testing.assert_close(o, r, **TOL)


def load(model, state):
    # float64 first: loading into float32 parameters would round the
    # float64 test weights (~3e-7) before the comparison at 1e-8
    model.double().load_state_dict(state, strict=True)
    return model.eval()


def dense_state(family='det_small_backbone'):
    return double(official_state(family, depths=TINY_DEPTHS, prefix=''))


# -- classic 2D dense backbone: global / window / hybrid, padded windows ---
@pytest.mark.parametrize('mode', ['global', 'window', 'hybrid'])
def test_dense_backbone_float64(mode):
    # 83 x 131 -> stage-3 map 5 x 8: window 3 pads one row and one column
    state = dense_state()
    model = load(UniFormer(TINY_S, attn_mode=mode, window_size=3,
                           out_indices=(0, 1, 2, 3)), state)
    x = SMALL * torch.randn(1, 3, 83, 131, dtype=torch.double)
    with torch.no_grad():
        assert_same(model(x), RU.dense_features(x, state, 64, mode, 3))


def test_dense_backbone_without_qkv_bias_float64():
    state = {k: v for k, v in dense_state().items()
             if not k.endswith('qkv.bias')}
    model = load(UniFormer(TINY_S, qkv_bias=False, out_indices=(0, 1, 2, 3)),
                 state)
    x = SMALL * torch.randn(1, 3, 64, 64, dtype=torch.double)
    with torch.no_grad():
        assert_same(model(x),
                    RU.dense_features(x, state, 64, qkv_bias=False))


# -- classic video backbone (3D stem padding, temporal_embed) --------------
@pytest.mark.parametrize('temporal_embed', [False, True])
def test_video_backbone_float64(temporal_embed):
    state = double(official_state('video_small_k400', depths=TINY_DEPTHS,
                                  num_classes=10))
    if temporal_embed:  # STD=True: patch_embed2..4 kernel (3, 2, 2)
        gen = torch.Generator().manual_seed(5)
        for i in (2, 3, 4):
            key = f'patch_embed{i}.proj.weight'
            shape = list(state[key].shape)
            shape[2] = 3
            state[key] = torch.randn(shape, generator=gen,
                                     dtype=torch.double) * 0.1
    trunk = {k: v for k, v in state.items() if not k.startswith('head.')}
    model = load(UniFormer3D(TINY_S, temporal_embed=temporal_embed), trunk)
    x = SMALL * torch.randn(1, 3, 5, 64, 64, dtype=torch.double)
    with torch.no_grad():
        ours = model(x)
        ref = RU.video_features(x, state, 64, temporal_embed=temporal_embed)
    assert_same(ours, ref)
    if temporal_embed:  # the temporal kernel matters (not all-centre)
        plain = dict(state)
        for i in (2, 3, 4):
            key = f'patch_embed{i}.proj.weight'
            w = torch.zeros_like(state[key])
            w[:, :, 1] = state[key][:, :, 1]
            plain[key] = w
        with torch.no_grad():
            other = RU.video_features(x, plain, 64, temporal_embed=True)
        assert (other - ref).abs().max() > 1e-3


# -- ImageNet classifiers: conv stem BNs, final BN, layer scale ------------
@pytest.mark.parametrize('family,arch,tl', [
    ('image_small_plus_in1k', TINY_S_PLUS, False),
    ('image_base_ls_in1k', dict(TINY_S, layer_scale='global'), False),
    ('image_large_ls_tl', TINY_L_LS, True)])
def test_image_classifier_float64(family, arch, tl):
    state = double(official_state(family, depths=TINY_DEPTHS,
                                  num_classes=10))
    model = load(UniFormerImageClassifier(arch, num_classes=10,
                                          token_labeling=tl), state)
    x = SMALL * torch.randn(2, 3, 64, 64, dtype=torch.double)
    with torch.no_grad():
        assert_same(model(x), RU.image_logits(
            x, state, arch['head_dim'], layer_scale=arch.get('layer_scale')))


# -- light models: stem BNs, norm_cls eps, pruning -------------------------
def light_image_state(variant='xxs'):
    return double(official_state(f'light_image_{variant}', num_classes=10))


def test_light_image_classifier_both_heads_float64():
    """Training mode returns (head, head_cls): the second sees ``norm_cls``
    (LN eps 1e-5). BatchNorms on batch statistics, as in training."""
    state = light_image_state()
    model = load(UniFormerLightImageClassifier('xxs', num_classes=10), state)
    x = SMALL * torch.randn(2, 3, 64, 64, dtype=torch.double)
    with torch.no_grad():
        # eval first: a training forward moves the BN running statistics
        # away from the ones the oracle reads
        assert_same(model.eval()(x), RL.image_logits(x, state, 'xxs'))
        ours = model.train()(x)
        ref = RL.image_logits(x, state, 'xxs', with_cls=True, train=True)
        assert_same(list(ours), list(ref))


def test_light_dense_backbone_float64():
    state = {k: v for k, v in light_image_state().items()
             if k.split('.')[0] not in ('norm', 'norm_cls', 'head',
                                        'head_cls')}
    gen = torch.Generator().manual_seed(3)
    for i, C in enumerate((56, 112, 224, 448)):  # det/seg output norms
        state[f'norm{i + 1}.weight'] = 1 + 0.1 * torch.randn(
            C, generator=gen, dtype=torch.double)
        state[f'norm{i + 1}.bias'] = 0.1 * torch.randn(
            C, generator=gen, dtype=torch.double)
    model = load(UniFormerLight('xxs'), state)
    x = SMALL * torch.randn(1, 3, 64, 96, dtype=torch.double)
    with torch.no_grad():
        assert_same(model(x), RL.dense_features(x, state, 'xxs'))


@pytest.mark.parametrize('ls', [False, True])
def test_light_video_float64(ls):
    state = double(light_video_state('xxs', num_classes=10, layer_scale=ls))
    trunk = {k: v for k, v in state.items()
             if k.split('.')[0] not in ('head', 'head_cls', 'norm_cls')}
    model = load(UniFormerLight3D('xxs', layer_scale_init=.1 if ls else None,
                                  return_cls_token=True), trunk)
    x = SMALL * torch.randn(1, 3, 4, 64, 64, dtype=torch.double)
    with torch.no_grad():
        feat, cls = model(x)
        head = torch.nn.functional.linear
        ours = (head(feat.flatten(2).mean(-1), state['head.weight'],
                     state['head.bias']),
                head(torch.nn.functional.layer_norm(
                    cls, cls.shape[-1:], state['norm_cls.weight'],
                    state['norm_cls.bias'], RL.CLS_LN_EPS),
                     state['head_cls.weight'], state['head_cls.bias']))
        ref = RL.video_logits(x, state, 'xxs', with_cls=True,
                              layer_scale='all' if ls else None)
    assert_same(list(ours), list(ref))


# -- the oracle itself is strict --------------------------------------------
def test_oracle_refuses_missing_and_unread_tensors():
    state = dense_state()
    x = torch.randn(1, 3, 32, 32, dtype=torch.double)
    missing = {k: v for k, v in state.items()
               if k != 'blocks3.0.attn.qkv.bias'}
    with pytest.raises(KeyError, match=r'blocks3\.0\.attn\.qkv\.bias'):
        RU.dense_features(x, missing, 64)
    extra = dict(state, **{'blocks3.0.gamma_1': torch.ones(320).double()})
    with pytest.raises(ValueError, match=r'blocks3\.0\.gamma_1'):
        RU.dense_features(x, extra, 64)
    # a layout with layer scale read as one without: every gamma unread
    ls = double(official_state('image_base_ls_in1k', depths=TINY_DEPTHS,
                               num_classes=10))
    with pytest.raises(ValueError, match='gamma'):
        RU.image_logits(x, ls, 64)
    with pytest.raises(KeyError, match='gamma_1'):  # ... or asked for more
        RU.image_logits(x, ls, 64, layer_scale='all')
