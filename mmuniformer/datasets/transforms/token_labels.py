"""Dense token labels (the token-labeling recipe) in MMPretrain's pipeline.

A token-label file holds a teacher's dense top-k logits for one training
image: a float16 tensor ``[2, k, S, S]`` -- ``[0]`` the top-k logits of each
of the ``S x S`` cells (sorted descending), ``[1]`` their class ids as
floats -- saved with ``torch.save`` as ``<label_root>/<wnid>/<stem>.pt`` for
the image ``.../<wnid>/<stem>.JPEG`` (the official format; make them with
``tools/data/gen_token_labels.py``, see docs/user_guides/classification.md).

The map follows the image the MMPretrain way: each image transform records
what it did, then the same geometry is applied to the map.

* :class:`TokenLabelRandomFlip` -- MMPretrain's ``RandomFlip``; the map is
  flipped with the direction the image got.
* :class:`TokenLabelRandAugment` -- MMPretrain's ``RandAugment``; each
  geometric op (``Rotate``, ``Shear``, ``Translate``) records the signed
  magnitude it drew and the map gets the same affine warp (nearest
  neighbour; scores 0 outside the map, class ids edge-replicated, so a cell
  pushed in from outside becomes a uniform target after the softmax).
  Photometric ops leave the map alone.
* :class:`TokenLabelRandomResizedCrop` -- MMPretrain's
  ``RandomResizedCrop``; the map is not resampled, the crop box
  ``(top/H, left/W, height/H, width/W)`` is recorded
  (``results['token_label_box']``) and the targets are read from it.
* :class:`PackTokenLabelInputs` -- MMPretrain's ``PackInputs`` plus the soft
  targets ``data_sample.token_label_target`` ``(1 + L*L, num_classes)``: the
  crop-level target then the ``L x L`` token targets (row-major), each the
  softmax over classes of RoIAlign-averaged logits, smoothed
  (``t * (1 - eps + eps / K) + eps / K``).

Order as in the official recipe: flip, RandAugment on the full image, then
the crop (a flip or warp after the crop raises: the box would be stale).

Deviation from the official code (which warps in square label-cell units
about index S/2): the warp is the image's own pixel affine carried to cell
coordinates with the pixel-centre convention, so it is exact for
non-square images too and the rotation centre is the image centre.
"""
import os
import os.path as osp
from typing import Sequence, Tuple

import cv2
import numpy as np
import torch
from mmcv.transforms import RandomFlip
from mmcv.transforms.utils import cache_randomness
from mmpretrain.datasets.transforms import (PackInputs, RandAugment,
                                            RandomResizedCrop)
from mmpretrain.datasets.transforms.auto_augment import (Rotate, Shear,
                                                         Translate)

from ...registry import TRANSFORMS

LABEL_KEY = 'token_label'
BOX_KEY = 'token_label_box'
WARPS_KEY = 'token_label_warps'


def token_label_path(img_path: str, label_root: str) -> str:
    """``<label_root>/<wnid>/<stem>.pt`` for ``.../<wnid>/<stem>.<ext>``
    (the last two path components, the file name cut at its first '.',
    as the official loader matches them)."""
    parts = osp.normpath(img_path).split(os.sep)
    folder, name = (parts[-2] if len(parts) > 1 else ''), parts[-1]
    return osp.join(label_root, folder, name.split('.')[0] + '.pt')


def check_token_label(label: torch.Tensor, where: str) -> None:
    """Raise ``ValueError`` naming ``where`` unless ``label`` is a
    ``[2, k, S, S]`` map."""
    if not isinstance(label, torch.Tensor) or label.dim() != 4 or \
            label.shape[0] != 2 or label.shape[2] != label.shape[3]:
        shape = tuple(label.shape) if isinstance(label, torch.Tensor) \
            else type(label).__name__
        raise ValueError(
            f'{where}: a token-label file holds one tensor [2, k, S, S] '
            f'(top-k logits, class ids; square map), got {shape}; make it '
            'with tools/data/gen_token_labels.py')


