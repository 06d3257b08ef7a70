#!/usr/bin/env python
"""Classify a video file with a UniFormer recognizer and print the top labels.

    python tools/demo/video_demo.py VIDEO CONFIG CHECKPOINT \
        [--labels k400|k600|k400-official|k600-official|sthv1|sthv2|FILE] \
        [--topk 5] [--device cpu] [--out OUT.mp4|OUT.gif] [--fps N]

``--labels`` names a label list shipped with mmuniformer or a text file with
one class name per line (line ``i`` = class ``i``, e.g. the ``classes.txt``
of ``tools/data/build_video_lists.py``):

* ``k400`` / ``k600``: MMAction2's order, the order of MMAction2's Kinetics
  annotation files; an official Kinetics head is put into that order;
* ``k400-official`` / ``k600-official``: the official head order;
* ``sthv1`` / ``sthv2``: the 174 Something-Something classes.

The number of names is checked against the config's head before the model
is built. CHECKPOINT may be an mm-format checkpoint, an official UniFormer
file, a weights name or ``hf://...``. The scores are probabilities (the
head's ``average_clips='prob'``). ``--out`` writes the video with the top-k
labels and probabilities drawn on every frame, wrapped or shrunk to fit:
mp4 by default (H.264 where OpenCV has it), ``.gif`` small enough to share
(frame stride, short side 224, one palette), ``.avi``; videos with a short
side below 224 pixels are upscaled to it so that the labels are legible.
"""
import argparse
import os
import os.path as osp
import sys

import numpy as np

MIN_SHORT_SIDE = 224


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument('video')
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--labels', default=None,
                        help='k400 | k600 | k400-official | k600-official | '
                        'sthv1 | sthv2 | a file with one name per line')
    parser.add_argument('--topk', type=int, default=5)
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--out', default=None,
                        help='write the video with the top-k labels drawn '
                        '(.mp4 / .avi / .gif)')
    parser.add_argument('--fps', type=float, default=None,
                        help='frame rate of --out (default: the input\'s)')
    return parser.parse_args(argv)


def load_labels(spec):
    """Class names for ``spec`` (see module docstring); None -> indices."""
    if spec is None:
        return None
    from mmuniformer import labels
    if spec in labels.ALIASES:
        return labels.alias_classes(spec)
    if not osp.isfile(spec):
        sys.exit(f'error: label list {spec} is neither a file nor one of '
                 f'{", ".join(labels.ALIASES)}')
    with open(spec) as f:
        return [line.strip() for line in f if line.strip()]


def config_num_classes(config):
    """``model.cls_head.num_classes`` of ``config`` (None if absent)."""
    from mmengine.config import Config
    cfg = Config.fromfile(config)
    head = cfg.get('model', {}).get('cls_head') or {}
    return cfg, head.get('num_classes')


def classify(video, config, checkpoint, device='cpu', label_order='official'):
    """Class probabilities ``(num_classes,)`` of one video: the head's
    ``average_clips`` is set to ``'prob'`` (the shipped configs average
    logits, ``'score'``, which ranks multi-view tests as the official code
    does). ``label_order='mmaction'`` puts an official Kinetics head into
    MMAction2's class order. CHECKPOINT may be a weights name or
    ``hf://...`` too."""
    import mmuniformer  # noqa: F401  (compat fixes, registry)
    from mmaction.apis import inference_recognizer, init_recognizer
    from mmengine.config import Config
    from mmuniformer.checkpoint.convert import load_as_mm_checkpoint
    from mmuniformer.checkpoint.download import resolve_checkpoint
    cfg = Config.fromfile(config) if isinstance(config, str) else config
    cfg.model.cls_head.average_clips = 'prob'
    checkpoint = resolve_checkpoint(checkpoint)
    model = init_recognizer(cfg, None, device=device)
    load_as_mm_checkpoint(model, checkpoint, label_order=label_order)
    result = inference_recognizer(model, video)
    return result.pred_score.cpu()


MAX_GIF_FPS = 8
GIF_SHORT_SIDE = 224
GIF_COLORS = 128
FONT_SCALES = (0.6, 0.5, 0.42)


def label_lines(texts, width, font=None, thickness=1):
    """``(lines, scale)``: ``texts`` laid out within ``width`` pixels. The
    font shrinks through ``FONT_SCALES``; a text still too wide at the
    smallest scale is wrapped at spaces (or cut into pieces)."""
    import cv2
    font = cv2.FONT_HERSHEY_SIMPLEX if font is None else font
    room = width - 8

    def fits(text, scale):
        return cv2.getTextSize(text, font, scale, thickness)[0][0] <= room
    for scale in FONT_SCALES:
        if all(fits(t, scale) for t in texts):
            return list(texts), scale
    lines = []
    for text in texts:
        line = ''
        for word in text.split(' '):
            candidate = f'{line} {word}'.strip()
            if fits(candidate, scale) or not line:
                line = candidate
            else:
                lines.append(line)
                line = '   ' + word
            while not fits(line, scale) and len(line) > 1:
                cut = max(1, len(line) * room // max(1, cv2.getTextSize(
                    line, font, scale, thickness)[0][0]) - 1)
                lines.append(line[:cut])
                line = line[cut:]
        lines.append(line)
    return lines, scale


def draw_labels(frame, lines, scale):
    """Draw ``lines`` white on a dark band across the top of an RGB/BGR
    frame (in place)."""
    import cv2
    step = int(round(34 * scale)) + 4
    band = step * len(lines) + 6
    frame[:band] = (frame[:band] * 0.35).astype(frame.dtype)
    for i, line in enumerate(lines):
        cv2.putText(frame, line, (4, 4 + step * (i + 1) - 6),
                    cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255), 1,
                    cv2.LINE_AA)
    return frame


