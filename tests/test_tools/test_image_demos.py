"""tools/demo/image_demo.py on the real COCO images of ``../shared/data``:
det / seg / pose through the hosts' inferencers with the shipped configs
shrunk to a tiny UniFormer (derived configs that ``_base_`` the shipped
ones), random weights or checkpoints saved from the built model (mm-format
and official layouts). Checked: the visualisation files and their size, the
printed summary, the json predictions, the seg label map against
``mmseg.apis.inference_model`` and the pose keypoints against
``mmpose.apis.inference_topdown`` with the same weights."""
import importlib.util
import json
import os.path as osp
import re

import cv2
import numpy as np
import pytest
import torch

from conftest import randomize_state, skip_or_fail

from conftest import REPO  # noqa: E402  (the repository root)
TOOL = osp.join(REPO, 'tools', 'demo', 'image_demo.py')
DET = osp.join(REPO, 'configs', 'detection', 'uniformer',
               'mask-rcnn_uniformer-s-h14_fpn_1x_coco.py')
SEG = osp.join(REPO, 'configs', 'segmentation', 'uniformer',
               'fpn_uniformer-s-h14_8xb4-80k_ade20k-512x512.py')
POSE = osp.join(REPO, 'configs', 'pose', 'uniformer',
                'td-hm_uniformer-s_8xb128-210e_coco-256x192.py')
TINY = dict(depths=(1, 1, 2, 1), embed_dims=(16, 32, 64, 64), head_dim=16)
IMAGE = '000000000785.jpg'  # 640x425, one annotated person
CROWDED = '000000196141.jpg'  # five annotated persons
ANN = 'test_coco.json'

TINY_BACKBONE = """
model = dict(
    backbone=dict(
        arch=dict(_delete_=True, depths=(1, 1, 2, 1),
                  embed_dims=(16, 32, 64, 64), head_dim=16),
        head_dim=16, with_cp=False, init_cfg=None),
"""
DERIVED = dict(
    # rcnn score_thr 0: random weights still give boxes to draw and count
    det=TINY_BACKBONE + """
    neck=dict(in_channels=[16, 32, 64, 64], out_channels=32),
    rpn_head=dict(in_channels=32, feat_channels=32),
    roi_head=dict(
        bbox_roi_extractor=dict(out_channels=32),
        bbox_head=dict(in_channels=32, fc_out_channels=64),
        mask_roi_extractor=dict(out_channels=32),
        mask_head=dict(in_channels=32, conv_out_channels=32)),
    test_cfg=dict(rpn=dict(nms_pre=200, max_per_img=50),
                  rcnn=dict(score_thr=0.0, max_per_img=20)))
""",
    seg=TINY_BACKBONE + """
    neck=dict(in_channels=[16, 32, 64, 64], out_channels=32),
    decode_head=dict(in_channels=[32, 32, 32, 32], channels=32))
""",
    pose=TINY_BACKBONE + """
    head=dict(in_channels=64, deconv_out_channels=(32, 32, 32)))
""")
SHIPPED = dict(det=DET, seg=SEG, pose=POSE)

LINE = dict(
    det=re.compile(r'^det (\S+): (\d+) boxes >= ([\d.]+) \[(.*)\] -> (\S+)$'),
    seg=re.compile(r'^seg (\S+): (\d+)x(\d+) mask, (\d+) classes \[(.*)\] '
                   r'-> (\S+)$'),
    pose=re.compile(r'^pose (\S+): (\d+) persons x (\d+) keypoints \(boxes: '
                    r'(.+), mean keypoint score (-?[\d.]+)\) -> (\S+)$'))


