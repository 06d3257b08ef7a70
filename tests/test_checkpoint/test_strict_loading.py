"""One strict loading path (issue 18, first two rows).

* ``load_from`` / ``--resume`` / ``mim test --checkpoint`` with a checkpoint
  that does not fill the model (another size, another family, another head
  size) fail before training or testing starts, naming the file, what did
  not match and the switch; ``allow_partial=True`` loads what fits and lists
  the rest.
* the hosts' own inference APIs (``init_recognizer``,
  ``ActionRecogInferencer``, ``init_detector``, mmseg / mmpose
  ``init_model``), which call mmengine's ``load_checkpoint`` without the
  Runner: an official file either loads correctly or stops with an error
  naming ``convert_official.py``; never a random or half-loaded model.

The official-layout files are built from the shared key lists
(``official_layout``), values random, official containers."""
import logging
import os.path as osp
import subprocess
import sys

import pytest
import torch
from mmengine.config import Config
from official_layout import TINY_DEPTHS, official_checkpoint, official_state
from toy_recognizer import head_weight, toy_recognizer_runner

import mmuniformer  # noqa: F401
from mmuniformer.checkpoint.adapter import CheckpointMismatchError
from mmuniformer.checkpoint.convert import convert_checkpoint

from conftest import REPO  # noqa: E402  (the repository root)
UNI = osp.join(REPO, 'configs', 'recognition', 'uniformer')
K400_S = osp.join(UNI, 'uniformer-small_imagenet1k-pre_8xb4-16x4x1-110e_'
                  'kinetics400-rgb.py')
DEMO_CFG = osp.join(UNI, 'uniformer-tiny_scratch_1xb16-8x2x1-8e_motion-rgb.py')
DET_S = osp.join(REPO, 'configs', 'detection', 'uniformer',
                 'mask-rcnn_uniformer-s-h14_fpn_1x_coco.py')
SEG_S = osp.join(REPO, 'configs', 'segmentation', 'uniformer',
                 'fpn_uniformer-s-h14_8xb4-80k_ade20k-512x512.py')
POSE_S = osp.join(REPO, 'configs', 'pose', 'uniformer',
                  'td-hm_uniformer-s_8xb128-210e_coco-256x192.py')
# official S widths with the shortened depths of the test key lists
ARCH = dict(depths=TINY_DEPTHS, embed_dims=(64, 128, 320, 512), head_dim=64)
CONVERTER = 'convert_official.py'


def _k400_cfg(num_classes=400):
    cfg = Config.fromfile(K400_S)
    cfg.model.backbone.arch = ARCH
    cfg.model.backbone.init_cfg = None
    cfg.model.cls_head.in_channels = 512
    cfg.model.cls_head.num_classes = num_classes
    return cfg


def _save(path, ckpt):
    torch.save(ckpt, path)
    return path


def _video(tmp_path, name, family='video_small_k400', num_classes=400,
           depths=TINY_DEPTHS):
    return _save(tmp_path / name, official_checkpoint(
        family, num_classes=num_classes, depths=depths))


# -- load_from / mim test: another size, family or head size ---------------
MISFITS = {
    # base into small: more blocks per stage
    'base_into_small': (lambda p: _video(p, 'uniformer_base_k400.pth',
                                         'video_base_k400',
                                         depths=(2, 2, 5, 2)),
                        'not in the model'),
    # a K600 head into a K400 config
    'k600_into_k400': (lambda p: _video(p, 'uniformer_small_k600.pth',
                                        num_classes=600),
                       'cls_head.fc_cls.weight (600, 512) vs (400, 512)'),
    # a detection file into a video model
    'det_into_video': (lambda p: _save(p / 'mask_rcnn.pth', {
        'state_dict': official_state('det_small_backbone',
                                     depths=TINY_DEPTHS)}),
                       'of another shape'),
}


