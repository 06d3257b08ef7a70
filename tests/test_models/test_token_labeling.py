"""MixToken (box, lam, mixing, un-mixing) and the token-labeling loss
against hand-computed cases; MixToken composed with the real trunk."""
import functools
import math

import numpy as np
import pytest
import torch

from conftest import importorskip  # noqa: E402
importorskip('mmpretrain')

from mmpretrain.structures import DataSample  # noqa: E402

from mmuniformer.models.backbones import UniFormerClsBackbone  # noqa: E402
from mmuniformer.models.heads.cls_heads import \
    TokenLabelingClsHead  # noqa: E402
from mmuniformer.models.heads.mix_token import (MixToken,  # noqa: E402
                                                batch_flip_box)

TINY = dict(depths=(1, 1, 1, 1), embed_dims=(8, 16, 32, 64), head_dim=16)


def _fixed_draw(monkeypatch, lam, centre):
    monkeypatch.setattr(np.random, 'beta', lambda a, b: lam)
    draws = iter(centre)
    monkeypatch.setattr(np.random, 'randint', lambda n: next(draws))


def test_box_at_224_clipped_at_the_top_and_right(monkeypatch):
    # lam 0.75: cut = floor(56 * 0.5) = 28, half 14; centre (10, 50):
    # rows [10-14 -> 0, 24), cols [36, 64 -> 56)
    _fixed_draw(monkeypatch, 0.75, (10, 50))
    mix = MixToken()
    box = mix.draw(mix.grid((2, 3, 224, 224)))
    assert box == (0, 36, 24, 56)
    # stride 32: each end // 8 -> rows 0..3, cols 4..7: 9 of 49 tokens
    assert mix.coarse(box) == (0, 4, 3, 7)
    assert MixToken.lam(mix.coarse(box), 49) == pytest.approx(40 / 49)


def test_box_whole_cut_and_an_empty_coarse_box(monkeypatch):
    # lam 0: cut 56, centre (0, 0): rows/cols [0, 28)
    _fixed_draw(monkeypatch, 0.0, (0, 0))
    mix = MixToken()
    assert mix.draw((56, 56)) == (0, 0, 28, 28)
    # lam 0.99: cut = floor(56 * 0.1) = 5, half 2; centre (30, 30):
    # [28, 32) mixed at stride 4 but 28 // 8 == 32 // 8 - 1 ... = (3, 4)
    _fixed_draw(monkeypatch, 0.99, (30, 30))
    box = mix.draw((56, 56))
    assert box == (28, 28, 32, 32)
    assert mix.coarse(box) == (3, 3, 4, 4)
    _fixed_draw(monkeypatch, 0.99, (20, 20))
    box = mix.draw((56, 56))
    assert box == (18, 18, 22, 22)
    # tokens were mixed at stride 4, but the stride-32 box is empty:
    assert mix.coarse(box) == (2, 2, 2, 2)
    assert MixToken.lam(mix.coarse(box), 49) == 1.0


def test_grid_needs_multiples_of_32():
    mix = MixToken()
    assert mix.grid((1, 3, 64, 96)) == (16, 24)
    with pytest.raises(ValueError, match='divisible by 32'):
        mix.grid((1, 3, 60, 64))


def test_batch_flip_box_hand_case():
    x = torch.arange(12.).reshape(3, 1, 2, 2)
    out = batch_flip_box(x, (0, 1, 2, 2))  # column 1 of every sample
    expected = torch.tensor([[[[0., 9.], [2., 11.]]],
                             [[[4., 5.], [6., 7.]]],
                             [[[8., 1.], [10., 3.]]]])
    torch.testing.assert_close(out, expected)
    torch.testing.assert_close(batch_flip_box(out, (0, 1, 2, 2)), x)
    assert x[0, 0, 0, 1] == 1.  # the source is left alone


def _backbone():
    torch.manual_seed(0)
    return UniFormerClsBackbone(arch=TINY, head_dim=None).eval()


