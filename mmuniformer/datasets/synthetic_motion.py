"""A small real-video data set whose labels need temporal order.

Each clip shows one textured disc crossing a noisy background in one of four
directions. Start position, speed, size, colours and noise are random, so a
single frame says nothing about the label: only the order of frames does.
Clips are written as mp4 files with OpenCV and decoded by decord in the
MMAction2 pipeline; annotations use MMAction2's ``VideoDataset`` list format
(``relative/path.mp4 label`` per line).
"""
import os
import os.path as osp
from typing import Dict, Sequence

import numpy as np

MOTION_CLASSES = ('moving right', 'moving left', 'moving down', 'moving up')
# unit displacement (dx, dy) per class, image axes (x right, y down)
_DIRECTIONS = ((1, 0), (-1, 0), (0, 1), (0, -1))


def render_clip(label: int, rng: np.random.Generator, frames: int = 16,
                size: int = 64) -> np.ndarray:
    """Frames ``(T, size, size, 3)`` uint8 (BGR) of one clip of ``label``."""
    import cv2
    dx, dy = _DIRECTIONS[label]
    radius = int(rng.integers(size // 10, size // 6))
    speed = rng.uniform(1.5, 2.5) * size / 64
    travel = speed * (frames - 1)
    margin = radius + 1
    # start so that the whole path stays inside the frame
    lo_x = margin + (travel if dx < 0 else 0)
    hi_x = size - margin - (travel if dx > 0 else 0)
    lo_y = margin + (travel if dy < 0 else 0)
    hi_y = size - margin - (travel if dy > 0 else 0)
    x0, y0 = rng.uniform(lo_x, hi_x), rng.uniform(lo_y, hi_y)
    background = rng.integers(0, 80, size=3)
    colour = tuple(int(c) for c in rng.integers(140, 256, size=3))
    out = np.empty((frames, size, size, 3), np.uint8)
    for t in range(frames):
        noise = rng.normal(0, 12, size=(size, size, 3))
        frame = np.clip(background + noise, 0, 255).astype(np.uint8)
        centre = (int(round(x0 + dx * speed * t)),
                  int(round(y0 + dy * speed * t)))
        cv2.circle(frame, centre, radius, colour, thickness=-1)
        cv2.circle(frame, centre, max(1, radius // 2), (0, 0, 0), thickness=1)
        out[t] = frame
    return out


def write_mp4(path: str, frames: np.ndarray, fps: int = 8):
    """Write BGR frames ``(T, H, W, 3)`` to an mp4 file (MPEG-4 part 2)."""
    import cv2
    h, w = frames.shape[1:3]
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*'mp4v'), fps,
                             (w, h))
    if not writer.isOpened():
        raise RuntimeError(f'OpenCV cannot write mp4 files here ({path}); '
                           'install opencv-python with FFmpeg support')
    for frame in frames:
        writer.write(frame)
    writer.release()


def check_decodes(path: str, frames: int, size: int):
    """Decode ``path`` with decord (the pipeline's reader) and check the
    clip comes back as ``frames`` RGB frames of ``size``. decord 0.6.0
    returns 4-channel frames for some small widths (48 px, for one)."""
    try:
        import decord
    except ImportError:
        return
    reader = decord.VideoReader(path)
    shape = (len(reader), ) + tuple(reader[0].shape)
    if shape != (frames, size, size, 3):
        raise RuntimeError(f'{path}: decord decodes {shape}, expected '
                           f'{(frames, size, size, 3)}; choose another size '
                           '(64 works)')


def make_motion_dataset(root: str, num_train: int = 240, num_val: int = 80,
                        frames: int = 16, size: int = 64, seed: int = 0,
                        splits: Sequence[str] = ('train', 'val')
                        ) -> Dict[str, str]:
    """Write the data set under ``root``; return the annotation file paths.

    Layout: ``root/{split}/{idx:05d}.mp4``, ``root/{split}.txt``,
    ``root/classes.txt``. Classes are balanced within each split.
    """
    rng = np.random.default_rng(seed)
    counts = dict(train=num_train, val=num_val)
    os.makedirs(root, exist_ok=True)
    with open(osp.join(root, 'classes.txt'), 'w') as f:
        f.write('\n'.join(MOTION_CLASSES) + '\n')
    anns = {}
    for split in splits:
        os.makedirs(osp.join(root, split), exist_ok=True)
        lines = []
        for idx in range(counts[split]):
            label = idx % len(MOTION_CLASSES)
            name = f'{split}/{idx:05d}.mp4'
            write_mp4(osp.join(root, name),
                      render_clip(label, rng, frames=frames, size=size))
            if idx == 0:
                check_decodes(osp.join(root, name), frames, size)
            lines.append(f'{name} {label}')
        anns[split] = osp.join(root, f'{split}.txt')
        with open(anns[split], 'w') as f:
            f.write('\n'.join(lines) + '\n')
    return anns
