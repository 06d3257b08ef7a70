"""What a UniFormer looks at: the attention of its global blocks.

This lives in the package because two tools use it:
``tools/visualizations/vis_attention.py`` (the command line) and
``tools/demo/web_demo.py`` (the attention overlay of the video and image
tabs); before, the demo imported the script through ``sys.path``.

It computes:

* the attention maps, *beside* SDPA, which stays the forward path: forward
  hooks (:class:`AttentionRecorder`) on the attention modules recompute
  ``softmax(Q K^T / sqrt(d))`` from the module's own ``qkv`` projection of
  its input (:func:`explicit_attention`), so no block code changes and the
  model's outputs are unchanged. Windowed blocks (det/seg configs with
  ``window_size``) attend inside windows and are skipped;
* the attention of one query (a point or the mean row) over a block's token
  grid (:func:`query_map`);
* attention rollout (Abnar & Zuidema, 2020) through stages 3 and 4
  (:func:`rollout`, :func:`rollout_map`): each block's head-mean attention
  ``A`` becomes ``(A + I) / 2`` (the residual), rows renormalised,
  multiplied in order; a stage-4 token reads the stage-3 tokens it was
  pooled from with equal weights (:func:`pooling_matrix`). Every row of the
  result sums to 1 (a distribution over stage-3 tokens);
* the tokens a light model's pruning block keeps (:func:`kept_map`);

and the array helpers around them: an input read into frames
(:func:`read_input`), normalised (:func:`to_tensor`), a heat map drawn over
the frames (:func:`overlay`) and written as PNG, GIF or MP4
(:func:`write_frames`).
"""
import os
import os.path as osp
from typing import List, Optional, Sequence, Tuple, Union

import numpy as np
import torch

from mmuniformer.models.layers import pruning
from mmuniformer.models.layers.blocks import GlobalMHRABlock

# ImageNet normalisation (RGB, 0-255)
MEAN = (123.675, 116.28, 103.53)
STD = (58.395, 57.12, 57.375)

Query = Union[str, Tuple[float, float], None]


def explicit_attention(attn_module: torch.nn.Module,
                       x: torch.Tensor) -> torch.Tensor:
    """The attention matrix of a ``MultiHeadSelfAttention``.

    Args:
        attn_module (torch.nn.Module): the attention module (``qkv``,
            ``num_heads``, ``head_dim``).
        x (torch.Tensor): its input tokens ``(B, N, C)``.

    Returns:
        torch.Tensor: ``softmax(Q K^T / sqrt(d))``, ``(B, heads, N, N)``,
        float32.
    """
    B, N, _ = x.shape
    h, d = attn_module.num_heads, attn_module.head_dim
    qkv = attn_module.qkv(x).float().reshape(B, N, 3, h, d)
    q, k, _ = qkv.permute(2, 0, 3, 1, 4).unbind(0)
    return (q @ k.transpose(-2, -1) * d ** -0.5).softmax(-1)


def stage_of(name: str) -> int:
    """The stage (1-4) of a module name such as ``blocks3.0``.

    Args:
        name (str): a module name of the backbone.

    Returns:
        int: the stage, 0 when the name has no ``blocks<N>`` part.
    """
    for part in name.split('.'):
        if part.startswith('blocks') and part[6:].isdigit():
            return int(part[6:])
    return 0


class AttentionRecorder:
    """Records the attention of every global block of a model.

    Forward hooks on every global block (windowed ones skipped) and on
    every light pruning block; after a forward, ``records`` holds one dict
    per block, in forward order:

    * ``name``: the block's module name, ``stage`` (1-4);
    * ``spatial``: the block's token grid (``(H, W)`` or ``(T, H, W)``);
    * ``attn``: ``(B, heads, M, M)`` attention (light models: token 0 is
      the cls token, a pruning block's last token the representative);
    * ``kept``: light pruning blocks, the kept grid indices ``(B, K)``
      (None for a block that keeps all tokens).

    Use as a context manager; the hooks are removed on exit.

    Args:
        model (torch.nn.Module): a UniFormer backbone (2D, 3D or light).
    """

    def __init__(self, model: torch.nn.Module):
        self.records: List[dict] = []
        self._handles = []
        for name, module in model.named_modules():
            if isinstance(module, GlobalMHRABlock):
                if module.window_size is not None:
                    continue
                kind = 'global'
            elif isinstance(module, pruning.PruningMHRABlock):
                kind = 'light'
            else:
                continue
            self._handles.append(module.register_forward_pre_hook(
                self._block_hook(name, kind)))
            self._handles.append(module.attn.register_forward_hook(
                self._attn_hook()))

    def _block_hook(self, name, kind):
        def hook(block, args):
            x = args[1] if kind == 'light' else args[0]
            record = dict(name=name, stage=stage_of(name),
                          spatial=tuple(x.shape[2:]), kept=None)
            if kind == 'light' and block.prune_ratio < 1 and \
                    len(args) > 2 and args[2] is not None:
                record['kept'] = pruning.select_tokens(
                    args[2], block.prune_ratio)[0].detach()
            self.records.append(record)
        return hook

    def _attn_hook(self):
        def hook(module, args, output):
            with torch.no_grad():
                self.records[-1]['attn'] = explicit_attention(
                    module, args[0]).detach()
        return hook

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        for handle in self._handles:
            handle.remove()
        self._handles = []


