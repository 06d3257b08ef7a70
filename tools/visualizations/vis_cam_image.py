#!/usr/bin/env python
"""Grad-CAM of the 2D UniFormer on an image (ImageNet classifier).

    python tools/visualizations/vis_cam_image.py IMAGE CHECKPOINT \
        [--arch small] [--target-layer blocks4.2] [--target-category K] \
        [--size 224] --out cam.png

Why a tool of our own: the image Grad-CAM tools of the OpenMMLab hosts
(MMPretrain's ``tools/visualization/vis_cam.py``, MMSegmentation's
``tools/analysis_tools/visualization_cam.py``) need the ``grad-cam``
package and, for MMPretrain, MMPretrain itself; neither is part of this
stack, and the ImageNet UniFormer (``mmuniformer.UniFormerImageClassifier``,
the official ImageNet model with its Linear head) is in no host's registry.
MMAction2's ``mmaction.utils.GradCAM`` (used for videos, see
docs/user_guides/visualization.md) drives a recognizer's data preprocessor
and predict step, so it does not apply to a bare classifier either.

Grad-CAM (Selvaraju et al., 2017): the activations ``A`` of the target
layer (a channel-first ``(1, C, h, w)`` map) and the gradients of the
target class logit with respect to them; the map is
``ReLU(sum_c mean_hw(dlogit/dA_c) * A_c)``, upsampled to the image and
normalised to [0, 1]. CHECKPOINT is an official ImageNet UniFormer file
(``model`` container; token-labeling files with ``aux_head`` work) or
``none`` for random weights (only to try the tool).

Writes ``--out``: the image (resized to ``--size``) and the heat map
blended side by side, and prints the top-5 classes (ImageNet indices).
"""
import argparse
import os
import os.path as osp
import sys

import numpy as np
import torch

# ImageNet normalisation of the official UniFormer image models (0-255 RGB)
MEAN = (123.675, 116.28, 103.53)
STD = (58.395, 57.12, 57.375)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Grad-CAM of the 2D UniFormer ImageNet classifier')
    parser.add_argument('image')
    parser.add_argument('checkpoint',
                        help='official ImageNet checkpoint, or "none"')
    parser.add_argument('--arch', default='small',
                        help='small | small_plus | base | base_ls | large')
    parser.add_argument('--head-dim', type=int, default=None,
                        help='override the arch (token-labeling S/S+/B: 32)')
    parser.add_argument('--target-layer', default='blocks4.-1',
                        help='module whose output is explained, as a dotted '
                        'path (negative indices allowed), e.g. blocks3.7')
    parser.add_argument('--target-category', type=int, default=None,
                        help='class index to explain (default: top-1)')
    parser.add_argument('--size', type=int, default=224,
                        help='input side (the image is resized to it)')
    parser.add_argument('--alpha', type=float, default=0.5,
                        help='heat-map weight in the blend')
    parser.add_argument('--out', required=True, help='output PNG/JPG')
    return parser.parse_args(argv)


def resolve_module(model, path):
    """``blocks4.-1`` -> ``model.blocks4[-1]``; names the bad part."""
    module = model
    for part in path.split('.'):
        try:
            if part.lstrip('-').isdigit():
                module = module[int(part)]
            else:
                module = getattr(module, part)
        except (AttributeError, IndexError, TypeError):
            sys.exit(f'error: --target-layer {path}: no {part!r} in '
                     f'{type(module).__name__}')
    return module


def build_classifier(checkpoint, arch, head_dim=None):
    """The package's loader (:func:`mmuniformer.checkpoint.classifier.
    build_image_classifier`), its errors as this tool's exit messages."""
    from mmuniformer.checkpoint.classifier import build_image_classifier
    from mmuniformer.checkpoint.convert import CheckpointMismatchError
    try:
        return build_image_classifier(checkpoint, arch, head_dim)
    except (FileNotFoundError, CheckpointMismatchError) as err:
        sys.exit(f'error: {err}')


def load_image(path, size):
    import mmcv
    if not osp.isfile(path):
        sys.exit(f'error: IMAGE {path} does not exist')
    rgb = mmcv.imread(path, channel_order='rgb')
    if rgb is None:
        sys.exit(f'error: cannot decode {path} as an image')
    rgb = mmcv.imresize(rgb, (size, size))
    x = (torch.from_numpy(rgb).float() - torch.tensor(MEAN)) / torch.tensor(
        STD)
    return rgb, x.permute(2, 0, 1).unsqueeze(0)


def grad_cam(model, layer, x, category=None):
    """``(cam (H, W) in [0, 1], logits (num_classes,), category)``."""
    store = {}

    def keep(_module, _inputs, output):
        if output.dim() != 4:
            raise ValueError('Grad-CAM needs a channel-first (B, C, h, w) '
                             f'map from the target layer, got '
                             f'{tuple(output.shape)}')
        output.register_hook(lambda grad: store.__setitem__('grad', grad))
        store['act'] = output

    handle = layer.register_forward_hook(keep)
    try:
        # the input needs grad too when no parameter precedes the layer
        logits = model(x.detach().requires_grad_(True))[0]
        if category is None:
            category = int(logits.argmax())
        if not 0 <= category < logits.numel():
            raise ValueError(f'--target-category {category} is not in '
                             f'[0, {logits.numel()})')
        model.zero_grad()
        logits[category].backward()
    finally:
        handle.remove()
    act, grad = store['act'].detach()[0], store['grad'][0]
    weights = grad.mean(dim=(1, 2))
    cam = torch.relu((weights[:, None, None] * act).sum(0))
    cam = torch.nn.functional.interpolate(
        cam[None, None], size=x.shape[2:], mode='bilinear',
        align_corners=False)[0, 0]
    cam = cam - cam.min()
    cam = cam / cam.max() if cam.max() > 0 else cam
    return cam, logits.detach(), category


def blend(rgb, cam, alpha):
    """Image and jet-coloured heat map blended, next to the image."""
    import cv2
    heat = cv2.applyColorMap((cam.numpy() * 255).astype(np.uint8),
                             cv2.COLORMAP_JET)[..., ::-1]
    mixed = (rgb * (1 - alpha) + heat * alpha).astype(np.uint8)
    return np.concatenate([rgb, mixed], axis=1)


def main(argv=None):
    args = parse_args(argv)
    model = build_classifier(args.checkpoint, args.arch, args.head_dim)
    layer = resolve_module(model, args.target_layer)
    rgb, x = load_image(args.image, args.size)
    cam, logits, category = grad_cam(model, layer, x, args.target_category)
    import mmcv
    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    mmcv.imwrite(blend(rgb, cam, args.alpha)[..., ::-1], args.out)
    probs = logits.softmax(0)
    top = probs.topk(min(5, probs.numel()))
    ranks = ', '.join(f'{int(i)} ({float(p):.3f})'
                      for p, i in zip(top.values, top.indices))
    print(f'{args.image}: Grad-CAM of class {category} at '
          f'{args.target_layer} -> {args.out}; top-5 {ranks}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
