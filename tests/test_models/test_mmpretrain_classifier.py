"""Official ImageNet checkpoints in MMPretrain's ImageClassifier.

Every classification config is built from its file and given an official
ImageNet checkpoint in the official layout (``tests/official_layout.py``:
names, shapes and the ``model`` container from the shared key lists, not
from our modules). It is loaded the two supported ways -- as shipped,
through ``OfficialCheckpointHook`` (what ``load_from`` / ``mim test
--checkpoint`` run), and converted once by
``tools/model_converters/convert_official.py`` -- each with ``strict=True``,
and the logits are compared with the functional reference of the official
forward (``tests/reference_uniformer.py``) at the head_dim the official
file was trained with (reference §9.1).
"""
import functools
import os.path as osp
from collections import OrderedDict

import pytest
from conftest import importorskip  # noqa: E402  (fails under CI=true)
import torch
from conftest import load_script
from mmengine.config import Config
from official_layout import layer_scale_of, load_layout, official_state
from reference_uniformer import image_logits

importorskip('mmpretrain')
pytestmark = pytest.mark.usefixtures('one_thread')

from mmengine.registry import init_default_scope  # noqa: E402
from mmengine.runner.checkpoint import _load_checkpoint_to_model  # noqa

from mmuniformer.engine.hooks import OfficialCheckpointHook  # noqa: E402
from mmuniformer.checkpoint.adapter import CheckpointMismatchError  # noqa

from conftest import REPO  # noqa: E402  (the repository root)
CFG_DIR = osp.join(REPO, 'configs', 'classification', 'uniformer')
CONVERTER = osp.join(REPO, 'tools', 'model_converters', 'convert_official.py')
# no positional table: the official model runs at any size; 32x64 keeps
# two stage-4 tokens (a real max for the token-labeling head)
SIZE = (32, 64)

# config -> (official layout, head_dim of the official file, §9.1).
# '+aux' = the plain layout plus a token-labeling aux_head of the head's
# shape (the TL S+ / B files differ from the plain ones by it, §3).
CASES = {
    'uniformer-small_8xb128_in1k': ('image_small_in1k', 64),
    'uniformer-small-plus_8xb128_in1k': ('image_small_plus_in1k', 32),
    'uniformer-small-plus-dim64_8xb128_in1k': ('image_small_plus_in1k', 64),
    'uniformer-base_8xb128_in1k': ('image_base_in1k', 64),
    'uniformer-base-ls_8xb128_in1k': ('image_base_ls_in1k', 64),
    'uniformer-small_tl_8xb128_in1k': ('image_small_tl', 32),
    'uniformer-small-dim64_tl_8xb128_in1k': ('image_small_tl', 64),
    'uniformer-small-plus_tl_8xb128_in1k': ('image_small_plus_in1k+aux', 32),
    'uniformer-small-plus-dim64_tl_8xb128_in1k':
    ('image_small_plus_in1k+aux', 64),
    'uniformer-base_tl_8xb128_in1k': ('image_base_in1k+aux', 32),
    'uniformer-base-dim64_tl_8xb128_in1k': ('image_base_in1k+aux', 64),
    'uniformer-large-ls_tl_8xb128_in1k': ('image_large_ls_tl', 64),
    'uniformer-small_tl_8xb64_in1k-384px': ('image_small_tl', 32),
    'uniformer-small-plus_tl_8xb64_in1k-384px':
    ('image_small_plus_in1k+aux', 32),
    'uniformer-base_tl_8xb64_in1k-384px': ('image_base_in1k+aux', 32),
    'uniformer-large-ls_tl_8xb32_in1k-384px': ('image_large_ls_tl', 64),
}
# the token-labeling training configs: the model of their _tl_ test config
CASES.update({
    name.replace('_tl_', '_tl-train_'): case
    for name, case in list(CASES.items()) if '_tl_' in name
})
# the light ImageNet configs: tests/test_models/test_light_cls.py
LIGHT = {'uniformer-light-xxs_8xb512_in1k-%dpx' % r for r in (128, 160, 192,
                                                              224)} | {
    'uniformer-light-xs_8xb512_in1k-192px',
    'uniformer-light-xs_8xb512_in1k-224px'}