def _load_tool():
    spec = importlib.util.spec_from_file_location('uniformer_image_demo',
                                                  TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


tool = _load_tool()


@pytest.fixture(autouse=True)
def _one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def coco_pose(shared_data):
    root = osp.join(shared_data, 'coco_pose')
    for name in (IMAGE, CROWDED, ANN):
        if not osp.isfile(osp.join(root, name)):
            skip_or_fail(f'COCO test data not found: {root}/{name}')
    return root


def tiny_config(tmp_path, task):
    path = tmp_path / f'{task}_tiny.py'
    path.write_text(f'_base_ = [{SHIPPED[task]!r}]\n' + DERIVED[task])
    return str(path)


def image_hw(path):
    img = cv2.imread(path)
    assert img is not None, path
    return img.shape[:2]


def run_demo(capsys, argv):
    records = tool.main(argv)
    lines = [line for line in capsys.readouterr().out.splitlines()
             if line.startswith(argv[0] + ' ')]
    matches = [LINE[argv[0]].match(line) for line in lines]
    assert lines and all(matches), lines
    return records, matches


def check_common(record, match, image, out_dir, task):
    """Visualisation written at the input's size, summary == json."""
    stem = osp.splitext(osp.basename(image))[0]
    vis = osp.join(out_dir, f'{stem}_{task}.jpg')
    assert match.group(1) == osp.basename(image)
    assert match.groups()[-1] == vis == record['vis']
    assert osp.isfile(vis)
    assert cv2.imread(vis).shape == image_hw(image) + (3, )
    with open(osp.join(out_dir, f'{stem}_{task}.json')) as f:
        assert json.load(f) == json.loads(json.dumps(record))


def save_checkpoint(state, path, meta=None):
    torch.save(dict(state_dict=state, meta=meta or {}), path)
    return str(path)


# -- det ---------------------------------------------------------------------
def test_det_demo_random_weights(tmp_path, coco_pose, capsys):
    image = osp.join(coco_pose, IMAGE)
    out_dir = str(tmp_path / 'out')
    with pytest.warns(UserWarning, match='randomly initialised'):
        records, (match, ) = run_demo(capsys, [
            'det', image, tiny_config(tmp_path, 'det'), '--out-dir', out_dir,
            '--score-thr', '0'])
    record, = records
    check_common(record, match, image, out_dir, 'det')
    num = int(match.group(2))
    assert num == record['num_boxes'] == len(record['bboxes']) > 0
    assert float(match.group(3)) == 0
    assert record['has_masks']
    # "[name xN, ...]" lists every kept box under a COCO class name
    counts = dict(re.match(r'(.+) x(\d+)$', item).groups()
                  for item in match.group(4).split(', '))
    assert sum(map(int, counts.values())) == num
    assert set(counts) == set(record['classes'])
    boxes = np.array(record['bboxes'])
    h, w = image_hw(image)
    assert boxes.shape == (num, 4)
    assert (boxes >= -0.5).all() and (boxes[:, 2] <= w + 0.5).all() and \
        (boxes[:, 3] <= h + 0.5).all()


# -- seg ---------------------------------------------------------------------
def test_seg_demo_matches_inference_model(tmp_path, coco_pose, capsys):
    """An mm-format checkpoint with its own class names: the saved label map
    is the image's size and equal to mmseg's ``inference_model``."""
    from mmengine.model import revert_sync_batchnorm
    from mmseg.apis import inference_model, init_model

    image = osp.join(coco_pose, IMAGE)
    config = tiny_config(tmp_path, 'seg')
    model = revert_sync_batchnorm(init_model(config, device='cpu'))
    randomize_state(model)
    model.eval()
    classes = [f'class{i}' for i in range(150)]
    palette = [[i, 255 - i, (7 * i) % 256] for i in range(150)]
    ckpt = save_checkpoint(
        model.state_dict(), tmp_path / 'seg.pth',
        meta=dict(dataset_meta=dict(classes=classes, palette=palette)))

    out_dir = str(tmp_path / 'out')
    records, (match, ) = run_demo(capsys, [
        'seg', image, config, ckpt, '--out-dir', out_dir])
    record, = records
    check_common(record, match, image, out_dir, 'seg')
    h, w = image_hw(image)
    assert (int(match.group(2)), int(match.group(3))) == (h, w)
    mask = cv2.imread(record['mask'], cv2.IMREAD_UNCHANGED)
    assert mask.shape == (h, w) and mask.dtype == np.uint8
    assert int(match.group(4)) == record['num_classes'] == \
        len(np.unique(mask))
    assert {c['label'] for c in record['classes']} == set(
        np.unique(mask).tolist())
    assert all(c['name'] == f'class{c["label"]}' for c in record['classes'])
    assert abs(sum(c['fraction'] for c in record['classes']) - 1) < 1e-3

    expected = inference_model(model, image).pred_sem_seg.data[0].numpy()
    assert expected.shape == (h, w)
    assert (mask == expected).mean() > 0.999


# -- pose --------------------------------------------------------------------
def test_pose_demo_whole_image(tmp_path, coco_pose, capsys):
    image = osp.join(coco_pose, IMAGE)
    out_dir = str(tmp_path / 'out')
    with pytest.warns(UserWarning, match='randomly initialised'):
        records, (match, ) = run_demo(capsys, [
            'pose', image, tiny_config(tmp_path, 'pose'),
            '--out-dir', out_dir])
    record, = records
    check_common(record, match, image, out_dir, 'pose')
    h, w = image_hw(image)
    assert match.group(2, 3, 4) == ('1', '17', 'whole image')
    assert np.allclose(record['bboxes'], [[0, 0, w, h]])
    assert np.array(record['keypoints']).shape == (1, 17, 2)
    assert np.array(record['keypoint_scores']).shape == (1, 17)


def test_pose_demo_json_boxes_official_checkpoint(tmp_path, coco_pose,
                                                  capsys):
    """Person boxes from the COCO json, an official (mmpose 0.x,
    ``keypoint_head.*``) checkpoint: keypoints equal mmpose's
    ``inference_topdown`` with the same weights and boxes."""
    from mmpose.apis import inference_topdown, init_model

    config = tiny_config(tmp_path, 'pose')
    model = init_model(config, device='cpu')
    randomize_state(model)
    model.eval()
    official = {('keypoint_head.' + k[5:] if k.startswith('head.') else k): v
                for k, v in model.state_dict().items()}
    assert any(k.startswith('keypoint_head.') for k in official)
    # (a name without the official zoo's patterns: they imply head_dim 64)
    ckpt = save_checkpoint(official, tmp_path / 'pose_official_layout.pth')

    ann_file = osp.join(coco_pose, ANN)
    with open(ann_file) as f:
        coco = json.load(f)
    image_id = next(i['id'] for i in coco['images']
                    if i['file_name'] == CROWDED)
    xywh = np.array([a['bbox'] for a in coco['annotations']
                     if a['image_id'] == image_id and not a['iscrowd']])
    xyxy = np.concatenate([xywh[:, :2], xywh[:, :2] + xywh[:, 2:]], 1)

    image = osp.join(coco_pose, CROWDED)
    out_dir = str(tmp_path / 'out')
    records, (match, ) = run_demo(capsys, [
        'pose', image, config, ckpt, '--out-dir', out_dir,
        '--bboxes', ann_file])
    record, = records
    check_common(record, match, image, out_dir, 'pose')
    assert match.group(2, 3, 4) == (str(len(xyxy)), '17', 'json')
    assert np.allclose(record['bboxes'], xyxy, atol=0.01)

    expected = inference_topdown(model, image, xyxy)
    keypoints = np.concatenate(
        [s.pred_instances.keypoints for s in expected])
    scores = np.concatenate(
        [s.pred_instances.keypoint_scores for s in expected])
    assert np.allclose(record['keypoints'], keypoints, atol=0.01)
    assert np.allclose(record['keypoint_scores'], scores, atol=1e-4)
    assert abs(float(match.group(5)) - scores.mean()) <= 0.005 + 1e-6

    # head_dim changes no weight shape: a recorded mismatch is an error
    wrong = save_checkpoint(official, tmp_path / 'hd64.pth',
                            meta=dict(uniformer=dict(head_dim=64)))
    with pytest.raises(SystemExit, match='head_dim=64 but the config '
                       'builds head_dim=16'):
        tool.main(['pose', image, config, wrong, '--out-dir', out_dir,
                   '--bboxes', ann_file])


def _imagenet_backbone_run(tmp_path, coco_pose):
    """An official ImageNet file (the official key list, 1/1/2/1 blocks at
    the official widths) and the tiny pose config widened to them, head_dim
    still 16: the demo's argv."""
    from official_layout import official_checkpoint
    ckpt = tmp_path / 'uniformer_small_in1k.pth'
    torch.save(official_checkpoint('image_small_in1k', depths=(1, 1, 2, 1)),
               ckpt)
    image = osp.join(coco_pose, IMAGE)
    out_dir = str(tmp_path / 'out')
    return str(ckpt), image, out_dir, [
        'pose', image, tiny_config(tmp_path, 'pose'), str(ckpt),
        '--out-dir', out_dir, '--cfg-options',
        'model.backbone.arch.embed_dims=(64,128,320,512)',
        'model.head.in_channels=512']


def test_pose_demo_imagenet_backbone_checkpoint(tmp_path, coco_pose,
                                                capsys):
    """An official ImageNet file fills the backbone only: an error that
    names the file, what it covers and both ways out; nothing is written.
    Its official name implies head_dim 64, which the tiny config lacks
    (warned: the file records no head_dim)."""
    ckpt, _, out_dir, argv = _imagenet_backbone_run(tmp_path, coco_pose)
    with pytest.warns(UserWarning) as caught, \
            pytest.raises(SystemExit) as err:
        tool.main(argv)
    messages = ' | '.join(str(w.message) for w in caught)
    assert 'named like an official file with head_dim=64' in messages
    text = str(err.value)
    assert text.startswith('error: ') and ckpt in text
    assert 'holds backbone weights only' in text
    assert 'randomly initialised' in text and 'head' in text
    assert 'checkpoint of the whole model' in text
    assert '--allow-random-heads' in text
    assert not any(line.startswith('pose ')
                   for line in capsys.readouterr().out.splitlines())
    assert not osp.exists(osp.join(out_dir, '000000000785_pose.jpg'))


def test_pose_demo_imagenet_backbone_allow_random_heads(tmp_path, coco_pose,
                                                        capsys):
    """``--allow-random-heads``: the same file loads into the backbone,
    with the warning that the rest is random, and the demo runs."""
    _, image, out_dir, argv = _imagenet_backbone_run(tmp_path, coco_pose)
    with pytest.warns(UserWarning) as caught:
        records, (match, ) = run_demo(capsys, argv + ['--allow-random-heads'])
    messages = ' | '.join(str(w.message) for w in caught)
    assert 'holds backbone weights only' in messages
    assert 'randomly initialised' in messages
    assert 'named like an official file with head_dim=64' in messages
    check_common(records[0], match, image, out_dir, 'pose')


def test_pose_demo_with_detector(tmp_path, coco_pose, capsys):
    """Person boxes from a (tiny, ours) Mask R-CNN whose classifier is
    biased to "person": every kept box becomes a pose instance."""
    from mmdet.apis import init_detector

    det_config = tiny_config(tmp_path, 'det')
    detector = init_detector(det_config, device='cpu')
    state = detector.state_dict()
    bias = state['roi_head.bbox_head.fc_cls.bias']
    bias.zero_()
    bias[0] = 10.0  # person
    det_ckpt = save_checkpoint(state, tmp_path / 'det.pth')

    image = osp.join(coco_pose, IMAGE)
    out_dir = str(tmp_path / 'out')
    with pytest.warns(UserWarning, match='no CHECKPOINT given'):
        records, (match, ) = run_demo(capsys, [
            'pose', image, tiny_config(tmp_path, 'pose'), '--out-dir',
            out_dir, '--det-config', det_config, '--det-checkpoint',
            det_ckpt, '--score-thr', '0.5'])
    record, = records
    check_common(record, match, image, out_dir, 'pose')
    assert match.group(4) == 'detector'
    num = int(match.group(2))
    h, w = image_hw(image)
    boxes = np.array(record['bboxes'])
    assert num == len(boxes) >= 1 and match.group(3) == '17'
    assert (boxes[:, 2] <= w + 0.5).all() and (boxes[:, 3] <= h + 0.5).all()
    assert not np.allclose(boxes[0], [0, 0, w, h])
    assert np.array(record['keypoints']).shape == (num, 17, 2)


# -- errors ------------------------------------------------------------------
def test_demo_clear_errors(tmp_path, coco_pose):
    image = osp.join(coco_pose, IMAGE)
    out = ['--out-dir', str(tmp_path / 'out')]
    cases = [
        (['det', str(tmp_path / 'nope.jpg'), DET] + out,
         'image .*nope.jpg does not exist'),
        (['seg', image, str(tmp_path / 'nope.py')] + out,
         'config .*nope.py does not exist'),
        (['det', image, DET, str(tmp_path / 'nope.pth')] + out,
         'checkpoint .*nope.pth does not exist'),
        (['det', image, SEG] + out,
         'is an mmseg config, but the det demo needs an mmdet config'),
        (['pose', image, POSE, '--bboxes', str(tmp_path / 'b.json')] + out,
         'box file .*b.json does not exist'),
        (['pose', image, POSE, '--bboxes', osp.join(coco_pose, ANN),
          '--det-config', DET] + out,
         'either --bboxes or --det-config'),
    ]
    for argv, message in cases:
        with pytest.raises(SystemExit) as err:
            tool.main(argv)
        assert re.search(message, str(err.value)), (argv, err.value)
