"""``mmuniformer.analysis.models`` (the model of a config as it is counted
and exported, the counted forwards) and the counting helpers of
``mmuniformer.analysis.flops`` that ``get_flops.py`` and ``benchmark.py``
share."""
import os.path as osp

import pytest
import torch
from conftest import REPO, importorskip
from mmengine.config import Config
from torch import nn

from mmuniformer.analysis import (HOST_FORWARDS, HOST_REGISTRIES,
                                  ImageForward, RecognizerForward,
                                  build_plain_model, count_flops,
                                  count_params, dummy_proposals, infer_scope,
                                  measure, prepare_config, trace_flops)

K400_CONFIG = osp.join(REPO, 'configs', 'recognition', 'uniformer',
                       'uniformer-small_imagenet1k-pre_8xb4-16x8x1-110e_'
                       'kinetics400-rgb.py')


def test_prepare_config_plain_copy_at_every_level():
    cfg = Config(dict(model=dict(
        type='mmdet.MaskRCNN',
        backbone=dict(type='mmuniformer.UniFormer', with_cp=True,
                      init_cfg=dict(type='Pretrained', checkpoint='x.pth')),
        neck=[dict(norm_cfg=dict(type='SyncBN'), pretrained='y.pth')],
        head=dict(init_cfg=dict(type='Normal', std=0.01)))))
    model_cfg = prepare_config(cfg)
    assert model_cfg['backbone']['with_cp'] is False
    assert model_cfg['backbone']['init_cfg'] is None
    assert model_cfg['neck'][0]['norm_cfg']['type'] == 'BN'
    assert model_cfg['neck'][0]['pretrained'] is None
    assert model_cfg['head']['init_cfg'] == dict(type='Normal', std=0.01)
    # the config itself is untouched
    assert cfg.model.backbone.with_cp is True
    assert cfg.model.neck[0].norm_cfg.type == 'SyncBN'


def test_infer_scope_from_default_scope_or_model_type():
    assert infer_scope(Config(dict(default_scope='mmseg',
                                   model=dict(type='X')))) == 'mmseg'
    assert infer_scope(Config(dict(model=dict(
        type='mmpose.TopdownPoseEstimator')))) == 'mmpose'
    with pytest.raises(ValueError, match="default_scope 'mmuniformer', "
                       "model 'Foo'.*set default_scope to one of mmaction"):
        infer_scope(Config(dict(default_scope='mmuniformer',
                                model=dict(type='Foo'))))


def test_every_host_has_a_forward():
    assert set(HOST_FORWARDS) == set(HOST_REGISTRIES)


def test_dummy_proposals_fixed_and_inside_the_image():
    boxes = dummy_proposals(50, 64, 96)
    assert boxes.shape == (50, 4)
    assert torch.equal(boxes, dummy_proposals(50, 64, 96))
    assert (boxes[:, 2] > boxes[:, 0]).all()
    assert (boxes[:, 3] > boxes[:, 1]).all()
    assert (boxes >= 0).all() and (boxes[:, 2] <= 96).all() and \
        (boxes[:, 3] <= 64).all()


class _Classifier(nn.Module):
    """A bare classifier: no ``backbone`` attribute, a ``head``."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 3)
        self.head = nn.Linear(8, 4)

    def forward(self, x):
        return self.head(self.stem(x).mean((2, 3)))


def test_measure_splits_backbone_and_heads_and_both_counters_agree():
    wrapper = ImageForward(_Classifier())
    x = torch.randn(1, 3, 10, 10)
    res = measure(wrapper, (x, ))
    stem = 8 * 3 * 3 * 3 * 8 * 8  # conv multiply-adds
    assert res['flops'] == stem + 8 * 4
    assert res['backbone_flops'] == stem
    assert res['params'] == count_params(wrapper.model) == \
        (8 * 27 + 8) + (8 * 4 + 4)
    assert res['backbone_params'] == 8 * 27 + 8
    traced = measure(wrapper, (x, ), trace=True)
    assert {k: traced[k] for k in ('flops', 'backbone_flops')} == \
        {k: res[k] for k in ('flops', 'backbone_flops')}
    assert trace_flops(wrapper, (x, )).total == \
        count_flops(wrapper, (x, )).total == res['flops']


def test_recognizer_forward_is_the_recognizers_head_path():
    """One view ``(B, 3, T, H, W)``: the scores and FLOPs of MMAction2's
    own ``_forward(stage='head')`` on ``(B, 1, 3, T, H, W)``, which the
    FLOPs tool traced before export shared the wrapper."""
    importorskip('mmaction')
    cfg = Config.fromfile(K400_CONFIG)
    cfg.model.backbone.arch = dict(depths=(1, 1, 1, 1),
                                   embed_dims=(16, 32, 64, 64), head_dim=16)
    cfg.model.cls_head.in_channels = 64
    scope, model = build_plain_model(cfg)
    assert scope == 'mmaction'
    model.eval()
    wrapper = RecognizerForward(model)
    x = torch.randn(2, 3, 4, 32, 32)
    with torch.no_grad():
        ours = wrapper(x)
        theirs = model._forward(x[:, None], stage='head')
    theirs = theirs[0] if isinstance(theirs, tuple) else theirs
    assert ours.shape == (2, 400)
    torch.testing.assert_close(ours, theirs)

    class _Host(nn.Module):

        def __init__(self, model):
            super().__init__()
            self.model = model

        def forward(self, x):
            return self.model._forward(x, stage='head')

    assert count_flops(wrapper, (x, )).total == \
        count_flops(_Host(model), (x[:, None], )).total
