"""Every host imports completely and the compiled ops run (CPU)."""
import importlib

import pytest
import torch

import mmuniformer  # noqa: F401  (applies the compat fixes)

HOST_MODULES = [
    f'{host}.{part}'
    for host in ('mmaction', 'mmdet', 'mmseg', 'mmpose', 'mmpretrain')
    for part in ('models', 'datasets', 'evaluation', 'visualization')
]


@pytest.mark.parametrize('name', HOST_MODULES)
def test_host_package_imports(name):
    assert importlib.import_module(name) is not None


def test_versions_are_the_supported_stack():
    import mmaction
    import mmcv
    import mmdet
    import mmengine
    import mmpose
    import mmseg
    assert mmengine.__version__ == '0.10.7'
    assert mmcv.__version__ == '2.1.0'
    import mmpretrain
    assert (mmdet.__version__, mmseg.__version__, mmaction.__version__,
            mmpose.__version__, mmpretrain.__version__) == (
                '3.3.0', '1.2.2', '1.2.0', '1.3.2', '1.2.0')


def test_installer_checks_mmpretrain(monkeypatch):
    """tools/install_state.py reports 'hosts' when mmpretrain (or the
    mat4py its datasets import) is missing, so install.sh installs it."""
    import importlib.util
    import os.path as osp
    path = osp.join(osp.dirname(osp.dirname(osp.dirname(osp.abspath(
        __file__)))), 'tools', 'install_state.py')
    spec = importlib.util.spec_from_file_location('install_state', path)
    state = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(state)
    assert state.hosts_ok()  # this machine is installed
    real = state._version
    for missing in ('mmpretrain', 'mat4py'):
        monkeypatch.setattr(state, '_version',
                            lambda d, m=missing: None if d == m else real(d))
        assert not state.hosts_ok(), missing


def _boxes():
    boxes = torch.tensor([[0., 0., 10., 10.], [1., 1., 10., 10.],
                          [20., 20., 30., 30.]])
    scores = torch.tensor([0.9, 0.8, 0.7])
    return boxes, scores


def test_mmcv_nms_cpu():
    from mmcv.ops import nms
    boxes, scores = _boxes()
    dets, keep = nms(boxes, scores, iou_threshold=0.5)
    assert keep.tolist() == [0, 2]
    assert dets.shape == (2, 5)


def test_mmcv_roi_align_cpu():
    from mmcv.ops import roi_align
    feat = torch.arange(64, dtype=torch.float32).view(1, 1, 8, 8)
    rois = torch.tensor([[0., 0., 0., 4., 4.]])
    out = roi_align(feat, rois, (2, 2), 1.0, 2, 'avg', True)
    assert out.shape == (1, 1, 2, 2)
    # aligned average of a linear ramp: top-left bin centred on (0.5, 0.5)
    assert out[0, 0, 0, 0].item() == pytest.approx(4.5, abs=1e-4)
    assert out[0, 0, 1, 1].item() == pytest.approx(4.5 + 2 * 8 + 2, abs=1e-4)


def test_torchvision_nms():
    import torchvision
    boxes, scores = _boxes()
    assert torchvision.ops.nms(boxes, scores, 0.5).tolist() == [0, 2]
