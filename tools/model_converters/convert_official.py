#!/usr/bin/env python
"""Convert an official UniFormer checkpoint into an OpenMMLab 2.0 one.

    python tools/model_converters/convert_official.py SRC DST \
        [--family video|image|det|seg|pose|mm] \
        [--label-order official|mmaction] [--image-layout classifier|backbone]

SRC may be a local file or a URL; it is read safely and checked by
:mod:`mmuniformer.checkpoint.reader`. The family is detected when not given
(:mod:`mmuniformer.checkpoint.convert`). For Kinetics video checkpoints,
``--label-order mmaction`` reorders the head rows so the converted model
evaluates on MMAction2-format annotations. An official ImageNet file becomes,
by default, a checkpoint of the MMPretrain classifier of
``configs/classification/uniformer`` (loads with ``strict=True``: trunk and
final BN under ``backbone.``, ``head.fc``, token labeling ``head.aux_fc``);
``--image-layout backbone`` keeps the trunk only. ``meta.uniformer`` of the
output records family, head_dim (from the weights table for a released file
name) and label order, which loading checks.

The hosts' own APIs (``init_recognizer``, ``init_model``, the inferencers)
need the converted file; the Runner (``load_from``, ``mim test
--checkpoint``) converts while loading.
"""
import argparse
import os
import os.path as osp
import sys

import torch

FAMILIES = ['video', 'image', 'det', 'seg', 'pose', 'mm']


def parse_args(argv=None):
    """Command line.

    Args:
        argv (list[str], optional): arguments; None reads ``sys.argv``.
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument('src', help='official checkpoint (path or URL)')
    parser.add_argument('dst', help='output .pth')
    parser.add_argument('--family', choices=FAMILIES,
                        help='checkpoint family (default: detect)')
    parser.add_argument('--label-order', default='official',
                        choices=['official', 'mmaction'],
                        help='row order of a Kinetics video head')
    parser.add_argument('--image-layout', default='classifier',
                        choices=['classifier', 'backbone'],
                        help='ImageNet files: the whole MMPretrain '
                        'classifier (default) or the backbone trunk only')
    return parser.parse_args(argv)


def main(argv=None):
    """Convert ``SRC`` into ``DST`` and print what was written.

    Args:
        argv (list[str], optional): as :func:`parse_args`.
    """
    args = parse_args(argv)
    from mmuniformer.checkpoint.convert import (CheckpointMismatchError,
                                                convert_checkpoint)
    from mmuniformer.checkpoint.reader import (UnreadableCheckpointError,
                                               read_checkpoint)
    if '://' not in args.src and not osp.isfile(args.src):
        sys.exit(f'error: {args.src} does not exist')
    try:
        ckpt = read_checkpoint(args.src)
        converted = convert_checkpoint(ckpt, source=osp.basename(args.src),
                                       family=args.family,
                                       label_order=args.label_order,
                                       image_layout=args.image_layout)
    except (UnreadableCheckpointError, CheckpointMismatchError) as err:
        sys.exit(f'error: {err}')
    os.makedirs(osp.dirname(osp.abspath(args.dst)), exist_ok=True)
    torch.save(converted, args.dst)
    meta = converted['meta']['uniformer']
    print(f'{args.src} -> {args.dst}: family {meta["family"]}, '
          f'{len(converted["state_dict"])} tensors, head_dim '
          f'{meta.get("head_dim", "unknown")}, label order '
          f'{meta.get("label_order")}'
          + (f', image layout {meta["image_layout"]}, token labeling '
             f'{meta.get("token_labeling", False)}'
             if meta['family'] == 'image' else ''))


if __name__ == '__main__':
    main()
