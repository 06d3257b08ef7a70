"""tools/deployment/export_onnx.py on a small dense backbone (the video
recognizer is exported by the commands of docs/user_guides/deployment.md,
run in tests/test_tools/test_doc_commands.py)."""
import os.path as osp
import sys

import numpy as np
import pytest
from conftest import importorskip  # noqa: E402  (fails under CI=true)
import torch

from conftest import REPO  # noqa: E402  (the repository root)
# every block type; stage 3 hybrid with a window that needs padding at the
# export size (96 -> 6x6 map, window 4) and at the verify size (128x160)
DENSE_CONFIG = """
custom_imports = dict(imports=['mmuniformer'], allow_failed_imports=False)
model = dict(type='mmuniformer.UniFormer', attn_mode='hybrid', window_size=4,
             arch=dict(depths=(1, 1, 4, 1), embed_dims=(16, 32, 64, 64),
                       head_dim=16))
"""


@pytest.fixture(scope='module')
def tool():
    importorskip('onnxruntime')
    sys.path.insert(0, osp.join(REPO, 'tools', 'deployment'))
    try:
        import export_onnx
    finally:
        sys.path.pop(0)
    return export_onnx


@pytest.fixture
def dense_config(tmp_path):
    path = tmp_path / 'dense_tiny.py'
    path.write_text(DENSE_CONFIG)
    return str(path)


def _session_diff(path, module, shape):
    import onnxruntime as ort
    sess = ort.InferenceSession(path, providers=['CPUExecutionProvider'])
    x = torch.randn(*shape)
    with torch.no_grad():
        ref = module(x)
    got = sess.run(None, {'input': x.numpy()})
    assert len(got) == len(ref) == 4
    return max(float(np.abs(g - r.numpy()).max()) for g, r in zip(got, ref))


def test_dense_default_exporter_dynamic_batch_and_hw(tool, dense_config,
                                                     tmp_path, capsys):
    torch.manual_seed(0)
    out = str(tmp_path / 'dense.onnx')
    assert tool.main([dense_config, '--shape', '96', '96', '--out', out,
                      '--verify', '--verify-hw', '128', '160',
                      '--repeat', '1']) == 0
    text = capsys.readouterr().out
    assert "dynamic axes ['batch', 'height', 'width']" in text
    assert 'input (2, 3, 128, 160): max |onnxruntime - pytorch|' in text
    # independent of the tool's own check: a third shape, odd sizes
    torch.manual_seed(0)  # the weights tool.main built (random init)
    _, module = tool.build_model(dense_config)
    assert _session_diff(out, module, (3, 3, 80, 112)) < 1e-4


def test_dense_legacy_exporter_dynamic_batch(tool, dense_config, tmp_path,
                                             capsys):
    torch.manual_seed(0)
    out = str(tmp_path / 'dense_legacy.onnx')
    assert tool.main([dense_config, '--shape', '96', '96', '--out', out,
                      '--verify', '--legacy', '--repeat', '1']) == 0
    text = capsys.readouterr().out
    assert "dynamic axes ['batch']" in text
    assert 'input (2, 3, 96, 96)' in text
    torch.manual_seed(0)  # the weights tool.main built (random init)
    _, module = tool.build_model(dense_config)
    assert _session_diff(out, module, (3, 3, 96, 96)) < 1e-4


def test_difference_above_atol_fails(tool, dense_config, tmp_path, capsys,
                                     monkeypatch):
    monkeypatch.setattr(tool, 'max_diff', lambda *args: 1e-3)
    out = str(tmp_path / 'dense_legacy.onnx')
    assert tool.main([dense_config, '--shape', '64', '64', '--out', out,
                      '--verify', '--legacy', '--repeat', '1']) == 1
    assert 'FAIL: max difference 0.001 > --atol 0.0001' in \
        capsys.readouterr().out


