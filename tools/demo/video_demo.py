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
is built. CHECKPOINT may be an mm-format checkpoint or an official UniFormer
file. ``--out`` writes the video with the top-k labels and scores drawn on
every frame by MMAction2's ``ActionVisualizer``: ``.gif`` as an animated
GIF (Pillow), anything else (``.mp4``, ``.avi``) through OpenCV; videos
with a short side below 224 pixels are upscaled to it so that the labels
are legible.
"""
import argparse
import os
import os.path as osp
import sys

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
    """Scores ``(num_classes,)`` of one video. ``label_order='mmaction'``
    puts an official Kinetics head into MMAction2's class order."""
    import mmuniformer  # noqa: F401  (compat fixes, registry)
    from mmaction.apis import inference_recognizer, init_recognizer
    from mmuniformer.checkpoint.convert import load_as_mm_checkpoint
    model = init_recognizer(config, None, device=device)
    load_as_mm_checkpoint(model, checkpoint, label_order=label_order)
    result = inference_recognizer(model, video)
    return result.pred_score.cpu()


def draw_topk(video, probs, top, names, out, fps=None):
    """Write ``video`` with the top-k labels drawn by MMAction2's
    ``ActionVisualizer`` to ``out`` (GIF via Pillow, else OpenCV)."""
    import cv2
    import decord
    import numpy as np
    from mmaction.structures import ActionDataSample
    from mmaction.visualization import ActionVisualizer

    reader = decord.VideoReader(video)
    fps = fps or reader.get_avg_fps() or 25
    frames = [f.asnumpy()[..., ::-1] for f in reader]  # BGR, as MMAction2
    from mmengine.structures import LabelData
    sample = ActionDataSample()
    # MMAction2 1.2.0's ActionVisualizer still draws the 1.0rc field
    # ``pred_labels`` (LabelData: ``item`` = class indices, ``score`` = all
    # scores), which its recognizers no longer fill: give it that
    sample.pred_labels = LabelData(item=top.indices, score=probs)
    vis = ActionVisualizer(name=f'video_demo_{os.getpid()}')
    if names is not None:
        vis.dataset_meta = dict(classes=names)
    # the visualiser scales its text to a 224-pixel short side and gets
    # illegible below it: draw smaller videos upscaled to that
    height, width = frames[0].shape[:2]
    scale = max(1., MIN_SHORT_SIDE / min(height, width))
    size = (int(round(width * scale)), int(round(height * scale)))
    drawn = vis.add_datasample(osp.basename(video), frames, sample,
                               draw_gt=False, draw_pred=True, draw_score=True,
                               target_resolution=size)
    drawn = np.asarray(drawn)
    os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
    if out.lower().endswith('.gif'):
        from PIL import Image
        images = [Image.fromarray(np.ascontiguousarray(f[..., ::-1]))
                  for f in drawn]
        images[0].save(out, save_all=True, append_images=images[1:],
                       duration=int(round(1000 / fps)), loop=0)
    else:
        height, width = drawn.shape[1:3]
        fourcc = 'XVID' if out.lower().endswith('.avi') else 'mp4v'
        writer = cv2.VideoWriter(out, cv2.VideoWriter_fourcc(*fourcc), fps,
                                 (width, height))
        if not writer.isOpened():
            sys.exit(f'error: OpenCV cannot write {out}; use a .gif')
        for frame in drawn:
            writer.write(np.ascontiguousarray(frame))
        writer.release()
    return len(drawn)


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
    probs = scores.softmax(0) if scores.min() < 0 or scores.sum() > 1.01 \
        else scores
    top = probs.topk(min(args.topk, probs.numel()))
    print(f'{args.video}:')
    for rank, (p, idx) in enumerate(zip(top.values, top.indices), 1):
        name = names[idx] if names is not None else str(int(idx))
        print(f'  {rank}. {name}  ({float(p):.3f})')
    if args.out:
        count = draw_topk(args.video, probs, top, names, args.out, args.fps)
        print(f'wrote {args.out} ({count} frames, top-{len(top.indices)} '
              'labels drawn)')


if __name__ == '__main__':
    main()
