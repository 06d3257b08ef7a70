#!/usr/bin/env python
"""What a UniFormer looks at: attention maps of the global blocks.

    python tools/visualizations/vis_attention.py INPUT \\
        [--config CONFIG | --arch small [--light]] [--checkpoint NAME|PATH] \\
        [--mode query|rollout|kept] [--query mean|X,Y] [--block blocks3.0] \\
        [--head N] --out OUT

INPUT is a video (``--frames`` frames sampled uniformly, a 3D model) or an
image (a 2D model). OUT is ``.png`` (image; for a video the middle frame),
``.gif`` or ``.mp4`` (video: one overlay per input frame).

Modes:

* ``query``: for each global block (or ``--block``), the attention of one
  query over all tokens, per head (``--head``) or averaged over heads. The
  query is a point ``X,Y`` in [0, 1] image coordinates (the middle time
  step of a video) or ``mean``, the mean of all query rows;
* ``rollout``: attention rollout (Abnar & Zuidema, 2020) through stages 3
  and 4: each block's head-mean attention ``A`` becomes ``(A + I) / 2``
  (the residual), rows renormalised, multiplied in order; a stage-4 token
  reads the stage-3 tokens it was pooled from with equal weights. Every row
  of the result sums to 1 (a distribution over stage-3 tokens);
* ``kept``: light models only, the tokens each pruning block keeps.

The maps are computed *beside* SDPA, which stays the forward path, by
:mod:`mmuniformer.analysis.attention` (shared with the web demo): forward
hooks on the attention modules recompute ``softmax(Q K^T / sqrt(d))`` from
the module's own ``qkv`` projection of its input, so no block code changes
and the model's outputs are unchanged. Windowed blocks (det/seg configs
with ``window_size``) attend inside windows and are skipped. This script
is the command line: arguments, the backbone of ``--arch`` / ``--config``,
the maps of ``--mode``.
"""
import argparse
import os.path as osp
import sys
from typing import Dict, Optional

import numpy as np
import torch

from mmuniformer.analysis.attention import (MEAN, STD, kept_map, overlay,
                                            query_map, read_input, record,
                                            rollout_map, to_tensor,
                                            write_frames)


def build_backbone(arch: str, video: bool, checkpoint: Optional[str] = None,
                   light: bool = False) -> torch.nn.Module:
    """A UniFormer backbone (3D for video), eval mode; ``checkpoint`` (a
    path or a weights name) loads through the package's adapter."""
    from mmuniformer.models.backbones.light import (UniFormerLight,
                                                    UniFormerLight3D)
    from mmuniformer.models.backbones.uniformer import UniFormer
    from mmuniformer.models.backbones.uniformer3d import UniFormer3D
    cls = {(False, False): UniFormer, (True, False): UniFormer3D,
           (False, True): UniFormerLight, (True, True): UniFormerLight3D}[
        (video, light)]
    init = None if checkpoint is None else dict(type='Pretrained',
                                                checkpoint=checkpoint)
    model = cls(arch=arch, init_cfg=init)
    model.init_weights()
    return model.eval()


def backbone_from_config(config: str, checkpoint: Optional[str] = None):
    """``(backbone, mean, std)``: ``model.backbone`` of an mmuniformer
    config (pretrained init skipped), with ``checkpoint`` (an mm-format,
    official or named file) loaded through the package's adapter, and the
    config's normalisation."""
    from mmengine.config import Config

    import mmuniformer  # noqa: F401
    from mmuniformer.checkpoint.adapter import load_pretrained
    from mmuniformer.registry import MODELS
    cfg = Config.fromfile(config)
    spec = dict(cfg.model.get('backbone', cfg.model))
    spec.pop('init_cfg', None)
    spec.pop('pretrained', None)
    model = MODELS.build(spec)
    model.init_weights()
    if checkpoint is not None:
        load_pretrained(model, checkpoint)
    pre = cfg.model.get('data_preprocessor') or {}
    return (model.eval(), tuple(pre.get('mean', MEAN)),
            tuple(pre.get('std', STD)))


def maps_for(records, mode='query', query='mean', head=None,
             block: Optional[str] = None) -> Dict[str, np.ndarray]:
    """``{title: grid}`` for ``mode`` (see module docstring)."""
    if mode == 'rollout':
        return {'rollout stages 3-4': rollout_map(records, query)}
    chosen = [r for r in records if block is None or r['name'] == block]
    if not chosen:
        raise ValueError(f'no global block named {block!r}; blocks: '
                         f'{[r["name"] for r in records]}')
    if mode == 'kept':
        pruned = [r for r in chosen if r['kept'] is not None]
        if not pruned:
            raise ValueError('no pruning block: --mode kept is for the '
                             'light models (--light)')
        return {f'{r["name"]} kept': kept_map(r) for r in pruned}
    return {f'{r["name"]} head {"mean" if head is None else head}':
            query_map(r, query, head) for r in chosen}


def parse_query(text: str):
    if text == 'mean':
        return 'mean'
    try:
        x, y = (float(v) for v in text.split(','))
    except ValueError:
        raise SystemExit(f'error: --query {text!r}: give mean or X,Y in '
                         '[0, 1], e.g. 0.5,0.5')
    return x, y


def parse_args(argv=None):
    """Args: see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument('input', help='a video or an image')
    parser.add_argument('--config', default=None,
                        help='build model.backbone of this config (and use '
                        'its normalisation) instead of --arch')
    parser.add_argument('--arch', default='small',
                        help='arch name (default: small; light: xxs, xs)')
    parser.add_argument('--light', action='store_true',
                        help='a light (pruning) model')
    parser.add_argument('--checkpoint', default=None,
                        help='path or weights name (default: random weights)')
    parser.add_argument('--mode', default='query',
                        choices=('query', 'rollout', 'kept'))
    parser.add_argument('--query', default='mean', help='mean | X,Y')
    parser.add_argument('--head', type=int, default=None,
                        help='one head (default: the head mean)')
    parser.add_argument('--block', default=None,
                        help='one block, e.g. blocks3.0 (default: the last)')
    parser.add_argument('--frames', type=int, default=8)
    parser.add_argument('--size', type=int, default=224)
    parser.add_argument('--out', required=True, help='.png | .gif | .mp4')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    if not osp.isfile(args.input):
        sys.exit(f'error: {args.input} does not exist')
    frames = read_input(args.input, args.frames, args.size)
    video = len(frames) > 1
    if args.config:
        model, mean, std = backbone_from_config(args.config, args.checkpoint)
    else:
        model = build_backbone(args.arch, video, args.checkpoint, args.light)
        mean, std = MEAN, STD
    records = record(model, to_tensor(frames, video, mean, std))
    maps = maps_for(records, args.mode, parse_query(args.query), args.head,
                    args.block)
    if args.block is None and args.mode == 'query':
        maps = dict([list(maps.items())[-1]])
    title, grid = list(maps.items())[-1]
    write_frames(overlay(frames, grid), args.out)
    print(f'{args.input}: {title} -> {args.out} (blocks recorded: '
          f'{len(records)}; max weight {float(np.max(grid)):.4f})')


if __name__ == '__main__':
    main()