def test_mix_token_composes_with_the_trunk():
    net = _backbone()
    x = torch.randn(3, 3, 64, 64)
    shapes = []

    def full(feat):
        shapes.append(tuple(feat.shape))
        return batch_flip_box(feat, (0, 0) + tuple(feat.shape[-2:]))

    with torch.no_grad():
        plain = net(x)[0]
        mixed_all = net(x, mix_token=full)[0]
        empty = net(x, mix_token=functools.partial(
            batch_flip_box, box=(2, 2, 2, 2)))[0]
        part = net(x, mix_token=functools.partial(
            batch_flip_box, box=(0, 0, 8, 8)))[0]
        again = net(x)[0]
    assert shapes == [(3, 8, 16, 16)]  # the stride-4 map after patch_embed1
    # every token swapped = the mirrored batch
    torch.testing.assert_close(mixed_all, net(x.flip(0))[0])
    torch.testing.assert_close(empty, plain)
    assert not torch.allclose(part[0], plain[0])
    torch.testing.assert_close(part[1], plain[1])  # the middle sample
    torch.testing.assert_close(again, plain)  # the hook is removed


def _ce(logits, target):
    z = math.log(sum(math.exp(v) for v in logits))
    return -sum(t * (v - z) for v, t in zip(logits, target))


# B=2, C=2, a 1x2 token map; fc = I, aux_fc = 2 I, no bias
TOKENS = [[(1., 0.), (0., 2.)], [(0., 1.), (3., 0.)]]
TARGETS = [[(0.7, 0.3), (0.9, 0.1), (0.2, 0.8)],
           [(0.4, 0.6), (0.5, 0.5), (1.0, 0.0)]]


def _head(**kwargs):
    head = TokenLabelingClsHead(num_classes=2, in_channels=2, **kwargs)
    with torch.no_grad():
        head.fc.weight.copy_(torch.eye(2))
        head.fc.bias.zero_()
        head.aux_fc.weight.copy_(2 * torch.eye(2))
        head.aux_fc.bias.zero_()
    return head


def _inputs(box=None):
    feats = torch.tensor(TOKENS).permute(0, 2, 1).reshape(2, 2, 1, 2)
    samples = []
    for target in TARGETS:
        s = DataSample().set_gt_label(0)
        s.set_field(torch.tensor(target), 'token_label_target')
        if box is not None:
            s.set_field(box, 'mix_token_box', field_type='metainfo')
        samples.append(s)
    return (feats, ), samples


def test_loss_hand_computed_without_mixing():
    feats, samples = _inputs()
    losses = _head().loss(feats, samples)
    cls = [(0.5, 1.0), (1.5, 0.5)]  # fc(mean of the 2 tokens)
    want_cls = (_ce(cls[0], TARGETS[0][0]) + _ce(cls[1], TARGETS[1][0])) / 2
    dense = [_ce((2 * a, 2 * b), TARGETS[i][1 + j])
             for i in range(2) for j, (a, b) in enumerate(TOKENS[i])]
    assert losses['loss_cls'].item() == pytest.approx(want_cls, rel=1e-6)
    assert losses['loss_dense'].item() == pytest.approx(sum(dense) / 4,
                                                        rel=1e-6)


def test_loss_hand_computed_with_a_box_unmixes_and_mixes_the_target():
    # box: token 0 (row 0, col 0) mixed; the model saw sample 0 with
    # sample 1's token 0 -- un-mixing swaps the dense predictions of token
    # 0 back; lam = 1 - 1/2: class targets averaged with the mirror
    feats, samples = _inputs(box=(0, 0, 1, 1))
    losses = _head().loss(feats, samples)
    mixed_t = (0.55, 0.45)
    cls = [(0.5, 1.0), (1.5, 0.5)]
    want_cls = (_ce(cls[0], mixed_t) + _ce(cls[1], mixed_t)) / 2
    unmixed = [[TOKENS[1][0], TOKENS[0][1]], [TOKENS[0][0], TOKENS[1][1]]]
    dense = [_ce((2 * a, 2 * b), TARGETS[i][1 + j])
             for i in range(2) for j, (a, b) in enumerate(unmixed[i])]
    assert losses['loss_cls'].item() == pytest.approx(want_cls, rel=1e-6)
    assert losses['loss_dense'].item() == pytest.approx(sum(dense) / 4,
                                                        rel=1e-6)


def test_loss_weights_and_dense_off():
    feats, samples = _inputs()
    base = _head().loss(feats, samples)
    off = _head(dense_loss=dict(type='CrossEntropyLoss', use_soft=True,
                                loss_weight=0.),
                cls_loss=dict(type='CrossEntropyLoss', use_soft=True,
                              loss_weight=2.)).loss(feats, samples)
    assert off['loss_dense'].item() == 0.
    assert off['loss_cls'].item() == pytest.approx(
        2 * base['loss_cls'].item())


