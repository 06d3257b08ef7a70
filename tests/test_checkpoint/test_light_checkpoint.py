"""Official light checkpoints through the one converter and loader: video
(``model_state``, plain and ``ls_fp32``), ImageNet (flat or ``model``) with
the official ImageNet -> video inflation (spec §3.4), det/seg
(``state_dict`` + ``backbone.``); a K400 light config's recognizer loaded
from an official-layout file gives the oracle's logits (≤ 1e-4, fp32)."""
import os.path as osp

import pytest
from conftest import importorskip  # noqa: E402  (fails under CI=true)
import torch

from mmuniformer.models import UniFormerLight, UniFormerLight3D
from mmuniformer.checkpoint.adapter import (CheckpointMismatchError,
                                           head_dim_from_checkpoint)
from mmuniformer.checkpoint.convert import convert_checkpoint
from tests import reference_light as R
from tests.light_layout import light_video_state, video_layout_from_image
from tests.official_layout import load_layout, official_state

from conftest import REPO  # noqa: E402  (the repository root)
UNI = osp.join(REPO, 'configs', 'recognition', 'uniformer')
LS_4x128 = ('uniformer-light-xxs_imagenet1k-128px-pre_8xb32-u4-110e_'
            'kinetics400-128px-rgb.py')
XXS_16x160 = ('uniformer-light-xxs_imagenet1k-160px-pre_8xb32-u16-110e_'
              'kinetics400-160px-rgb.py')
XS_32x192 = ('uniformer-light-xs_imagenet1k-192px-pre_8xb16-u32-110e_'
             'kinetics400-192px-rgb.py')


def test_video_layout_rule_reproduces_the_official_list():
    derived = video_layout_from_image('light_image_xxs')
    official = load_layout('light_video_xxs')['keys']
    assert {k: list(v) for k, v in derived.items()} == \
        {k: list(v) for k, v in official.items()}


def test_convert_video_checkpoint_maps_both_heads():
    state = light_video_state('xxs')
    out = convert_checkpoint({'model_state': state})
    sd = out['state_dict']
    assert out['meta']['uniformer']['family'] == 'video'
    assert torch.equal(sd['cls_head.fc_cls.weight'], state['head.weight'])
    assert torch.equal(sd['cls_head.head_cls.weight'],
                       state['head_cls.weight'])
    assert torch.equal(sd['cls_head.norm_cls.bias'], state['norm_cls.bias'])
    assert torch.equal(sd['backbone.cls_token'], state['cls_token'])
    assert torch.equal(sd['backbone.norm.running_var'],
                       state['norm.running_var'])
    assert len(sd) == len(state)
    reordered = convert_checkpoint({'model_state': state},
                                   label_order='mmaction')['state_dict']
    moved = (reordered['cls_head.fc_cls.weight'] !=
             state['head.weight']).any(1)
    assert moved.any()
    # the cls-token head follows the same row permutation
    perm = [int((state['head.weight'] == row).all(1).nonzero())
            for row in reordered['cls_head.fc_cls.weight']]
    assert torch.equal(reordered['cls_head.head_cls.weight'],
                       state['head_cls.weight'][perm])


def test_convert_image_checkpoint_drops_the_classifier():
    state = official_state('light_image_xxs')
    for ckpt in (state, {'model': state}):
        sd = convert_checkpoint(ckpt)['state_dict']
        assert not any(k.split('.')[1] in ('head', 'head_cls', 'norm_cls',
                                           'norm') for k in sd)
        assert 'backbone.cls_upsample.weight' in sd


def test_head_dim_from_light_file_names():
    assert head_dim_from_checkpoint({}, 'uniformer_xxs_160_in1k.pth') == 28
    assert head_dim_from_checkpoint({}, 'uniformer_xs_192_in1k.pth') == 32
    assert head_dim_from_checkpoint({}, 'mask_rcnn_1x_xs.pth') == 32
    assert head_dim_from_checkpoint({}, 'uniformer_small_in1k.pth') == 64


