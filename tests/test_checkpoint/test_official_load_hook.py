"""Official checkpoints load directly through `load_from` / `mim test`,
converted while loading, with Kinetics heads in the dataset's label order."""
import glob
import os.path as osp
import re
import subprocess
import sys

import pytest
import torch
from mmengine.config import Config
from official_layout import official_state

import mmuniformer  # noqa: F401
from mmuniformer import labels

from conftest import REPO  # noqa: E402  (the repository root)
CFG_DIR = osp.join(REPO, 'configs', 'recognition', 'uniformer')
DEMO_CFG = osp.join(CFG_DIR,
                    'uniformer-tiny_scratch_1xb16-8x2x1-8e_motion-rgb.py')
# the demo's depths with the official S widths, so that the official key
# lists (shared/reference/official_keys, shortened) fit
DEMO_DEPTHS = (1, 1, 2, 1)
DEMO_ARCH = dict(depths=DEMO_DEPTHS, embed_dims=(64, 128, 320, 512),
                 head_dim=64)
# the same, as --cfg-options of the demo config (its arch is a custom dict)
DEMO_OPTS = ['model.backbone.arch.embed_dims=(64,128,320,512)',
             'model.backbone.arch.head_dim=64',
             'model.cls_head.in_channels=512']


def video_state(num_classes):
    return official_state('video_small_k400', depths=DEMO_DEPTHS,
                          num_classes=num_classes)


def _runner(cfg, work_dir):
    from mmengine.runner import Runner
    cfg.work_dir = str(work_dir)
    cfg.model.backbone.init_cfg = None
    return Runner.from_cfg(cfg)


def test_kinetics_config_loads_official_video_file(tmp_path):
    """load_from = an official K400 file: backbone exact, head rows in
    MMAction2's order (what the config's annotation files use)."""
    path = sorted(glob.glob(osp.join(
        CFG_DIR, 'uniformer-small_imagenet1k-pre_*16x4x1*kinetics400*.py')))[0]
    cfg = Config.fromfile(path)
    cfg.model.backbone.arch = DEMO_ARCH
    cfg.model.cls_head.in_channels = 512
    state = video_state(400)
    official = tmp_path / 'uniformer_small_k400_16x4.pth'
    torch.save({'model_state': state, 'epoch': 110}, official)
    runner = _runner(cfg, tmp_path / 'work')
    runner.load_checkpoint(str(official))
    model = runner.model
    torch.testing.assert_close(model.backbone.blocks3[1].attn.qkv.weight,
                               state['blocks3.1.attn.qkv.weight'])
    perm = torch.from_numpy(labels.head_permutation('k400'))
    torch.testing.assert_close(model.cls_head.fc_cls.weight,
                               state['head.weight'][perm])
    mm_index = labels.mmaction_classes('k400').index('riding a bike')
    torch.testing.assert_close(model.cls_head.fc_cls.bias[mm_index],
                               state['head.bias'][0])


def test_mim_test_with_an_official_file(tmp_path):
    """`mim test --checkpoint official.pth` evaluates the official model's
    predictions: a head that always votes for class 2 scores 25% on the
    balanced 4-class set; the untouched random init would not."""
    from mmuniformer.datasets import make_motion_dataset
    root = str(tmp_path / 'data')
    anns = make_motion_dataset(root, num_train=4, num_val=8, size=64)
    state = video_state(4)
    state['head.weight'] = torch.zeros_like(state['head.weight'])
    state['head.bias'] = torch.tensor([0., 0., 5., 0.])
    official = tmp_path / 'official.pth'
    torch.save({'model_state': state}, official)
    opts = []
    for split in ('train', 'val', 'test'):
        ann = anns['train' if split == 'train' else 'val']
        opts += [f'{split}_dataloader.dataset.ann_file={ann}',
                 f'{split}_dataloader.dataset.data_prefix.video={root}',
                 f'{split}_dataloader.num_workers=0']
    res = subprocess.run(
        [sys.executable, '-m', 'mim', 'test', 'mmaction', DEMO_CFG,
         '--checkpoint', str(official),
         '--gpus', '0', '--work-dir', str(tmp_path / 'test'),
         '--cfg-options', *DEMO_OPTS, *opts], capture_output=True, text=True,
        timeout=600)
    out = res.stdout + res.stderr
    assert res.returncode == 0, out[-3000:]
    assert 'converted an official video checkpoint' in out
    top1 = re.findall(r'acc/top1: ([0-9.]+)', out)
    assert top1 and float(top1[-1]) == 0.25


