#!/usr/bin/env python
"""Classify a video file with a UniFormer recognizer and print the top labels.

    python tools/demo/video_demo.py VIDEO CONFIG CHECKPOINT \
        [--labels k400|k600|FILE] [--topk 5] [--device cpu]

``--labels`` names a label list shipped with mmuniformer (``k400``/``k600``:
MMAction2's order, which converted checkpoints use with
``--label-order mmaction``; ``k400-official``/``k600-official``: the
official head order) or a text file with one class name per line.
CHECKPOINT may be an mm-format checkpoint or an official UniFormer file.
"""
import argparse
import os.path as osp
import sys


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument('video')
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--labels', default=None,
                        help='k400 | k600 | k400-official | k600-official | '
                        'a file with one name per line')
    parser.add_argument('--topk', type=int, default=5)
    parser.add_argument('--device', default='cpu')
    return parser.parse_args(argv)


def load_labels(spec):
    """Class names for ``spec`` (see module docstring); None -> indices."""
    if spec is None:
        return None
    from mmuniformer import labels
    if spec in labels.DATASETS:
        return labels.mmaction_classes(spec)
    if spec.endswith('-official') and spec[:-9] in labels.DATASETS:
        return [n.replace('_', ' ') for n in
                labels.official_classes(spec[:-9])]
    if not osp.isfile(spec):
        sys.exit(f'error: label list {spec} not found')
    with open(spec) as f:
        return [line.strip() for line in f if line.strip()]


def classify(video, config, checkpoint, device='cpu', label_order='official'):
    """Scores ``(num_classes,)`` of one video. ``label_order='mmaction'``
    puts an official Kinetics head into MMAction2's class order."""
    import mmuniformer  # noqa: F401  (compat fixes, registry)
    from mmaction.apis import inference_recognizer, init_recognizer
    from mmuniformer.models.convert import load_as_mm_checkpoint
    model = init_recognizer(config, None, device=device)
    load_as_mm_checkpoint(model, checkpoint, label_order=label_order)
    result = inference_recognizer(model, video)
    return result.pred_score.cpu()


def main(argv=None):
    args = parse_args(argv)
    for path in (args.video, args.config):
        if not osp.isfile(path):
            sys.exit(f'error: {path} does not exist')
    names = load_labels(args.labels)
    # k400 / k600 name MMAction2's order: put an official head in that order
    from mmuniformer import labels
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


if __name__ == '__main__':
    main()
