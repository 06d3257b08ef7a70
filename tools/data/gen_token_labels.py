"""Write token-label files (the official format) for a folder of images.

For every image ``<img_root>/<wnid>/<stem>.<ext>`` (png / jpg / jpeg, any
case) it writes ``<out_root>/<wnid>/<stem>.pt``: a float16 tensor
``[2, k, S, S]``, ``[0]`` the top-k dense logits of each cell sorted
descending, ``[1]`` their class ids -- what
``mmuniformer.LoadTokenLabel`` reads (docs/user_guides/classification.md).

The dense logits are the classifier's own head applied at every location of
the backbone's last map, before pooling (the official labels: NFNet-F6's
classifier as a 1x1 conv at 576 px, S = 18). Any MMPretrain classifier whose
backbone returns a ``(B, C, H, W)`` map and whose head has a Linear ``fc``
(``LinearClsHead`` and its subclasses) works; for the UniFormer
token-labeling head the dense ``aux_fc`` is used by default
(``--dense-head``). Official UniFormer files load as shipped (the configs'
``OfficialCheckpointHook`` path).

Preprocessing as the official generation: the shorter side resized to
``--img-size`` (bicubic), centre crop ``--img-size`` squared, the config's
``data_preprocessor`` normalisation.

Example::

    python tools/data/gen_token_labels.py \\
        configs/classification/uniformer/uniformer-base_tl_8xb128_in1k.py \\
        uniformer_base_tl_224.pth data/imagenet/train \\
        data/imagenet/token_labels --img-size 448
"""
import argparse
import os
import os.path as osp
import sys

import torch

EXTENSIONS = ('.png', '.jpg', '.jpeg')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='MMPretrain classifier config')
    parser.add_argument('checkpoint', help='its checkpoint (mm-format or '
                        'an official UniFormer ImageNet file)')
    parser.add_argument('img_root', help='<img_root>/<class folder>/<image>')
    parser.add_argument('out_root', help='where <class>/<stem>.pt go')
    parser.add_argument('--img-size', type=int, default=224,
                        help='square input size (official: 576 for '
                        'NFNet-F6); S = img-size / the model stride')
    parser.add_argument('--topk', type=int, default=5)
    parser.add_argument('--batch-size', type=int, default=32)
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--dense-head', default='auto',
                        choices=['auto', 'fc', 'aux_fc'],
                        help="head Linear applied per location (auto: "
                        "aux_fc when the head has one, else fc)")
    parser.add_argument('--skip-existing', action='store_true')
    return parser.parse_args(argv)


def list_images(img_root):
    """Sorted ``(path, <class>/<file>)`` of the images two levels down."""
    if not osp.isdir(img_root):
        raise FileNotFoundError(f'image folder {img_root} not found')
    found = []
    for folder in sorted(os.listdir(img_root)):
        sub = osp.join(img_root, folder)
        if not osp.isdir(sub):
            continue
        for name in sorted(os.listdir(sub)):
            if name.lower().endswith(EXTENSIONS):
                found.append(osp.join(sub, name))
    if not found:
        raise FileNotFoundError(
            f'no png/jpg/jpeg images in {img_root}/<class folder>/')
    return found


class _Runner:
    """What OfficialCheckpointHook reads from a runner."""

    def __init__(self, model):
        self.model = model


def build_classifier(config, checkpoint, device):
    from mmengine.config import Config
    from mmengine.registry import DefaultScope
    from mmengine.runner.checkpoint import (_load_checkpoint,
                                            _load_checkpoint_to_model)
    cfg = Config.fromfile(config)
    if cfg.get('custom_imports'):
        from mmengine.utils import import_modules_from_strings
        import_modules_from_strings(**cfg.custom_imports)
    import mmpretrain.models  # noqa: F401 (registers the hosts' modules)
    from mmpretrain.registry import MODELS

    from mmuniformer.engine.hooks import OfficialCheckpointHook
    model_cfg = cfg.model.copy()
    model_cfg.setdefault('data_preprocessor', cfg.get('data_preprocessor'))
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(model_cfg)
    ckpt = _load_checkpoint(checkpoint, map_location='cpu')
    OfficialCheckpointHook().after_load_checkpoint(_Runner(model), ckpt)
    _load_checkpoint_to_model(model, ckpt, strict=True)
    return model.to(device).eval()


def dense_linear(model, which='auto'):
    head = model.head
    if which == 'auto':
        which = 'aux_fc' if hasattr(head, 'aux_fc') else 'fc'
    linear = getattr(head, which, None)
    if not isinstance(linear, torch.nn.Linear):
        raise TypeError(
            f'{type(head).__name__} has no Linear {which!r}: the generator '
            'applies the head Linear at every location of the backbone map '
            '(LinearClsHead-style heads)')
    return linear


@torch.no_grad()
def dense_topk(model, inputs, k, which='auto'):
    """``[B, 2, k, S, S]`` float16 top-k logits / ids of a normalised
    batch."""
    feat = model.backbone(inputs)[-1]
    if feat.dim() != 4:
        raise ValueError(
            f'{type(model.backbone).__name__} returns a {feat.dim()}-D '
            'output; the generator needs its (B, C, H, W) map')
    logits = dense_linear(model, which)(feat.permute(0, 2, 3, 1))
    values, ids = logits.float().topk(k, dim=-1)  # [B, S, S, k], sorted
    return torch.stack([values, ids.float()], 1).permute(0, 1, 4, 2,
                                                         3).half()


def main(argv=None):
    args = parse_args(argv)
    from mmengine.dataset import Compose
    from mmengine.registry import DefaultScope

    from mmuniformer.datasets.transforms.token_labels import token_label_path
    model = build_classifier(args.config, args.checkpoint, args.device)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        pipeline = Compose([
            dict(type='LoadImageFromFile'),
            dict(type='ResizeEdge', scale=args.img_size, edge='short',
                 backend='pillow', interpolation='bicubic'),
            dict(type='CenterCrop', crop_size=args.img_size),
            dict(type='PackInputs'),
        ])
    images = list_images(args.img_root)
    todo = [p for p in images if not (args.skip_existing and osp.isfile(
        token_label_path(p, args.out_root)))]
    written, shape = 0, None
    for start in range(0, len(todo), args.batch_size):
        paths = todo[start:start + args.batch_size]
        data = [pipeline(dict(img_path=p)) for p in paths]
        batch = model.data_preprocessor(
            dict(inputs=[d['inputs'] for d in data]), False)['inputs']
        labels = dense_topk(model, batch.to(args.device), args.topk,
                            args.dense_head).cpu()
        for path, label in zip(paths, labels):
            out = token_label_path(path, args.out_root)
            os.makedirs(osp.dirname(out), exist_ok=True)
            torch.save(label.clone(), out)
            written, shape = written + 1, list(label.shape)
    print(f'wrote {written} token-label files {shape} to {args.out_root} '
          f'({len(images) - written} skipped)')
    return 0


if __name__ == '__main__':
    sys.exit(main())
