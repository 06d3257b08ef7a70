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

The maps are computed *beside* SDPA, which stays the forward path: forward
hooks on the attention modules recompute ``softmax(Q K^T / sqrt(d))`` from
the module's own ``qkv`` projection of its input, so no block code changes
and the model's outputs are unchanged. Windowed blocks (det/seg configs
with ``window_size``) attend inside windows and are skipped.
"""
import argparse
import os.path as osp
import sys
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
MEAN = (123.675, 116.28, 103.53)
STD = (58.395, 57.12, 57.375)


def explicit_attention(attn_module, x: torch.Tensor) -> torch.Tensor:
    """``softmax(Q K^T / sqrt(d))`` ``(B, heads, N, N)`` of a
    ``MultiHeadSelfAttention`` for its input tokens ``x (B, N, C)``, in
    float32."""
    B, N, _ = x.shape
    h, d = attn_module.num_heads, attn_module.head_dim
    qkv = attn_module.qkv(x).float().reshape(B, N, 3, h, d)
    q, k, _ = qkv.permute(2, 0, 3, 1, 4).unbind(0)
    return (q @ k.transpose(-2, -1) * d ** -0.5).softmax(-1)


class AttentionRecorder:
    """Forward hooks on every global block of ``model``; after a forward,
    ``records`` holds one dict per block, in forward order:

    * ``name``: the block's module name, ``stage`` (1-4);
    * ``spatial``: the block's token grid (``(H, W)`` or ``(T, H, W)``);
    * ``attn``: ``(B, heads, M, M)`` attention (light models: token 0 is
      the cls token, a pruning block's last token the representative);
    * ``kept``: light pruning blocks, the kept grid indices ``(B, K)``
      (None for a block that keeps all tokens).

    Use as a context manager; the hooks are removed on exit.
    """

    def __init__(self, model: torch.nn.Module):
        from mmuniformer.models.layers.pruning import (PruningMHRABlock,
                                                       select_tokens)
        from mmuniformer.models.layers.blocks import GlobalMHRABlock
        self.records: List[dict] = []
        self._handles = []
        self._select = select_tokens
        for name, module in model.named_modules():
            if isinstance(module, GlobalMHRABlock):
                if module.window_size is not None:
                    continue
                kind = 'global'
            elif isinstance(module, PruningMHRABlock):
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
            record = dict(name=name, stage=_stage_of(name),
                          spatial=tuple(x.shape[2:]), kept=None)
            if kind == 'light' and block.prune_ratio < 1 and \
                    len(args) > 2 and args[2] is not None:
                record['kept'] = self._select(args[2],
                                              block.prune_ratio)[0].detach()
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


def _stage_of(name: str) -> int:
    for part in name.split('.'):
        if part.startswith('blocks') and part[6:].isdigit():
            return int(part[6:])
    return 0


def query_index(spatial: Sequence[int], query) -> Optional[int]:
    """Flat token index of a point ``(x, y)`` in [0, 1] (middle time step of
    a video grid); None for ``'mean'``."""
    if query is None or query == 'mean':
        return None
    x, y = query
    H, W = spatial[-2:]
    row = min(int(y * H), H - 1)
    col = min(int(x * W), W - 1)
    t = spatial[0] // 2 if len(spatial) == 3 else 0
    return (t * H + row) * W + col


def spatial_columns(record: dict, row: torch.Tensor) -> torch.Tensor:
    """A row over the block's tokens ``(..., M)`` -> over its grid
    ``(..., N)``: drops the cls token; in a pruning block the kept tokens
    go back to their positions and the representative's weight is shared
    evenly by the dropped tokens."""
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


def query_map(record: dict, query='mean', head: Optional[int] = None,
              sample: int = 0) -> np.ndarray:
    """Attention of one query of a block over its token grid,
    ``spatial``-shaped; ``head=None`` averages the heads."""
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
    """``(N_dst, N_src)``: each destination token averages the source tokens
    of its cell (strides ``src // dst`` per axis). Rows sum to 1."""
    strides = [max(s // d, 1) for s, d in zip(src, dst)]
    grid = torch.arange(int(np.prod(src))).reshape(src)
    rows = torch.zeros(int(np.prod(dst)), int(np.prod(src)))
    for j, cell in enumerate(np.ndindex(*dst)):
        sl = tuple(slice(c * s, (c + 1) * s) for c, s in zip(cell, strides))
        members = grid[sl].flatten()
        rows[j, members] = 1. / members.numel()
    return rows


def rollout(records: List[dict], stages=(3, 4), sample: int = 0,
            residual: float = .5) -> torch.Tensor:
    """Attention rollout through ``stages``: ``(N_last, N_first)`` whose rows
    sum to 1 (see module docstring). Global blocks of plain UniFormers
    only (the light models' pruning changes the token set)."""
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
        step = residual * attn + (1 - residual) * torch.eye(N,
                                                           dtype=attn.dtype)
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


def rollout_map(records, query='mean', sample: int = 0) -> np.ndarray:
    """Rollout of one query (a point of the last grid, or the mean row)
    over the first stage's grid."""
    chosen = [r for r in records if r['stage'] in (3, 4)]
    table = rollout(records, sample=sample)
    index = query_index(chosen[-1]['spatial'], query)
    row = table.mean(0) if index is None else table[index]
    return row.reshape(chosen[0]['spatial']).float().numpy()


def kept_map(record: dict, sample: int = 0) -> np.ndarray:
    """1 on the tokens a pruning block keeps, 0 on the dropped ones."""
    N = int(np.prod(record['spatial']))
    out = np.ones(N, dtype=np.float32)
    if record['kept'] is not None:
        out[:] = 0
        out[record['kept'][sample].numpy()] = 1
    return out.reshape(record['spatial'])


# -- overlays ----------------------------------------------------------------
def overlay(frames: np.ndarray, heat: np.ndarray, alpha: float = .5
            ) -> np.ndarray:
    """RGB ``frames (F, H, W, 3)`` uint8 blended with a JET heat map over a
    ``(h, w)`` or ``(t, h, w)`` grid (time stretched over the frames)."""
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
    """``.png`` (middle frame), ``.gif`` (Pillow) or ``.mp4`` (OpenCV
    ``mp4v``)."""
    import os

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


# -- inputs and models -------------------------------------------------------
def read_input(path: str, frames: int = 8, size: int = 224) -> np.ndarray:
    """RGB uint8 ``(F, size, size, 3)``: ``frames`` frames sampled uniformly
    from a video (decord), or the image itself (``F = 1``); short side
    resized to ``size``, centre crop."""
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


def to_tensor(frames: np.ndarray, video: bool, mean=MEAN, std=STD
              ) -> torch.Tensor:
    """Normalised ``(1, 3, T, H, W)`` (video) or ``(1, 3, H, W)``."""
    x = torch.from_numpy(frames).float()
    x = (x - torch.tensor(mean)) / torch.tensor(std)
    x = x.permute(3, 0, 1, 2)[None]
    return x if video else x[:, :, 0]


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


def record(model, x) -> List[dict]:
    """Forward ``x`` once with an :class:`AttentionRecorder`."""
    with torch.no_grad(), AttentionRecorder(model) as recorder:
        model(x)
    return recorder.records


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