@pytest.mark.parametrize('variant,ls', [('xxs', False), ('xxs', True),
                                        ('xs', False)])
def test_imagenet_to_video_inflation(tmp_path, variant, ls):
    state = official_state(f'light_image_{variant}')
    path = str(tmp_path / f'uniformer_{variant}_160_in1k.pth')
    torch.save(state if variant == 'xxs' else {'model': state}, path)
    model = UniFormerLight3D(variant, layer_scale_init=.1 if ls else None,
                             init_cfg=dict(type='Pretrained',
                                           checkpoint=path))
    model.init_weights()
    sd = model.state_dict()
    w = state['patch_embed1.proj.0.weight']
    assert torch.allclose(sd['patch_embed1.proj.0.weight'],
                          w.unsqueeze(2).repeat(1, 1, 3, 1, 1) / 3)
    w = state['blocks1.0.attn.weight']
    assert torch.allclose(sd['blocks1.0.attn.weight'],
                          w.unsqueeze(2).repeat(1, 1, 5, 1, 1) / 5)
    assert torch.equal(sd['blocks2.0.conv1.weight'][:, :, 0],
                       state['blocks2.0.conv1.weight'])
    for key in ('cls_token', 'cls_upsample.weight', 'norm.running_mean',
                'blocks3.1.attn.qkv.weight'):
        assert torch.equal(sd[key], state[key])
    if ls:
        assert torch.equal(sd['blocks3.0.gamma_1'],
                           torch.full_like(sd['blocks3.0.gamma_1'], .1))


def test_light_file_into_classic_model_is_refused(tmp_path):
    from mmuniformer.models import UniFormer3D
    path = str(tmp_path / 'light_video.pth')
    torch.save({'model_state': light_video_state('xxs')}, path)
    model = UniFormer3D('small', init_cfg=dict(type='Pretrained',
                                               checkpoint=path))
    with pytest.raises(CheckpointMismatchError, match='cls_token'):
        model.init_weights()


@pytest.mark.parametrize('variant', ['xxs'])
def test_det_checkpoint_into_dense_backbone(tmp_path, variant):
    sd = official_state(f'light_image_{variant}')
    sd = {k: v for k, v in sd.items()
          if k.split('.')[0] not in ('norm', 'norm_cls', 'head', 'head_cls')}
    gen = torch.Generator().manual_seed(5)
    for i, c in enumerate(R.VARIANTS[variant]['dims']):
        sd[f'norm{i + 1}.weight'] = 1 + .1 * torch.randn(c, generator=gen)
        sd[f'norm{i + 1}.bias'] = .1 * torch.randn(c, generator=gen)
    full = {'backbone.' + k: v for k, v in sd.items()}
    full['rpn_head.rpn_conv.weight'] = torch.zeros(256, 256, 3, 3)
    path = str(tmp_path / f'mask_rcnn_1x_{variant}.pth')
    torch.save({'state_dict': full, 'meta': {}}, path)
    assert convert_checkpoint(torch.load(path))['meta']['uniformer'][
        'family'] == 'det'
    model = UniFormerLight(variant, init_cfg=dict(type='Pretrained',
                                                  checkpoint=path))
    model.init_weights()
    model.eval()
    x = torch.randn(1, 3, 96, 64)
    with torch.no_grad():
        got = model(x)
        want = R.dense_features(x, sd, variant)
    diff = max(float((g - r).abs().max()) for g, r in zip(got, want))
    assert diff <= 1e-4


# -- K400 configs, official video files, recognizer logits --------------------
def _recognizer(config):
    importorskip('mmaction')
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmaction.registry import MODELS
    init_default_scope('mmaction')
    cfg = Config.fromfile(osp.join(UNI, config))
    cfg.model.backbone.pop('init_cfg', None)
    cfg.model.cls_head.num_classes = 10
    cfg.model.data_preprocessor.pop('blending', None)
    return MODELS.build(cfg.model)


