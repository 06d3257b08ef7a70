"""RandAugment on whole uint8 clips, with torchvision's parameter draws.

The shipped video recipes apply torchvision's ``RandAugment`` through
MMAction2's ``TorchVisionWrapper`` to the 256-short-side frames: 43 % of a
K400 training clip's CPU time (issue 19). :class:`ClipRandAugment` draws the
*same* parameters from the *same* generator calls (``torch.randint`` for
the op, then for the sign, ``num_ops`` times per clip, one draw per clip, so
every frame of a clip gets the same ops and magnitudes) and computes each op
on the decoded ``T x H x W x C`` uint8 clip (channels-last, the layout the
decoders return) with cheaper kernels:

* per-value ops (Brightness, Solarize, Posterize, Contrast, AutoContrast,
  Equalize) become 256-entry lookup tables (``cv2.LUT``), per clip, per
  frame or per frame and channel as torchvision's statistics are. The
  tables are computed with torchvision's own float32 expressions applied to
  the 256 values, so the result is bit-identical;
* Sharpness: torchvision's float ``conv2d`` with the kernel
  ``[[1,1,1],[1,5,1],[1,1,1]] / 13`` followed by rounding equals the
  integer ``round(s / 13)`` of the exact integer sum ``s`` (``s / 13`` is
  never a half-integer and the float error is < 1e-3), computed with an
  integer box filter; bit-identical;
* Color: the same float blend with the grey image as torchvision,
  elementwise on the channels-last clip; bit-identical;
* TranslateX / TranslateY move by ``int(magnitude)`` pixels, where
  torchvision's bilinear grid lands exactly on pixel centres: a shifted copy
  with zero fill; bit-identical;
* ShearX, ShearY, Rotate: ``cv2.warpAffine`` (bilinear, zero border) with
  torchvision's inverse matrix, per frame. OpenCV interpolates in fixed
  point (1/32 pixel), so pixels differ from torchvision's float
  ``grid_sample`` by at most 1 grey level, on at most 3 % of the pixels
  (shears on noise; rotation < 0.03 %), the bound the tests hold;
  ``exact_geometry=True`` runs torchvision's op instead.

Measured by ``tools/analysis_tools/benchmark.py --tables pipeline`` (one
thread, real 340x256 clips): see docs/advanced_guides/benchmarks.md.
"""
import math
from typing import List, Optional, Sequence, Tuple

import cv2
import numpy as np
import torch

try:  # the transform needs mmcv; the kernels below do not
    from mmcv.transforms import BaseTransform
except ImportError:  # pragma: no cover - mmcv is part of the stack
    BaseTransform = object

from mmuniformer.registry import TRANSFORMS

GEOMETRIC = ('ShearX', 'ShearY', 'Rotate')
_VALUES = torch.arange(256, dtype=torch.uint8)


def draw_rand_augment(num_ops: int, magnitude: int, num_magnitude_bins: int,
                      height: int, width: int) -> List[Tuple[str, float]]:
    """The ``(op, signed magnitude)`` list torchvision's
    ``RandAugment.forward`` draws for an image of ``height x width``: the same
    augmentation space and the same ``torch.randint`` calls in the same
    order, so the same global seed gives the same ops."""
    from torchvision.transforms import RandAugment
    space = RandAugment._augmentation_space(
        None, num_magnitude_bins, (height, width))
    names = list(space)
    params = []
    for _ in range(num_ops):
        name = names[int(torch.randint(len(space), (1, )).item())]
        magnitudes, signed = space[name]
        value = float(magnitudes[magnitude].item()) \
            if magnitudes.ndim > 0 else 0.0
        if signed and torch.randint(2, (1, )):
            value *= -1.0
        params.append((name, value))
    return params


# ------------------------------------------------------------ value tables
def _blend_values(ratio: float, other) -> torch.Tensor:
    """torchvision's ``_blend(v, other, ratio)`` for the 256 values ``v``
    (``other`` broadcasts: a scalar tensor or one value per row)."""
    ratio = float(ratio)
    return (ratio * _VALUES + (1.0 - ratio) * other).clamp(0, 255).to(
        torch.uint8)


def _lut_clip(clip: np.ndarray, lut: np.ndarray) -> np.ndarray:
    """One 256-entry table for every value of the clip."""
    flat = clip.reshape(clip.shape[0] * clip.shape[1], -1)
    return cv2.LUT(flat, lut.reshape(256)).reshape(clip.shape)