# Loaded and run (full-size models: the expensive part): every layout,
# both head kinds, a 384 config. Each other config builds the same
# backbone as one of these up to head_dim (pinned by CASES and
# test_wrong_head_dim_changes_the_logits) and drop path (off in eval), and
# the head kind its layout needs (checked by
# test_other_configs_build_the_same_model and tests/test_configs).
RUN = [
    'uniformer-small_8xb128_in1k',
    'uniformer-small-plus_8xb128_in1k',
    'uniformer-base-ls_8xb128_in1k',
    'uniformer-small_tl_8xb128_in1k',
    'uniformer-small-plus-dim64_tl_8xb128_in1k',
    'uniformer-base_tl_8xb64_in1k-384px',
    'uniformer-large-ls_tl_8xb128_in1k',
]
# the one config without an official checkpoint (L was released TL only)
NO_OFFICIAL = {'uniformer-large-ls_8xb128_in1k'}


def _load_tool():
    return load_script(CONVERTER, 'uniformer_convert')


@functools.lru_cache(maxsize=None)
def _official_state(family, seed):
    return official_state(family, seed)


def official_file(layout, seed=0):
    """``{'model': state}`` of ``layout`` (see CASES for '+aux')."""
    family, _, aux = layout.partition('+')
    state = OrderedDict(_official_state(family, seed))
    if aux:
        gen = torch.Generator().manual_seed(seed + 7)
        for leaf in ('weight', 'bias'):
            shape = state[f'head.{leaf}'].shape
            state[f'aux_head.{leaf}'] = 0.05 * torch.randn(shape,
                                                           generator=gen)
        return {'model': state}
    assert load_layout(family)['container'] == 'model'
    return {'model': state}


@functools.lru_cache(maxsize=None)
def model_cfg(name):
    return Config.fromfile(osp.join(CFG_DIR, name + '.py')).model


def build(name):
    from mmpretrain.registry import MODELS
    init_default_scope('mmpretrain')
    return MODELS.build(model_cfg(name).copy()).eval()


class _Runner:
    def __init__(self, model):
        self.model = model


def load_as_shipped(model, ckpt):
    """What Runner.load_checkpoint does: read, call after_load_checkpoint,
    load -- here with strict=True."""
    OfficialCheckpointHook().after_load_checkpoint(_Runner(model), ckpt)
    _load_checkpoint_to_model(model, ckpt, strict=True)


def logits(model, x):
    with torch.no_grad():
        return model(x, mode='tensor')


def test_cases_cover_every_config():
    import glob
    names = {osp.splitext(osp.basename(p))[0]
             for p in glob.glob(osp.join(CFG_DIR, '*.py'))}
    assert names == set(CASES) | NO_OFFICIAL | LIGHT


@pytest.mark.parametrize('name', RUN)
def test_official_checkpoint_as_shipped_gives_official_logits(name):
    layout, head_dim = CASES[name]
    ckpt = official_file(layout)
    state = OrderedDict(ckpt['model'])
    model = build(name)
    assert model.backbone.head_dim == head_dim
    load_as_shipped(model, ckpt)
    x = torch.randn(2, 3, *SIZE)
    ls = layer_scale_of(layout)
    expected = image_logits(x, state, head_dim, layer_scale=ls)
    torch.testing.assert_close(logits(model, x), expected, atol=1e-4,
                               rtol=1e-4)
    if 'aux_head.weight' in state:
        # the aux branch matters: without it the logits are different
        plain = dict(state)
        del plain['aux_head.weight'], plain['aux_head.bias']
        assert not torch.allclose(image_logits(x, plain, head_dim,
                                               layer_scale=ls),
                                  expected, atol=1e-2)


