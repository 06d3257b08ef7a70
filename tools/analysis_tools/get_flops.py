"""FLOPs and parameters of UniFormer models, counted as the paper did.

The fvcore convention of :class:`mmengine.analysis.FlopAnalyzer` (one
multiply-add = one FLOP, convolutions / linear layers / matmuls / norms
counted, element-wise ops such as GELU, softmax and residual additions
ignored), with the fused ``scaled_dot_product_attention`` counted as the two
matmuls the official code writes out (``q @ k^T`` and ``attn @ v``). By
default the forward runs on fake tensors (:func:`mmuniformer.analysis.
count_flops`: shapes only, no arithmetic), so a row takes about a second
whatever its size; ``--trace`` counts with mmengine's jit ``FlopAnalyzer``
on real tensors instead (same figures, minutes for the large rows).

Usage::

    # a host config (MMAction2 / MMDetection / MMSegmentation / MMPose /
    # MMPretrain)
    python tools/analysis_tools/get_flops.py CONFIG [--shape ...]
    # the official ImageNet classifier (UniFormerImageClassifier, 1000
    # classes), without a config: image:<arch>
    python tools/analysis_tools/get_flops.py image:small image:base
    # light ImageNet models (pruning active) at their resolutions
    python tools/analysis_tools/get_flops.py image:xxs --shape 160
    # README rows
    python tools/analysis_tools/get_flops.py --markdown CONFIG1 CONFIG2 ...

``--shape``: images ``H W`` (or one side); videos ``T H W``, ``T`` (224 x 224)
or ``H W`` (T from the config). Defaults: video = the test pipeline's
``clip_len`` at its test crop size (224 x 224 for the classic models; FLOPs
of ONE view: multiply by the number of views for the official "x views"
figures), detection 800 x 1280, segmentation 512 x 2048, pose the codec's
``input_size``, image 224 x 224, MMPretrain the test pipeline's crop
(``CenterCrop`` / ``Resize``, e.g. 224 or 384).

What is traced (model in eval mode, activation checkpointing off, pretrained
init skipped, SyncBN built as BN: :func:`mmuniformer.analysis.
build_plain_model`; the forwards of :mod:`mmuniformer.analysis.models`,
counted by :func:`mmuniformer.analysis.measure`):

* recognizer: backbone -> neck -> cls head on one clip ``(1, 3, T, H, W)``;
* two-stage detector: as the official mmdet 2.x ``forward_dummy`` the FLOPs
  of the papers were measured with: backbone, neck, RPN head convolutions,
  the bbox head(s) on ``--num-proposals`` (1000) fixed boxes and the mask
  head(s) on the first ``--num-mask-rois`` (100) of them, every cascade stage
  on the same boxes; other detectors: ``_forward`` (tensor mode);
* segmentor: backbone, neck, decode head, bilinear resize of the logits to the
  input size (the auxiliary head is training-only: its parameters count,
  its FLOPs do not);
* pose estimator: backbone, neck, head (``_forward``);
* image classifier (MMPretrain): backbone, neck, head (``mode='tensor'``);
* ``image:<arch>``: the package's ``UniFormerImageClassifier`` /
  ``UniFormerLightImageClassifier`` in eval mode (the light models'
  training-only ``norm_cls`` + ``head_cls`` count as parameters, not FLOPs).

"backbone" columns are the backbone submodule alone (for ``image:<arch>``:
everything but the heads); "total" params are every parameter of the built
model.
"""
import argparse
import os.path as osp
import sys
from typing import Optional, Sequence

import torch

from mmuniformer.analysis import (HOST_FORWARDS, HOST_REGISTRIES,
                                  DetectorForward, ImageForward,
                                  build_plain_model, measure)

HEADER = ('| model | input | backbone GFLOPs | backbone params (M) | '
          'total GFLOPs | total params (M) |')
