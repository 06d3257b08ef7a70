"""``tools/demo/image_demo.py cls``: MMPretrain's
``ImageClassificationInferencer`` with a shipped classification config and
an official-layout ImageNet file (converted while loading), on a real COCO
image of ``../shared/data``. The top-k in the json, the printed line and the
ImageNet class names are checked against the functional reference of the
official model on the same preprocessed input."""
import json
import os.path as osp
import re

import numpy as np
import pytest
from conftest import importorskip  # noqa: E402  (fails under CI=true)
import torch

importorskip('mmpretrain')
pytestmark = pytest.mark.usefixtures('one_thread')

from conftest import load_script  # noqa: E402
from official_layout import official_state  # noqa: E402
from reference_uniformer import image_logits  # noqa: E402

from conftest import REPO  # noqa: E402  (the repository root)
TOOL = osp.join(REPO, 'tools', 'demo', 'image_demo.py')
CONFIG = osp.join(REPO, 'configs', 'classification', 'uniformer',
                  'uniformer-small_8xb128_in1k.py')
IMAGE = '000000000785.jpg'  # 640x425
LINE = re.compile(r'^cls (\S+): (.+?) ([\d.]+) \[(.*)\] -> (\S+)$')


def _load_tool():
    return load_script(TOOL, 'uniformer_image_demo')


def _reference_probs(image, state):
    """The config's test pipeline (MMPretrain transforms) and normalisation,
    then the reference forward of the official model."""
    from mmcv.transforms import Compose
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmpretrain.registry import TRANSFORMS
    init_default_scope('mmpretrain')
    cfg = Config.fromfile(CONFIG)
    pipeline = Compose([TRANSFORMS.build(t)
                        for t in cfg.test_dataloader.dataset.pipeline])
    img = pipeline(dict(img_path=image))['inputs']  # (3, 224, 224) BGR
    rgb = img.flip(0).float()
    mean = torch.tensor(cfg.data_preprocessor['mean']).view(3, 1, 1)
    std = torch.tensor(cfg.data_preprocessor['std']).view(3, 1, 1)
    return image_logits(((rgb - mean) / std)[None], state, 64).softmax(1)[0]


def test_cls_demo_official_checkpoint_imagenet_names(shared_data, tmp_path,
                                                     capsys):
    import cv2
    from mmpretrain.datasets.categories import IMAGENET_CATEGORIES
    image = osp.join(shared_data, 'coco_pose', IMAGE)
    state = official_state('image_small_in1k')
    ckpt = tmp_path / 'uniformer_small_in1k.pth'
    torch.save({'model': state}, ckpt)
    out = tmp_path / 'out'
    records = _load_tool().main(['cls', image, CONFIG, str(ckpt),
                                 '--out-dir', str(out), '--topk', '3'])
    printed = capsys.readouterr().out
    assert 'loaded 331/331 tensors' in printed  # the whole official model

    probs = _reference_probs(image, state)
    values, labels = probs.topk(3)
    (record, ) = records
    assert [t['label'] for t in record['topk']] == labels.tolist()
    np.testing.assert_allclose([t['score'] for t in record['topk']],
                               values.numpy(), atol=2e-4)
    names = [IMAGENET_CATEGORIES[i] for i in labels.tolist()]
    assert [t['name'] for t in record['topk']] == names
    with open(out / '000000000785_cls.json') as f:
        assert json.load(f) == record
    line = [ln for ln in printed.splitlines() if ln.startswith('cls ')]
    match = LINE.match(line[0])
    assert match and match.group(1) == IMAGE and match.group(2) == names[0]
    vis = cv2.imread(match.group(5))
    assert vis.shape[:2] == (425, 640)


def test_cls_demo_clear_errors(shared_data, tmp_path):
    image = osp.join(shared_data, 'coco_pose', IMAGE)
    det = osp.join(REPO, 'configs', 'detection', 'uniformer',
                   'mask-rcnn_uniformer-s-h14_fpn_1x_coco.py')
    tl_file = tmp_path / 'uniformer_small_tl_224.pth'
    state = dict(official_state('image_small_tl', num_classes=1000))
    torch.save({'model': state}, tl_file)
    out = ['--out-dir', str(tmp_path / 'out')]
    tool = _load_tool()
    cases = [
        (['cls', image, det] + out,
         'is an mmdet config, but the cls demo needs an mmpretrain config'),
        # a token-labeling file in a plain config (its name also implies
        # head_dim 32: a warning, the head mismatch is the error)
        (['cls', image, CONFIG, str(tl_file)] + out,
         'token-labeling checkpoint .*use a token-labeling config'),
    ]
    for argv, message in cases:
        with pytest.raises(SystemExit) as err:
            tool.main(argv)
        assert re.search(message, str(err.value)), (argv, err.value)
