"""The 12 official checkpoint families, with layouts we did not write.

Every test checkpoint here is built by ``official_layout`` from
``../shared/reference/official_keys/<family>.json`` (names, shapes and
container listed from the official model code), never from our modules.
For each family:

1. loading it through the backbone's ``init_cfg`` in a shipped config that
   starts from it fills every backbone tensor: we count the model tensors
   that hold the file's values and compare with the count the JSON implies;
2. the converter converts it (``convert_checkpoint``, what
   ``tools/model_converters/convert_official.py`` calls; the CLI itself
   runs on an official video layout in ``test_convert.py``);
3. the converted file loads with ``strict=True`` into the full model of a
   shipped config that uses the family (ImageNet files are backbone-init
   checkpoints: the original file loads strictly into the repo's ImageNet
   model, the converted one fills the shipped config's backbone).

One model is built per family (init_cfg, then the strict load into it), so
that the 12 full-size families stay cheap.

A renamed key or a changed shape in a JSON makes these tests fail (the
adapter and the strict loads name the key).
"""
import importlib
import os.path as osp
import re

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from official_layout import load_layout, official_checkpoint
from reference_uniformer import image_logits, video_logits

from mmuniformer.models import UniFormerImageClassifier
from mmuniformer.checkpoint.convert import convert_checkpoint

from conftest import REPO  # noqa: E402  (the repository root)
REC = 'recognition/uniformer/uniformer-'
K400_S = REC + 'small_imagenet1k-pre_8xb4-16x4x1-110e_kinetics400-rgb.py'
K400_B = REC + 'base_imagenet1k-pre_8xb5-16x4x1-110e_kinetics400-rgb.py'
SSV2_S = REC + 'small_kinetics400-pre_8xb4-u16-50e_sthv2-rgb.py'
SSV2_B = REC + 'base_kinetics400-pre_8xb5-u16-50e_sthv2-rgb.py'
MASK_S = 'detection/uniformer/mask-rcnn_uniformer-s-h14_fpn_1x_coco.py'
MASK_B = 'detection/uniformer/mask-rcnn_uniformer-b-h14_fpn_1x_coco.py'
UPER_S = ('segmentation/uniformer/'
          'upernet_uniformer-s-g_8xb2-160k_ade20k-512x512.py')
POSE_S = 'pose/uniformer/td-hm_uniformer-s_8xb128-210e_coco-256x192.py'
POSE_B = 'pose/uniformer/td-hm_uniformer-b_8xb128-210e_coco-256x192.py'
SCOPE = dict(recognition='mmaction', detection='mmdet',
             segmentation='mmseg', pose='mmpose')

# family -> official file name (its head_dim rule applies), the shipped
# configs whose backbone init_cfg starts from it (with the backbone
# overrides the family needs where no shipped config uses it), and the
# shipped config its converted file loads into strictly.
FAMILIES = {
    'video_small_k400': dict(
        file='uniformer_small_k400_16x4.pth', init=[(SSV2_S, {})],
        full=K400_S),
    'video_base_k400': dict(
        file='uniformer_base_k400_16x4.pth', init=[(SSV2_B, {})],
        full=K400_B),
    'image_small_in1k': dict(
        file='uniformer_small_in1k.pth', init=[(K400_S, {}), (UPER_S, {})],
        arch=dict(arch='small')),
    'image_base_in1k': dict(
        file='uniformer_base_in1k.pth', init=[(POSE_B, {})],
        arch=dict(arch='base')),
    # no shipped config starts from S-dagger, B+LS, TL S or TL L+LS: the S/B
    # pose config with the family's backbone arch (README "Variants")
    'image_small_plus_in1k': dict(
        file='uniformer_small_plus.pth',
        arch=dict(arch='small_plus', head_dim=32),
        init=[(POSE_S, dict(arch='small_plus', head_dim=32))]),
    'image_base_ls_in1k': dict(
        file='uniformer_base_ls_in1k.pth', arch=dict(arch='base_ls'),
        init=[(POSE_B, dict(arch='base_ls'))]),
    'image_small_tl': dict(
        file='uniformer_small_tl_224.pth',
        arch=dict(arch='small', head_dim=32),
        init=[(POSE_S, dict(head_dim=32))]),
    'image_large_ls_tl': dict(
        file='uniformer_large_ls_tl_224.pth', arch=dict(arch='large'),
        init=[(POSE_S, dict(arch='large'))], head_in=640),
    'det_small_backbone': dict(
        file='mask_rcnn_1x_hybrid_small.pth', init=[(MASK_S, {})],
        full=MASK_S),
    'det_base_backbone': dict(
        file='mask_rcnn_1x_hybrid_base.pth', init=[(MASK_B, {})],
        full=MASK_B),
    'seg_small_backbone': dict(
        file='upernet_global_small.pth', init=[(UPER_S, {})],
        full=UPER_S),
    'pose_small_backbone': dict(
        file='top_down_256x192_global_small.pth', init=[(POSE_S, {})],
        full=POSE_S),
}
# keys of the official files that are no part of a backbone
HEAD = re.compile(r'^(head|aux_head)\.')
FINAL_BN = re.compile(r'^norm\.')
STAGE_LN = re.compile(r'^norm[1-4]\.')