SEPARATOR = '|---|---|---:|---:|---:|---:|'
IMAGE_PREFIX = 'image:'
DEFAULT_SHAPES = {
    'image': (224, 224),
    'mmdet': (800, 1280),
    'mmseg': (512, 2048),
}


def _ints(values: Optional[Sequence[int]]) -> tuple:
    return tuple(int(v) for v in values) if values else ()


def video_clip_len(cfg) -> int:
    for key in ('test_pipeline', 'val_pipeline'):
        for step in cfg.get(key) or []:
            if 'clip_len' in step:
                return int(step['clip_len'])
    return 8


def classifier_input_size(cfg) -> tuple:
    """``(H, W)`` the test pipeline feeds the classifier: the last
    ``CenterCrop`` / ``Resize`` size (224 when there is none)."""
    size = 224
    for step in cfg.test_dataloader.dataset.pipeline:
        value = step.get('crop_size') if step['type'] == 'CenterCrop' else \
            step.get('scale') if step['type'] == 'Resize' else None
        if value is not None:
            size = value
    if isinstance(size, int):
        return (size, size)
    width, height = size  # mmcv sizes are (w, h)
    return (int(height), int(width))


def video_crop_size(cfg) -> int:
    """Side of the test crop (``CenterCrop``/``ThreeCrop``), else 224."""
    for key in ('test_pipeline', 'val_pipeline'):
        for step in cfg.get(key) or []:
            if step.get('type') in ('CenterCrop', 'ThreeCrop') and \
                    isinstance(step.get('crop_size'), int):
                return int(step['crop_size'])
    return 224


def resolve_shape(kind: str, shape: tuple, cfg=None) -> tuple:
    """Input size without batch/channels: ``(H, W)`` or ``(T, H, W)``."""
    if kind == 'mmaction':
        if len(shape) == 3:
            return shape
        if len(shape) == 2:
            return (video_clip_len(cfg), ) + shape
        if len(shape) == 1:
            return shape + (224, 224)
        side = video_crop_size(cfg)
        return (video_clip_len(cfg), side, side)
    if len(shape) == 1:
        return shape * 2
    if len(shape) == 2:
        return shape
    if shape:
        raise ValueError(f'{kind}: --shape takes H W (or one side), got '
                         f'{shape}')
    if kind == 'mmpretrain':
        return classifier_input_size(cfg)
    if kind == 'mmpose':
        codec = cfg.get('codec')
        if isinstance(codec, dict) and 'input_size' in codec:
            width, height = codec['input_size']
            return (int(height), int(width))
        return (256, 192)
    return DEFAULT_SHAPES[kind]


def build_case(target: str, shape: tuple = (), scope: Optional[str] = None,
               cfg_options: Optional[dict] = None,
               num_proposals: int = 1000, num_mask_rois: int = 100):
    """``(name, input label, wrapper, inputs)`` for a config or preset."""
    if target.startswith(IMAGE_PREFIX):
        from mmuniformer.models import (UniFormerImageClassifier,
                                        UniFormerLightImageClassifier)
        from mmuniformer.models.arch import ARCH_ALIASES, ARCH_ZOO
        name, arch = target, target[len(IMAGE_PREFIX):]
        size = resolve_shape('image', shape)
        family = ARCH_ZOO.get(ARCH_ALIASES.get(arch), {}).get('family')
        wrapper = ImageForward(UniFormerLightImageClassifier(arch) if
                               family == 'light' else
                               UniFormerImageClassifier(arch))
    else:
        from mmengine.config import Config
        cfg = Config.fromfile(target)
        if cfg_options:
            cfg.merge_from_dict(cfg_options)
        kind, model = build_plain_model(cfg, scope)
        size = resolve_shape(kind, shape, cfg)
        wrapper = DetectorForward(model, num_proposals, num_mask_rois) if \
            kind == 'mmdet' else HOST_FORWARDS[kind](model)
        name = osp.splitext(osp.basename(target))[0]
    inputs = (torch.randn(1, 3, *size), )
    return name, '×'.join(map(str, size)), wrapper, inputs