@pytest.mark.parametrize('config,variant,ls,sizes', [
    (LS_4x128, 'xxs', True, [(4, 64, 64), (3, 48, 80)]),
    (XXS_16x160, 'xxs', False, [(8, 32, 64), (5, 70, 70)]),
    (XS_32x192, 'xs', False, [(4, 64, 64), (6, 32, 48)]),
])
def test_config_recognizer_gives_official_logits(tmp_path, config, variant,
                                                 ls, sizes):
    from mmuniformer.checkpoint.convert import load_as_mm_checkpoint
    model = _recognizer(config)
    state = light_video_state(variant, num_classes=10, layer_scale=ls)
    path = str(tmp_path / 'official_light_video.pth')
    torch.save({'model_state': state, 'epoch': 110}, path)
    load_as_mm_checkpoint(model, path)
    model.eval()
    diffs = []
    for T, H, W in sizes:
        x = torch.randn(1, 3, T, H, W)
        with torch.no_grad():
            got = model._forward(x[:, None], stage='head')
            want = R.video_logits(x, state, variant,
                                  layer_scale='all' if ls else None)
        diffs.append(float((got - want).abs().max()))
    assert max(diffs) <= 1e-4, diffs


def test_training_loss_adds_the_cls_token_term():
    importorskip('mmaction')
    from mmaction.structures import ActionDataSample
    model = _recognizer(XXS_16x160)
    model.train()
    x = torch.randn(2, 1, 3, 4, 64, 64)
    samples = [ActionDataSample().set_gt_label(i) for i in (1, 3)]
    losses = model(x, samples, mode='loss')
    assert set(losses) >= {'loss_cls', 'loss_cls_token'}
    head = model.cls_head
    # the term is w * CE(head_cls(LN_1e-5(cls token))) and loss_cls the
    # (1 - w) share of the head's CE (official 0.5 + 0.5); eval mode so
    # that both forwards are the same function (no drop path)
    model.eval()
    w = head.cls_token_loss_weight
    assert w == 0.5
    with torch.no_grad():
        losses = model(x, samples, mode='loss')
        feat, cls = model.backbone(x[:, 0])
        C = cls.shape[-1]
        cls_logits = torch.nn.functional.linear(
            torch.nn.functional.layer_norm(cls, (C, ), head.norm_cls.weight,
                                           head.norm_cls.bias, 1e-5),
            head.head_cls.weight, head.head_cls.bias)
        ce_cls = head.loss_by_feat(cls_logits, samples)['loss_cls']
        ce_head = head.loss_by_feat(head(feat), samples)['loss_cls']
    torch.testing.assert_close(losses['loss_cls_token'], w * ce_cls)
    torch.testing.assert_close(losses['loss_cls'], (1 - w) * ce_head)
    assert abs(float(ce_cls - ce_head)) > 1e-3  # two different terms
    head.cls_token_loss_weight = 0.
    with torch.no_grad():
        plain = model(x, samples, mode='loss')
    assert 'loss_cls_token' not in plain
    torch.testing.assert_close(plain['loss_cls'], ce_head)


def test_load_hook_converts_an_official_light_file_for_the_config():
    """What ``load_from`` / ``mim test --checkpoint`` do with the file: the
    hook rewrites it, and every tensor fits the recognizer (strict)."""
    from types import SimpleNamespace

    from mmuniformer.engine.hooks import OfficialCheckpointHook
    model = _recognizer(LS_4x128)
    state = light_video_state('xxs', num_classes=10, layer_scale=True)
    ckpt = {'model_state': state, 'epoch': 110}
    OfficialCheckpointHook().after_load_checkpoint(
        SimpleNamespace(model=model), ckpt)
    model.load_state_dict(ckpt['state_dict'], strict=True)
    assert torch.equal(model.cls_head.head_cls.weight,
                       state['head_cls.weight'])