def test_pose_config_loads_official_mmpose0x_file_exactly(tmp_path):
    """An official top-down checkpoint (mmpose 0.x: keypoint_head.*, unused
    backbone norm1..3) loads through a shipped pose config with every key of
    the model filled and nothing left over."""
    from mmengine.registry import init_default_scope
    from mmpose.registry import MODELS
    cfg = Config.fromfile(osp.join(
        REPO, 'configs', 'pose', 'uniformer',
        'td-hm_uniformer-s_8xb128-210e_coco-256x192.py'))
    cfg.model.backbone.arch = DEMO_ARCH
    cfg.model.backbone.head_dim = None
    init_default_scope('mmpose')
    model = MODELS.build(cfg.model)
    head = {('keypoint_head.' + k): v.clone()
            for k, v in model.head.state_dict().items()}
    state = dict(official_state('pose_small_backbone', depths=DEMO_DEPTHS),
                 **head)
    official = tmp_path / 'top_down_256x192_global_small.pth'
    torch.save({'state_dict': state, 'meta': {}}, official)
    runner = _runner(cfg, tmp_path / 'work')
    ckpt = torch.load(official)
    runner.call_hook('after_load_checkpoint', checkpoint=ckpt)
    loaded = ckpt['state_dict']
    assert set(loaded) == set(runner.model.state_dict())
    runner.load_checkpoint(str(official))
    torch.testing.assert_close(runner.model.backbone.norm4.weight,
                               state['backbone.norm4.weight'])


def _tiny_dense(cfg):
    cfg.model.backbone.arch = DEMO_ARCH
    cfg.model.backbone.head_dim = None
    cfg.model.backbone.with_cp = False
    return cfg


def test_det_and_seg_official_files_load_through_the_configs(tmp_path):
    """Official mmdet 2.x / mmseg 0.x checkpoints ({'state_dict', 'meta'},
    backbone. / neck. / *_head. keys) share the 2.0 hosts' key names and load
    as they are: every tensor lands."""
    import importlib

    from mmengine.registry import init_default_scope
    cases = [
        ('mmdet', 'detection', 'mask-rcnn_uniformer-s-h14_fpn_1x_coco.py',
         'det_small_backbone'),
        ('mmseg', 'segmentation',
         'upernet_uniformer-s-g_8xb2-160k_ade20k-512x512_h32.py',
         'seg_small_backbone'),
    ]
    for scope, folder, name, family in cases:
        cfg = _tiny_dense(Config.fromfile(
            osp.join(REPO, 'configs', folder, 'uniformer', name)))
        init_default_scope(scope)
        models = importlib.import_module(f'{scope}.registry').MODELS
        reference = models.build(cfg.model)
        # the backbone from the official key list; necks and heads (their
        # names are the hosts') from the host's own modules
        state = official_state(family, depths=DEMO_DEPTHS)
        state.update({k: torch.randn_like(v) if v.is_floating_point() else v
                      for k, v in reference.state_dict().items()
                      if not k.startswith('backbone.')})
        official = tmp_path / f'{folder}_official.pth'
        torch.save({'state_dict': state, 'meta': {'epoch': 12}}, official)
        runner = _runner(cfg, tmp_path / f'work_{folder}')
        runner.load_checkpoint(str(official))
        loaded = runner.model.state_dict()
        assert set(loaded) == set(state)
        for key in ('backbone.blocks3.1.attn.qkv.weight',
                    'backbone.norm4.weight'):
            torch.testing.assert_close(loaded[key], state[key])


def test_load_from_refuses_a_recorded_head_dim_mismatch(tmp_path):
    """A converted file records head_dim in its meta; loading it into a
    model built with another head_dim (no shape differs) is refused."""
    from mmuniformer.checkpoint.adapter import CheckpointMismatchError
    from mmuniformer.checkpoint.convert import convert_checkpoint
    cfg = Config.fromfile(DEMO_CFG)
    cfg.model.backbone.arch = DEMO_ARCH  # head_dim 64
    cfg.model.cls_head.in_channels = 512
    state = video_state(4)
    converted = convert_checkpoint({'model_state': state}, 'x.pth')
    converted['meta']['uniformer']['head_dim'] = 32
    path = tmp_path / 'converted.pth'
    torch.save(converted, path)
    runner = _runner(cfg, tmp_path / 'work')
    with pytest.raises(CheckpointMismatchError, match='head_dim=32'):
        runner.load_checkpoint(str(path))