def record(model: torch.nn.Module, x: torch.Tensor) -> List[dict]:
    """Forward ``x`` once with an :class:`AttentionRecorder`.

    Args:
        model (torch.nn.Module): the backbone.
        x (torch.Tensor): its input.

    Returns:
        list[dict]: the recorder's ``records``.
    """
    with torch.no_grad(), AttentionRecorder(model) as recorder:
        model(x)
    return recorder.records


def query_index(spatial: Sequence[int], query: Query) -> Optional[int]:
    """The flat token index of a point of a grid.

    Args:
        spatial (Sequence[int]): the grid, ``(H, W)`` or ``(T, H, W)``.
        query (str | tuple[float, float] | None): a point ``(x, y)`` in
            [0, 1] image coordinates (the middle time step of a video
            grid), or ``'mean'`` / None.

    Returns:
        int | None: the index, None for ``'mean'`` or None.
    """
    if query is None or query == 'mean':
        return None
    x, y = query
    H, W = spatial[-2:]
    row = min(int(y * H), H - 1)
    col = min(int(x * W), W - 1)
    t = spatial[0] // 2 if len(spatial) == 3 else 0
    return (t * H + row) * W + col


def spatial_columns(record: dict, row: torch.Tensor) -> torch.Tensor:
    """A row over a block's tokens -> a row over its grid.

    Drops the cls token; in a pruning block the kept tokens go back to
    their positions and the representative's weight is shared evenly by
    the dropped tokens.

    Args:
        record (dict): a record of :class:`AttentionRecorder`.
        row (torch.Tensor): ``(..., M)`` over the block's tokens.

    Returns:
        torch.Tensor: ``(..., N)`` over the block's grid.
    """
    N = int(np.prod(record['spatial']))
    M = row.shape[-1]
    if M == N:
        return row
    if record['kept'] is None:
        return row[..., 1:N + 1]
    kept = record['kept'][0]
    K = kept.numel()
    out = row.new_full(row.shape[:-1] + (N,), 0.)
    dropped = N - K
    out[..., :] = row[..., -1:] / max(dropped, 1)
    out[..., kept] = row[..., 1:K + 1]
    return out


def query_map(record: dict, query: Query = 'mean',
              head: Optional[int] = None, sample: int = 0) -> np.ndarray:
    """The attention of one query of a block over its token grid.

    Args:
        record (dict): a record of :class:`AttentionRecorder`.
        query (str | tuple[float, float] | None): a point ``(x, y)`` in
            [0, 1] (see :func:`query_index`) or ``'mean'``, the mean of all
            query rows. Defaults to ``'mean'``.
        head (int, optional): one head. Defaults to None (the head mean).
        sample (int): the batch index. Defaults to 0.

    Returns:
        np.ndarray: the weights, shaped like ``record['spatial']``.
    """
    attn = record['attn'][sample]  # (heads, M, M)
    attn = attn.mean(0) if head is None else attn[head]
    index = query_index(record['spatial'], query)
    M = attn.shape[-1]
    N = int(np.prod(record['spatial']))
    if index is None:
        row = attn.mean(0)
    else:
        offset = 0 if M == N else 1  # light: cls token first
        if record['kept'] is not None:
            kept = record['kept'][0].tolist()
            index = kept.index(index) if index in kept else M - 1 - offset
        row = attn[index + offset]
    return spatial_columns(record, row).reshape(record['spatial']).numpy()