def test_shape_must_fit_the_model(tool, dense_config, tmp_path):
    with pytest.raises(SystemExit, match='--shape takes H W'):
        tool.main([dense_config, '--shape', '8', '64', '64', '--out',
                   str(tmp_path / 'x.onnx')])


K400_CONFIG = osp.join(REPO, 'configs', 'recognition', 'uniformer',
                       'uniformer-small_imagenet1k-pre_8xb4-16x8x1-110e_'
                       'kinetics400-rgb.py')


def test_kinetics_export_agrees_with_mim_test_label_order(tool, tmp_path):
    """An official K400 file exported with the default ``--label-order``
    gives the top-1 that the ``mim test`` path gives (the config's
    OfficialCheckpointHook, MMAction2's order) on the same clip, and the
    weights are inside the .onnx file (no sidecar)."""
    import importlib

    import onnxruntime as ort
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmengine.runner.checkpoint import load_state_dict
    from official_layout import TINY_DEPTHS, official_checkpoint

    import mmuniformer  # noqa: F401
    from mmuniformer.engine.hooks.official_checkpoint_hook import \
        OfficialCheckpointHook
    ckpt = official_checkpoint('video_small_k400', depths=TINY_DEPTHS)
    path = str(tmp_path / 'uniformer_small_k400_16x8.pth')
    torch.save(ckpt, path)
    # the shipped K400 config with S's widths and a few blocks
    config = tmp_path / 'k400_tiny.py'
    config.write_text(
        f'_base_ = [{K400_CONFIG!r}]\n'
        f'model = dict(backbone=dict(init_cfg=None, arch=dict(_delete_=True,'
        f' depths={TINY_DEPTHS}, embed_dims=(64, 128, 320, 512), '
        'head_dim=64)))\n')
    config = str(config)
    out = str(tmp_path / 'k400.onnx')
    assert tool.main([config, path, '--shape', '4', '64', '64',
                      '--out', out]) == 0
    assert not osp.exists(out + '.data')
    # the mim test path: the config's hook converts the file the Runner read
    cfg = Config.fromfile(config)
    hooks = [h for h in cfg.custom_hooks
             if h['type'].endswith('OfficialCheckpointHook')]
    assert hooks and hooks[0]['label_order'] == 'mmaction'
    init_default_scope('mmaction')
    model = importlib.import_module('mmaction.registry').MODELS.build(
        cfg.model).eval()
    read = torch.load(path, weights_only=False)
    runner = type('R', (), {'model': model})()
    OfficialCheckpointHook(label_order='mmaction').after_load_checkpoint(
        runner, read)
    load_state_dict(model, read['state_dict'], strict=True)
    from conftest import SHARED_DATA

    from mmuniformer.analysis.attention import read_input, to_tensor
    video = osp.join(SHARED_DATA, 'video', 'test.mp4')
    x = to_tensor(read_input(video, 4, 64), True) if osp.isfile(
        video) else torch.randn(1, 3, 4, 64, 64)
    with torch.no_grad():
        ref = model.cls_head(model.backbone(x))[0]
    sess = ort.InferenceSession(out, providers=['CPUExecutionProvider'])
    got = torch.from_numpy(sess.run(None, {'input': x.numpy()})[0][0])
    assert int(got.argmax()) == int(ref.argmax())
    torch.testing.assert_close(got, ref, atol=1e-4, rtol=1e-4)
    # the official order is a different permutation of the same scores
    out2 = str(tmp_path / 'k400_official.onnx')
    assert tool.main([config, path, '--shape', '4', '64', '64',
                      '--out', out2, '--label-order', 'official']) == 0
    sess = ort.InferenceSession(out2, providers=['CPUExecutionProvider'])
    other = torch.from_numpy(sess.run(None, {'input': x.numpy()})[0][0])
    assert not torch.allclose(other, got, atol=1e-3)
    torch.testing.assert_close(other.sort().values, got.sort().values,
                               atol=1e-4, rtol=1e-4)