def test_plain_labels_keep_the_class_loss_on_the_summed_logits():
    feats, samples = _inputs()
    for s in samples:
        del s.token_label_target
    losses = _head().loss(feats, samples)
    assert set(losses) == {'loss'}
    # summed logits: fc(mean) + 0.5 * max aux
    summed = [(0.5 + 1.0, 1.0 + 2.0), (1.5 + 3.0, 0.5 + 1.0)]
    want = sum(_ce(s, (1., 0.)) for s in summed) / 2
    assert losses['loss'].item() == pytest.approx(want, rel=1e-6)


def test_target_of_the_wrong_grid_names_label_size():
    feats, samples = _inputs()
    for s in samples:
        s.token_label_target = torch.full((1 + 49, 2), 0.5)
    with pytest.raises(ValueError, match=r'label_size=1\) \(now 7\)'):
        _head().loss(feats, samples)


def _classifier(mix_token):
    from mmpretrain.registry import MODELS
    from mmengine.registry import init_default_scope
    import mmuniformer.models.heads.token_labeling  # noqa: F401
    init_default_scope('mmpretrain')
    torch.manual_seed(0)
    model = MODELS.build(dict(
        type='mmuniformer.TokenLabelingClassifier',
        backbone=dict(type='mmuniformer.UniFormerClsBackbone', arch=TINY,
                      head_dim=None),
        neck=None,
        head=dict(type='mmuniformer.TokenLabelingClsHead', num_classes=5,
                  in_channels=64),
        mix_token=mix_token))
    return model.eval()


def _tl_samples(num, classes=5, tokens=4):
    gen = torch.Generator().manual_seed(1)
    samples = []
    for _ in range(num):
        s = DataSample().set_gt_label(0)
        s.set_field(torch.rand(1 + tokens, classes, generator=gen).softmax(1),
                    'token_label_target')
        samples.append(s)
    return samples


def test_classifier_mixes_and_the_head_unmixes(monkeypatch):
    x = torch.randn(3, 3, 64, 64)
    plain = _classifier(None)
    with torch.no_grad():
        ref = plain.loss(x, _tl_samples(3))
    mixed = _classifier(dict(type='mmuniformer.MixToken'))
    # a box over the whole stride-4 grid: the batch is mirrored, the
    # coarse box covers all tokens, lam = 0 -> the un-mixed dense output
    # and mirrored class targets give exactly the loss of no mixing
    monkeypatch.setattr(MixToken, 'draw', lambda self, grid: (0, 0) + grid)
    samples = _tl_samples(3)
    with torch.no_grad():
        full = mixed.loss(x, samples)
    assert samples[0].mix_token_box == (0, 0, 2, 2)
    for key in ('loss_cls', 'loss_dense'):
        assert full[key].item() == pytest.approx(ref[key].item(), rel=1e-5)
    monkeypatch.setattr(MixToken, 'draw', lambda self, grid: (0, 0, 8, 16))
    with torch.no_grad():
        half = mixed.loss(x, _tl_samples(3))
    assert half['loss_dense'].item() != pytest.approx(
        ref['loss_dense'].item(), rel=1e-3)
    # predict: the official TL inference, no mixing
    with torch.no_grad():
        pred = mixed.predict(x)
        feat = mixed.backbone(x)[0]
        tokens = feat.flatten(2).transpose(1, 2)
        want = mixed.head.fc(tokens.mean(1)) + \
            0.5 * mixed.head.aux_fc(tokens).amax(1)
    torch.testing.assert_close(
        torch.stack([p.pred_score for p in pred]), want.softmax(1))


def test_heads_build_their_losses_in_mmpretrain_scope():
    """Built while MMAction2's scope is current (a notebook after an
    MMAction2 Runner, or an earlier test), the heads still get MMPretrain's
    soft-target CrossEntropyLoss; MMAction2's has no ``use_soft`` and the
    build failed."""
    importorskip('mmaction')
    import mmaction.models  # noqa: F401  (registers MMAction2's losses)
    from mmengine.registry import DefaultScope

    from mmuniformer.models.heads.cls_heads import LightClsHead
    with DefaultScope.overwrite_default_scope('mmaction'):
        head = TokenLabelingClsHead(num_classes=2, in_channels=2)
        light = LightClsHead(num_classes=2, in_channels=2)
    for loss in (head.cls_loss, head.dense_loss, head.loss_module,
                 light.loss_module):
        assert type(loss).__module__.startswith('mmpretrain.'), type(loss)