@pytest.mark.parametrize('layout,name,head_dim', [
    ('image_small_in1k', 'uniformer-small_8xb128_in1k', 64),
    ('image_small_tl', 'uniformer-small_tl_8xb128_in1k', 32),
])
def test_converter_output_loads_strict(tmp_path, layout, name, head_dim):
    src = tmp_path / 'official.pth'
    dst = tmp_path / 'converted.pth'
    ckpt = official_file(layout)
    torch.save(dict(ckpt, epoch=299, args=None), src)
    _load_tool().main([str(src), str(dst)])
    converted = torch.load(dst)
    meta = converted['meta']['uniformer']
    assert meta['family'] == 'image' and meta['image_layout'] == \
        'classifier'
    assert meta['token_labeling'] == ('aux_head.weight' in ckpt['model'])
    model = build(name)
    model.load_state_dict(converted['state_dict'], strict=True)
    x = torch.randn(1, 3, *SIZE)
    torch.testing.assert_close(logits(model, x),
                               image_logits(x, ckpt['model'], head_dim),
                               atol=1e-4, rtol=1e-4)


def test_other_configs_build_the_same_model():
    """Every config outside RUN has the backbone of a RUN config with the
    same trunk (up to head_dim and drop path) and the head its layout
    needs (token labeling iff the layout has aux_head)."""
    def backbone(name):
        cfg = model_cfg(name).backbone.to_dict()
        return {k: v for k, v in cfg.items()
                if k not in ('head_dim', 'drop_path_rate')}
    for name, (layout, head_dim) in CASES.items():
        if name in RUN:
            continue
        cfg = model_cfg(name)
        assert cfg.backbone.head_dim == head_dim, name
        trunk = layout.split('+')[0].replace('_tl', '_in1k')
        refs = [r for r in RUN
                if CASES[r][0].split('+')[0].replace('_tl', '_in1k') == trunk]
        assert any(backbone(name) == backbone(r) for r in refs), name
        tl = layout.endswith('+aux') or layout.endswith('_tl')
        assert (cfg.head.type == 'mmuniformer.TokenLabelingClsHead') == tl
        assert (cfg.neck is None) == tl, name


def test_wrong_head_dim_changes_the_logits():
    """head_dim changes no shape: the TL S file in the dim64 config loads
    but is not the official function (why CASES pins head_dim)."""
    ckpt = official_file('image_small_tl')
    state = OrderedDict(ckpt['model'])
    model = build('uniformer-small-dim64_tl_8xb128_in1k')
    load_as_shipped(model, ckpt)
    x = torch.randn(1, 3, *SIZE)
    assert not torch.allclose(logits(model, x), image_logits(x, state, 32),
                              atol=1e-3)


@pytest.mark.parametrize('layout,name', [
    ('image_small_tl', 'uniformer-small_8xb128_in1k'),
    ('image_small_in1k', 'uniformer-small-dim64_tl_8xb128_in1k'),
])
def test_head_mismatch_is_refused(layout, name):
    model = build(name)
    with pytest.raises(CheckpointMismatchError, match='aux'):
        load_as_shipped(model, official_file(layout))


def test_backbone_models_still_get_the_trunk_only():
    """An official ImageNet file loaded into a dense model (not a
    classifier) still initialises the backbone only."""
    from mmuniformer.models import UniFormer
    from mmuniformer.checkpoint.convert import image_layout_for
    model = torch.nn.Module()
    model.backbone = UniFormer('small', out_indices=(3, ))
    assert image_layout_for(model) == 'backbone'
    ckpt = official_file('image_small_in1k')
    OfficialCheckpointHook().after_load_checkpoint(_Runner(model), ckpt)
    keys = set(ckpt['state_dict'])
    assert not any(k.startswith(('head.', 'backbone.norm.')) for k in keys)
    assert keys == {'backbone.' + k for k in _official_state(
        'image_small_in1k', 0) if not k.startswith(('head.', 'norm.'))}
