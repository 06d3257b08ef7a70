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


def test_scores_are_probabilities(model_and_video):
    """classify() gives the softmax of the head's logits (one view), the
    kind of score the web demo shows, whatever the config's average_clips.
    """
    from mmaction.apis import inference_recognizer, init_recognizer
    ckpt, video, _ = model_and_video
    probs = video_demo.classify(video, DEMO_CFG, ckpt)
    cfg = Config.fromfile(DEMO_CFG)
    assert cfg.model.cls_head.average_clips == 'score'
    model = init_recognizer(cfg, ckpt, device='cpu')
    logits = inference_recognizer(model, video).pred_score
    assert abs(float(logits.sum()) - 1) > 1e-3  # logits, not probabilities
    torch.testing.assert_close(probs, logits.softmax(0), atol=1e-5,
                               rtol=1e-5)


def test_long_labels_wrap_or_shrink_within_the_frame():
    import cv2
    texts = ['1. ' + 'very long class name ' * 6 + '(0.500)', '2. up (0.1)']
    lines, scale = video_demo.label_lines(texts, 224)
    assert scale == min(video_demo.FONT_SCALES) and len(lines) > 2
    for line in lines:
        width = cv2.getTextSize(line, cv2.FONT_HERSHEY_SIMPLEX, scale, 1)[0]
        assert width[0] <= 224 - 8, line
    assert ' '.join(' '.join(lines).split()) == ' '.join(
        ' '.join(texts).split())
    short, big = video_demo.label_lines(['1. up (0.9)'], 224)
    assert big == max(video_demo.FONT_SCALES) and short == ['1. up (0.9)']


def test_gif_of_a_10s_clip_is_small(shared_data, tmp_path):
    """The shared demo clip as a GIF stays within 3 MB for 10 s of video
    (it was 13.7 MB for one clip with per-frame palettes at full rate)."""
    import decord
    video = osp.join(shared_data, 'video', 'demo.mp4')
    reader = decord.VideoReader(video)
    seconds = len(reader) / reader.get_avg_fps()
    probs = torch.tensor([.5, .3, .1, .06, .04])
    top = probs.topk(5)
    out = str(tmp_path / 'demo.gif')
    count, path = video_demo.draw_topk(video, probs, top,
                                       ['abseiling'] * 5, out)
    size = osp.getsize(path)
    assert path == out and count <= seconds * video_demo.MAX_GIF_FPS + 1
    assert size / seconds * 10 < 3e6, (size, seconds)
    print(f'{video}: {seconds:.1f} s -> {size / 1e6:.2f} MB GIF, '
          f'{count} frames')
