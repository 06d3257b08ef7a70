"""MixToken (token-labeling training): one box of tokens swapped between
each image and its batch mirror, on the stride-4 map, un-mixed for the dense
loss on the stride-32 map.

Pure PyTorch / NumPy (no host): the backbone takes the mixing as a callable,
the token-labeling classifier and head (MMPretrain,
:mod:`mmuniformer.models.heads.token_labeling`) draw the box and un-mix.
"""
from typing import Tuple

import numpy as np
import torch

from ...registry import MODELS

Box = Tuple[int, int, int, int]  # (row1, col1, row2, col2), ends exclusive


def batch_flip_box(x: torch.Tensor, box: Box) -> torch.Tensor:
    """``x`` (B, C, H, W) with rows ``box[0]:box[2]``, cols
    ``box[1]:box[3]`` of sample ``b`` taken from sample ``B - 1 - b``.

    A new tensor (the input, the source of the swap, is left alone);
    applying it twice with the same box gives ``x`` back."""
    r1, c1, r2, c2 = box
    out = x.clone()
    out[:, :, r1:r2, c1:c2] = x.flip(0)[:, :, r1:r2, c1:c2]
    return out


@MODELS.register_module()
class MixToken:
    """Draws the MixToken box of one training step.

    ``lam ~ Beta(alpha, alpha)`` (U(0, 1) for the official alpha 1), one per
    step for the whole batch; ``cut = floor(G * sqrt(1 - lam))`` on each
    axis of the ``G_r x G_c`` stride-4 grid; a centre ``(r, c)`` uniform
    over the grid; rows ``[clip(r - cut_r // 2), clip(r + cut_r // 2))``,
    cols the same, clipped to the grid. The dense output is un-mixed with
    the box floor-divided by ``ratio`` (stride 32 / stride 4 = 8), and the
    class target is mixed with the area of that coarse box,
    ``lam = 1 - area / N`` (the "area correction": the Beta draw itself is
    not used by the loss).

    Args:
        alpha (float): Beta parameter. Defaults to 1.0.
        stride (int): stride of the mixed map (after ``patch_embed1``).
            Defaults to 4.
        ratio (int): stride of the dense output over ``stride``.
            Defaults to 8.
    """

    def __init__(self, alpha: float = 1.0, stride: int = 4, ratio: int = 8):
        self.alpha = alpha
        self.stride = stride
        self.ratio = ratio

    def draw(self, grid: Tuple[int, int]) -> Box:
        """The stride-``stride`` box on a ``grid = (G_r, G_c)`` map."""
        lam = np.random.beta(self.alpha, self.alpha)
        cut = np.sqrt(1. - lam)
        rows, cols = grid
        cut_r, cut_c = int(rows * cut), int(cols * cut)
        r, c = np.random.randint(rows), np.random.randint(cols)
        return (int(np.clip(r - cut_r // 2, 0, rows)),
                int(np.clip(c - cut_c // 2, 0, cols)),
                int(np.clip(r + cut_r // 2, 0, rows)),
                int(np.clip(c + cut_c // 2, 0, cols)))

    def grid(self, input_shape) -> Tuple[int, int]:
        """Stride-``stride`` grid of an input ``(B, C, H, W)``; sizes must
        be multiples of ``stride * ratio`` (the official 224 / 384 are)."""
        h, w = input_shape[-2:]
        step = self.stride * self.ratio
        if h % step or w % step:
            raise ValueError(
                f'MixToken needs input sizes divisible by {step} (stride '
                f'{self.stride} x ratio {self.ratio}) so the box maps onto '
                f'the dense output, got {h}x{w}; use a multiple of {step}')
        return h // self.stride, w // self.stride

    def coarse(self, box: Box) -> Box:
        """The box on the dense output's grid (each end floor-divided)."""
        return tuple(int(v) // self.ratio for v in box)

    @staticmethod
    def lam(coarse_box: Box, num_tokens: int) -> float:
        """1 - (mixed tokens of the coarse box) / N."""
        r1, c1, r2, c2 = coarse_box
        return 1. - (r2 - r1) * (c2 - c1) / num_tokens

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(alpha={self.alpha}, '
                f'stride={self.stride}, ratio={self.ratio})')
