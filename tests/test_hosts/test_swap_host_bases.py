"""The swap recipe of docs/user_guides/train_test.md on the hosts' own
model bases (issue 21): every MMSegmentation ``_base_/models`` file whose
model takes a feature-pyramid backbone, and the usual MMDetection and
MMAction2 bases, get UniFormer as the docs say -- the backbone replaced
with ``_delete_=True``, the next module's ``in_channels`` set from the
backbone's ``out_channels`` -- then are built by the host's registry and
run one forward. The host's ``model.pretrained`` stays as the host wrote
it (the backbone ignores host model-zoo names with a warning). MMAction2's
2D recognizers (TSN, TSM) are not among them: they take one map as a
tensor, and the 2D UniFormer gives the dense hosts' tuple of maps.

The few MMSegmentation bases that cannot take any other backbone are
listed in ``NOT_SWAPPABLE`` with the reason; a new base file that is in
neither list fails ``test_every_seg_base_is_tried_or_excluded``."""
import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config

from conftest import importorskip  # noqa: E402

# 4 stages, widths of UniFormer's ratios scaled down; hybrid stage 3
TINY = dict(depths=(1, 1, 2, 1), embed_dims=(16, 32, 48, 64), head_dim=16)
CHANNELS = TINY['embed_dims']

NOT_SWAPPABLE = {
    # the backbone is the whole network: its heads read branches, not a
    # pyramid of strides 4-32
    'bisenetv1_r18-d32.py': 'BiSeNetV1 context/spatial paths',
    'bisenetv2.py': 'BiSeNetV2 detail/semantic branches',
    'cgnet.py': 'CGNet is a full segmentation network',
    'erfnet_fcn.py': 'ERFNet encoder-decoder backbone',
    'fast_scnn.py': 'Fast-SCNN learning-to-downsample network',
    'icnet_r50-d8.py': 'ICNet wraps its own backbone (backbone_cfg)',
    'stdc.py': 'STDC context path wraps its own backbone',
    'deeplabv3_unet_s5-d16.py': 'UNet decoder levels, not a pyramid',
    'fcn_unet_s5-d16.py': 'UNet decoder levels, not a pyramid',
    'pspnet_unet_s5-d16.py': 'UNet decoder levels, not a pyramid',
    # heads / necks written for one ViT width or one dilated stride
    'dpt_vit-b16.py': 'DPTHead reassembles tokens of one ViT width',
    'setr_mla.py': 'MLA neck adds maps of one size (ViT tokens)',
    'ocrnet_r50-d8.py': 'OCR head reads stages 3 and 4 at one stride '
                        '(dilated ResNet-d8); ocrnet_hr18 swaps',
    'lraspp_m-v3-d8.py': 'fixed 49x49 pooling: needs 512 px crops, not '
                         'the 128 px of this test',
    # not a single-backbone segmentor
    'san_vit-b16.py': 'CLIP side-adapter model, no backbone key',
    'vpd_sd.py': 'Stable Diffusion depth estimator',
}


def _seg_bases():
    mmseg = importorskip('mmseg')
    folder = osp.join(osp.dirname(mmseg.__file__), '.mim', 'configs',
                      '_base_', 'models')
    return sorted(glob.glob(osp.join(folder, '*.py')))


def _channels(outs, in_channels, in_index):
    """The head's / neck's ``in_channels`` for the backbone's outputs of
    ``outs`` channels."""
    if isinstance(in_channels, (list, tuple)):
        index = in_index if isinstance(in_index, (list, tuple)) else \
            range(len(outs) - len(in_channels), len(outs))
        return [outs[i] for i in index]
    if in_index is None or in_index == -1:
        return outs[-1]
    return outs[in_index]


def _rewire(module, outs):
    if module is None:
        return
    for m in module if isinstance(module, list) else [module]:
        if 'in_channels' in m:
            m['in_channels'] = _channels(outs, m['in_channels'],
                                         m.get('in_index'))