@TRANSFORMS.register_module()
class LoadTokenLabel:
    """Load the token-label file of ``results['img_path']``.

    Adds ``results['token_label']``: float32 array ``[2, k, S, S]``.

    Args:
        label_root (str): folder of ``<wnid>/<stem>.pt`` files.
    """

    def __init__(self, label_root: str):
        self.label_root = label_root

    def __call__(self, results: dict) -> dict:
        img_path = results['img_path']
        path = token_label_path(img_path, self.label_root)
        if not osp.isfile(path):
            raise FileNotFoundError(
                f'no token-label file for image {img_path}: expected '
                f'{path} (<label_root>/<folder>/<stem>.pt, label_root='
                f'{self.label_root!r}); make the files with '
                'tools/data/gen_token_labels.py or fix label_root')
        label = torch.load(path, map_location='cpu', weights_only=True)
        check_token_label(label, path)
        results[LABEL_KEY] = label.float().numpy()
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(label_root={self.label_root!r})'


def _check_before_crop(results: dict, name: str) -> None:
    if BOX_KEY in results:
        raise RuntimeError(
            f'{name} after TokenLabelRandomResizedCrop: the recorded crop '
            'box would no longer match the image; put the flip and '
            'RandAugment before the crop (the official order)')


@TRANSFORMS.register_module()
class TokenLabelRandomFlip(RandomFlip):
    """MMPretrain's ``RandomFlip``; the token-label map (if loaded) gets the
    flip the image got (``results['flip_direction']``). Args as
    ``RandomFlip`` (``prob``, ``direction``)."""

    def _flip(self, results: dict) -> None:
        super()._flip(results)
        if LABEL_KEY not in results:
            return
        _check_before_crop(results, type(self).__name__)
        axes = dict(horizontal=(-1, ), vertical=(-2, ),
                    diagonal=(-2, -1))[results['flip_direction']]
        results[LABEL_KEY] = np.ascontiguousarray(
            np.flip(results[LABEL_KEY], axes))


def warp_token_label(label: np.ndarray, forward: np.ndarray,
                     img_shape: Tuple[int, int]) -> np.ndarray:
    """Warp a ``[2, k, S, S]`` map like an image warped by ``forward``.

    Args:
        label (np.ndarray): the map (scores, class ids).
        forward (np.ndarray): the 2x3 affine ``cv2.warpAffine`` got, source
            pixel ``(x, y)`` -> destination pixel, pixel-index coordinates.
        img_shape (tuple): ``(H, W)`` of the image.

    Returns:
        np.ndarray: the warped map; each cell takes the nearest source
        cell; scores 0 and ids of the nearest edge cell where the source
        is outside the map.
    """
    h, w = img_shape
    s_h, s_w = label.shape[-2:]
    # pixel index p -> cell index c: c = (p + 0.5) * S / W - 0.5
    to_cell = np.array([[s_w / w, 0, 0.5 * s_w / w - 0.5],
                        [0, s_h / h, 0.5 * s_h / h - 0.5], [0, 0, 1]])
    fwd = np.vstack([np.asarray(forward, dtype=np.float64), [0, 0, 1]])
    back = np.linalg.inv(to_cell @ fwd @ np.linalg.inv(to_cell))
    rows, cols = np.mgrid[0:s_h, 0:s_w]
    dst = np.stack([cols.ravel(), rows.ravel(), np.ones(rows.size)])
    src_x, src_y = (back @ dst)[:2]
    # nearest cell (half away from zero never matters: ties are measure 0)
    src_c = np.floor(src_x + 0.5).astype(np.int64)
    src_r = np.floor(src_y + 0.5).astype(np.int64)
    inside = (src_c >= 0) & (src_c < s_w) & (src_r >= 0) & (src_r < s_h)
    src_c, src_r = src_c.clip(0, s_w - 1), src_r.clip(0, s_h - 1)
    out = label[:, :, src_r, src_c].reshape(label.shape)
    out[0] *= inside.reshape(s_h, s_w)
    return out


class _RecordSign:
    """Stands in for an op's ``random_negative`` and keeps the signed value
    it returned: the magnitude the image op then applies."""

    def __init__(self, random_negative):
        self.random_negative = random_negative
        self.value = None

    def __call__(self, value):
        self.value = self.random_negative(value)
        return self.value


