#!/usr/bin/env python
"""Convert an official UniFormer checkpoint into an OpenMMLab 2.0 one.

    python tools/model_converters/convert_official.py SRC DST \
        [--family video|image|det|seg|pose] [--label-order official|mmaction]

SRC may be a local file or a URL. The family is detected when not given.
For Kinetics video checkpoints, ``--label-order mmaction`` reorders the head
rows so the converted model evaluates on MMAction2-format annotations.
"""
import argparse
import os
import os.path as osp
import sys

import torch


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument('src', help='official checkpoint (path or URL)')
    parser.add_argument('dst', help='output .pth')
    parser.add_argument('--family', choices=['video', 'image', 'det', 'seg',
                                             'pose', 'mm'],
                        help='checkpoint family (default: detect)')
    parser.add_argument('--label-order', default='official',
                        choices=['official', 'mmaction'],
                        help='row order of a Kinetics video head')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    from mmuniformer.models.checkpoint import load_checkpoint_file
    from mmuniformer.models.convert import convert_checkpoint
    if '://' not in args.src and not osp.isfile(args.src):
        sys.exit(f'error: {args.src} does not exist')
    ckpt = load_checkpoint_file(args.src)
    converted = convert_checkpoint(ckpt, source=osp.basename(args.src),
                                   family=args.family,
                                   label_order=args.label_order)
    os.makedirs(osp.dirname(osp.abspath(args.dst)), exist_ok=True)
    torch.save(converted, args.dst)
    meta = converted['meta']['uniformer']
    print(f'{args.src} -> {args.dst}: family {meta["family"]}, '
          f'{len(converted["state_dict"])} tensors, head_dim '
          f'{meta.get("head_dim", "unknown")}, label order '
          f'{meta.get("label_order")}')


if __name__ == '__main__':
    main()
