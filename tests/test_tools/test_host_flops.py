"""The hosts' own FLOPs tools count UniFormer's fused attention.

With ``mmuniformer`` imported through a config's ``custom_imports``,
building the model loads ``mmuniformer.analysis``, which registers the
``aten::scaled_dot_product_attention`` handle with mmengine's analyzer
(``mmuniformer/analysis/flops.py``). MMAction2's
``tools/analysis_tools/get_flops.py`` (run from the installed package's
``.mim`` folder, as ``mim run mmaction get_flops`` does) then prints the
paper's count, the one of our tool. Before, it printed 28.696 G for the
S 16x4 backbone instead of 41.76 G (docs/flops.md).
"""
import os.path as osp
import re
import subprocess
import sys

import pytest
import torch

from conftest import REPO, importorskip, load_script
from robust_helpers import subprocess_env

VIDEO_S16 = osp.join(
    REPO, 'configs', 'recognition', 'uniformer',
    'uniformer-small_imagenet1k-pre_8xb4-16x4x1-110e_kinetics400-rgb.py')
OURS = osp.join(REPO, 'tools', 'analysis_tools', 'get_flops.py')
SHAPE = (1, 3, 8, 96, 96)


def _host_tool(package):
    module = importorskip(package)
    path = osp.join(osp.dirname(module.__file__), '.mim', 'tools',
                    'analysis_tools', 'get_flops.py')
    assert osp.isfile(path), f'{package} ships no {path}'
    return path


def _gflops(text):
    found = re.search(r'Flops: ([0-9.]+)([GMK])', text)
    assert found, text[-3000:]
    scale = dict(G=1, M=1e-3, K=1e-6)[found.group(2)]
    return float(found.group(1)) * scale


def _our_backbone_gflops(config, shape, with_attention=False):
    tool = load_script(OURS, 'uniformer_get_flops_host')
    _, _, wrapper, inputs = tool.build_case(config, shape[2:])
    res = tool.measure(wrapper, inputs)
    if with_attention:  # and the SDPA part of it (only the backbone attends)
        return (res['backbone_flops'] / 1e9,
                res['by_operator']['scaled_dot_product_attention'] / 1e9)
    return res['backbone_flops'] / 1e9


def test_mmaction_get_flops_counts_the_attention(tmp_path):
    """A tiny config: the shipped S 16x4 K400 recipe, counted by
    MMAction2's tool on a 8x96x96 clip (``extract_feat``, the backbone)."""
    host = _host_tool('mmaction')
    cfg = tmp_path / 'tiny_s16.py'
    cfg.write_text(f'_base_ = [{VIDEO_S16!r}]\n'
                   'model = dict(backbone=dict(init_cfg=None))\n')
    res = subprocess.run(
        [sys.executable, host, str(cfg), '--shape', *map(str, SHAPE)],
        capture_output=True, text=True, timeout=600, env=subprocess_env(),
        cwd=str(tmp_path))
    assert res.returncode == 0, res.stderr[-3000:]
    host_gflops = _gflops(res.stdout)
    ours, attention = _our_backbone_gflops(str(cfg), SHAPE,
                                           with_attention=True)
    assert host_gflops == pytest.approx(ours, abs=0.0006), (host_gflops,
                                                            ours)
    # and the host's figure holds the attention: the same analyzer with a
    # zero SDPA handle counts less by our count of the attention (0.11 G of
    # 2.75 G on this clip: 144 tokens in stage 3, 36 in stage 4)
    without = _without_attention_handle(str(cfg))
    assert attention > 0.05
    assert host_gflops - without == pytest.approx(attention, abs=0.0011), (
        host_gflops, without, attention)


def _without_attention_handle(config):
    from mmengine.analysis import FlopAnalyzer
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    importorskip('mmaction')
    from mmaction.registry import MODELS
    cfg = Config.fromfile(config)
    init_default_scope('mmaction')
    model = MODELS.build(cfg.model).eval()
    x = torch.randn(*SHAPE)
    analyzer = FlopAnalyzer(model.backbone, (x, ))
    # a handle that counts 0 (``None`` only marks the op ignored, and a
    # handle already in mmengine's table -- ours, once any of our models
    # was built in this process -- would still count)
    analyzer.set_op_handle('aten::scaled_dot_product_attention',
                           lambda inputs, outputs: 0)
    analyzer.unsupported_ops_warnings(False)
    analyzer.uncalled_modules_warnings(False)
    analyzer.tracer_warnings('none')
    with torch.no_grad():
        return analyzer.total() / 1e9


def test_registration_is_in_mmengine_table_after_a_model_build():
    """Building any model of ours through the registry registers the
    handle (the path of every host tool); the handle is ours."""
    from mmengine.analysis import complexity_analysis

    from mmuniformer import MODELS
    from mmuniformer.analysis import sdpa_flop_jit
    MODELS.build(dict(type='mmuniformer.UniFormer3D', arch=dict(
        depths=(1, 1, 1, 1), embed_dims=(8, 16, 32, 32), head_dim=8)))
    table = complexity_analysis._DEFAULT_SUPPORTED_FLOP_OPS
    assert table['aten::scaled_dot_product_attention'] is sdpa_flop_jit


def test_mmengine_complexity_info_of_a_segmentor_counts_the_attention():
    """MMSegmentation's / MMDetection's tools call mmengine's
    ``get_model_complexity_info`` on the built model; the same table
    serves them: the backbone's count equals ours."""
    importorskip('mmseg')
    from mmengine.analysis import get_model_complexity_info
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmseg.registry import MODELS
    config = osp.join(REPO, 'configs', 'segmentation', 'uniformer',
                      'fpn_uniformer-s-h14_8xb4-80k_ade20k-512x512.py')
    cfg = Config.fromfile(config)
    cfg.model.backbone.init_cfg = None
    init_default_scope('mmseg')
    model = MODELS.build(cfg.model).eval()
    with torch.no_grad():
        info = get_model_complexity_info(model.backbone, (3, 64, 128),
                                         show_table=False, show_arch=False)
    tool = load_script(OURS, 'uniformer_get_flops_seg')
    _, _, wrapper, inputs = tool.build_case(config, (64, 128))
    ours = tool.measure(wrapper, inputs)['backbone_flops']
    assert info['flops'] == ours


def test_without_a_table_the_user_is_pointed_to_our_tool(monkeypatch):
    from mmengine.analysis import complexity_analysis

    from mmuniformer.analysis import register_flop_handles
    monkeypatch.delattr(complexity_analysis, '_DEFAULT_SUPPORTED_FLOP_OPS')
    with pytest.warns(UserWarning, match='tools/analysis_tools/get_flops.py'):
        assert register_flop_handles() is False