def _swap_seg(path):
    cfg = Config.fromfile(path)
    model = cfg.model
    # the stages the host's 4-stage backbone gave (JPU reads stages 2-4);
    # ViT / PoolFormer layer indices become our four stages
    out_indices = tuple(model.backbone.get('out_indices', (0, 1, 2, 3)))
    if not all(0 <= i < 4 for i in out_indices):
        out_indices = (0, 1, 2, 3)
    outs = [CHANNELS[i] for i in out_indices]
    model.backbone = dict(type='mmuniformer.UniFormer', arch=dict(TINY),
                          out_indices=out_indices, init_cfg=None)
    neck = model.get('neck')
    if neck is not None and neck.get('type') == 'Feature2Pyramid':
        # BEiT / MAE: that neck makes a pyramid of one-stride ViT tokens;
        # UniFormer has its own pyramid, so the neck goes
        model.neck = neck = None
    if neck is not None and isinstance(neck.get('in_channels'),
                                       (list, tuple)):
        n = len(neck['in_channels'])
        neck['in_channels'] = type(neck['in_channels'])(
            outs[len(outs) - n:])
    for key in ('decode_head', 'auxiliary_head'):
        head = model.get(key)
        if neck is None or neck.get('type') == 'JPU':
            # heads read the backbone's maps (JPU passes them through and
            # adds its own 4 x mid_channels map as the last one)
            if neck is not None and key == 'decode_head':
                continue
            _rewire(head, outs)
        if neck is None:
            for m in head if isinstance(head, list) else [head]:
                if m is not None and 'c1_in_channels' in m:
                    m['c1_in_channels'] = CHANNELS[0]  # DeepLabV3+
    return model


@pytest.mark.parametrize('name', [
    osp.basename(p) for p in _seg_bases()
    if osp.basename(p) not in NOT_SWAPPABLE])
def test_seg_base_takes_uniformer(name):
    from mmengine.registry import init_default_scope
    from mmseg.registry import MODELS
    path = next(p for p in _seg_bases() if osp.basename(p) == name)
    init_default_scope('mmseg')
    model = MODELS.build(_swap_seg(path)).eval()
    assert type(model.backbone).__name__ == 'UniFormer'
    meta = dict(img_shape=(128, 128), ori_shape=(128, 128),
                pad_shape=(128, 128))
    with torch.no_grad():
        out = model.encode_decode(torch.randn(1, 3, 128, 128), [meta])
    assert out.shape[:1] == (1, ) and out.shape[-2:] == (128, 128)
    assert torch.isfinite(out).all()


def test_every_seg_base_is_tried_or_excluded():
    names = {osp.basename(p) for p in _seg_bases()}
    assert set(NOT_SWAPPABLE) <= names, set(NOT_SWAPPABLE) - names
    assert len(names - set(NOT_SWAPPABLE)) >= 34  # of 51 in mmseg 1.2.2


DET_BASES = ['retinanet_r50_fpn.py', 'faster-rcnn_r50_fpn.py',
             'mask-rcnn_r50_fpn.py', 'cascade-rcnn_r50_fpn.py',
             'rpn_r50_fpn.py']


@pytest.mark.parametrize('name', DET_BASES)
def test_det_base_takes_uniformer(name):
    mmdet = importorskip('mmdet')
    from mmengine.registry import init_default_scope
    from mmdet.registry import MODELS
    path = osp.join(osp.dirname(mmdet.__file__), '.mim', 'configs',
                    '_base_', 'models', name)
    cfg = Config.fromfile(path)
    cfg.model.backbone = dict(type='mmuniformer.UniFormer', arch=dict(TINY),
                              out_indices=(0, 1, 2, 3), init_cfg=None)
    cfg.model.neck.in_channels = list(CHANNELS)
    init_default_scope('mmdet')
    model = MODELS.build(cfg.model).eval()
    with torch.no_grad():
        feats = model.extract_feat(torch.randn(1, 3, 128, 128))
    neck = cfg.model.neck
    assert len(feats) == neck.num_outs
    assert all(f.shape[1] == neck.out_channels for f in feats)
    # the first neck level is the backbone stage start_level (stride 4 * 2^k)
    assert feats[0].shape[-1] == 128 // (4 * 2**neck.get('start_level', 0))


@pytest.mark.parametrize('name,backbone', [
    ('i3d_r50.py', 'mmuniformer.UniFormer3D'),
    ('slowonly_r50.py', 'mmuniformer.UniFormer3D'),
    ('x3d.py', 'mmuniformer.UniFormer3D')])
def test_action_base_takes_uniformer(name, backbone):
    mmaction = importorskip('mmaction')
    from mmengine.registry import init_default_scope
    from mmaction.registry import MODELS
    path = osp.join(osp.dirname(mmaction.__file__), '.mim', 'configs',
                    '_base_', 'models', name)
    cfg = Config.fromfile(path)
    cfg.model.backbone = dict(type=backbone, arch=dict(TINY), init_cfg=None)
    cfg.model.cls_head.in_channels = CHANNELS[-1]
    init_default_scope('mmaction')
    model = MODELS.build(cfg.model).eval()
    shape = (1, 1, 3, 8, 64, 64)
    with torch.no_grad():
        feats, kwargs = model.extract_feat(torch.randn(*shape))
        scores = model.cls_head(feats, **kwargs)
    assert scores.shape == (1, cfg.model.cls_head.num_classes)
