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
init skipped, SyncBN built as BN):

* recognizer: backbone -> neck -> cls head on one clip ``(1, 1, 3, T, H, W)``;
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
import copy
import importlib
import os.path as osp
import sys
import warnings
from typing import Any, Dict, Optional, Sequence

import torch
from torch import nn

HEADER = ('| model | input | backbone GFLOPs | backbone params (M) | '
          'total GFLOPs | total params (M) |')
SEPARATOR = '|---|---|---:|---:|---:|---:|'
IMAGE_PREFIX = 'image:'
HOST_REGISTRIES = {
    'mmaction': 'mmaction.registry',
    'mmdet': 'mmdet.registry',
    'mmseg': 'mmseg.registry',
    'mmpose': 'mmpose.registry',
    'mmpretrain': 'mmpretrain.registry',
}
DEFAULT_SHAPES = {
    'image': (224, 224),
    'mmdet': (800, 1280),
    'mmseg': (512, 2048),
}
# modules of image:<arch> that are not the backbone
HEAD_MODULES = ('head', 'aux_head', 'norm_cls', 'head_cls')


# --------------------------------------------------------------------------
# counting
# --------------------------------------------------------------------------
def count_params(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def _backbone_parts(model: nn.Module):
    """(names of the backbone's modules, its parameter count)."""
    if isinstance(getattr(model, 'backbone', None), nn.Module):
        return ['model.backbone'], count_params(model.backbone)
    names = [n for n in HEAD_MODULES
             if isinstance(getattr(model, n, None), nn.Module)]
    return ([f'model.{n}' for n in names],
            count_params(model) - sum(count_params(getattr(model, n))
                                      for n in names))


def _roi_extractor_stub(self, feats, rois, roi_scale_factor=None):
    """An mmdet RoI extractor's output shape: its RoIAlign is an mmcv C++
    op (not counted by the fvcore convention either) that fake tensors
    cannot run."""
    return feats[0].new_zeros(rois.size(0), self.out_channels,
                              *self.roi_layers[0].output_size)


def _stubs() -> Dict[type, Any]:
    try:
        from mmdet.models.roi_heads.roi_extractors import BaseRoIExtractor
    except ImportError:
        return {}
    return {BaseRoIExtractor: _roi_extractor_stub}


def measure(wrapper: nn.Module, inputs: tuple,
            trace: bool = False) -> Dict[str, Any]:
    """Count ``wrapper(*inputs)``; ``wrapper.model`` is the counted model.

    ``trace=False``: :func:`mmuniformer.analysis.count_flops` on fake
    tensors; ``trace=True``: mmengine's jit ``FlopAnalyzer`` (with the SDPA
    handle) on the real inputs. Fast CPU kernels are switched off (the
    plain modules are what both count)."""
    from mmuniformer.analysis import count_flops, register_flop_handles
    from mmuniformer.models.layers.cpu_kernels import set_cpu_kernels
    wrapper.eval()
    set_cpu_kernels(wrapper, False)
    model = wrapper.model
    parts, backbone_params = _backbone_parts(model)
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter('ignore')
        if trace:
            from mmengine.analysis import FlopAnalyzer
            register_flop_handles()
            analyzer = FlopAnalyzer(wrapper, inputs)
            analyzer.unsupported_ops_warnings(False)
            analyzer.uncalled_modules_warnings(False)
            analyzer.tracer_warnings('none')
            total, by_module = analyzer.total(), analyzer.by_module()
            by_operator = dict(analyzer.by_operator())
            unsupported = dict(analyzer.unsupported_ops())
        else:
            result = count_flops(wrapper, inputs, _stubs())
            total, by_module = result.total, result['by_module']
            by_operator, unsupported = result['by_operator'], {}
    parts_flops = sum(by_module.get(name, 0) for name in parts)
    backbone_flops = parts_flops if parts == ['model.backbone'] else \
        total - parts_flops
    return dict(flops=total, backbone_flops=backbone_flops,
                params=count_params(model), backbone_params=backbone_params,
                by_operator=by_operator, unsupported=unsupported)


# --------------------------------------------------------------------------
# forward wrappers: what is traced for each kind of model
# --------------------------------------------------------------------------
LIGHT_ARCHES = ('xxs', 'xs')


class _Traced(nn.Module):

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model


class ImageForward(_Traced):

    def forward(self, x):
        return self.model(x)


class RecognizerForward(_Traced):

    def forward(self, x):
        return self.model._forward(x, stage='head')


class SegmentorForward(_Traced):

    def forward(self, x):
        import torch.nn.functional as F
        head = self.model.decode_head
        logits = head.forward(self.model.extract_feat(x))
        return F.interpolate(logits, size=x.shape[2:], mode='bilinear',
                             align_corners=head.align_corners)


class PoseForward(_Traced):

    def forward(self, x):
        return self.model._forward(x)


class ClassifierForward(_Traced):

    def forward(self, x):
        return self.model(x, mode='tensor')


def dummy_proposals(num: int, height: int, width: int) -> torch.Tensor:
    """``num`` fixed, valid ``(x1, y1, x2, y2)`` boxes inside the image."""
    gen = torch.Generator().manual_seed(0)
    xy = torch.rand(num, 2, generator=gen) * torch.tensor([width, height]) / 2
    wh = (torch.rand(num, 2, generator=gen) * 0.5 + 0.05) * torch.tensor(
        [width, height])
    return torch.cat([xy, xy + wh], dim=1)


class DetectorForward(_Traced):
    """Official mmdet 2.x ``forward_dummy`` (what the Swin/UniFormer
    ``get_flops`` traced), on the mmdet 3.x modules."""

    def __init__(self, model, num_proposals: int = 1000,
                 num_mask_rois: int = 100):
        super().__init__(model)
        self.num_proposals = num_proposals
        self.num_mask_rois = num_mask_rois

    def forward(self, x):
        model = self.model
        if not getattr(model, 'with_roi_head', False):
            return model._forward(x)
        from mmdet.structures.bbox import bbox2roi
        feats = model.extract_feat(x)
        outs = []
        if model.with_rpn:
            outs.append(model.rpn_head(feats))
        proposals = dummy_proposals(self.num_proposals, *x.shape[2:]).to(x)
        rois = bbox2roi([proposals])
        mask_rois = rois[:self.num_mask_rois]
        roi_head = model.roi_head
        stages = getattr(roi_head, 'num_stages', None)
        for stage in (range(stages) if stages else [None]):
            args = () if stage is None else (stage, )
            if roi_head.with_bbox:
                res = roi_head._bbox_forward(*args, feats, rois)
                outs += [res['cls_score'], res['bbox_pred']]
            if roi_head.with_mask:
                res = roi_head._mask_forward(*args, feats, mask_rois)
                outs.append(res['mask_preds'])
        return outs


# --------------------------------------------------------------------------
# building
# --------------------------------------------------------------------------
def _walk(node, fn):
    """Apply ``fn`` to every dict of a nested config, depth first."""
    if isinstance(node, dict):
        fn(node)
        for value in node.values():
            _walk(value, fn)
    elif isinstance(node, (list, tuple)):
        for value in node:
            _walk(value, fn)


def _counting_overrides(node: dict):
    if 'with_cp' in node:
        node['with_cp'] = False
    if node.get('type') in ('SyncBN', 'MMSyncBN', 'NaiveSyncBN'):
        node['type'] = 'BN'
    init_cfg = node.get('init_cfg')
    if isinstance(init_cfg, dict) and init_cfg.get('type') == 'Pretrained':
        node['init_cfg'] = None
    if node.get('pretrained') is not None:
        node['pretrained'] = None


def prepare_config(cfg):
    """Counting copy of ``cfg.model``: no activation checkpointing, no
    pretrained weights, BN instead of SyncBN."""
    model_cfg = copy.deepcopy(cfg.model)
    _walk(model_cfg, _counting_overrides)
    return model_cfg


def infer_scope(cfg) -> str:
    scope = cfg.get('default_scope')
    if scope in HOST_REGISTRIES:
        return scope
    model_type = str(cfg.model.get('type', ''))
    for prefix in HOST_REGISTRIES:
        if model_type.startswith(prefix + '.'):
            return prefix
    raise ValueError(f'cannot tell the host of the config (default_scope '
                     f'{scope!r}, model {model_type!r}); pass --scope')


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
    import mmuniformer  # noqa: F401  (registers the backbones)
    if target.startswith(IMAGE_PREFIX):
        arch = target[len(IMAGE_PREFIX):]
        size = resolve_shape('image', shape)
        from mmuniformer.models import (UniFormerImageClassifier,
                                        UniFormerLightImageClassifier)
        wrapper = ImageForward(UniFormerLightImageClassifier(arch) if arch in
                               LIGHT_ARCHES else
                               UniFormerImageClassifier(arch))
        inputs = (torch.randn(1, 3, *size), )
        return target, '×'.join(map(str, size)), wrapper, inputs

    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    cfg = Config.fromfile(target)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    kind = scope or infer_scope(cfg)
    init_default_scope(kind)
    registry = importlib.import_module(HOST_REGISTRIES[kind]).MODELS
    model = registry.build(prepare_config(cfg))
    size = resolve_shape(kind, shape, cfg)
    if kind == 'mmaction':
        wrapper = RecognizerForward(model)
        inputs = (torch.randn(1, 1, 3, *size), )
    else:
        inputs = (torch.randn(1, 3, *size), )
        if kind == 'mmdet':
            wrapper = DetectorForward(model, num_proposals, num_mask_rois)
        elif kind == 'mmseg':
            wrapper = SegmentorForward(model)
        elif kind == 'mmpretrain':
            wrapper = ClassifierForward(model)
        else:
            wrapper = PoseForward(model)
    name = osp.splitext(osp.basename(target))[0]
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
