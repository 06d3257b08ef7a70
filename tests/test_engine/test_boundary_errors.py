"""Clear errors at the boundary: the backbones refuse wrong inputs in their
own terms, and a damaged checkpoint file is named as unreadable (no
``weights_only=False`` advice) while a readable wrong checkpoint keeps
raising CheckpointMismatchError."""
import os.path as osp

import pytest
import torch
from conftest import TINY

from mmuniformer.checkpoint.adapter import (CheckpointMismatchError,
                                           UnreadableCheckpointError,
                                           load_pretrained)
from mmuniformer.models.backbones.uniformer import UniFormer
from mmuniformer.models.backbones.uniformer3d import UniFormer3D


@pytest.fixture(scope='module')
def video_net():
    return UniFormer3D(arch=dict(TINY)).eval()


@pytest.fixture(scope='module')
def image_net():
    return UniFormer(arch=dict(TINY)).eval()


@pytest.mark.parametrize('shape, match', [
    ((1, 3, 8, 64), r'expects clips of shape \(B, C, T, H, W\).*4-D'),
    ((1, 4, 8, 64, 64), r'C=3, got 4 channels'),
    ((1, 3, 8, 31, 64), r'T>=1, H>=32, W>=32.*\(1, 3, 8, 31, 64\)'),
    ((1, 3, 8, 64, 16), r'W>=32'),
    ((1, 3, 0, 64, 64), r'T>=1'),
])
def test_video_backbone_input_errors(video_net, shape, match):
    with pytest.raises(ValueError, match=match):
        video_net(torch.zeros(shape))


@pytest.mark.parametrize('shape, match', [
    ((3, 64, 64), r'expects images of shape \(B, C, H, W\).*3-D'),
    ((1, 1, 64, 64), r'C=3, got 1 channels'),
    ((1, 3, 16, 64), r'H>=32, W>=32'),
])
def test_image_backbone_input_errors(image_net, shape, match):
    with pytest.raises(ValueError, match=match):
        image_net(torch.zeros(shape))


def test_smallest_accepted_sizes_run():
    """The minimum named in the error is exactly what the convs need: one
    pixel less fails, the minimum runs (conv stem: ceil, so 1 pixel works;
    fewer returned stages need less)."""
    net = UniFormer3D(arch=dict(TINY)).eval()
    assert net(torch.zeros(1, 3, 1, 32, 32)).shape[2:] == (1, 1, 1)
    dense = UniFormer(arch=dict(TINY), out_indices=(0, 1)).eval()
    assert dense.min_input_size() == (8, 8)
    dense(torch.zeros(1, 3, 8, 8))
    with pytest.raises(ValueError, match='H>=8'):
        dense(torch.zeros(1, 3, 7, 8))
    stem = UniFormer(arch=dict(TINY, conv_stem=True)).eval()
    assert stem.min_input_size() == (1, 1)


def _assert_named_unreadable(path, exc_info):
    msg = str(exc_info.value)
    assert str(path) in msg and 'not a readable checkpoint' in msg
    assert 'weights_only' not in msg


@pytest.mark.parametrize('kind', ['empty', 'truncated', 'corrupt', 'text'])
def test_damaged_checkpoint_files_are_named(tmp_path, kind, video_net):
    good = tmp_path / 'good.pth'
    torch.save({'state_dict': video_net.state_dict()}, good)
    data = good.read_bytes()
    path = tmp_path / f'{kind}.pth'
    if kind == 'empty':
        path.write_bytes(b'')
    elif kind == 'truncated':  # a save killed halfway
        path.write_bytes(data[:len(data) // 2])
    elif kind == 'corrupt':  # the pickle inside the zip overwritten
        import random
        rng = random.Random(0)
        path.write_bytes(bytes(rng.randrange(256) for _ in range(4096)))
    else:
        path.write_text('<html>404 Not Found</html>\n')
    with pytest.raises(UnreadableCheckpointError) as exc_info:
        load_pretrained(UniFormer3D(arch=dict(TINY)), str(path))
    _assert_named_unreadable(path, exc_info)


def test_readable_but_wrong_checkpoints_keep_their_error(tmp_path):
    net = UniFormer3D(arch=dict(TINY))
    few = tmp_path / 'few_keys.pth'
    torch.save({'state_dict': {'patch_embed1.proj.weight':
                               net.state_dict()['patch_embed1.proj.weight']}},
               few)
    with pytest.raises(CheckpointMismatchError, match='missing'):
        load_pretrained(UniFormer3D(arch=dict(TINY)), str(few))
    meta = tmp_path / 'meta.pth'
    torch.save({'state_dict': net.state_dict(),
                'meta': {'uniformer': {'head_dim': 32}}}, meta)
    with pytest.raises(CheckpointMismatchError, match='head_dim=32'):
        load_pretrained(UniFormer3D(arch=dict(TINY)), str(meta))
    assert osp.isfile(meta)