def pooling_matrix(src: Sequence[int], dst: Sequence[int]) -> torch.Tensor:
    """The average pooling of a token grid onto a coarser one, as a matrix.

    Args:
        src (Sequence[int]): the source grid, e.g. ``(T, H, W)``.
        dst (Sequence[int]): the destination grid, same rank; each
            destination token averages the source tokens of its cell
            (strides ``src // dst`` per axis).

    Returns:
        torch.Tensor: ``(N_dst, N_src)``; rows sum to 1.
    """
    strides = [max(s // d, 1) for s, d in zip(src, dst)]
    grid = torch.arange(int(np.prod(src))).reshape(src)
    rows = torch.zeros(int(np.prod(dst)), int(np.prod(src)))
    for j, cell in enumerate(np.ndindex(*dst)):
        sl = tuple(slice(c * s, (c + 1) * s) for c, s in zip(cell, strides))
        members = grid[sl].flatten()
        rows[j, members] = 1. / members.numel()
    return rows


def rollout(records: List[dict], stages: Sequence[int] = (3, 4),
            sample: int = 0, residual: float = .5) -> torch.Tensor:
    """Attention rollout through ``stages`` (see the module docstring).

    Global blocks of plain UniFormers only (the light models' pruning
    changes the token set).

    Args:
        records (list[dict]): the records of :class:`AttentionRecorder`.
        stages (Sequence[int]): the stages rolled out. Defaults to
            ``(3, 4)``.
        sample (int): the batch index. Defaults to 0.
        residual (float): the weight of the attention against the identity
            (the residual path). Defaults to 0.5.

    Returns:
        torch.Tensor: ``(N_last, N_first)`` float64, rows summing to 1.

    Raises:
        ValueError: no global block in ``stages``, or a block with a cls
            token (a light model).
    """
    chosen = [r for r in records if r['stage'] in stages]
    if not chosen:
        raise ValueError(f'no global block in stages {stages}')
    out, spatial = None, None
    for record in chosen:
        attn = record['attn'][sample].mean(0).double()
        N = int(np.prod(record['spatial']))
        if attn.shape[-1] != N:
            raise ValueError(f'{record["name"]} has a cls token: rollout is '
                             'for the plain UniFormers; use --mode kept or '
                             'query for light models')
        eye = torch.eye(N, dtype=attn.dtype)
        step = residual * attn + (1 - residual) * eye
        step = step / step.sum(-1, keepdim=True)
        if out is None:
            out = step
        else:
            if record['spatial'] != spatial:
                out = pooling_matrix(spatial, record['spatial']).double() \
                    @ out
            out = step @ out
        spatial = record['spatial']
    return out


def rollout_map(records: List[dict], query: Query = 'mean',
                sample: int = 0) -> np.ndarray:
    """The rollout (stages 3-4) of one query over the stage-3 grid.

    Args:
        records (list[dict]): the records of :class:`AttentionRecorder`.
        query (str | tuple[float, float] | None): a point of the last grid
            or ``'mean'`` (the mean row). Defaults to ``'mean'``.
        sample (int): the batch index. Defaults to 0.

    Returns:
        np.ndarray: float32, shaped like the first stage-3 block's grid.
    """
    chosen = [r for r in records if r['stage'] in (3, 4)]
    table = rollout(records, sample=sample)
    index = query_index(chosen[-1]['spatial'], query)
    row = table.mean(0) if index is None else table[index]
    return row.reshape(chosen[0]['spatial']).float().numpy()


def kept_map(record: dict, sample: int = 0) -> np.ndarray:
    """The tokens a pruning block keeps.

    Args:
        record (dict): a record of :class:`AttentionRecorder`.
        sample (int): the batch index. Defaults to 0.

    Returns:
        np.ndarray: float32 shaped like the block's grid, 1 on the kept
        tokens and 0 on the dropped ones (all 1 for a block that keeps
        every token).
    """
    N = int(np.prod(record['spatial']))
    out = np.ones(N, dtype=np.float32)
    if record['kept'] is not None:
        out[:] = 0
        out[record['kept'][sample].numpy()] = 1
    return out.reshape(record['spatial'])


# -- arrays: input frames, heat-map overlays ---------------------------------
def read_input(path: str, frames: int = 8, size: int = 224) -> np.ndarray:
    """A video or an image read into square RGB frames.

    Args:
        path (str): a video (read with decord) or an image (``.jpg``,
            ``.jpeg``, ``.png``, ``.bmp``, ``.webp``).
        frames (int): the frames sampled uniformly from a video. Defaults
            to 8.
        size (int): the short side is resized to ``size``, then a centre
            crop. Defaults to 224.

    Returns:
        np.ndarray: uint8 ``(F, size, size, 3)``, ``F = 1`` for an image.
    """
    import cv2
    ext = osp.splitext(path)[1].lower()
    if ext in ('.jpg', '.jpeg', '.png', '.bmp', '.webp'):
        image = cv2.imread(path)
        if image is None:
            raise FileNotFoundError(f'{path}: not a readable image')
        clip = image[None, ..., ::-1]
    else:
        import decord
        reader = decord.VideoReader(path)
        index = np.linspace(0, len(reader) - 1, frames).round().astype(int)
        clip = reader.get_batch(list(index)).asnumpy()
    out = []
    for frame in clip:
        h, w = frame.shape[:2]
        scale = size / min(h, w)
        frame = cv2.resize(frame, (max(size, round(w * scale)),
                                   max(size, round(h * scale))))
        top = (frame.shape[0] - size) // 2
        left = (frame.shape[1] - size) // 2
        out.append(frame[top:top + size, left:left + size])
    return np.ascontiguousarray(np.stack(out))


def to_tensor(frames: np.ndarray, video: bool,
              mean: Sequence[float] = MEAN,
              std: Sequence[float] = STD) -> torch.Tensor:
    """RGB frames normalised into a model input.

    Args:
        frames (np.ndarray): ``(F, H, W, 3)`` RGB.
        video (bool): return a video input (all frames) rather than an
            image (the first frame).
        mean (Sequence[float]): per-channel mean. Defaults to ``MEAN``
            (ImageNet's).
        std (Sequence[float]): per-channel std. Defaults to ``STD``.

    Returns:
        torch.Tensor: float32 ``(1, 3, F, H, W)`` (video) or
        ``(1, 3, H, W)``.
    """
    x = torch.from_numpy(frames).float()
    x = (x - torch.tensor(mean)) / torch.tensor(std)
    x = x.permute(3, 0, 1, 2)[None]
    return x if video else x[:, :, 0]


def overlay(frames: np.ndarray, heat: np.ndarray,
            alpha: float = .5) -> np.ndarray:
    """RGB frames blended with a JET heat map.

    Args:
        frames (np.ndarray): uint8 ``(F, H, W, 3)`` RGB.
        heat (np.ndarray): a ``(h, w)`` or ``(t, h, w)`` grid, min-max
            normalised, resized (bicubic) to the frames; its time axis is
            stretched over the frames.
        alpha (float): the weight of the heat map. Defaults to 0.5.

    Returns:
        np.ndarray: uint8 ``(F, H, W, 3)``.
    """
    import cv2
    heat = np.asarray(heat, dtype=np.float32)
    if heat.ndim == 2:
        heat = heat[None]
    heat = (heat - heat.min()) / max(float(heat.max() - heat.min()), 1e-12)
    out = []
    F_, H, W = frames.shape[:3]
    for i, frame in enumerate(frames):
        grid = heat[min(i * heat.shape[0] // F_, heat.shape[0] - 1)]
        grid = cv2.resize(grid, (W, H), interpolation=cv2.INTER_CUBIC)
        color = cv2.applyColorMap(np.uint8(255 * grid.clip(0, 1)),
                                  cv2.COLORMAP_JET)[..., ::-1]
        out.append(np.uint8((1 - alpha) * frame + alpha * color))
    return np.stack(out)


def write_frames(frames: np.ndarray, out: str, fps: float = 8.) -> str:
    """Frames written as an image or an animation.

    Args:
        frames (np.ndarray): uint8 ``(F, H, W, 3)`` RGB.
        out (str): ``.png`` / ``.jpg`` (the middle frame), ``.gif``
            (Pillow) or another extension (OpenCV ``mp4v``, e.g. ``.mp4``);
            its folder is created.
        fps (float): frames per second of an animation. Defaults to 8.

    Returns:
        str: ``out``.
    """
    from PIL import Image
    os.makedirs(osp.dirname(osp.abspath(out)) or '.', exist_ok=True)
    ext = osp.splitext(out)[1].lower()
    if ext in ('.png', '.jpg', '.jpeg'):
        Image.fromarray(frames[len(frames) // 2]).save(out)
    elif ext == '.gif':
        images = [Image.fromarray(f) for f in frames]
        images[0].save(out, save_all=True, append_images=images[1:],
                       duration=int(round(1000 / fps)), loop=0)
    else:
        import cv2
        H, W = frames.shape[1:3]
        writer = cv2.VideoWriter(out, cv2.VideoWriter_fourcc(*'mp4v'), fps,
                                 (W, H))
        if not writer.isOpened():
            raise RuntimeError(f'OpenCV cannot write {out}; use .gif')
        for frame in frames:
            writer.write(np.ascontiguousarray(frame[..., ::-1]))
        writer.release()
    return out