@pytest.fixture(scope='module')
def official_file(tmp_path_factory):
    """family -> (path of the saved official checkpoint, its state)."""
    folder = tmp_path_factory.mktemp('official')
    cache = {}

    def get(family):
        if family not in cache:
            ckpt = official_checkpoint(family, seed=len(cache))
            path = folder / FAMILIES[family]['file']
            torch.save(ckpt, path)
            cache[family] = (str(path), next(iter(ckpt.values())))
        return cache[family]

    return get


def _cfg(name, backbone=None, **model):
    cfg = Config.fromfile(osp.join(REPO, 'configs', name))
    if backbone:
        cfg.model.backbone.update(backbone)
    for key, value in model.items():
        cfg.model[key].update(value)
    cfg.model.backbone.pop('pretrained', None)
    return cfg


def _build(name, cfg):
    scope = SCOPE[name.split('/')[0]]
    init_default_scope(scope)
    registry = importlib.import_module(f'{scope}.registry')
    return registry.MODELS.build(cfg.model)


def _filled(model_state, file_state):
    """Model tensors holding the file's values: same name, equal; or a 4D
    file kernel inflated to 5D (each temporal slice equal, summing to the
    2D kernel: the official inflation)."""
    filled = []
    for key, got in model_state.items():
        src = file_state.get(key)
        if src is None:
            continue
        if got.shape == src.shape:
            ok = torch.equal(got, src.to(got.dtype))
        elif got.dim() == 5 and src.dim() == 4:
            ok = torch.allclose(got.sum(2), src, atol=1e-6) and all(
                torch.equal(got[:, :, t], got[:, :, 0])
                for t in range(got.shape[2]))
        else:
            ok = False
        if ok:
            filled.append(key)
    return filled


def _strip_backbone(state):
    return {k[len('backbone.'):]: v for k, v in state.items()
            if k.startswith('backbone.')} or dict(state)


