"""The trunk base that every backbone calls: its hooks (a custom block
builds through ``_build_block``), one ``_freeze_stages`` call per build,
the output description (``out_channels`` / ``feature_info``) against real
forwards, the one arch table, and the hosts' ``pretrained=`` shortcut."""
import warnings

import pytest
import torch
from conftest import TINY
from torch import nn

from mmuniformer.models import (ARCH_ZOO, UniFormer, UniFormer3D,
                                UniFormerClsBackbone,
                                UniFormerImageClassifier, UniFormerLight,
                                UniFormerLight3D,
                                UniFormerLightImageClassifier, resolve_arch,
                                stage_channels)
from mmuniformer.models.backbones.base import (HOST_ZOO_SCHEMES,
                                               UniFormerTrunk)

LTINY = dict(depths=(1, 2, 3, 2), embed_dims=(16, 32, 64, 64), head_dim=16)

# every registered backbone class with a tiny arch and an input it takes
BACKBONES = [
    (UniFormer, TINY, (1, 3, 64, 64)),
    (UniFormer3D, TINY, (1, 3, 4, 64, 64)),
    (UniFormerClsBackbone, TINY, (1, 3, 64, 64)),
    (UniFormerImageClassifier, TINY, (1, 3, 64, 64)),
    (UniFormerLight, LTINY, (1, 3, 64, 64)),
    (UniFormerLight3D, LTINY, (1, 3, 4, 64, 64)),
    (UniFormerLightImageClassifier, LTINY, (1, 3, 64, 64)),
]
IDS = [c.__name__ for c, _, _ in BACKBONES]


# -- hooks --------------------------------------------------------------------
class Identity3(nn.Module):
    """A block of our own: scales its input (so that it is seen)."""

    def __init__(self, scale):
        super().__init__()
        self.scale = scale

    def forward(self, x):
        return x * self.scale


class CustomBlocks(UniFormer):
    """A new backbone option written as the hook says: one method."""

    def _build_block(self, stage, index, drop_path):
        if stage == 3:
            return Identity3(2.)
        return super()._build_block(stage, index, drop_path)


def test_custom_build_block_is_used_in_build_and_forward():
    model = CustomBlocks(TINY).eval()
    assert [type(b) for b in model.blocks4] == [Identity3]
    assert type(model.blocks3[0]).__name__ == 'GlobalMHRABlock'
    # forward runs the custom block: stage 4 = 2 * embedded map
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        stages = model.forward_stages(x)
        embedded = model.patch_embed4(stages[2])
    torch.testing.assert_close(stages[3], 2 * embedded, rtol=0, atol=0)


def test_build_block_gets_stage_index_and_linear_drop_path():
    calls = []

    class Spy(UniFormer3D):

        def _build_block(self, stage, index, drop_path):
            calls.append((stage, index, drop_path))
            return super()._build_block(stage, index, drop_path)

    Spy(TINY, drop_path_rate=0.3)
    assert [c[:2] for c in calls] == [(0, 0), (1, 0), (2, 0), (2, 1),
                                      (2, 2), (2, 3), (3, 0)]
    want = torch.linspace(0, 0.3, 7).tolist()
    assert [c[2] for c in calls] == pytest.approx(want)


def test_custom_stage_forward_hook():
    """``_forward_stage`` is the one stage forward: overriding it changes
    what every stage returns, and its state reaches the next stage."""
    seen = []

    class Traced(UniFormer):

        def _forward_stage(self, stage, x, state):
            seen.append((stage, state))
            x, _ = super()._forward_stage(stage, x, state)
            return x, stage

    Traced(TINY).eval()(torch.randn(1, 3, 64, 64))
    assert seen == [(0, None), (1, 0), (2, 1), (3, 2)]


def test_base_without_patch_embed_names_the_hook():
    with pytest.raises(NotImplementedError, match='_build_patch_embed'):
        UniFormerTrunk(TINY)


@pytest.mark.parametrize('cls,arch,shape', BACKBONES, ids=IDS)
def test_freeze_stages_called_once_per_build(cls, arch, shape, monkeypatch):
    calls = []
    original = cls._freeze_stages

    def spy(self):
        calls.append(type(self).__name__)
        return original(self)

    monkeypatch.setattr(cls, '_freeze_stages', spy)
    model = cls(arch, frozen_stages=4)
    assert calls == [cls.__name__]
    # and what it froze includes the modules built after the stages
    frozen = {n for n, p in model.named_parameters() if not p.requires_grad}
    for name in ('norm.weight', 'cls_token', 'cls_upsample.weight',
                 'norm4.weight'):
        if name in dict(model.named_parameters()):
            assert name in frozen, name