@pytest.mark.parametrize('case', sorted(MISFITS))
def test_load_from_that_does_not_fill_fails_before_training(tmp_path, case):
    """Before: rc 0 with size-mismatch warnings (base into small overwrote
    what fit, the K600 head stayed random, a det file filled 253/316)."""
    make, words = MISFITS[case]
    path = make(tmp_path)
    runner = toy_recognizer_runner(tmp_path / 'work', path)
    before = {k: v.clone() for k, v in runner.model.state_dict().items()}
    with pytest.raises(CheckpointMismatchError) as info:
        runner.call_hook('before_run')
        runner.load_or_resume()
    msg = str(info.value)
    assert str(path) in msg and words in msg, msg
    assert 'allow_partial=True' in msg and "type='Pretrained'" in msg
    after = runner.model.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before), \
        'nothing may be loaded'


def test_an_official_file_that_fits_loads_exactly(tmp_path):
    path = _video(tmp_path, 'uniformer_small_k400_16x4.pth')
    runner = toy_recognizer_runner(tmp_path / 'work', path)
    runner.load_or_resume()
    state = torch.load(path)['model_state']
    torch.testing.assert_close(runner.model.backbone.blocks3[0].attn.qkv.weight,
                               state['blocks3.0.attn.qkv.weight'])
    torch.testing.assert_close(runner.model.cls_head.fc_cls.weight,
                               state['head.weight'])


def test_allow_partial_loads_what_fits_and_lists_the_rest(tmp_path):
    """Fine-tuning a new head from a K600 file: asked for explicitly."""
    from mmengine.logging import MMLogger
    path = _video(tmp_path, 'uniformer_small_k600.pth', num_classes=600)
    runner = toy_recognizer_runner(
        tmp_path / 'work', path, custom_hooks=[dict(
            type='mmuniformer.OfficialCheckpointHook', allow_partial=True)])
    head = head_weight(runner.model)
    records = []
    handler = logging.Handler(logging.WARNING)
    handler.emit = records.append
    logger = MMLogger.get_current_instance()
    logger.addHandler(handler)
    try:
        runner.load_or_resume()
    finally:
        logger.removeHandler(handler)
    state = torch.load(path)['model_state']
    torch.testing.assert_close(runner.model.backbone.blocks3[0].attn.qkv.weight,
                               state['blocks3.0.attn.qkv.weight'])
    assert torch.equal(head_weight(runner.model), head)
    logged = '\n'.join(r.getMessage() for r in records)
    assert 'allow_partial=True' in logged and 'cls_head.fc_cls' in logged


def test_resume_from_another_model_fails(tmp_path):
    path = _video(tmp_path, 'epoch_1.pth', num_classes=600)
    runner = toy_recognizer_runner(tmp_path / 'work', path, resume=True)
    with pytest.raises(CheckpointMismatchError, match='epoch_1.pth'):
        runner.load_or_resume()


def test_mim_test_with_a_misfit_checkpoint_fails(tmp_path):
    """``mim test --checkpoint`` (MMAction2's test.py sets load_from): a
    checkpoint of another head size stops before testing."""
    path = tmp_path / 'k600.pth'
    torch.save(official_checkpoint('video_small_k400', num_classes=600,
                                   depths=(1, 1, 2, 1)), path)
    # a one-line test list of a generated clip: the data check (which runs
    # when the test loop is built, before loading) must pass, so that what
    # stops the run is the checkpoint
    from mmuniformer.datasets.synthetic_motion import make_motion_dataset
    ann = make_motion_dataset(str(tmp_path / 'data'), num_train=1,
                              num_val=1, seed=0)['val']
    opts = ['model.backbone.arch.embed_dims=(64,128,320,512)',
            'model.backbone.arch.head_dim=64', 'model.cls_head.in_channels=512',
            f'test_dataloader.dataset.ann_file={ann}',
            f'test_dataloader.dataset.data_prefix.video={tmp_path / "data"}']
    res = subprocess.run(
        [sys.executable, '-m', 'mim', 'test', 'mmaction', DEMO_CFG,
         '--checkpoint', str(path), '--gpus', '0',
         '--work-dir', str(tmp_path / 'test'), '--cfg-options', *opts],
        capture_output=True, text=True, timeout=600)
    out = res.stdout + res.stderr
    assert res.returncode != 0, out[-3000:]
    assert 'CheckpointMismatchError' in out and str(path) in out
    assert 'cls_head.fc_cls.weight (600, 512) vs (4, 512)' in out
    # no test epoch ran ('acc/top1' itself is in the printed config)
    assert 'Epoch(test)' not in out


