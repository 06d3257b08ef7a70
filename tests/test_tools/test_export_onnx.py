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