def _lut_frames(clip: np.ndarray, luts: np.ndarray) -> np.ndarray:
    """``luts[t]`` (256) or ``luts[t, c]`` (C x 256) for frame ``t``."""
    out = np.empty_like(clip)
    for t, frame in enumerate(clip):
        lut = luts[t]
        if lut.ndim == 2:  # one table per channel
            lut = np.ascontiguousarray(lut.T).reshape(1, 256, -1)
        out[t] = cv2.LUT(frame, lut)
    return out


def _grey(clip: torch.Tensor) -> torch.Tensor:
    """torchvision's ``rgb_to_grayscale`` of a ``T x H x W x 3`` clip
    (``T x H x W`` uint8; the same float32 expression, elementwise)."""
    r, g, b = clip.unbind(-1)
    return (0.2989 * r + 0.587 * g + 0.114 * b).to(torch.uint8)


def contrast_luts(clip: np.ndarray, ratio: float) -> np.ndarray:
    """Per-frame tables of ``adjust_contrast``: the blend with the mean of
    the frame's grey image, the mean taken as torchvision takes it (float32
    ``torch.mean`` of a contiguous ``T x 1 x H x W`` tensor)."""
    grey = _grey(torch.from_numpy(clip)).to(torch.float32).unsqueeze(1)
    mean = torch.mean(grey.contiguous(), dim=(-3, -2, -1), keepdim=True)
    return _blend_values(ratio, mean.reshape(-1, 1)).numpy()


def autocontrast_luts(clip: np.ndarray) -> np.ndarray:
    """Per frame and channel tables of torchvision's ``autocontrast``."""
    frames = torch.from_numpy(clip)
    minimum = frames.amin(dim=(1, 2)).to(torch.float32)[..., None]
    maximum = frames.amax(dim=(1, 2)).to(torch.float32)[..., None]
    scale = 255 / (maximum - minimum)
    flat = torch.isfinite(scale).logical_not()
    minimum[flat] = 0
    scale[flat] = 1
    return ((_VALUES - minimum) * scale).clamp(0, 255).to(
        torch.uint8).numpy()