def _op_matrix(op, value: float, img_shape: Tuple[int, int]) -> np.ndarray:
    """The forward 2x3 pixel affine mmcv applies for ``op`` at ``value``."""
    h, w = img_shape
    if isinstance(op, Rotate):
        center = op.center if op.center is not None else \
            ((w - 1) * 0.5, (h - 1) * 0.5)
        # mmcv.imrotate: clockwise for positive angles
        return cv2.getRotationMatrix2D(center, -value, op.scale)
    horizontal = op.direction == 'horizontal'
    if isinstance(op, Shear):  # mmcv.imshear
        return np.array([[1, value, 0], [0, 1, 0]] if horizontal else
                        [[1, 0, 0], [value, 1, 0]], dtype=np.float64)
    # mmcv.imtranslate: offset = magnitude x size
    offset = value * (w if horizontal else h)
    return np.array([[1, 0, offset], [0, 1, 0]] if horizontal else
                    [[1, 0, 0], [0, 1, offset]], dtype=np.float64)


GEOMETRIC_OPS = (Rotate, Shear, Translate)


@TRANSFORMS.register_module()
class TokenLabelRandAugment(RandAugment):
    """MMPretrain's ``RandAugment`` that carries the token-label map.

    Each geometric op records the signed magnitude it drew (and nothing if
    it did not fire); the map then gets the same warp
    (:func:`warp_token_label`). The applied warps are listed in
    ``results['token_label_warps']`` as ``(op name, direction, value)``.
    Args as ``RandAugment`` (``policies``, ``num_policies``,
    ``magnitude_level``, ``magnitude_std``, ``total_level``, ``hparams``).
    """

    def __init__(self, *args, **kwargs):
        # the ops are MMPretrain's: build them in its scope, also when this
        # transform is built while another host's scope is current (a
        # notebook after an MMAction2 Runner), which would look them up in
        # that host's registry and fail
        from mmengine.registry import DefaultScope
        with DefaultScope.overwrite_default_scope('mmpretrain'):
            super().__init__(*args, **kwargs)
        for op in self.transforms:
            if isinstance(op, GEOMETRIC_OPS):
                op.random_negative = _RecordSign(op.random_negative)

    def transform(self, results: dict) -> dict:
        if LABEL_KEY not in results:
            return super().transform(results)
        _check_before_crop(results, type(self).__name__)
        warps = results.setdefault(WARPS_KEY, [])
        for i in self.random_policy_indices():
            op = self.transforms[i]
            if not isinstance(op, GEOMETRIC_OPS):
                results = op(results)
                continue
            op.random_negative.value = None
            img_shape = results['img'].shape[:2]
            results = op(results)
            value = op.random_negative.value
            if value is None:  # the op did not fire
                continue
            results[LABEL_KEY] = warp_token_label(
                results[LABEL_KEY], _op_matrix(op, value, img_shape),
                img_shape)
            warps.append((type(op).__name__, getattr(op, 'direction', None),
                          float(value)))
        return results


@TRANSFORMS.register_module()
class TokenLabelRandomResizedCrop(RandomResizedCrop):
    """MMPretrain's ``RandomResizedCrop`` that records its crop box for the
    token labels: ``results['token_label_box'] = (top/H, left/W,
    height/H, width/W)`` of the image it cropped. Args as
    ``RandomResizedCrop``."""

    @cache_randomness
    def rand_crop_params(self, img: np.ndarray):
        self._params = super().rand_crop_params(img)
        return self._params

    def transform(self, results: dict) -> dict:
        h, w = results['img'].shape[:2]
        results = super().transform(results)
        top, left, crop_h, crop_w = self._params
        results[BOX_KEY] = np.array(
            [top / h, left / w, crop_h / h, crop_w / w], dtype=np.float32)
        return results