def test_cls_backbone_never_builds_the_dense_norms(monkeypatch):
    """``UniFormerClsBackbone`` builds its BatchNorm ``norm`` and no
    per-stage LayerNorm (none built then deleted)."""
    from mmuniformer.models.backbones import uniformer
    built = []
    real = uniformer.layer_norm

    def spy(*args, **kwargs):
        built.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(uniformer, 'layer_norm', spy)
    UniFormer(TINY)
    assert len(built) == 4
    built.clear()
    model = UniFormerClsBackbone(TINY)
    assert built == []
    assert not any(k.startswith('norm4') for k in model.state_dict())
    assert isinstance(model.norm, nn.BatchNorm2d)


def test_light_trunk_runs_its_parent_init():
    """No skipped ``__init__``: the light trunk has every option the base
    checks (the base raises its own errors for it)."""
    with pytest.raises(ValueError, match='frozen_stages'):
        UniFormerLight(LTINY, frozen_stages=7)
    with pytest.raises(ValueError, match='channels_last'):
        UniFormerLight(LTINY, channels_last=True)
    model = UniFormerLight('xxs', channels_last=None, head_dim=56)
    assert model.channels_last is False
    assert model.head_dim == 56 and model.blocks3[0].attn.num_heads == 4


# -- output description ---------------------------------------------------------
def _maps(out):
    if isinstance(out, torch.Tensor):
        return [out]
    if isinstance(out[0], tuple):  # (maps, cls)
        return list(out[0])
    return list(out)


DENSE = [
    (UniFormer, dict(arch=TINY), (1, 3, 96, 64)),
    (UniFormer, dict(arch=TINY, out_indices=(1, 3)), (1, 3, 96, 64)),
    (UniFormer, dict(arch=dict(TINY, conv_stem=True)), (1, 3, 96, 64)),
    (UniFormer3D, dict(arch=TINY, out_indices=(0, 1, 2, 3)),
     (1, 3, 4, 96, 64)),
    (UniFormer3D, dict(arch=TINY), (1, 3, 4, 96, 64)),
    (UniFormerClsBackbone, dict(arch=TINY), (1, 3, 96, 64)),
    (UniFormerLight, dict(arch=LTINY), (1, 3, 96, 64)),
    (UniFormerLight, dict(arch=LTINY, out_indices=(2, )), (1, 3, 96, 64)),
    (UniFormerLight3D, dict(arch=LTINY, out_indices=(0, 3)),
     (1, 3, 4, 96, 64)),
]


@pytest.mark.parametrize('cls,kwargs,shape', DENSE,
                         ids=[f'{c.__name__}-{i}'
                              for i, (c, _, _) in enumerate(DENSE)])
def test_out_channels_and_feature_info_match_a_forward(cls, kwargs, shape):
    model = cls(**kwargs).eval()
    with torch.no_grad():
        maps = _maps(model(torch.randn(*shape)))
    H, W = shape[-2:]
    assert model.out_channels == tuple(m.shape[1] for m in maps)
    info = model.feature_info
    assert [i['num_chs'] for i in info] == [m.shape[1] for m in maps]
    assert [i['stage'] for i in info] == list(model.out_indices)
    for i, m in zip(info, maps):
        assert (H // i['reduction'], W // i['reduction']) == tuple(
            m.shape[-2:])


def test_stage_channels_from_the_table():
    """A config can derive a neck's in_channels without building."""
    assert stage_channels('small') == [64, 128, 320, 512]
    assert stage_channels('large', (1, 2, 3)) == [192, 448, 640]
    assert stage_channels('xxs', (3, )) == [448]
    assert stage_channels(LTINY) == list(LTINY['embed_dims'])
    for name in ('small', 'base', 'xs'):
        cls = UniFormerLight if name == 'xs' else UniFormer
        assert list(cls(name).out_channels) == stage_channels(name)