def equalize_luts(clip: np.ndarray) -> np.ndarray:
    """Per frame and channel tables of torchvision's ``equalize``
    (integer arithmetic, as ``_scale_channel``)."""
    T, C = clip.shape[0], clip.shape[-1]
    luts = np.empty((T, C, 256), np.uint8)
    identity = np.arange(256, dtype=np.uint8)
    for t in range(T):
        for c in range(C):
            hist = cv2.calcHist([clip[t]], [c], None, [256], [0, 256])
            hist = hist.reshape(256).astype(np.int64)
            step = hist[hist != 0][:-1].sum() // 255
            if step == 0:
                luts[t, c] = identity
                continue
            lut = (np.cumsum(hist) + step // 2) // step
            luts[t, c] = np.clip(np.concatenate([[0], lut[:-1]]), 0, 255)
    return luts


# ------------------------------------------------------------ the ops
def _sharpness(clip: np.ndarray, ratio: float) -> np.ndarray:
    T, H, W, C = clip.shape
    if H <= 2 or W <= 2:
        return clip
    degenerate = clip.copy()
    for t, frame in enumerate(clip):
        box = cv2.boxFilter(frame, cv2.CV_16U, (3, 3), normalize=False)
        # 3x3 sum + 4 x centre = the kernel [[1,1,1],[1,5,1],[1,1,1]]
        total = box[1:-1, 1:-1].reshape(H - 2, W - 2, C) + \
            (frame[1:-1, 1:-1].astype(np.uint16) << 2)
        degenerate[t, 1:-1, 1:-1] = (2 * total + 13) // 26  # round(s / 13)
    return _blend_clip(clip, degenerate, ratio)


def _blend_clip(clip: np.ndarray, other: np.ndarray, ratio: float
                ) -> np.ndarray:
    """torchvision's ``_blend(clip, other, ratio)`` (``other`` uint8, same
    shape or broadcasting), in place: the same float32 products and sum per
    element as ``ratio * a + (1.0 - ratio) * b``, one float clip alive
    instead of three. (A 256 x 256 table gathered at ``a << 8 | b`` is also
    exact but measured slower, and its index array is 8 bytes a value.)"""
    ratio = float(ratio)
    out = torch.from_numpy(clip).to(torch.float32).mul_(ratio)
    out.add_(torch.from_numpy(other).to(torch.float32).mul_(1.0 - ratio))
    return out.clamp_(0, 255).to(torch.uint8).numpy()


def _translate(clip: np.ndarray, dx: int, dy: int) -> np.ndarray:
    """``out[y, x] = clip[y - dy, x - dx]``, zeros outside."""
    out = np.zeros_like(clip)
    H, W = clip.shape[1:3]
    if abs(dx) >= W or abs(dy) >= H:
        return out
    ys = slice(max(dy, 0), H + min(dy, 0))
    xs = slice(max(dx, 0), W + min(dx, 0))
    yi = slice(max(-dy, 0), H + min(-dy, 0))
    xi = slice(max(-dx, 0), W + min(-dx, 0))
    out[:, ys, xs] = clip[:, yi, xi]
    return out


def inverse_matrix(name: str, magnitude: float, height: int,
                   width: int) -> np.ndarray:
    """The 2x3 pixel-coordinate inverse map (output pixel -> input pixel)
    of torchvision's ShearX / ShearY / Rotate, built from torchvision's
    centre-relative inverse matrix."""
    from torchvision.transforms.functional import _get_inverse_affine_matrix
    if name == 'Rotate':  # torchvision's rotate passes -angle
        matrix = _get_inverse_affine_matrix([0.0, 0.0], -magnitude,
                                            [0.0, 0.0], 1.0, [0.0, 0.0])
    else:  # shears about the top-left corner (center=[0, 0])
        shear = math.degrees(math.atan(magnitude))
        shear = [shear, 0.0] if name == 'ShearX' else [0.0, shear]
        matrix = _get_inverse_affine_matrix(
            [-width * 0.5, -height * 0.5], 0.0, [0.0, 0.0], 1.0, shear)
    a = np.array(matrix, np.float64).reshape(2, 3)
    # torchvision's grid works on pixel centres relative to the image
    # centre c = ((W - 1) / 2, (H - 1) / 2): in = A (out - c) + t + c
    c = np.array([(width - 1) / 2, (height - 1) / 2])
    a[:, 2] += c - a[:, :2] @ c
    return a


def _warp(clip: np.ndarray, name: str, magnitude: float) -> np.ndarray:
    H, W = clip.shape[1:3]
    m = inverse_matrix(name, magnitude, H, W)
    out = np.empty_like(clip)
    for t, frame in enumerate(clip):
        cv2.warpAffine(frame, m, (W, H), dst=out[t],
                       flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                       borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    return out


def torchvision_op(clip: np.ndarray, name: str, magnitude: float,
                   interpolation=2, fill=None) -> np.ndarray:
    """torchvision's own op on the clip (``T x C x H x W`` batch)."""
    from torchvision.transforms import InterpolationMode
    from torchvision.transforms.autoaugment import _apply_op
    if isinstance(interpolation, int):
        interpolation = {0: InterpolationMode.NEAREST,
                         2: InterpolationMode.BILINEAR}[interpolation]
    x = torch.from_numpy(clip).permute(0, 3, 1, 2)
    if fill is not None and not isinstance(fill, (list, tuple)):
        fill = [float(fill)] * x.shape[1]
    out = _apply_op(x, name, magnitude, interpolation=interpolation,
                    fill=fill)
    return np.ascontiguousarray(out.permute(0, 2, 3, 1).numpy())


def apply_op(clip: np.ndarray, name: str, magnitude: float,
             exact_geometry: bool = False) -> np.ndarray:
    """torchvision ``_apply_op(name, magnitude)`` (bilinear, no fill) on a
    ``T x H x W x 3`` uint8 clip; see the module docstring for which ops
    are bit-identical."""
    if name == 'Identity':
        return clip
    if name in GEOMETRIC:
        return torchvision_op(clip, name, magnitude) if exact_geometry \
            else _warp(clip, name, magnitude)
    if name == 'TranslateX':
        return _translate(clip, int(magnitude), 0)
    if name == 'TranslateY':
        return _translate(clip, 0, int(magnitude))
    if name == 'Brightness':
        return _lut_clip(clip, _blend_values(
            1.0 + magnitude, torch.zeros((), dtype=torch.uint8)).numpy())
    if name == 'Solarize':
        lut = torch.where(_VALUES >= magnitude, 255 - _VALUES, _VALUES)
        return _lut_clip(clip, lut.numpy())
    if name == 'Posterize':
        return np.bitwise_and(clip, np.uint8(-int(2**(8 - int(magnitude)))
                                             & 0xFF))
    if name == 'Contrast':
        return _lut_frames(clip, contrast_luts(clip, 1.0 + magnitude))
    if name == 'AutoContrast':
        return _lut_frames(clip, autocontrast_luts(clip))
    if name == 'Equalize':
        return _lut_frames(clip, equalize_luts(clip))
    if name == 'Color':
        grey = _grey(torch.from_numpy(clip)).unsqueeze(-1).numpy()
        return _blend_clip(clip, grey, 1.0 + magnitude)
    if name == 'Sharpness':
        return _sharpness(clip, 1.0 + magnitude)
    raise ValueError(f'unknown RandAugment op {name!r}')


def as_clip(imgs: Sequence[np.ndarray]) -> np.ndarray:
    """The frames as one contiguous ``T x H x W x C`` uint8 array."""
    if isinstance(imgs, np.ndarray) and imgs.ndim == 4:
        clip = imgs
    else:
        clip = np.stack(list(imgs))
    if clip.dtype != np.uint8:
        raise TypeError(f'ClipRandAugment needs uint8 frames, got '
                        f'{clip.dtype}: put it right after the decoder / '
                        'Resize, before any float conversion')
    if clip.ndim != 4 or clip.shape[-1] != 3:
        raise ValueError(f'ClipRandAugment needs T x H x W x 3 frames, '
                         f'got shape {clip.shape}')
    return np.ascontiguousarray(clip)


@TRANSFORMS.register_module()
class ClipRandAugment(BaseTransform):
    """Drop-in for ``dict(type='TorchVisionWrapper', op='RandAugment', ...)``:
    the same parameter draws (see :func:`draw_rand_augment`), the same
    values (bit-identical except ShearX / ShearY / Rotate, within 1 grey
    level; see the module docstring), on the whole clip at once.

    Required keys: ``imgs`` (list of ``H x W x 3`` uint8 frames or a
    ``T x H x W x 3`` array). Modified keys: ``imgs`` (list of frames, views
    of one contiguous clip array).

    Args:
        num_ops (int): ops applied in sequence. Defaults to 2.
        magnitude (int): magnitude bin. Defaults to 9.
        num_magnitude_bins (int): bins of each op's range. Defaults to 31.
        interpolation (int): 2 (bilinear) as the shipped configs; 0
            (nearest) runs torchvision's geometric ops. Defaults to 2.
        fill (float | list, optional): border fill of geometric ops; not
            None runs torchvision's geometric ops. Defaults to None.
        exact_geometry (bool): torchvision's ``grid_sample`` for ShearX /
            ShearY / Rotate (bit-identical, about 5x slower for these ops).
            Defaults to False.
    """

    def __init__(self, num_ops: int = 2, magnitude: int = 9,
                 num_magnitude_bins: int = 31, interpolation: int = 2,
                 fill: Optional[float] = None,
                 exact_geometry: bool = False) -> None:
        if interpolation not in (0, 2):
            raise ValueError(f'interpolation={interpolation!r}: torchvision '
                             'supports 0 (nearest) and 2 (bilinear) on '
                             'tensors')
        if not 0 <= magnitude < num_magnitude_bins:
            raise ValueError(f'magnitude={magnitude} must be in [0, '
                             f'num_magnitude_bins={num_magnitude_bins})')
        self.num_ops = num_ops
        self.magnitude = magnitude
        self.num_magnitude_bins = num_magnitude_bins
        self.interpolation = interpolation
        self.fill = fill
        self.exact_geometry = exact_geometry or fill is not None or \
            interpolation != 2

    def transform(self, results: dict) -> dict:
        clip = as_clip(results['imgs'])
        H, W = clip.shape[1:3]
        for name, magnitude in draw_rand_augment(
                self.num_ops, self.magnitude, self.num_magnitude_bins, H, W):
            if self.exact_geometry and name in GEOMETRIC:
                clip = torchvision_op(clip, name, magnitude,
                                      self.interpolation, self.fill)
            else:
                clip = apply_op(clip, name, magnitude)
        results['imgs'] = list(clip)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(num_ops={self.num_ops}, '
                f'magnitude={self.magnitude}, num_magnitude_bins='
                f'{self.num_magnitude_bins}, interpolation='
                f'{self.interpolation}, fill={self.fill}, exact_geometry='
                f'{self.exact_geometry})')