def token_label_target(label: torch.Tensor, box: Sequence[float],
                       num_classes: int, label_size: int,
                       smoothing: float = 0.1,
                       box_order: str = 'official') -> torch.Tensor:
    """Soft targets ``(1 + L*L, num_classes)`` from a ``[2, k, S, S]`` map.

    The top-k logits are scattered at their class ids (other classes at
    logit 0), averaged over the crop box by RoIAlign (``L x L`` bins and
    one bin for the whole crop, pixel-centre convention), turned into
    probabilities by a softmax over classes, then smoothed:
    ``t * (1 - smoothing + smoothing / K) + smoothing / K`` (each row sums
    to ``1 + smoothing / K``, as the official targets).

    Args:
        label (torch.Tensor): the map.
        box (sequence): ``(top, left, height, width)`` normalised to [0, 1].
        num_classes (int): K.
        label_size (int): L, the token grid of the model's last stage.
        smoothing (float): label smoothing. Defaults to 0.1.
        box_order (str): ``'official'`` passes the box to RoIAlign as
            ``(y1, x1, y2, x2)`` where it reads ``(x1, y1, x2, y2)``, as the
            official code does: the targets come from the box mirrored
            across the main diagonal (needed to reproduce the official
            runs); ``'xyxy'`` reads the box the image was cropped with.
            Defaults to 'official'.
    """
    from torchvision.ops import roi_align
    if box_order not in ('official', 'xyxy'):
        raise ValueError(f"box_order must be 'official' or 'xyxy', got "
                         f'{box_order!r}')
    label = torch.as_tensor(label, dtype=torch.float32)
    check_token_label(label, 'token_label_target')
    size = label.shape[-1]
    ids = label[1].long()
    if ids.min() < 0 or ids.max() >= num_classes:
        raise ValueError(f'token-label class ids must be in [0, '
                         f'{num_classes}), got {int(ids.min())}..'
                         f'{int(ids.max())}: num_classes does not match the '
                         'label files')
    dense = torch.zeros(num_classes, size, size)
    dense.scatter_(0, ids, label[0])
    top, left, height, width = [float(v) for v in box]
    y1, x1, y2, x2 = top, left, top + height, left + width
    coords = (y1, x1, y2, x2) if box_order == 'official' else \
        (x1, y1, x2, y2)
    rois = torch.tensor([[0.] + [c * size - 0.5 for c in coords]])
    tokens = roi_align(dense[None], rois, (label_size, label_size))
    crop = roi_align(dense[None], rois, (1, 1))
    columns = torch.cat([crop.flatten(2), tokens.flatten(2)], 2)[0]
    off = smoothing / num_classes
    return (columns.softmax(0) * (1. - smoothing + off) + off).t()


@TRANSFORMS.register_module()
class PackTokenLabelInputs(PackInputs):
    """MMPretrain's ``PackInputs`` plus the soft token-label targets on the
    data sample (``token_label_target``, see :func:`token_label_target`).

    Args:
        num_classes (int): classes of the label files. Defaults to 1000.
        label_size (int): token grid of the model's last stage (7 at 224,
            12 at 384). Defaults to 7.
        smoothing (float): label smoothing. Defaults to 0.1.
        box_order (str): see :func:`token_label_target`.
            Defaults to 'official'.
        **kwargs: as ``PackInputs``.
    """

    def __init__(self, num_classes: int = 1000, label_size: int = 7,
                 smoothing: float = 0.1, box_order: str = 'official',
                 **kwargs):
        super().__init__(**kwargs)
        self.num_classes = num_classes
        self.label_size = label_size
        self.smoothing = smoothing
        self.box_order = box_order

    def transform(self, results: dict) -> dict:
        if LABEL_KEY not in results:
            raise KeyError(f'{type(self).__name__} needs results'
                           f"['{LABEL_KEY}']: put LoadTokenLabel in the "
                           'pipeline before it')
        packed = super().transform(results)
        box = results.get(BOX_KEY, (0., 0., 1., 1.))
        target = token_label_target(
            torch.from_numpy(np.ascontiguousarray(results[LABEL_KEY])), box,
            self.num_classes, self.label_size, self.smoothing,
            self.box_order)
        packed['data_samples'].set_field(target, 'token_label_target')
        return packed
