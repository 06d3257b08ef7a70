"""Official -> mm converter: round trip into full models, label order."""
import os.path as osp
import subprocess
import sys

import pytest
import torch
from mmengine.config import Config
from official_layout import TINY_DEPTHS, TINY_S, official_state
from mmengine.registry import init_default_scope
from reference_uniformer import video_logits

from mmuniformer import labels
from mmuniformer.checkpoint.adapter import CheckpointMismatchError
from mmuniformer.checkpoint.convert import (convert_checkpoint, detect_family,
                                        load_as_mm_checkpoint)

from conftest import REPO  # noqa: E402  (the repository root)
CONVERTER = osp.join(REPO, 'tools', 'model_converters', 'convert_official.py')
DEMO_CFG = osp.join(REPO, 'configs', 'recognition', 'uniformer',
                    'uniformer-tiny_scratch_1xb16-8x2x1-8e_motion-rgb.py')


def video_state(num_classes=400):
    """Official K400 video layout (shared key list), TINY_DEPTHS blocks."""
    return official_state('video_small_k400', depths=TINY_DEPTHS,
                          num_classes=num_classes)


def _tiny_recognizer(num_classes, arch=TINY_S):
    from mmaction.registry import MODELS
    init_default_scope('mmaction')
    cfg = Config.fromfile(DEMO_CFG)
    cfg.model.backbone.arch = arch
    cfg.model.cls_head.num_classes = num_classes
    cfg.model.cls_head.in_channels = arch['embed_dims'][-1]
    return MODELS.build(cfg.model).eval()


def test_kinetics_label_lists_and_permutation():
    for dataset, n in (('k400', 400), ('k600', 600)):
        official = labels.official_classes(dataset)
        mm = labels.mmaction_classes(dataset)
        perm = labels.head_permutation(dataset)
        assert len(official) == len(mm) == n
        assert sorted(perm.tolist()) == list(range(n))
        for i in (0, 17, n - 1):
            assert official[perm[i]] == labels.normalize_name(mm[i])
    assert labels.official_classes('k400')[0] == 'riding_a_bike'
    assert labels.normalize_name("massaging person's head") == \
        'massaging_persons_head'
    with pytest.raises(ValueError, match='no label lists'):
        labels.official_classes('ucf101')


def test_video_round_trip_recognizer_logits_equal_official(tmp_path):
    state = video_state()
    src = tmp_path / 'uniformer_small_k400_16x4.pth'
    torch.save({'model_state': state, 'epoch': 110, 'cfg': 'yaml'}, src)
    dst = tmp_path / 'converted.pth'
    res = subprocess.run([sys.executable, CONVERTER, str(src), str(dst)],
                         capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr[-2000:]
    assert 'family video' in res.stdout
    converted = torch.load(dst)
    assert converted['meta']['uniformer']['head_dim'] == 64
    # the file is named like the official S16x4 model (head_dim 64, now
    # recorded in meta): the model must be built with the same head_dim
    with pytest.raises(CheckpointMismatchError, match='head_dim=64'):
        load_as_mm_checkpoint(_tiny_recognizer(400, dict(TINY_S, head_dim=32)),
                              str(dst))
    recognizer = _tiny_recognizer(400)
    load_as_mm_checkpoint(recognizer, str(dst))
    x = torch.randn(1, 3, 4, 32, 32)
    with torch.no_grad():
        # Recognizer3D inputs are (N, views, C, T, H, W)
        ours = recognizer.cls_head(recognizer.extract_feat(x[:, None])[0])
    torch.testing.assert_close(ours, video_logits(x, state, 64), atol=1e-4,
                               rtol=1e-4)


def test_official_file_loads_directly_into_a_full_model(tmp_path):
    state = video_state()
    src = tmp_path / 'official.pth'
    torch.save({'model_state': state}, src)
    recognizer = _tiny_recognizer(400)
    load_as_mm_checkpoint(recognizer, str(src))
    torch.testing.assert_close(recognizer.cls_head.fc_cls.weight,
                               state['head.weight'])


def test_mmaction_label_order_reorders_head_rows():
    state = video_state()
    converted = convert_checkpoint({'model_state': state}, 'k400.pth',
                                   label_order='mmaction')
    weight = converted['state_dict']['cls_head.fc_cls.weight']
    perm = labels.head_permutation('k400')
    official = labels.official_classes('k400')
    mm = labels.mmaction_classes('k400')
    i = mm.index('riding a bike')
    torch.testing.assert_close(weight[i], state['head.weight'][0])
    assert official[perm[i]] == 'riding_a_bike'
    torch.testing.assert_close(converted['state_dict']['cls_head.fc_cls.bias'],
                               state['head.bias'][torch.from_numpy(perm)])
    assert converted['meta']['uniformer']['dataset'] == 'k400'
    with pytest.raises(ValueError, match='400/600|no Kinetics'):
        convert_checkpoint({'model_state': video_state(174)}, 'ss.pth',
                           label_order='mmaction')


def test_families_detected_and_mapped():
    image = official_state('image_small_tl', depths=TINY_DEPTHS,
                           num_classes=10)
    out = convert_checkpoint({'model': image}, 'in1k.pth')
    assert out['meta']['uniformer']['family'] == 'image'
    assert not any(k.startswith(('backbone.head', 'backbone.aux_head',
                                 'backbone.norm.'))
                   for k in out['state_dict'])
    dense = official_state('det_small_backbone', depths=TINY_DEPTHS)
    det = dict(dense, **{'rpn_head.rpn_conv.weight': torch.zeros(1)})
    assert detect_family(det, 'state_dict') == 'det'
    seg = dict(dense, **{'decode_head.conv_seg.weight': torch.zeros(1)})
    assert convert_checkpoint({'state_dict': seg}, 's.pth')['state_dict'] \
        .keys() == seg.keys()
    pose = dict(dense, **{'keypoint_head.final_layer.weight': torch.zeros(1)})
    out = convert_checkpoint({'state_dict': pose}, 'top_down.pth')
    assert 'head.final_layer.weight' in out['state_dict']
    assert out['meta']['uniformer']['family'] == 'pose'
    with pytest.raises(CheckpointMismatchError, match='not a UniFormer'):
        convert_checkpoint({'state_dict': {'conv1.weight': torch.zeros(1)}})
    with pytest.raises(CheckpointMismatchError, match="not 'video'"):
        convert_checkpoint({'model': image}, family='video')


def test_converter_cli_reports_missing_file(tmp_path):
    res = subprocess.run([sys.executable, CONVERTER, str(tmp_path / 'no.pth'),
                          str(tmp_path / 'out.pth')], capture_output=True,
                         text=True, timeout=120)
    assert res.returncode != 0 and 'does not exist' in res.stderr
