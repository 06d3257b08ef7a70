"""A config whose pretrained file is absent stops with a message that names
the file, where it comes from, where to put it and how to start without it.

The URLs expected here are transcribed from the official zoo (reference
sections 8 and 9), not read from the metafiles the code consults."""
import argparse
import os.path as osp

import pytest
from mmengine.config import Config, DictAction

import mmuniformer  # noqa: F401
from mmuniformer.models import UniFormer3D
from mmuniformer.checkpoint.pretrained import (MissingPretrainedError,
                                           check_pretrained)

from conftest import REPO  # noqa: E402  (the repository root)
HEADLINE = osp.join(REPO, 'configs', 'recognition', 'uniformer_b_sthv2.py')
DET_S = osp.join(REPO, 'configs', 'detection', 'uniformer',
                 'mask-rcnn_uniformer-s-h14_fpn_1x_coco.py')
POSE_S = osp.join(REPO, 'configs', 'pose', 'uniformer',
                  'td-hm_uniformer-s_8xb128-210e_coco-256x192.py')
SEG_S = osp.join(REPO, 'configs', 'segmentation', 'uniformer',
                 'fpn_uniformer-s-h14_8xb4-80k_ade20k-512x512.py')
# official B16x4 Kinetics-400 video file (zoo: uniformer_b16x4_k400)
B16X4_K400_DRIVE = '15ipzFaZdTt-aHv7jcr_h_vgYD2X7D6AD'
B16X4_K400_MIRROR = ('uniformer-base_imagenet1k-pre_16x4x1_kinetics400-rgb_'
                     '20221219-157c2e66.pth')
IMAGENET_FOLDER_ID = '1-sqWoelz3agOG74VkNwadY8RHR28o4Wv'
TINY3D = dict(depths=(1, 1, 1, 1), embed_dims=(16, 32, 64, 64), head_dim=16)


def _message(path, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(MissingPretrainedError) as info:
        check_pretrained(path)
    assert isinstance(info.value, FileNotFoundError)
    return str(info.value)


def test_headline_config_names_file_url_place_and_scratch_option(
        tmp_path, monkeypatch):
    cfg = Config.fromfile(HEADLINE)
    path = cfg.model.backbone.init_cfg.checkpoint
    assert path == 'checkpoints/uniformer_base_k400_16x4.pth'
    msg = _message(path, tmp_path, monkeypatch)
    assert path in msg
    assert f'https://drive.google.com/file/d/{B16X4_K400_DRIVE}/view' in msg
    assert B16X4_K400_MIRROR in msg
    assert str(tmp_path / 'checkpoints' / 'uniformer_base_k400_16x4.pth') \
        in msg
    assert '--cfg-options model.backbone.init_cfg=None' in msg
    assert 'model.backbone.init_cfg.checkpoint=' in msg


@pytest.mark.parametrize('config', [DET_S, SEG_S, POSE_S])
def test_dense_configs_name_the_imagenet_folder(config, tmp_path,
                                                monkeypatch):
    cfg = Config.fromfile(config)
    path = cfg.model.backbone.init_cfg.checkpoint
    assert osp.basename(path) == 'uniformer_small_in1k.pth'
    msg = _message(path, tmp_path, monkeypatch)
    assert f'drive.google.com/drive/folders/{IMAGENET_FOLDER_ID}' in msg
    assert 'uniformer_small_in1k.pth' in msg
    assert '--cfg-options model.backbone.init_cfg=None' in msg


def test_init_weights_raises_it_and_the_scratch_option_trains_without(
        tmp_path, monkeypatch):
    """Through the backbone's own init_weights (what the Runner calls), and
    the printed override, parsed the way `--cfg-options` parses it."""
    monkeypatch.chdir(tmp_path)
    cfg = Config.fromfile(HEADLINE)
    backbone = dict(cfg.model.backbone, arch=TINY3D)
    backbone.pop('type')
    model = UniFormer3D(**backbone)
    with pytest.raises(MissingPretrainedError, match='uniformer_base_k400'):
        model.init_weights()

    parser = argparse.ArgumentParser()
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    opts = parser.parse_args(
        ['--cfg-options', 'model.backbone.init_cfg=None']).cfg_options
    cfg.merge_from_dict(opts)
    assert cfg.model.backbone.init_cfg is None
    backbone = dict(cfg.model.backbone, arch=TINY3D)
    backbone.pop('type')
    UniFormer3D(**backbone).init_weights()  # no file needed


def test_urls_and_existing_files_pass(tmp_path):
    check_pretrained('https://example.org/uniformer_small_in1k.pth')
    path = tmp_path / 'uniformer_small_in1k.pth'
    path.write_bytes(b'')
    check_pretrained(str(path))


def test_unknown_file_says_no_entry(tmp_path, monkeypatch):
    msg = _message('checkpoints/my_own.pth', tmp_path, monkeypatch)
    assert 'No model-index entry names this file' in msg