# --------------------------------------------------------------------------
# output
# --------------------------------------------------------------------------
def format_row(name: str, size: str, result: dict) -> str:
    return (f'| {name} | {size} | {result["backbone_flops"] / 1e9:.2f} | '
            f'{result["backbone_params"] / 1e6:.2f} | '
            f'{result["flops"] / 1e9:.2f} | {result["params"] / 1e6:.2f} |')


def parse_row(line: str) -> dict:
    """Inverse of :func:`format_row` (used by the tests)."""
    cells = [c.strip() for c in line.strip().strip('|').split('|')]
    if len(cells) != 6:
        raise ValueError(f'not a result row: {line!r}')
    keys = ('backbone_gflops', 'backbone_params_m', 'total_gflops',
            'total_params_m')
    row = dict(model=cells[0], input=cells[1])
    row.update({k: float(v) for k, v in zip(keys, cells[2:])})
    return row


def parse_args(argv=None):
    from mmengine.config import DictAction
    parser = argparse.ArgumentParser(
        description='GFLOPs (fvcore convention, attention matmuls counted) '
        'and parameters of UniFormer models: backbone and whole model.')
    parser.add_argument(
        'configs', nargs='+', metavar='CONFIG',
        help='config file(s), or image:<arch> (small, small_plus, base, '
        'large, ...) for the ImageNet classifier')
    parser.add_argument(
        '--shape', type=int, nargs='+', default=None,
        help='input size: H W for images, T H W for videos (see module doc)')
    parser.add_argument('--markdown', action='store_true',
                        help='print only the markdown table (header + rows)')
    parser.add_argument('--name', default=None,
                        help='row name (one CONFIG only)')
    parser.add_argument('--scope', choices=sorted(HOST_REGISTRIES),
                        default=None,
                        help='host library (default: the config\'s '
                        'default_scope)')
    parser.add_argument('--num-proposals', type=int, default=1000,
                        help='two-stage detectors: boxes fed to the bbox '
                        'head(s)')
    parser.add_argument('--num-mask-rois', type=int, default=100,
                        help='two-stage detectors: boxes fed to the mask '
                        'head(s)')
    parser.add_argument('--show-ops', action='store_true',
                        help='also print FLOPs per operator and the ops '
                        'that were not counted')
    parser.add_argument('--trace', action='store_true',
                        help='count with mmengine\'s jit FlopAnalyzer on '
                        'real tensors (slow) instead of on fake tensors')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings (key=value)')
    args = parser.parse_args(argv)
    if args.name and len(args.configs) > 1:
        parser.error('--name needs exactly one CONFIG')
    return args


def main(argv=None):
    args = parse_args(argv)
    if args.markdown:
        print(HEADER)
        print(SEPARATOR)
    for target in args.configs:
        name, size, wrapper, inputs = build_case(
            target, _ints(args.shape), args.scope, args.cfg_options,
            args.num_proposals, args.num_mask_rois)
        result = measure(wrapper, inputs, trace=args.trace)
        name = args.name or name
        if not args.markdown:
            print(f'{name} (input {size}):')
            print(f'  backbone: {result["backbone_flops"] / 1e9:.3f} '
                  f'GFLOPs, {result["backbone_params"] / 1e6:.3f} M params')
            print(f'  total:    {result["flops"] / 1e9:.3f} GFLOPs, '
                  f'{result["params"] / 1e6:.3f} M params')
        if args.show_ops:
            for op, flops in sorted(result['by_operator'].items()):
                print(f'  op {op}: {flops / 1e9:.3f} GFLOPs')
            skipped = ', '.join(f'{op} x{n}' for op, n in sorted(
                result['unsupported'].items()))
            print(f'  not counted: {skipped or "-"}')
        if not args.markdown:
            print(HEADER)
        print(format_row(name, size, result))
        sys.stdout.flush()


if __name__ == '__main__':
    main()
