"""tools/demo/video_demo.py: shipped label aliases, the label count checked
before the model is built, and --out videos with the top-k labels drawn."""
import os.path as osp
import sys

import numpy as np
import pytest
import torch
from mmengine.config import Config

import mmuniformer  # noqa: F401
from mmuniformer import labels

from conftest import REPO  # noqa: E402  (the repository root)
sys.path.insert(0, osp.join(REPO, 'tools', 'demo'))
import video_demo  # noqa: E402

DEMO_CFG = osp.join(REPO, 'configs', 'recognition', 'uniformer',
                    'uniformer-tiny_scratch_1xb16-8x2x1-8e_motion-rgb.py')
# class counts of the data sets (Kinetics-400/600, Something-Something
# V1/V2: 174 classes)
COUNTS = {'k400': 400, 'k600': 600, 'k400-official': 400,
          'k600-official': 600, 'sthv1': 174, 'sthv2': 174}


@pytest.mark.parametrize('alias', sorted(COUNTS))
def test_every_shipped_list_has_an_alias(alias):
    names = video_demo.load_labels(alias)
    assert len(names) == COUNTS[alias] == len(set(names))


def test_sth_names_are_the_official_categories():
    assert video_demo.load_labels('sthv2')[0] == \
        'Approaching [something] with your camera'
    assert video_demo.load_labels('sthv1')[0] == \
        'Approaching something with your camera'
    assert set(labels.ALIASES) == set(COUNTS)


def test_wrong_label_count_stops_before_the_model_is_built(tmp_path):
    """The checkpoint does not even exist: the label check comes first."""
    video = tmp_path / 'clip.mp4'
    video.write_bytes(b'')
    with pytest.raises(SystemExit) as info:
        video_demo.main([str(video), DEMO_CFG, str(tmp_path / 'none.pth'),
                         '--labels', 'sthv2'])
    msg = str(info.value)
    assert '174 class names' in msg and 'has 4 classes' in msg


@pytest.fixture(scope='module')
def model_and_video(tmp_path_factory):
    from mmengine.registry import init_default_scope
    from mmaction.registry import MODELS

    from mmuniformer.datasets.synthetic_motion import render_clip, write_mp4
    root = tmp_path_factory.mktemp('video_demo')
    init_default_scope('mmaction')
    model = MODELS.build(Config.fromfile(DEMO_CFG).model)
    ckpt = root / 'model.pth'
    torch.save({'state_dict': model.state_dict()}, ckpt)
    frames = render_clip(2, np.random.default_rng(0), frames=12, size=64)
    video = root / 'clip.mp4'
    write_mp4(str(video), frames)
    names = root / 'names.txt'
    names.write_text('right\nleft\ndown\nup\n')
    return str(ckpt), str(video), str(names)


@pytest.mark.parametrize('ext', ['gif', 'mp4'])
def test_out_writes_the_video_with_the_labels_drawn(model_and_video,
                                                    tmp_path, ext, capsys):
    import decord
    ckpt, video, names = model_and_video
    out = tmp_path / f'result.{ext}'
    video_demo.main([video, DEMO_CFG, ckpt, '--labels', names, '--topk',
                     '2', '--out', str(out)])
    printed = capsys.readouterr().out
    assert f'wrote {out} (12 frames, top-2 labels drawn)' in printed
    original = decord.VideoReader(video).get_batch(list(range(12))) \
        .asnumpy().astype(float)
    if ext == 'gif':
        from PIL import Image
        image = Image.open(out)
        assert image.n_frames == 12
        image.seek(0)
        drawn = np.asarray(image.convert('RGB')).astype(float)
    else:
        reader = decord.VideoReader(str(out))
        assert len(reader) == 12
        drawn = reader[0].asnumpy().astype(float)
    # a 64x64 video is drawn at 224x224 (legible labels); the label box is
    # in the top-left corner (the prediction lines below the frame count:
    # rows 20-44), the rest is the (upscaled) video
    import cv2
    assert drawn.shape == (224, 224, 3)
    frame = cv2.resize(original[0], (224, 224))
    corner = np.abs(drawn[20:44, 90:150] - frame[20:44, 90:150]).mean()
    rest = np.abs(drawn[120:, 120:] - frame[120:, 120:]).mean()
    assert corner > 30 and rest < 12, (corner, rest)