# -- the hosts' own APIs ---------------------------------------------------
def _recognizer_cfg():
    cfg = _k400_cfg()
    cfg.model.cls_head.num_classes = 400
    return cfg


def _official_video(tmp_path):
    return _video(tmp_path, 'uniformer_small_k400_16x4.pth')


def _converted(tmp_path, official, name='converted.pth'):
    out = convert_checkpoint(torch.load(official), str(official))
    return _save(tmp_path / name, out)


def _assert_converter_named(info):
    msg = str(info.value)
    assert CONVERTER in msg and 'half-loaded or not loaded' in msg, msg


def test_init_recognizer_official_file_stops_converted_loads(tmp_path):
    from mmaction.apis import init_recognizer
    official = _official_video(tmp_path)
    with pytest.raises(CheckpointMismatchError) as info:
        init_recognizer(_recognizer_cfg(), str(official), device='cpu')
    _assert_converter_named(info)
    model = init_recognizer(_recognizer_cfg(),
                            str(_converted(tmp_path, official)),
                            device='cpu')
    state = torch.load(official)['model_state']
    torch.testing.assert_close(model.backbone.blocks3[1].attn.qkv.weight,
                               state['blocks3.1.attn.qkv.weight'])
    torch.testing.assert_close(model.cls_head.fc_cls.weight,
                               state['head.weight'])


def test_action_inferencer_official_file_stops(tmp_path):
    """``ActionRecogInferencer(weights=...)`` (and so MMAction2's demos and
    ``vis_cam``, which load through ``init_recognizer``)."""
    from mmaction.apis.inferencers import ActionRecogInferencer
    official = _official_video(tmp_path)
    with pytest.raises(CheckpointMismatchError) as info:
        ActionRecogInferencer(model=_recognizer_cfg(), weights=str(official),
                              device='cpu')
    _assert_converter_named(info)


def _dense_cfg(path):
    cfg = Config.fromfile(path)
    cfg.model.backbone.arch = ARCH
    cfg.model.backbone.head_dim = None
    cfg.model.backbone.init_cfg = None
    # the recipes checkpoint stage-3 blocks of the full depths; the tiny
    # arch has fewer
    cfg.model.backbone.with_cp = False
    return cfg


def _full_dense_file(tmp_path, cfg, scope, family, name, rename=None):
    """An official dense file: the official backbone keys (shared lists)
    plus the host's neck / head keys (mmdet 2.x / mmseg 0.x / mmpose 0.x
    share the 3.x / 1.x names, except mmpose's ``keypoint_head``)."""
    import importlib

    from mmengine.registry import init_default_scope
    init_default_scope(scope)
    model = importlib.import_module(f'{scope}.registry').MODELS.build(
        cfg.model)
    state = dict(official_state(family, depths=TINY_DEPTHS))
    for key, value in model.state_dict().items():
        if not key.startswith('backbone.'):
            state[(rename(key) if rename else key)] = torch.randn_like(
                value.float()).to(value.dtype)
    return _save(tmp_path / name, {'state_dict': state, 'meta': {}}), state


def test_init_detector_official_file_loads_exactly(tmp_path):
    """Detection files are already in the OpenMMLab layout: they load as
    they are; a video file into a detector stops."""
    from mmdet.apis import init_detector
    cfg = _dense_cfg(DET_S)
    path, state = _full_dense_file(tmp_path, cfg, 'mmdet',
                                   'det_small_backbone',
                                   'mask_rcnn_1x_hybrid_small.pth')
    model = init_detector(_dense_cfg(DET_S), str(path), device='cpu')
    torch.testing.assert_close(model.backbone.blocks3[3].attn.qkv.weight,
                               state['backbone.blocks3.3.attn.qkv.weight'])
    with pytest.raises(CheckpointMismatchError) as info:
        init_detector(_dense_cfg(DET_S), str(_official_video(tmp_path)),
                      device='cpu')
    _assert_converter_named(info)