def save_gif(frames, out, fps):
    """A small GIF of RGB ``frames``: at most ``MAX_GIF_FPS`` (frame stride),
    short side at most ``GIF_SHORT_SIDE``, one shared ``GIF_COLORS``-colour
    palette (no dithering: it defeats LZW). Returns the frames written.
    Measured: the shared 10 s demo clip (``demo.mp4``) gives a 1.75 MB GIF
    of 70 frames, where one clip was 13.7 MB with Pillow's per-frame
    palettes at the full frame rate."""
    import math

    import cv2
    from PIL import Image
    stride = max(1, math.ceil(fps / MAX_GIF_FPS))
    frames = frames[::stride]
    height, width = frames[0].shape[:2]
    scale = min(1., GIF_SHORT_SIDE / min(height, width))
    if scale < 1:
        size = (int(round(width * scale)), int(round(height * scale)))
        frames = [cv2.resize(f, size, interpolation=cv2.INTER_AREA)
                  for f in frames]
    sample = np.concatenate([frames[i] for i in np.linspace(
        0, len(frames) - 1, min(8, len(frames))).astype(int)])
    palette = Image.fromarray(np.ascontiguousarray(sample)).quantize(
        GIF_COLORS, method=Image.Quantize.MEDIANCUT)
    images = [Image.fromarray(np.ascontiguousarray(f)).quantize(
        palette=palette, dither=Image.Dither.NONE) for f in frames]
    images[0].save(out, save_all=True, append_images=images[1:],
                   duration=int(round(1000 * stride / fps)), loop=0,
                   optimize=True)
    return len(images)


def save_video(frames, out, fps):
    """mp4 (H.264 ``avc1`` where OpenCV's build has it, else ``mp4v``) or
    ``.avi`` (XVID) of RGB ``frames``; None when no encoder opens."""
    import cv2
    height, width = frames[0].shape[:2]
    codecs = ('XVID', ) if out.lower().endswith('.avi') else ('avc1',
                                                              'mp4v')
    for codec in codecs:
        writer = cv2.VideoWriter(out, cv2.VideoWriter_fourcc(*codec), fps,
                                 (width, height))
        if writer.isOpened():
            for frame in frames:
                writer.write(np.ascontiguousarray(frame[..., ::-1]))
            writer.release()
            return len(frames)
    return None


def draw_topk(video, probs, top, names, out, fps=None):
    """Write ``video`` with the top-k labels and probabilities drawn (wrapped
    or shrunk to fit) to ``out``: ``.gif`` (small, see :func:`save_gif`),
    ``.avi``, or mp4 for anything else (the default; a GIF beside it when
    OpenCV has no mp4 encoder). Videos with a short side below 224 pixels
    are upscaled to it so that the labels are legible. Returns
    ``(frames written, path)``."""
    import cv2
    import decord

    reader = decord.VideoReader(video)
    fps = fps or reader.get_avg_fps() or 25
    texts = [f'{rank}. {names[i] if names is not None else int(i)} '
             f'({float(p):.3f})'
             for rank, (p, i) in enumerate(zip(top.values, top.indices), 1)]
    first = reader[0].asnumpy()
    height, width = first.shape[:2]
    scale = max(1., MIN_SHORT_SIDE / min(height, width))
    size = (int(round(width * scale)), int(round(height * scale)))
    lines, font_scale = label_lines(texts, size[0])
    frames = []
    for frame in reader:
        frame = frame.asnumpy()
        if scale > 1:
            frame = cv2.resize(frame, size, interpolation=cv2.INTER_CUBIC)
        frames.append(draw_labels(frame, lines, font_scale))
    os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
    if not osp.splitext(out)[1]:
        out += '.mp4'
    if out.lower().endswith('.gif'):
        return save_gif(frames, out, fps), out
    count = save_video(frames, out, fps)
    if count is None:
        out = osp.splitext(out)[0] + '.gif'
        print(f'OpenCV has no encoder for that format: writing {out}')
        return save_gif(frames, out, fps), out
    return count, out


def main(argv=None):
    args = parse_args(argv)
    for path in (args.video, args.config):
        if not osp.isfile(path):
            sys.exit(f'error: {path} does not exist')
    import mmuniformer  # noqa: F401  (config bases need the compat fixes)
    from mmuniformer import labels
    names = load_labels(args.labels)
    _, num_classes = config_num_classes(args.config)
    if names is not None and num_classes is not None and \
            len(names) != num_classes:
        sys.exit(f'error: --labels {args.labels} has {len(names)} class '
                 f'names but the head of {args.config} has {num_classes} '
                 f'classes: give the label list of the data set the '
                 f'checkpoint was trained on')
    # k400 / k600 name MMAction2's order: put an official head in that order
    order = 'mmaction' if args.labels in labels.DATASETS else 'official'
    scores = classify(args.video, args.config, args.checkpoint, args.device,
                      label_order=order)
    if names is not None and len(names) != scores.numel():
        sys.exit(f'error: {len(names)} labels but the model has '
                 f'{scores.numel()} classes')
    probs = scores
    top = probs.topk(min(args.topk, probs.numel()))
    print(f'{args.video}:')
    for rank, (p, idx) in enumerate(zip(top.values, top.indices), 1):
        name = names[idx] if names is not None else str(int(idx))
        print(f'  {rank}. {name}  ({float(p):.3f})')
    if args.out:
        count, out = draw_topk(args.video, probs, top, names, args.out,
                               args.fps)
        print(f'wrote {out} ({count} frames, top-{len(top.indices)} '
              'labels drawn)')


if __name__ == '__main__':
    main()