@pytest.mark.parametrize('family', sorted(FAMILIES))
def test_official_family(family, official_file):
    layout = load_layout(family)
    spec = FAMILIES[family]
    path, state = official_file(family)
    assert len(state) == layout['num_tensors']
    file_state = _strip_backbone(state)
    built = {}
    for name, backbone in spec['init']:
        head_in = spec.get('head_in')
        extra = dict(head=dict(in_channels=head_in)) if head_in else {}
        cfg = _cfg(name, dict(backbone, init_cfg=dict(
            type='Pretrained', checkpoint=path)), **extra)
        model = built[name] = _build(name, cfg)
        model.backbone.init_weights()
        target = model.backbone.state_dict()
        filled = _filled(target, file_state)
        # what the file holds beyond the backbone, by the official names
        unused = [k for k in file_state if HEAD.match(k) or (
            FINAL_BN.match(k) and not any(FINAL_BN.match(t) for t in target))
            or (STAGE_LN.match(k) and k not in target)]
        # what the backbone has beyond the file: only new stage LayerNorms
        new = [k for k in target if k not in file_state]
        assert all(STAGE_LN.match(k) for k in new), (name, new[:5])
        assert len(filled) == layout['num_tensors'] - len(unused), \
            (name, sorted(set(file_state) - set(filled) - set(unused))[:5])
        assert len(filled) + len(new) == len(target), name
        if family.startswith('pose'):  # the official norm1..3 are unused
            assert len(unused) == 6 and not new
    if 'full' in spec:
        name = spec['full']
        if name not in built:
            cfg = _cfg(name)
            cfg.model.backbone.init_cfg = None
            built[name] = _build(name, cfg)
        _check_strict_load(family, built[name].eval(), state)


def _check_strict_load(family, model, state):
    """Convert the official file and load it with ``strict=True``."""
    if family.startswith('video'):
        ckpt = {'model_state': state}
    else:
        # an official det/seg/pose file holds the heads too (mmdet 2.x /
        # mmseg 0.x names equal the 2.0 hosts'; mmpose 0.x says
        # keypoint_head): the host's own head tensors, renamed the 0.x way
        heads = {('keypoint_head.' + k[5:] if k.startswith('head.') else k):
                 torch.randn_like(v) if v.is_floating_point() else v
                 for k, v in model.state_dict().items()
                 if not k.startswith('backbone.')}
        ckpt = {'state_dict': dict(state, **heads), 'meta': {}}
    converted = convert_checkpoint(ckpt, FAMILIES[family]['file'])
    assert converted['meta']['uniformer']['head_dim'] == 64
    result = model.load_state_dict(converted['state_dict'], strict=True)
    assert not result.missing_keys and not result.unexpected_keys
    loaded = model.state_dict()
    for key, value in state.items():
        if family.startswith('video'):
            key = ('cls_head.fc_cls.' + key[5:] if key.startswith('head.')
                   else 'backbone.' + key)
        elif family.startswith('pose') and re.match(
                r'backbone\.norm[1-3]\.', key):
            continue  # unused by the official pose model (converter drops)
        torch.testing.assert_close(loaded[key], value, msg=key)
    if family == 'video_small_k400':  # cheap: a 4x32x32 clip
        x = torch.randn(1, 3, 4, 32, 32)
        with torch.no_grad():
            logits = model.cls_head(model.extract_feat(x[:, None])[0])
        torch.testing.assert_close(logits, video_logits(x, state, 64),
                                   atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize('family', sorted(
    f for f in FAMILIES if f.startswith('image')))
def test_imagenet_file_loads_strictly_into_the_image_model(
        family, official_file):
    """The original ImageNet / token-labeling file is the whole official
    model: it loads strictly into ``UniFormerImageClassifier``; its
    conversion keeps exactly the backbone tensors under their names."""
    layout = load_layout(family)
    spec = FAMILIES[family]
    _, state = official_file(family)
    token_labeling = any(k.startswith('aux_head.') for k in state)
    model = UniFormerImageClassifier(
        num_classes=state['head.weight'].shape[0],
        token_labeling=token_labeling, **spec['arch']).eval()
    model.load_state_dict(state, strict=True)
    assert len(model.state_dict()) == layout['num_tensors']
    converted = convert_checkpoint({layout['container']: state}, 'x.pth')
    assert set(converted['state_dict']) == {
        'backbone.' + k for k in state
        if not (HEAD.match(k) or FINAL_BN.match(k))}
    if family == 'image_small_tl':  # cheap: S widths at 32x32, head_dim 32
        x = torch.randn(1, 3, 32, 32)
        with torch.no_grad():
            torch.testing.assert_close(model(x), image_logits(x, state, 32),
                                       atol=1e-4, rtol=1e-4)