# -- one arch table -------------------------------------------------------------
def test_one_table_for_both_families():
    assert {v['family'] for v in ARCH_ZOO.values()} == {'classic', 'light'}
    light = resolve_arch('xs', family='light')
    assert light['depths'] == (3, 5, 9, 3) and light['mlp_ratio'] == 3.
    assert resolve_arch('small')['mlp_ratio'] == 4.
    with pytest.raises(ValueError, match='light variant: use UniFormerLight'):
        resolve_arch('xxs')
    with pytest.raises(ValueError, match='classic variant'):
        resolve_arch('small', family='light')
    with pytest.raises(ValueError, match='unknown keys'):
        resolve_arch(dict(TINY, prune_ratio=None))
    with pytest.raises(ValueError, match='family'):
        resolve_arch(dict(TINY), family='heavy')
    # a resolved dict resolves to itself, in either family
    for name, family in (('base_ls', 'classic'), ('xxs', 'light')):
        cfg = resolve_arch(name, family=family)
        assert resolve_arch(cfg, family=family) == cfg
    with pytest.raises(ValueError, match="family='light'"):
        resolve_arch(resolve_arch('xs', family='light'))


# -- pretrained= ----------------------------------------------------------------
@pytest.mark.parametrize('value', ['open-mmlab://resnet50_v1c',
                                   'torchvision://resnet50',
                                   'mmcls://mobilenet_v2'])
def test_host_zoo_pretrained_is_ignored_with_the_override(value):
    with pytest.warns(UserWarning) as record:
        model = UniFormer(TINY, pretrained=value)
    text = str(record[0].message)
    assert value in text and 'model.pretrained=None' in text
    assert "model.backbone.init_cfg=dict(type='Pretrained'" in text
    assert model.init_cfg is None
    # an init_cfg given too is kept
    cfg = dict(type='Pretrained', checkpoint='x.pth')
    with pytest.warns(UserWarning):
        model = UniFormer3D(TINY, pretrained=value, init_cfg=cfg)
    assert model.init_cfg == cfg


def test_host_zoo_tables_hold_no_uniformer():
    """The reason the host schemes are ignored, checked on the installed
    tables that the schemes read."""
    import glob
    import os.path as osp

    import mmengine
    tables = glob.glob(osp.join(osp.dirname(mmengine.__file__), 'hub',
                                '*.json'))
    assert len(tables) >= 2
    for table in tables:
        assert 'uniformer' not in open(table).read().lower(), table
    assert all(s.endswith('://') for s in HOST_ZOO_SCHEMES)


@pytest.mark.parametrize('cls,arch,shape', BACKBONES, ids=IDS)
def test_uniformer_pretrained_becomes_init_cfg(cls, arch, shape, tmp_path):
    """A file that is not in a host zoo is taken as the init_cfg checkpoint
    (with a warning) and loaded by init_weights."""
    torch.manual_seed(0)
    src = cls(arch)
    path = str(tmp_path / 'w.pth')
    torch.save(dict(state_dict=src.state_dict()), path)
    with pytest.warns(UserWarning, match='taken as init_cfg'):
        model = cls(arch, pretrained=path)
    assert model.init_cfg == dict(type='Pretrained', checkpoint=path)
    model.init_weights()
    for key, value in src.state_dict().items():
        assert torch.equal(model.state_dict()[key], value), key


def test_pretrained_and_init_cfg_conflict_names_the_fix(tmp_path):
    with pytest.raises(ValueError, match='model.pretrained=None'):
        UniFormer(TINY, pretrained='a.pth',
                  init_cfg=dict(type='Pretrained', checkpoint='b.pth'))
    with pytest.raises(TypeError, match='pretrained must be a str'):
        UniFormer(TINY, pretrained=True)


def test_no_pretrained_no_warning():
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        UniFormer(TINY)


@pytest.mark.parametrize('cls,arch,shape', [BACKBONES[1], BACKBONES[5]],
                         ids=['classic3d', 'light3d'])
def test_with_cp_checkpoints_the_counted_blocks(cls, arch, shape,
                                                monkeypatch):
    """``with_cp`` counts per stage reach the one stage loop, for the
    classic and the light stage forward (same gradients are tested in
    test_uniformer3d / test_light_models; this says it really recomputes)."""
    from torch.utils import checkpoint
    calls = []
    real = checkpoint.checkpoint

    def spy(fn, *args, **kwargs):
        calls.append(fn)
        return real(fn, *args, **kwargs)

    monkeypatch.setattr(checkpoint, 'checkpoint', spy)
    model = cls(arch, with_cp=(1, 0, 2, 1)).train()
    model(torch.randn(*shape, requires_grad=True))
    want = [model.blocks1[0], model.blocks3[0], model.blocks3[1],
            model.blocks4[0]]
    assert len(calls) == 4 and all(a is b for a, b in zip(calls, want))
    calls.clear()
    with torch.no_grad():
        model(torch.randn(*shape))
    assert calls == []
