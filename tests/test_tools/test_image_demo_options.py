"""tools/demo/image_demo.py: a checkpoint whose heads have another class
count (every skipped tensor listed, the num_classes options printed) and
``--det-cfg-options`` reaching the pose demo's detector."""
import os.path as osp
import re
import warnings

import pytest
from conftest import skip_or_fail  # noqa: E402  (fails under CI=true)
import torch

# _one_thread: the autouse single-thread fixture of the demo tests
from tests.test_tools.test_image_demos import (  # noqa: F401
    IMAGE, _one_thread, tiny_config, tool)



@pytest.fixture
def coco_image(shared_data):
    path = osp.join(shared_data, 'coco_pose', IMAGE)
    if not osp.isfile(path):
        skip_or_fail(f'COCO test image not found: {path}')
    return path


def three_class_detector(tmp_path):
    """A tiny Mask R-CNN trained (here: built) for 3 classes, saved."""
    from mmdet.apis import init_detector
    config = tiny_config(tmp_path, 'det')
    detector = init_detector(config, device='cpu', cfg_options={
        'model.roi_head.bbox_head.num_classes': 3,
        'model.roi_head.mask_head.num_classes': 3})
    path = tmp_path / 'det3.pth'
    torch.save(dict(state_dict=detector.state_dict(), meta={}), path)
    return config, str(path)


def _skip_warnings(record):
    return [str(w.message) for w in record
            if 'do not fit the model' in str(w.message)]


def test_other_class_count_lists_every_tensor_and_the_fix(tmp_path,
                                                          coco_image):
    config, ckpt = three_class_detector(tmp_path)
    out = ['--out-dir', str(tmp_path / 'out')]
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter('always')
        tool.main(['det', coco_image, config, ckpt] + out)
    msg, = _skip_warnings(record)
    count = int(re.search(r'(\d+) tensors of', msg).group(1))
    # fc_cls and fc_reg (weight, bias) of the box head, conv_logits of the
    # mask head: 6, each listed with both shapes
    assert count == 6
    listed = re.findall(r'(roi_head\.\S+) \(',
                        msg.split('The checkpoint was trained')[0])
    assert len(listed) == 6, msg
    assert 'roi_head.bbox_head.fc_cls.weight (4, 64) vs (81, 64)' in msg
    assert ('--cfg-options model.roi_head.bbox_head.num_classes=3 '
            'model.roi_head.mask_head.num_classes=3') in msg

    # following the advice loads every tensor
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter('always')
        tool.main(['det', coco_image, config, ckpt, '--cfg-options',
                   'model.roi_head.bbox_head.num_classes=3',
                   'model.roi_head.mask_head.num_classes=3'] + out)
    assert not _skip_warnings(record)


def test_pose_demo_det_cfg_options_reach_the_detector(tmp_path,
                                                      coco_image):
    """The 3-class detector checkpoint fits the 80-class detector config
    only with --det-cfg-options setting 3 classes."""
    det_config, det_ckpt = three_class_detector(tmp_path)
    pose_config = tiny_config(tmp_path, 'pose')
    base = ['pose', coco_image, pose_config, '--out-dir',
            str(tmp_path / 'out'), '--det-config', det_config,
            '--det-checkpoint', det_ckpt]
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter('always')
        tool.main(base)
    assert 'num_classes=3' in _skip_warnings(record)[0]
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter('always')
        tool.main(base + ['--det-cfg-options',
                          'model.roi_head.bbox_head.num_classes=3',
                          'model.roi_head.mask_head.num_classes=3'])
    assert not _skip_warnings(record)


def test_det_cfg_options_need_det_config(tmp_path, coco_image):
    with pytest.raises(SystemExit, match='--det-cfg-options needs'):
        tool.main(['pose', coco_image, tiny_config(tmp_path, 'pose'),
                   '--out-dir', str(tmp_path / 'out'), '--det-cfg-options',
                   'model.test_cfg.rcnn.max_per_img=1'])