def test_mmseg_init_model_loads_and_refuses_another_size(tmp_path):
    from mmseg.apis import init_model
    cfg = _dense_cfg(SEG_S)
    path, state = _full_dense_file(tmp_path, cfg, 'mmseg',
                                   'seg_small_backbone', 'fpn_small.pth')
    model = init_model(_dense_cfg(SEG_S), str(path), device='cpu')
    torch.testing.assert_close(model.backbone.norm4.weight,
                               state['backbone.norm4.weight'])
    big = _dense_cfg(SEG_S)
    big.model.backbone.arch = dict(ARCH, depths=(1, 1, 8, 1))
    with pytest.raises(CheckpointMismatchError) as info:
        init_model(big, str(path), device='cpu')
    _assert_converter_named(info)
    assert 'missing from the checkpoint' in str(info.value)


def test_mmpose_init_model_official_file_stops_converted_loads(tmp_path):
    """An official mmpose 0.x file (``keypoint_head``, unused backbone
    ``norm1..3``) would leave the head random: stop; converted: exact."""
    from mmpose.apis import init_model
    cfg = _dense_cfg(POSE_S)
    path, state = _full_dense_file(
        tmp_path, cfg, 'mmpose', 'pose_small_backbone',
        'top_down_256x192_global_small.pth',
        rename=lambda k: 'keypoint_head.' + k[len('head.'):]
        if k.startswith('head.') else k)
    with pytest.raises(CheckpointMismatchError) as info:
        init_model(_dense_cfg(POSE_S), str(path), device='cpu')
    _assert_converter_named(info)
    model = init_model(_dense_cfg(POSE_S),
                       str(_converted(tmp_path, path, 'pose_mm.pth')),
                       device='cpu')
    key = next(k for k in state if k.startswith('keypoint_head.')
               and k.endswith('weight'))
    torch.testing.assert_close(
        model.state_dict()['head.' + key[len('keypoint_head.'):]],
        state[key])


@pytest.mark.parametrize('cls_name', ['UniFormer', 'UniFormer3D',
                                      'UniFormerLight', 'UniFormerLight3D',
                                      'UniFormerImageClassifier'])
def test_every_backbone_refuses_a_half_fill(cls_name):
    """The guard sits on every backbone: a plain ``load_state_dict`` with
    ``strict=False`` of a state dict that misses one tensor raises."""
    import mmuniformer.models as models
    model = getattr(models, cls_name)()
    state = model.state_dict()
    dropped = next(k for k in state if 'blocks3.0' in k)
    state.pop(dropped)
    with pytest.raises(CheckpointMismatchError, match=dropped.split('.')[0]):
        model.load_state_dict(state, strict=False)
    model.load_state_dict(model.state_dict())  # a full fill passes


def _feature_model():
    """A recognizer whose head has no weights (MMAction2's FeatureHead, as
    clip_feature_extraction builds it): only a backbone holds tensors."""
    from torch import nn
    model = nn.Module()
    model.backbone = nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 4))
    model.cls_head = nn.Identity()
    return model


def test_tensors_of_a_part_the_model_lacks_are_left_out():
    from mmuniformer.checkpoint.adapter import check_fill
    model = _feature_model()
    state = {f'backbone.{k}': v for k, v in model.backbone.state_dict().items()}
    state['cls_head.fc_cls.weight'] = torch.zeros(10, 4)
    state['cls_head.fc_cls.bias'] = torch.zeros(10)
    report = check_fill(model, state, 'full.pth')
    assert report['unexpected'] == [] and report['missing'] == []
    assert not any(k.startswith('cls_head.') for k in state)
    model.load_state_dict(state)  # what is left fills the model exactly


def test_extra_tensors_inside_a_part_the_model_has_still_refuse():
    """A deeper model's extra blocks are not 'a part the model lacks'."""
    from mmuniformer.checkpoint.adapter import check_fill
    from mmuniformer.checkpoint.convert import CheckpointMismatchError
    model = _feature_model()
    state = {f'backbone.{k}': v for k, v in model.backbone.state_dict().items()}
    state['backbone.2.weight'] = torch.zeros(4, 4)
    with pytest.raises(CheckpointMismatchError, match=r'backbone\.2'):
        check_fill(model, state, 'deeper.pth')
