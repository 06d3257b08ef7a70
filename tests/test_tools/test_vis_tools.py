"""The image Grad-CAM tool (tools/visualizations/vis_cam_image.py) and the
motion demo's training curve (tools/demo/motion_demo.py)."""
import json
import os.path as osp
import sys

import numpy as np
import pytest
import torch
from torch import nn

from conftest import REPO  # noqa: E402  (the repository root)


def _tool(folder, name):
    sys.path.insert(0, osp.join(REPO, 'tools', folder))
    try:
        return __import__(name)
    finally:
        sys.path.pop(0)


class _Pooled(nn.Module):
    """logits = W @ mean_hw(A) with A = the input itself (the target
    layer is an identity), so dlogit_k/dA_c = W[k, c] / (h w) and the
    Grad-CAM of class k is ReLU(sum_c W[k, c] A_c), normalised."""

    def __init__(self, weight):
        super().__init__()
        self.layer = nn.Identity()
        self.weight = weight

    def forward(self, x):
        return self.layer(x).mean((2, 3)) @ self.weight.t()


def test_grad_cam_matches_closed_form():
    cam_tool = _tool('visualizations', 'vis_cam_image')
    x = torch.zeros(1, 2, 8, 8)
    x[0, 0, 1:3, 5:7] = 1.   # evidence for class 0 (channel 0)
    x[0, 1, 6, 0] = 1.       # evidence for class 1 (channel 1)
    model = _Pooled(torch.tensor([[1., 0.], [0., 1.]]))
    cam, logits, category = cam_tool.grad_cam(model, model.layer, x, 0)
    assert category == 0 and logits.shape == (2, )
    np.testing.assert_allclose(cam.numpy(), x[0, 0].numpy(), atol=1e-6)
    cam, _, _ = cam_tool.grad_cam(model, model.layer, x, 1)
    np.testing.assert_allclose(cam.numpy(), x[0, 1].numpy(), atol=1e-6)
    # default category: the top-1 class
    x[0, 1, :, :] = 2.
    assert cam_tool.grad_cam(model, model.layer, x)[2] == 1


def test_image_grad_cam_tool_writes_the_blend(shared_data, tmp_path, capsys):
    cam_tool = _tool('visualizations', 'vis_cam_image')
    image = osp.join(shared_data, 'coco_pose', '000000000785.jpg')
    out = tmp_path / 'cam.png'
    assert cam_tool.main([image, 'none', '--arch', 'small', '--size', '96',
                          '--target-layer', 'blocks3.-1', '--out',
                          str(out)]) == 0
    import mmcv
    picture = mmcv.imread(str(out))
    assert picture.shape == (96, 192, 3)
    assert 'Grad-CAM of class' in capsys.readouterr().out
    with pytest.raises(SystemExit, match="no 'blocks9'"):
        cam_tool.main([image, 'none', '--target-layer', 'blocks9.0',
                       '--out', str(out)])


def test_motion_demo_curve_reads_scalars_and_draws(tmp_path):
    demo = _tool('demo', 'motion_demo')
    records = [
        dict(lr=1e-3, loss=1.4, epoch=1, iter=5, step=5),
        dict(lr=1e-3, loss=1.2, epoch=1, iter=10, step=10),
        {'acc/top1': 0.25, 'acc/top5': 1.0, 'step': 1},
        dict(lr=1e-3, loss=0.5, epoch=2, iter=15, step=15),
        {'acc/top1': 0.875, 'acc/top5': 1.0, 'step': 2},
    ]
    scalars = tmp_path / 'scalars.json'
    scalars.write_text('\n'.join(json.dumps(r) for r in records) + '\n')
    curve = demo.read_curve(str(scalars))
    assert list(curve) == [1, 2]
    assert curve[1][0] == pytest.approx(1.3) and curve[1][1] == 0.25
    assert curve[2] == (0.5, 0.875)
    png = tmp_path / 'curve.png'
    demo.plot_curve(curve, str(png))
    assert png.read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'
