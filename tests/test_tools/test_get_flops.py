"""tools/analysis_tools/get_flops.py: the attention handle against hand
counts, the backbone figures of the official zoo that we can reproduce
exactly (params within 0.5 %, FLOPs within 2 % and within the zoo's
rounding) and one run of the command line.

Only cheap cases run here (image S / S+ / B at 224, video S at 8 frames,
a detector on a reduced input); the full README table (800x1280,
512x2048, 32-frame B, ...) is produced by the tool itself.
"""
import importlib.util
import math
import os.path as osp
import subprocess
import sys

import pytest
import torch
import torch.nn.functional as F
from torch import nn

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOL = osp.join(REPO, 'tools', 'analysis_tools', 'get_flops.py')
VIDEO_S8 = osp.join(
    REPO, 'configs', 'recognition', 'uniformer',
    'uniformer-small_imagenet1k-pre_8xb16-8x8x1-100e_kinetics400-rgb.py')
MASK_RCNN_S = osp.join(REPO, 'configs', 'detection', 'uniformer',
                       'mask-rcnn_uniformer-s-h14_fpn_1x_coco.py')


def _load_tool():
    spec = importlib.util.spec_from_file_location('uniformer_get_flops',
                                                  TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


tool = _load_tool()


def _rel(value, ref):
    return abs(value - ref) / ref


class _Wrap(nn.Module):
    """``measure`` expects ``wrapper.model.backbone``."""

    def __init__(self, fn, backbone=None):
        super().__init__()
        self.model = nn.Module()
        self.model.backbone = (nn.Identity() if backbone is None
                               else backbone)
        self.fn = fn

    def forward(self, *args):
        return self.fn(self, *args)


# -- the attention handle -----------------------------------------------------
def test_sdpa_handle_counts_both_matmuls():
    q = torch.randn(2, 3, 5, 4)
    k = torch.randn(2, 3, 7, 4)
    v = torch.randn(2, 3, 7, 6)
    fused = tool.measure(
        _Wrap(lambda self, q, k, v: F.scaled_dot_product_attention(q, k, v)),
        (q, k, v))
    # q k^T: 2*3 * 5*4*7 = 840 multiply-adds; attn v: 2*3 * 5*7*6 = 1260
    assert fused['flops'] == 840 + 1260
    assert fused['unsupported'] == {}

    def explicit(self, q, k, v):
        attn = (q @ k.transpose(-2, -1)) * q.shape[-1] ** -0.5
        return attn.softmax(-1) @ v

    # the stock fvcore/mmengine matmul handle gives the same for the
    # explicit form of the official code
    assert tool.measure(_Wrap(explicit), (q, k, v))['flops'] == 2100


def test_attention_module_by_hand():
    from mmuniformer.models import MultiHeadSelfAttention
    B, N, C, heads = 2, 10, 64, 2
    attn = MultiHeadSelfAttention(C, heads)
    res = tool.measure(_Wrap(lambda self, x: self.model.backbone(x), attn),
                       (torch.randn(B, N, C), ))
    qkv = B * N * C * 3 * C
    proj = B * N * C * C
    matmuls = 2 * B * heads * N * N * (C // heads)
    assert res['flops'] == qkv + proj + matmuls
    assert res['by_operator']['scaled_dot_product_attention'] == matmuls
    assert res['backbone_params'] == res['params'] == (C * 3 * C + 3 * C +
                                                       C * C + C)


# -- zoo figures --------------------------------------------------------------
# (arch, GFLOPs of the ImageNet README, params of the official model with
# its 1000-class head as measured in the reference, section 2)
IMAGE_ROWS = [
    ('small', 3.6, 21.55e6),
    ('small_plus', 4.2, 24.03e6),
    ('base', 8.3, 49.78e6),
]


@pytest.mark.parametrize('arch,gflops,params', IMAGE_ROWS,
                         ids=[r[0] for r in IMAGE_ROWS])
def test_image_zoo_figures(arch, gflops, params):
    name, size, wrapper, inputs = tool.build_case(f'image:{arch}')
    assert size == '224×224'
    res = tool.measure(wrapper, inputs)
    measured = res['flops'] / 1e9
    assert round(measured, 1) == gflops
    assert _rel(measured, gflops) < 0.02
    assert _rel(res['params'], params) < 0.005
    # the classifier head adds C4 * 1000 + 1000 params and ~0.5 MFLOPs
    assert res['params'] - res['backbone_params'] == 512 * 1000 + 1000
    assert 0 < res['flops'] - res['backbone_flops'] < 1e6


def test_image_large_params():
    """L: the head is not traced (its 12.6G is disputed, see the README);
    params + the token-labeling aux head = the official 100.10 M."""
    model = tool.ImageClassifier('large')
    aux_head = 640 * 1000 + 1000
    assert _rel(tool.count_params(model) + aux_head, 100.10e6) < 0.005


class _VideoClassifier(nn.Module):
    """Official video model: UniFormer3D -> mean -> Linear(512, 400)."""

    def __init__(self):
        super().__init__()
        from mmuniformer.models import UniFormer3D
        self.backbone = UniFormer3D('small')
        self.head = nn.Linear(512, 400)

    def forward(self, x):
        return self.head(self.backbone(x).flatten(2).mean(-1))


def test_video_s8_per_view():
    """K400 S 8x1x4: 70G over 4 views = 17.5G per view; 21.40 M params."""
    res = tool.measure(tool.ImageForward(_VideoClassifier()),
                       (torch.randn(1, 3, 8, 224, 224), ))
    assert _rel(res['flops'] / 1e9, 17.5) < 0.02
    assert math.isclose(round(res['flops'] / 1e9 * 4), 70)
    assert _rel(res['params'], 21.40e6) < 0.005


# -- whole models -------------------------------------------------------------
def test_detector_path_small_input():
    """The detector trace (official forward_dummy) on a reduced input: the
    backbone part equals the backbone alone; the params are the zoo's 41M."""
    if not osp.isfile(MASK_RCNN_S):
        pytest.skip(f'{MASK_RCNN_S} not found')
    name, size, wrapper, inputs = tool.build_case(
        MASK_RCNN_S, shape=(128, 160), num_proposals=50, num_mask_rois=5)
    assert size == '128×160'
    model = wrapper.model
    assert all(n == 0 for n in model.backbone.cp_blocks)  # with_cp off
    res = tool.measure(wrapper, inputs)
    alone = tool.measure(tool.ImageForward(_Backbone(model.backbone)),
                         inputs)
    assert res['backbone_flops'] == alone['flops']
    assert res['flops'] > res['backbone_flops']
    assert round(res['params'] / 1e6) == 41
    assert _rel(res['backbone_params'], 21.03e6) < 0.005


class _Backbone(nn.Module):

    def __init__(self, backbone):
        super().__init__()
        self.backbone = backbone

    def forward(self, x):
        return self.backbone(x)


# -- command line -------------------------------------------------------------
def test_cli_markdown_row():
    if not osp.isfile(VIDEO_S8):
        pytest.skip(f'{VIDEO_S8} not found')
    res = subprocess.run(
        [sys.executable, TOOL, VIDEO_S8, '--shape', '4', '64', '64',
         '--markdown'], cwd=REPO, capture_output=True, text=True,
        timeout=300)
    assert res.returncode == 0, res.stderr[-3000:]
    lines = [ln for ln in res.stdout.splitlines() if ln.startswith('|')]
    assert lines[0] == tool.HEADER
    assert lines[1] == tool.SEPARATOR
    assert len(lines) == 3
    row = tool.parse_row(lines[2])
    assert row['model'] == osp.splitext(osp.basename(VIDEO_S8))[0]
    assert row['input'] == '4×64×64'
    # same count in-process, on the backbone + head built by hand
    ref = tool.measure(tool.ImageForward(_VideoClassifier()),
                       (torch.randn(1, 3, 4, 64, 64), ))
    assert row['total_gflops'] == pytest.approx(ref['flops'] / 1e9,
                                                abs=0.006)
    assert row['backbone_gflops'] == pytest.approx(
        ref['backbone_flops'] / 1e9, abs=0.006)
    assert row['total_params_m'] == pytest.approx(21.40, abs=0.006)
    assert row['backbone_params_m'] == pytest.approx(
        ref['backbone_params'] / 1e6, abs=0.006)


# -- MMPretrain classification configs ----------------------------------------
CLS_DIR = osp.join(REPO, 'configs', 'classification', 'uniformer')


def test_classifier_config_counts_the_token_labeling_head():
    """TL S through its MMPretrain config: the official 22.06 M params
    (reference §2, with aux head); the head FLOPs are fc on the mean token
    plus aux_fc on every stage-4 token (2x2 at 64x64), 512 x 1000 each."""
    pytest.importorskip('mmpretrain')
    name, size, wrapper, inputs = tool.build_case(
        osp.join(CLS_DIR, 'uniformer-small_tl_8xb128_in1k.py'), shape=(64, ))
    assert size == '64×64'
    res = tool.measure(wrapper, inputs)
    assert _rel(res['params'], 22.06e6) < 0.005
    assert res['flops'] - res['backbone_flops'] == (1 + 4) * 512 * 1000


def test_classifier_default_input_is_the_test_crop():
    pytest.importorskip('mmpretrain')
    from mmengine.config import Config
    for cfg_name, size in (('uniformer-small_8xb128_in1k', 224),
                           ('uniformer-small_tl_8xb64_in1k-384px', 384)):
        cfg = Config.fromfile(osp.join(CLS_DIR, cfg_name + '.py'))
        assert tool.classifier_input_size(cfg) == (size, size)
