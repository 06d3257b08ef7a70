#!/usr/bin/env python
"""Where time and memory go: side-by-side benchmark of UniFormer.

    python tools/analysis_tools/benchmark.py                # short CPU run
    python tools/analysis_tools/benchmark.py --full         # whole matrix
    python tools/analysis_tools/benchmark.py --tables video --archs base \\
        --frames 16 --modes infer --out work_dirs/bench/b16

One run writes one markdown table per benchmark (printed and saved to
``<out>.md``) and every number to ``<out>.json``.

Tables
------
``video``
    ``mmuniformer.UniFormer3D`` as built by default ("ours": channels-last
    and, on CPU, the oneDNN / forward-conv kernels of
    ``mmuniformer.models.layers.cpu_kernels``), the same with plain PyTorch ops
    ("ours plain ops", CPU only), in the contiguous reference layout with
    plain ops ("ours contiguous"), against MMAction2 1.2.0's ``UniFormer``
    port (explicit softmax attention; block LayerNorm eps set to the
    official 1e-6), same weights, same input.
``dense``
    ``mmuniformer.UniFormer`` (hybrid stage 3, window 14 = "h14"), the same
    three rows of ours, against an explicit-attention path of our own
    blocks: the same model with ``softmax(q k^T * scale) v`` written out,
    the contiguous layout and plain PyTorch ops (what the official code
    computes).
``pipeline``
    clips/s of the K400 and SSv2 training pipelines (decord, the config's
    transforms, ``num_workers`` and batch size) on real clips, so one sees
    whether training is input-bound. Timed from the loader's start (worker
    start-up included); each video gives the dataset's ``num_repeats``
    clips (repeated augmentation).
``transforms``
    every shipped pipeline family (K400 / K600 dense, SSv2 segment, UCF101 /
    HMDB51, light XXS / XS; SSv1 is SSv2's transforms after
    ``RawFrameDecode``), train and test, with today's stock MMAction2
    transforms (decord, ``TorchVisionWrapper`` RandAugment) and ours
    (``mmuniformer.PyAVSeekInit/PyAVSeekDecode``, ``ClipRandAugment``),
    built from the same config and dataset class, alternating video by
    video on the real clips under the same seeds (the same clip offsets and
    augmentation draws for both), one torch / OpenCV thread. Per row: CPU time
    per video (the process's, so decord's threads count), clips/s per core,
    the speed-up over stock, each transform's time, the peak RSS growth of
    a forked worker-like process, whether the test outputs are identical,
    and cores per GPU = the GPU's training clips/s (``--gpu-result`` of a
    CUDA ``--tables video --modes train`` run, or ``--gpu-step-ms`` at the
    config's batch) / clips/s per core. Not in the default run.
``decoders``
    each candidate decoder (decord on 1 and on its automatic threads,
    MMAction2's ``PyAVDecode``, ours on 1 and 2 FFmpeg threads, torchcodec's
    exact and approximate seek when it is installed) on the real clips with
    the frame patterns of the shipped families (K400 train and 4-view test,
    SSv2 / light uniform), the same indices for all, alternating: CPU and
    wall time per video, speed-up over decord, and which frames differ from
    decord's. A last row decodes only what exact decoding cannot skip (the
    sampled frames and the frames they reference, from the keyframe before
    the first; no RGB conversion): the bound of any exact decoder that
    decodes the same frames. Not in the default run.
``mimtest``
    ``mim test mmaction`` of the K400 (4 x 1 views) and SSv2 (1 x 3) configs
    on the real clips with the test pipeline as stock and as shipped:
    seconds per video of the test step and of its loading, from the test
    loop's log, one loader process; the backbone cut to one block per
    stage, so the loader is what differs. Not in the default run.
``matmul``
    the machine's fp32 (and bf16) matmul rate, the yardstick for model
    FLOP/s: ``torch.mm`` (the BLAS PyTorch calls, MKL in the wheels) and, on
    CPU, oneDNN's product (``torch.ops.mkldnn._linear_pointwise``); MKL
    runs its AVX2 code on AMD processors, so the two differ there.

Method: implementations alternate (A B C A B C ...), so machine noise hits
all alike; each row gives the median over ``--iters`` iterations after
``--warmup``, throughput (clips or images per second), the speed-up over the
baseline (port / explicit path), peak memory (CUDA ``max_memory_allocated``;
CPU: peak of the allocations the profiler records in one iteration) and the
largest output difference to the baseline (fp32 must be < 1e-4). Model
FLOP/s counts 2 FLOPs per multiply-add of mmengine's ``FlopAnalyzer`` (the
forward pass; a training step counts 3x the forward), so it compares directly
with the matmul rate (``2 n^3`` per ``n x n`` product): "% matmul" is
against ``torch.mm``'s rate, "% best" against the fastest fp32 rate
measured (oneDNN's, where it is faster). On CUDA, MFU is given
against the device's bf16 peak (``--peak-tflops`` or a table of known
devices) and against the measured bf16 matmul rate.

Default (no ``--full``) on CPU: the issue's reference points only - video S
inference 1x3x16x224^2 and training step 2x3x8x160^2, dense S h14 inference
at 800x1280, the pipelines with a few batches, and the matmul rate. On CUDA
the default is the GPU check: B 16x224^2 bf16 training step against the port
and B 32x224^2 batch 4 with ``with_cp``.
"""
import argparse
import contextlib
import copy
import json
import os
import os.path as osp
import statistics
import sys
import tempfile
import time
import types
from typing import Callable, Dict, List, Optional

import numpy as np
import torch
from torch import nn

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
VIDEO_CLIPS = osp.join(os.environ.get('MMUNIFORMER_SHARED', osp.join(
    osp.dirname(REPO), 'shared')), 'data', 'video')
PIPELINE_CONFIGS = {
    'K400 (S 16x4)': 'configs/recognition/uniformer/'
    'uniformer-small_imagenet1k-pre_8xb4-16x4x1-110e_kinetics400-rgb.py',
    'SSv2 (S u16)': 'configs/recognition/uniformer/'
    'uniformer-small_kinetics400-pre_8xb4-u16-50e_sthv2-rgb.py',
}
# dense bf16 tensor-core peak (TFLOP/s) of devices we may meet
BF16_PEAK_TFLOPS = {'H100': 989., 'H200': 989., 'H800': 989., 'A100': 312.,
                    'A800': 312., 'L40S': 362., 'L40': 181., 'L4': 121.,
                    'A10': 125., 'RTX 4090': 165., 'RTX 3090': 71.}


# --------------------------------------------------------------- measuring
def alternate(steps: Dict[str, Callable[[], object]], iters: int,
              warmup: int = 1,
              sync: Callable[[], None] = lambda: None) -> Dict[str, list]:
    """Run the ``steps`` in turns (A B C A B C ...) and return the
    milliseconds of each after ``warmup`` rounds."""
    times = {name: [] for name in steps}
    for i in range(warmup + iters):
        for name, step in steps.items():
            sync()
            start = time.perf_counter()
            step()
            sync()
            if i >= warmup:
                times[name].append((time.perf_counter() - start) * 1e3)
    return times


def peak_memory_mb(step: Callable[[], object], device: str) -> float:
    """Peak bytes allocated by one call of ``step`` (MB)."""
    if device.startswith('cuda'):
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        base = torch.cuda.memory_allocated()
        step()
        torch.cuda.synchronize()
        return (torch.cuda.max_memory_allocated() - base) / 2**20
    from torch.profiler import ProfilerActivity, profile
    with profile(activities=[ProfilerActivity.CPU],
                 profile_memory=True) as prof:
        step()
    # replay the allocations / frees in order to find the peak. Each op's
    # *self* memory: an op's cpu_memory_usage includes its children's, so
    # summing it would count one allocation once per nesting level (and
    # favour implementations with shallow call stacks)
    events = sorted((e for e in prof.events() if e.self_cpu_memory_usage),
                    key=lambda e: e.time_range.start)
    current = peak = 0
    for event in events:
        current += event.self_cpu_memory_usage
        peak = max(peak, current)
    return peak / 2**20


def make_step(model: nn.Module, x: torch.Tensor, train: bool,
              precision: str, device: str) -> Callable[[], tuple]:
    """One inference pass or one training step (forward, backward of the
    mean of the outputs) under the given precision; returns the outputs."""
    dtype = dict(fp32=None, bf16=torch.bfloat16, fp16=torch.float16)[
        precision]

    def ctx():
        if dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(device.split(':')[0], dtype=dtype)

    def step():
        if train:
            model.zero_grad(set_to_none=True)
            with ctx():
                out = model(x)
            outs = out if isinstance(out, (tuple, list)) else (out, )
            sum(o.float().mean() for o in outs).backward()
            return tuple(o.detach() for o in outs)
        with torch.no_grad(), ctx():
            out = model(x)
        return out if isinstance(out, (tuple, list)) else (out, )

    return step


def max_diff(outs, ref) -> float:
    return max((a.float() - b.float()).abs().max().item()
               for a, b in zip(outs, ref))


def compare(models: Dict[str, nn.Module], x: torch.Tensor, train: bool,
            precision: str = 'fp32', device: str = 'cpu', iters: int = 3,
            warmup: int = 1, baseline: Optional[str] = None,
            memory: bool = True) -> List[dict]:
    """Alternating timing of ``models`` on the same input; one row each.

    ``speedup`` is the baseline's median time over this model's (the
    baseline is the last model unless named); ``max_diff`` is the largest
    output difference to the baseline's outputs."""
    baseline = baseline or list(models)[-1]
    steps = {name: make_step(m, x, train, precision, device)
             for name, m in models.items()}
    outs = {name: step() for name, step in steps.items()}
    sync = torch.cuda.synchronize if device.startswith('cuda') \
        else (lambda: None)
    times = alternate(steps, iters, warmup, sync)
    base_ms = statistics.median(times[baseline])
    mems = {name: peak_memory_mb(step, device) if memory else float('nan')
            for name, step in steps.items()}
    rows = []
    for name in models:
        ms = statistics.median(times[name])
        rows.append(dict(
            impl=name, ms=ms, ms_all=times[name],
            per_s=x.shape[0] / ms * 1e3, speedup=base_ms / ms,
            peak_mb=mems[name],
            mem_vs_baseline=mems[name] / mems[baseline] if memory else None,
            max_diff=max_diff(outs[name], outs[baseline])))
    return rows


def matmul_gflops(device: str, dtype=torch.float32, n: int = 2048,
                  iters: int = 3, onednn: bool = False) -> float:
    """Measured ``n x n x n`` matmul rate, ``2 n^3`` FLOPs per product,
    through ``torch.mm`` or (CPU, ``onednn``) oneDNN's product."""
    a = torch.randn(n, n, device=device, dtype=dtype)
    b = torch.randn(n, n, device=device, dtype=dtype)
    sync = torch.cuda.synchronize if device.startswith('cuda') \
        else (lambda: None)
    if onednn:
        def product():
            return torch.ops.mkldnn._linear_pointwise(a, b, None, 'none',
                                                      [None], 'none')
    else:
        def product():
            return a @ b
    times = alternate({'mm': product}, iters, 1, sync)
    return 2 * n**3 / (statistics.median(times['mm']) / 1e3) / 1e9


def forward_gflops(model: nn.Module, x: torch.Tensor) -> float:
    """Forward FLOPs in G, 2 per multiply-add of mmengine's FlopAnalyzer
    (fused attention counted as its two matmuls, see get_flops.py)."""
    # traced (the port's forward has data-dependent checks that fake
    # tensors cannot run)
    from mmuniformer.analysis import trace_flops
    was_training = model.training
    model.eval()
    macs = trace_flops(model, (x, )).total
    model.train(was_training)
    return 2 * macs / 1e9


# ------------------------------------------------------------------ models
def _arch(name: str, depths=None) -> dict:
    from mmuniformer.models.arch import resolve_arch
    arch = resolve_arch(name)
    arch = {k: arch[k] for k in ('depths', 'embed_dims', 'head_dim')}
    if depths:
        arch['depths'] = tuple(depths)
    return arch


def build_video(arch: str, depths=None, with_cp=False,
                plain_row=True) -> Dict[str, nn.Module]:
    """Ours (default build), ours with plain PyTorch ops, ours contiguous
    with plain ops, and the MMAction2 port, with identical weights."""
    import mmuniformer  # noqa: F401
    from mmaction.models.backbones.uniformer import UniFormer as Port
    from mmuniformer.models import UniFormer3D
    spec = _arch(arch, depths)
    fast = UniFormer3D(spec, channels_last=True, with_cp=with_cp)
    plain = UniFormer3D(spec, channels_last=True, with_cp=with_cp,
                        cpu_kernels=False)
    plain.load_state_dict(fast.state_dict())
    ref = UniFormer3D(spec, channels_last=False, with_cp=with_cp,
                      cpu_kernels=False)
    ref.load_state_dict(fast.state_dict())
    # the port has no activation checkpointing: with_cp applies to ours
    port = Port(depth=list(spec['depths']), embed_dim=list(
        spec['embed_dims']), head_dim=spec['head_dim'], pretrained2d=False)
    missing, unexpected = port.load_state_dict(fast.state_dict(),
                                               strict=False)
    if missing or unexpected:
        raise RuntimeError(f'key layouts differ: {missing} {unexpected}')
    for name in ('blocks3', 'blocks4'):
        for module in getattr(port, name).modules():
            if isinstance(module, nn.LayerNorm):
                module.eps = 1e-6
    models = {'ours': fast, 'ours plain ops': plain, 'ours contiguous': ref,
              'mmaction2 port': port}
    if not plain_row:
        models.pop('ours plain ops')
    return models


def _explicit_attention_forward(self, x):
    """``softmax(q k^T * scale) v`` written out (what the official code and
    the port compute), for :class:`MultiHeadSelfAttention`."""
    B, N, C = x.shape
    qkv = self.qkv(x).reshape(B, N, 3, self.num_heads, self.head_dim)
    q, k, v = qkv.permute(2, 0, 3, 1, 4).unbind(0)
    attn = (q @ k.transpose(-2, -1)) * self.head_dim**-0.5
    attn = attn.softmax(dim=-1)
    x = (attn @ v).transpose(1, 2).reshape(B, N, C)
    return self.proj_drop(self.proj(x))


def explicit_attention_copy(model: nn.Module) -> nn.Module:
    """A copy of ``model`` in the contiguous layout, with plain PyTorch
    ops, whose attention is the explicit matmul-softmax-matmul (same
    weights, same math)."""
    from mmuniformer.models.layers.blocks import MultiHeadSelfAttention
    other = copy.deepcopy(model)
    other.channels_last = False
    other.cpu_kernels = False
    for module in other.modules():
        if isinstance(module, MultiHeadSelfAttention):
            module.forward = types.MethodType(_explicit_attention_forward,
                                              module)
    return other


def build_dense(arch: str, depths=None,
                plain_row=True) -> Dict[str, nn.Module]:
    import mmuniformer  # noqa: F401
    from mmuniformer.models import UniFormer
    fast = UniFormer(_arch(arch, depths), attn_mode='hybrid', window_size=14,
                     channels_last=True)
    plain = copy.deepcopy(fast)
    plain.cpu_kernels = False
    ref = copy.deepcopy(plain)
    ref.channels_last = False
    models = {'ours': fast, 'ours plain ops': plain, 'ours contiguous': ref,
              'explicit attention': explicit_attention_copy(fast)}
    if not plain_row:
        models.pop('ours plain ops')
    return models


def maybe_compile(models: Dict[str, nn.Module]) -> Dict[str, nn.Module]:
    """Add ``ours compiled`` (inductor) next to the eager models."""
    name = 'ours'
    compiled = torch.compile(copy.deepcopy(models[name]))
    out = dict(models)
    out[f'{name} compiled'] = compiled
    return {k: out[k] for k in [name, f'{name} compiled'] +
            [k for k in models if k != name]}


# ------------------------------------------------------------------- tables
def model_rows(kind: str, arch: str, shape: tuple, train: bool,
               precision: str, args, with_cp=False) -> List[dict]:
    device = args.device
    # the CPU kernels change nothing on other devices: no plain-ops row there
    plain_row = device == 'cpu'
    models = build_video(arch, args.depths, with_cp, plain_row) \
        if kind == 'video' else build_dense(arch, args.depths, plain_row)
    if not args.contiguous_row:
        models.pop('ours contiguous')
    torch.manual_seed(0)
    x = torch.randn(*shape, device=device)
    for model in models.values():
        model.to(device).train(train)
    if args.compile:
        models = maybe_compile(models)
    flops = None if args.no_flops else forward_gflops(
        models['ours'], x) * (3 if train else 1)
    rows = compare(models, x, train, precision, device, args.iters,
                   args.warmup, memory=not args.no_memory)
    label = f'{"UniFormer3D" if kind == "video" else "UniFormer h14"}-' \
        f'{arch[0].upper()}'
    for row in rows:
        row.update(table=kind, model=label, input='x'.join(map(str, shape)),
                   mode='train' if train else 'infer', precision=precision,
                   with_cp=with_cp, threads=torch.get_num_threads(),
                   device=device_name(device))
        if flops is not None:
            row['model_gflops_per_s'] = flops / (row['ms'] / 1e3)
    del models
    return rows


def video_cases(args):
    """(arch, shape, train, precision, with_cp) of the video table."""
    cpu = not args.device.startswith('cuda')
    if args.full:
        archs, frames = args.archs or ['small', 'base'], args.frames or [
            8, 16, 32]
        modes, precisions = args.modes or ['infer', 'train'], \
            args.precisions or ['fp32', 'bf16']
        size = args.size or 224
        for arch in archs:
            for t in frames:
                for mode in modes:
                    for p in precisions:
                        yield arch, (args.batch or 1, 3, t, size, size), \
                            mode == 'train', p, False
        return
    if args.archs or args.frames or args.modes or args.precisions:
        for arch in args.archs or ['small']:
            for t in args.frames or [16]:
                for mode in args.modes or ['infer']:
                    for p in args.precisions or ['fp32']:
                        batch = args.batch or (2 if mode == 'train' else 1)
                        size = args.size or (160 if mode == 'train' and cpu
                                             else 224)
                        yield arch, (batch, 3, t, size, size), \
                            mode == 'train', p, args.with_cp
        return
    if cpu:  # the CPU reference points
        yield 'small', (1, 3, 16, 224, 224), False, 'fp32', False
        yield 'small', (2, 3, 8, 160, 160), True, 'fp32', False
    else:  # the GPU check
        yield 'base', (8, 3, 16, 224, 224), True, 'bf16', False
        yield 'base', (4, 3, 32, 224, 224), True, 'bf16', True


def dense_cases(args):
    cpu = not args.device.startswith('cuda')
    sizes = [(800, 1280), (512, 2048)]
    if args.full:
        for arch in args.archs or ['small', 'base']:
            for h, w in sizes:
                for mode in args.modes or ['infer', 'train']:
                    for p in args.precisions or ['fp32', 'bf16']:
                        yield arch, (args.batch or 1, 3, h, w), \
                            mode == 'train', p
        return
    if args.dense_shape or args.archs or args.modes or args.precisions:
        h, w = args.dense_shape or sizes[0]
        for arch in args.archs or ['small']:
            for mode in args.modes or ['infer']:
                for p in args.precisions or ['fp32']:
                    yield arch, (args.batch or 1, 3, h, w), \
                        mode == 'train', p
        return
    if cpu:
        yield 'small', (1, 3, 800, 1280), False, 'fp32'
    else:
        yield 'small', (2, 3, 800, 1280), True, 'bf16'


def real_clips(video_dir: str) -> List[str]:
    """The ``.mp4`` / ``.avi`` file names in ``video_dir``, sorted; an
    error naming the folder when there is none."""
    clips = sorted(f for f in os.listdir(video_dir)
                   if f.endswith(('.mp4', '.avi')))
    if not clips:
        raise FileNotFoundError(f'no .mp4/.avi clips in {video_dir}')
    return clips


def pipeline_rows(args) -> List[dict]:
    """clips/s of the training pipelines on the real clips."""
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmengine.runner import Runner
    import mmuniformer  # noqa: F401
    clips = real_clips(args.video_dir)
    rows = []
    tmp = tempfile.mkdtemp()
    for name, rel in PIPELINE_CONFIGS.items():
        cfg = Config.fromfile(osp.join(REPO, rel))
        init_default_scope(cfg.get('default_scope', 'mmaction'))
        loader_cfg = copy.deepcopy(cfg.train_dataloader)
        if args.pipeline_batch:
            loader_cfg.batch_size = args.pipeline_batch
        ann = osp.join(tmp, 'train.txt')
        with open(ann, 'w') as f:
            for i in range(max(args.pipeline_clips, loader_cfg.batch_size)):
                f.write(f'{clips[i % len(clips)]} 0\n')
        dataset = loader_cfg.dataset
        dataset.ann_file = ann
        dataset.data_prefix = dict(video=args.video_dir)
        workers = [loader_cfg.num_workers] if args.workers is None \
            else args.workers
        for num_workers in workers:
            loader_cfg.num_workers = num_workers
            loader_cfg.persistent_workers = num_workers > 0
            loader = Runner.build_dataloader(copy.deepcopy(loader_cfg),
                                             seed=0)
            # timed from the iterator's creation: worker start-up included
            # (with few clips the workers' prefetch would hide the decode
            # time of everything after the first batch)
            n = 0
            start = time.perf_counter()
            for batch in loader:
                n += len(batch['inputs'])
            seconds = time.perf_counter() - start
            shape = tuple(batch['inputs'][0].shape)
            rows.append(dict(table='pipeline', pipeline=name,
                             num_workers=num_workers,
                             batch_size=loader_cfg.batch_size,
                             clip_shape='x'.join(map(str, shape)),
                             clips=n, clips_per_s=n / seconds if n else 0.,
                             cores=os.cpu_count()))
            del loader
    return rows


# ------------------------------------------------- pipelines, transform by transform
# every shipped pipeline family: (label, config, model label of the GPU
# benchmark rows, frames)
PIPELINE_FAMILIES = [
    ('K400 dense (S 16x4)', 'configs/recognition/uniformer/'
     'uniformer-small_imagenet1k-pre_8xb4-16x4x1-110e_kinetics400-rgb.py',
     'UniFormer3D-S', 16),
    ('K400 dense (B 16x4)', 'configs/recognition/uniformer/'
     'uniformer-base_imagenet1k-pre_8xb5-16x4x1-110e_kinetics400-rgb.py',
     'UniFormer3D-B', 16),
    ('K600 dense (S 16x4)', 'configs/recognition/uniformer/'
     'uniformer-small_imagenet1k-pre_8xb12-16x4x1-110e_kinetics600-rgb.py',
     'UniFormer3D-S', 16),
    ('SSv2 segment (S u16)', 'configs/recognition/uniformer/'
     'uniformer-small_kinetics400-pre_8xb4-u16-50e_sthv2-rgb.py',
     'UniFormer3D-S', 16),
    ('UCF101 dense (S 16x4)', 'configs/recognition/uniformer/'
     'uniformer-small_kinetics400-pre_8xb16-16x4x1-25e_ucf101-split1-rgb.py',
     'UniFormer3D-S', 16),
    ('HMDB51 dense (S 16x4)', 'configs/recognition/uniformer/'
     'uniformer-small_kinetics400-pre_8xb16-16x4x1-25e_hmdb51-split1-rgb.py',
     'UniFormer3D-S', 16),
    ('light XXS u16 160', 'configs/recognition/uniformer/'
     'uniformer-light-xxs_imagenet1k-160px-pre_8xb32-u16-110e_'
     'kinetics400-160px-rgb.py', 'UniFormerLight-XXS', 16),
    ('light XS u32 192', 'configs/recognition/uniformer/'
     'uniformer-light-xs_imagenet1k-192px-pre_8xb16-u32-110e_'
     'kinetics400-192px-rgb.py', 'UniFormerLight-XS', 32),
]
# SSv1 runs the SSv2 transforms after RawFrameDecode (JPEG frames, no video
# decoder to choose): its augmentation time is the SSv2 row's.
STOCK_TYPES = {'mmuniformer.PyAVSeekInit': 'DecordInit',
               'mmuniformer.PyAVSeekDecode': 'DecordDecode'}
FAST_TYPES = {v: k for k, v in STOCK_TYPES.items()}


def stock_pipeline(pipeline: list) -> list:
    """Today's MMAction2 transforms for a pipeline of ours: decord, and
    torchvision's RandAugment through ``TorchVisionWrapper``."""
    out = []
    for t in copy.deepcopy(list(pipeline)):
        if t['type'] in STOCK_TYPES:
            t = dict(type=STOCK_TYPES[t['type']])
        elif t['type'] == 'mmuniformer.ClipRandAugment':
            t = dict(t, type='TorchVisionWrapper', op='RandAugment')
            t.pop('exact_geometry', None)
        out.append(t)
    return out


def fast_pipeline(pipeline: list) -> list:
    """Ours for a stock pipeline (the inverse of :func:`stock_pipeline`)."""
    out = []
    for t in copy.deepcopy(list(pipeline)):
        if t['type'] in FAST_TYPES:
            t = dict(type=FAST_TYPES[t['type']])
        elif t['type'] == 'TorchVisionWrapper' and t.get('op') == \
                'RandAugment':
            t = dict(t, type='mmuniformer.ClipRandAugment')
            t.pop('op')
        out.append(t)
    return out


class _Timed:
    """A transform that adds its CPU time (the process's, so decoder
    threads count) and wall time to ``sink[name]``."""

    def __init__(self, transform, name, sink):
        self.transform, self.name, self.sink = transform, name, sink

    def __call__(self, results):
        cpu, wall = time.process_time(), time.perf_counter()
        out = self.transform(results)
        acc = self.sink.setdefault(self.name, [0., 0.])
        acc[0] += time.process_time() - cpu
        acc[1] += time.perf_counter() - wall
        return out


def _build_dataset(loader_cfg, pipeline, ann, video_dir):
    from mmaction.registry import DATASETS
    cfg = copy.deepcopy(loader_cfg.dataset)
    cfg.update(ann_file=ann, data_prefix=dict(video=video_dir),
               pipeline=pipeline)
    dataset = DATASETS.build(cfg)
    sinks = {}
    transforms = dataset.pipeline.transforms
    for i, t in enumerate(transforms):
        name = type(t).__name__
        if name == 'TorchVisionWrapper':
            name = 'RandAugment (TorchVisionWrapper)'
        transforms[i] = _Timed(t, f'{i}:{name}', sinks)
    return dataset, sinks


def _rss_mb() -> float:
    with open('/proc/self/statm') as f:
        return int(f.read().split()[1]) * os.sysconf('SC_PAGE_SIZE') / 2**20


def _peak_child(dataset_fn, videos):
    """Peak RSS growth (MB) of a forked worker that builds the dataset and
    reads ``videos`` items: what a loader worker holds for this pipeline."""
    import resource
    base = _rss_mb()
    dataset = dataset_fn()
    for i in range(videos):
        dataset[i % len(dataset)]
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 - base


def _in_fork(fn) -> float:
    """``fn()`` (a float) computed in a forked child, so each pipeline's
    peak memory is measured in a fresh worker-like process."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        try:
            value = repr(float(fn())).encode()
        except BaseException as e:  # noqa: B902 - reported to the parent
            value = f'error {type(e).__name__}: {e}'.encode()
        os.write(write, value)
        os._exit(0)
    os.close(write)
    with os.fdopen(read, 'rb') as f:
        text = f.read().decode()
    os.waitpid(pid, 0)
    if text.startswith('error'):
        raise RuntimeError(f'peak-memory child failed: {text}')
    return float(text)


def _outputs_equal(a, b) -> bool:
    a = a if isinstance(a, list) else [a]
    b = b if isinstance(b, list) else [b]
    return len(a) == len(b) and all(
        torch.equal(x['inputs'], y['inputs']) for x, y in zip(a, b))


def gpu_clips_per_s(args, model: str, frames: int) -> Optional[float]:
    """Training clips/s of one GPU for ``model``: from a GPU benchmark
    result (``--gpu-result``, rows of ``--tables video --modes train`` on
    CUDA) or from ``--gpu-step-ms`` at the config's batch (None: neither)."""
    if args.gpu_result:
        rows = json.load(open(args.gpu_result))['rows']
        for r in rows:
            if (r.get('table') == 'video' and r.get('mode') == 'train' and
                    r.get('impl') == 'ours' and r.get('model') == model and
                    f'x{frames}x' in r.get('input', '')):
                return r['per_s']
    return None


def _seed_all(seed: int) -> None:
    import random
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def transform_rows(args) -> List[dict]:
    """Stock and ours, per pipeline family, train and test, alternating
    video by video (stock, ours, stock, ours ...), one thread."""
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    import cv2
    import mmuniformer  # noqa: F401
    torch.set_num_threads(1)
    cv2.setNumThreads(1)
    clips = real_clips(args.video_dir)
    tmp = tempfile.mkdtemp()
    ann = osp.join(tmp, 'list.txt')
    with open(ann, 'w') as f:
        for c in clips:
            f.write(f'{c} 0\n')
    load = os.getloadavg()[0]
    wanted = args.families
    rows = []
    for label, rel, model, frames in PIPELINE_FAMILIES:
        if wanted and not any(w.lower() in label.lower() for w in wanted):
            continue
        cfg = Config.fromfile(osp.join(REPO, rel))
        init_default_scope(cfg.get('default_scope', 'mmaction'))
        for split in args.splits:
            loader_cfg = cfg.train_dataloader if split == 'train' \
                else cfg.test_dataloader
            pipeline = loader_cfg.dataset.pipeline
            impls = {'stock': stock_pipeline(pipeline),
                     'ours': fast_pipeline(pipeline)}
            built = {k: _build_dataset(loader_cfg, p, ann, args.video_dir)
                     for k, p in impls.items()}
            sample = {}
            for k, (dataset, _) in built.items():  # warm-up, outputs
                _seed_all(0)
                sample[k] = dataset[0]
            for _, sinks in built.values():
                sinks.clear()
            n = args.pipeline_videos
            for i in range(n):
                for k, (dataset, _) in built.items():
                    # the same draws for both (clip offsets, RandAugment
                    # ops, crops): the decode cost of a clip depends on its
                    # distance from the keyframe before it
                    _seed_all(i)
                    dataset[i % len(dataset)]
            repeats = loader_cfg.dataset.get('num_repeats', 1) \
                if split == 'train' else 1
            per = {}
            for k, (_, sinks) in built.items():
                cpu = sum(v[0] for v in sinks.values()) / n
                wall = sum(v[1] for v in sinks.values()) / n
                per[k] = dict(
                    cpu_ms_per_video=cpu * 1e3, wall_ms_per_video=wall * 1e3,
                    transforms_ms={name: v[0] / n * 1e3
                                   for name, v in sinks.items()})
            if not args.no_memory:
                for k in impls:
                    per[k]['peak_rss_mb'] = _in_fork(
                        lambda k=k: _peak_child(lambda: _build_dataset(
                            loader_cfg, impls[k], ann, args.video_dir)[0],
                            2))
            batch = loader_cfg.batch_size * repeats
            gpu = gpu_clips_per_s(args, model, frames)
            if gpu is None and args.gpu_step_ms:
                gpu = batch / (args.gpu_step_ms / 1e3)
            same = _outputs_equal(sample['stock'], sample['ours']) \
                if split == 'test' else None
            for k in impls:
                p = per[k]
                clips_s = repeats * 1e3 / p['cpu_ms_per_video']
                rows.append(dict(
                    table='transforms', pipeline=label, split=split,
                    impl=k, config=rel, videos=n, clips_per_video=repeats,
                    cpu_ms_per_video=p['cpu_ms_per_video'],
                    wall_ms_per_video=p['wall_ms_per_video'],
                    clips_per_s_per_core=clips_s,
                    videos_per_s_per_core=1e3 / p['cpu_ms_per_video'],
                    speedup=per['stock']['cpu_ms_per_video'] /
                    p['cpu_ms_per_video'],
                    transforms_ms=p['transforms_ms'],
                    peak_rss_mb=p.get('peak_rss_mb'),
                    batch_clips=batch, model=model,
                    gpu_clips_per_s=gpu,
                    cores_per_gpu=gpu / clips_s if gpu else None,
                    outputs_identical=same, load_avg=load))
            del built
            print('\n'.join(transform_markdown(rows[-2:])[:4]),
                  file=sys.stderr, flush=True)
    return rows


def transform_markdown(rows: List[dict]) -> List[str]:
    lines = ['', '| pipeline | split | impl | ms CPU / video | clips/s per '
             'core | speed-up | peak RSS MB | cores per GPU | slowest '
             'transforms (ms CPU) |', '|---|---|---|---:|---:|---:|---:|'
             '---:|---|']
    for r in rows:
        top = sorted(r['transforms_ms'].items(), key=lambda kv: -kv[1])[:3]
        top = ', '.join(f'{k.split(":", 1)[1]} {v:.1f}' for k, v in top)
        mem = '' if r['peak_rss_mb'] is None else f'{r["peak_rss_mb"]:.0f}'
        cores = '' if r['cores_per_gpu'] is None \
            else f'{r["cores_per_gpu"]:.1f}'
        same = '' if r['outputs_identical'] is None else (
            ' (outputs identical)' if r['outputs_identical']
            else ' (OUTPUTS DIFFER)')
        lines.append(
            f'| {r["pipeline"]} | {r["split"]} | {r["impl"]}{same} | '
            f'{r["cpu_ms_per_video"]:.1f} | '
            f'{r["clips_per_s_per_core"]:.2f} | {r["speedup"]:.2f}x | '
            f'{mem} | {cores} | {top} |')
    train = [r for r in rows if r['split'] == 'train' and r['impl'] == 'ours']
    for r in train:
        if r['cores_per_gpu'] is not None:
            lines.append(
                f'\n{r["pipeline"]}: one GPU trains {r["model"]} at '
                f'{r["gpu_clips_per_s"]:.1f} clips/s (batch '
                f'{r["batch_clips"]} clips); ours gives '
                f'{r["clips_per_s_per_core"]:.2f} clips/s per core: '
                f'{r["cores_per_gpu"]:.1f} cores per GPU (stock: '
                f'{r["cores_per_gpu"] * r["speedup"]:.1f}).')
    if train and all(r['cores_per_gpu'] is None for r in train):
        lines.append('\ncores per GPU: pass --gpu-step-ms (the model step '
                     'at the config batch) or --gpu-result (a GPU run of '
                     '--tables video --modes train --out ...).')
    if rows:
        lines.append(f'\nload average at start: {rows[0]["load_avg"]:.2f} '
                     f'on {os.cpu_count()} cores; CPU time of the process '
                     '(decoder threads included), one torch / OpenCV '
                     'thread')
    return lines


# ---------------------------------------------------------------- decoders
# the frame patterns of the shipped families (MMAction2's samplers):
# label -> sampler config; train samplers are drawn once per video (seeded)
# and every decoder gets the same indices
DECODE_PATTERNS = {
    'K400 train 16x4': dict(type='SampleFrames', clip_len=16,
                            frame_interval=4, num_clips=1),
    'K400 test 4 x 16x4': dict(type='SampleFrames', clip_len=16,
                               frame_interval=4, num_clips=4,
                               test_mode=True),
    'SSv2 u16': dict(type='UniformSample', clip_len=16, test_mode=True),
    'light XS u32': dict(type='UniformSample', clip_len=32, test_mode=True),
}


def _decord(threads: int):
    def read(path, inds):
        import decord
        return decord.VideoReader(path, num_threads=threads).get_batch(
            list(inds)).asnumpy()
    return read


def _mmaction_pyav(path, inds):
    """MMAction2's ``PyAVInit`` + ``PyAVDecode`` (accurate mode: decodes
    from the first frame, frames numbered in output order)."""
    from mmaction.datasets.transforms import PyAVDecode, PyAVInit
    results = PyAVInit()(dict(filename=path))
    results['frame_inds'] = np.asarray(inds)
    return np.stack(PyAVDecode()(results)['imgs'])


def _ours(threads: int, rgb: bool = True):
    def read(path, inds):
        from mmuniformer.datasets.transforms.decode import SeekReader

        class _NoRGB(SeekReader):
            def _rgb(self, frame):
                return None

        reader = (SeekReader if rgb else _NoRGB)(path, threads=threads)
        try:
            frames = reader.get_frames(inds)
        finally:
            reader.close()
        return np.stack(frames) if rgb else None
    return read


def _torchcodec(mode: str):
    def read(path, inds):
        from torchcodec.decoders import VideoDecoder
        decoder = VideoDecoder(path, seek_mode=mode, num_ffmpeg_threads=1,
                               dimension_order='NHWC')
        return decoder.get_frames_at(indices=[int(i) for i in inds]
                                     ).data.numpy()
    return read


def decoders() -> Dict[str, Callable]:
    """The candidate decoders: ``read(path, frame_inds) -> T x H x W x 3``
    uint8 RGB. The first is the reference (today's stock decoder)."""
    return {'decord (1 thread)': _decord(1),
            'decord (auto threads)': _decord(0),
            'MMAction2 PyAVDecode': _mmaction_pyav,
            'ours PyAVSeekDecode': _ours(1),
            'ours PyAVSeekDecode (2 threads)': _ours(2),
            'torchcodec exact': _torchcodec('exact'),
            'torchcodec approximate': _torchcodec('approximate'),
            # what exact decoding cannot avoid: ours without the RGB
            # conversion (the sampled frames and every frame they
            # reference, from the keyframe before the first); returns None
            'floor: decode, no RGB': _ours(1, rgb=False)}


def _frame_inds(sampler: dict, total: int, seed: int) -> np.ndarray:
    from mmaction.registry import TRANSFORMS
    np.random.seed(seed)
    out = TRANSFORMS.build(copy.deepcopy(sampler))(
        dict(total_frames=total, start_index=0))
    return np.asarray(out['frame_inds']).reshape(-1)


def decoder_rows(args) -> List[dict]:
    """Each decoder on each real clip and frame pattern, alternating
    decoder by decoder, video by video: CPU time (decoder threads count),
    wall time, speed-up over decord 1 thread, and which frames differ from
    decord's (a decoder that cannot run here gets its error)."""
    import decord
    from mmengine.registry import init_default_scope
    import mmuniformer  # noqa: F401
    torch.set_num_threads(1)
    init_default_scope('mmaction')
    clips = [osp.join(args.video_dir, c)
             for c in real_clips(args.video_dir)]
    reads = decoders()
    wanted = args.decoders
    if wanted:
        reads = {k: v for i, (k, v) in enumerate(reads.items())
                 if i == 0 or any(w.lower() in k.lower() for w in wanted)}
    rows = []
    for label, sampler in DECODE_PATTERNS.items():
        if args.families and not any(w.lower() in label.lower()
                                     for w in args.families):
            continue
        totals = {c: len(decord.VideoReader(c, num_threads=1))
                  for c in clips}
        cpu = {k: 0. for k in reads}
        wall = {k: 0. for k in reads}
        errors, differ = {}, {k: [] for k in reads}
        for round_ in range(args.pipeline_videos):
            for clip in clips:
                inds = _frame_inds(sampler, totals[clip], round_)
                ref = None
                for name, read in reads.items():
                    if name in errors:
                        continue
                    c0, w0 = time.process_time(), time.perf_counter()
                    try:
                        frames = read(clip, inds)
                    except Exception as e:  # noqa: B902 - reported
                        errors[name] = f'{type(e).__name__}: {e}'[:200]
                        continue
                    cpu[name] += time.process_time() - c0
                    wall[name] += time.perf_counter() - w0
                    if frames is None:  # the floor: nothing to compare
                        continue
                    if ref is None:
                        ref = frames
                        continue
                    same = frames.shape == ref.shape and \
                        np.array_equal(frames, ref)
                    if not same and round_ == 0:
                        common = min(len(frames), len(ref))
                        bad = [i for i in range(common)
                               if not np.array_equal(frames[i], ref[i])]
                        differ[name].append(
                            f'{osp.basename(clip)}: {len(bad)} of '
                            f'{len(inds)} frames (positions {bad[:4]})')
        n = args.pipeline_videos * len(clips)
        base = next(iter(reads))
        for name in reads:
            row = dict(table='decoders', pattern=label, decoder=name,
                       videos=n, frames_per_video=len(inds),
                       error=errors.get(name), differs=differ[name])
            if name not in errors:
                row.update(cpu_ms_per_video=cpu[name] / n * 1e3,
                           wall_ms_per_video=wall[name] / n * 1e3,
                           speedup=cpu[base] / cpu[name])
            rows.append(row)
        print('\n'.join(decoder_markdown(rows[-len(reads):])),
              file=sys.stderr, flush=True)
    return rows


def decoder_markdown(rows: List[dict]) -> List[str]:
    lines = ['', '| frames | decoder | ms CPU / video | ms wall / video | '
             'speed-up (CPU) | frames vs decord |', '|---|---|---:|---:|'
             '---:|---|']
    for r in rows:
        if r['error']:
            lines.append(f'| {r["pattern"]} | {r["decoder"]} | | | | '
                         f'not run: {r["error"]} |')
            continue
        same = '; '.join(r['differs']) if r['differs'] else 'identical'
        if r['decoder'].startswith('floor'):
            same = '(no frames kept)'
        lines.append(f'| {r["pattern"]} ({r["frames_per_video"]}) | '
                     f'{r["decoder"]} | {r["cpu_ms_per_video"]:.1f} | '
                     f'{r["wall_ms_per_video"]:.1f} | {r["speedup"]:.2f}x '
                     f'| {same} |')
    return lines


# --------------------------------------------------------------- mim test
MIM_TEST_CONFIGS = {
    'K400 S 16x4, 4 x 1 views': PIPELINE_FAMILIES[0][1],
    'SSv2 S u16, 1 x 3 views': PIPELINE_FAMILIES[3][1],
}
_TEST_ITER = r'Epoch\(test\)\s*\[(\d+)/(\d+)\].*?time: ([\d.]+)\s+' \
    r'data_time: ([\d.]+)'


def mim_test_rows(args) -> List[dict]:
    """``mim test mmaction CONFIG`` on the real clips, with the config's
    test pipeline as stock (decord) and as shipped (ours): seconds per video
    of the whole test step (``time``) and of loading it (``data_time``),
    from the test loop's log (one line per video, one loader process, the
    median after the first video). The backbone is cut to one block per
    stage so that the loader, not this CPU's model step, is what differs
    (on a GPU the model step is milliseconds)."""
    import re
    import subprocess

    import mmuniformer  # noqa: F401
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmaction.registry import MODELS
    clips = real_clips(args.video_dir)
    tmp = tempfile.mkdtemp()
    ann = osp.join(tmp, 'test.txt')
    with open(ann, 'w') as f:
        for i in range(max(args.pipeline_videos, 1) * len(clips)):
            f.write(f'{clips[i % len(clips)]} 0\n')
    rows = []
    for label, rel in MIM_TEST_CONFIGS.items():
        if args.families and not any(w.lower() in label.lower()
                                     for w in args.families):
            continue
        base = Config.fromfile(osp.join(REPO, rel))
        base.model.backbone.update(arch=_arch('small', [1, 1, 1, 1]),
                                   init_cfg=None)
        base.test_dataloader.update(num_workers=0, persistent_workers=False)
        base.test_dataloader.dataset.update(
            ann_file=ann, data_prefix=dict(video=args.video_dir))
        base.default_hooks.logger.interval = 1
        init_default_scope('mmaction')
        ckpt = osp.join(tmp, 'tiny.pth')
        torch.save(dict(state_dict=MODELS.build(base.model).state_dict()),
                   ckpt)
        per = {}
        for impl, convert in (('stock', stock_pipeline),
                              ('ours', fast_pipeline)):
            cfg = copy.deepcopy(base)
            pipeline = cfg.test_dataloader.dataset.pipeline
            cfg.test_dataloader.dataset.pipeline = convert(pipeline)
            path = osp.join(tmp, f'{impl}.py')
            cfg.dump(path)
            out = subprocess.run(
                ['mim', 'test', 'mmaction', path, '--checkpoint', ckpt,
                 '--work-dir', osp.join(tmp, impl)], capture_output=True,
                text=True, env=dict(os.environ, OMP_NUM_THREADS='1'))
            log = out.stdout + out.stderr
            steps = [(float(m[2]), float(m[3]))
                     for m in re.findall(_TEST_ITER, log)][1:]
            if out.returncode or not steps:
                raise RuntimeError(f'mim test ({impl}, {rel}) failed:\n'
                                   f'{log[-3000:]}')
            per[impl] = (statistics.median(s[0] for s in steps),
                         statistics.median(s[1] for s in steps), len(steps))
        for impl, (step, data, n) in per.items():
            rows.append(dict(table='mimtest', pipeline=label, impl=impl,
                             config=rel, videos=n, s_per_video=step,
                             data_s_per_video=data,
                             speedup=per['stock'][0] / step,
                             data_speedup=per['stock'][1] / data))
    return rows


def mim_test_markdown(rows: List[dict]) -> List[str]:
    lines = ['', '| mim test | impl | s / video | loading s / video | '
             'speed-up (videos/s) | loading speed-up |',
             '|---|---|---:|---:|---:|---:|']
    for r in rows:
        lines.append(f'| {r["pipeline"]} | {r["impl"]} | '
                     f'{r["s_per_video"]:.3f} | {r["data_s_per_video"]:.3f} '
                     f'| {r["speedup"]:.2f}x | {r["data_speedup"]:.2f}x |')
    return lines


def device_name(device: str) -> str:
    if device.startswith('cuda'):
        return torch.cuda.get_device_name(device)
    return f'cpu ({os.cpu_count()} cores)'


def bf16_peak(device: str, override: Optional[float]) -> Optional[float]:
    if override:
        return override
    if not device.startswith('cuda'):
        return None
    name = torch.cuda.get_device_name(device)
    for key, value in BF16_PEAK_TFLOPS.items():
        if key in name:
            return value
    return None


# ----------------------------------------------------------------- output
def markdown(rows: List[dict], matmul: dict, peak: Optional[float]) -> str:
    lines = []
    model_rows_ = [r for r in rows if r['table'] in ('video', 'dense')]
    if model_rows_:
        lines += ['| model | input | mode | prec. | implementation | ms | '
                  'per s | speed-up vs baseline | peak MB | memory vs '
                  'baseline | GFLOP/s | % matmul | % best | max diff |',
                  '|---|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|'
                  '---:|---:|']
        for r in model_rows_:
            key = 'bf16' if r['precision'] != 'fp32' else 'fp32'
            rate = matmul.get(key)
            best = max((v for k, v in matmul.items() if k.startswith(key)),
                       default=None)
            gf = r.get('model_gflops_per_s')
            pct = f'{100 * gf / rate:.0f} %' if gf and rate else ''
            pct_best = f'{100 * gf / best:.0f} %' if gf and best else ''
            if gf and peak:
                pct += f' (MFU {100 * gf / (peak * 1e3):.1f} %)'
            mem = r['mem_vs_baseline']
            lines.append(
                f'| {r["model"]}{" with_cp" if r["with_cp"] else ""} | '
                f'{r["input"]} | {r["mode"]} | {r["precision"]} | '
                f'{r["impl"]} | {r["ms"]:.0f} | {r["per_s"]:.2f} | '
                f'{r["speedup"]:.2f}x | {r["peak_mb"]:.0f} | '
                f'{"" if mem is None else f"{mem:.2f}"} | '
                f'{"" if gf is None else f"{gf:.1f}"} | {pct} | {pct_best} | '
                f'{r["max_diff"]:.1e} |')
    pipes = [r for r in rows if r['table'] == 'pipeline']
    if pipes:
        lines += ['', '| training pipeline | num_workers | batch | clip | '
                  'clips/s |', '|---|---:|---:|---|---:|']
        for r in pipes:
            lines.append(f'| {r["pipeline"]} | {r["num_workers"]} | '
                         f'{r["batch_size"]} | {r["clip_shape"]} | '
                         f'{r["clips_per_s"]:.2f} |')
    trows = [r for r in rows if r['table'] == 'transforms']
    if trows:
        lines += transform_markdown(trows)
    drows = [r for r in rows if r['table'] == 'decoders']
    if drows:
        lines += decoder_markdown(drows)
    mrows = [r for r in rows if r['table'] == 'mimtest']
    if mrows:
        lines += mim_test_markdown(mrows)
    if matmul:
        lines += ['', 'matmul rate: ' + ', '.join(
            f'{k} {v:.0f} GFLOP/s' for k, v in matmul.items())]
    return '\n'.join(lines)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='UniFormer speed / memory benchmark (see module doc)')
    parser.add_argument('--tables', nargs='+',
                        default=['matmul', 'video', 'dense', 'pipeline'],
                        choices=['matmul', 'video', 'dense', 'pipeline',
                                 'transforms', 'decoders', 'mimtest'])
    parser.add_argument('--full', action='store_true',
                        help='the whole matrix (S/B, 8/16/32 frames, both '
                        'dense sizes, infer/train, fp32/bf16)')
    parser.add_argument('--archs', nargs='+', choices=['small', 'base'])
    parser.add_argument('--frames', type=int, nargs='+')
    parser.add_argument('--modes', nargs='+', choices=['infer', 'train'])
    parser.add_argument('--precisions', nargs='+',
                        choices=['fp32', 'bf16', 'fp16'])
    parser.add_argument('--batch', type=int)
    parser.add_argument('--size', type=int)
    parser.add_argument('--dense-shape', type=int, nargs=2,
                        metavar=('H', 'W'), help='dense input size')
    parser.add_argument('--with-cp', action='store_true')
    parser.add_argument('--depths', type=int, nargs=4,
                        help='override the depths (quick runs)')
    parser.add_argument('--compile', action='store_true',
                        help='add an inductor-compiled row of ours')
    parser.add_argument('--no-contiguous', dest='contiguous_row',
                        action='store_false',
                        help='skip the contiguous-layout row of ours')
    parser.add_argument('--no-memory', action='store_true')
    parser.add_argument('--no-flops', action='store_true')
    parser.add_argument('--iters', type=int, default=3)
    parser.add_argument('--warmup', type=int, default=1)
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--threads', type=int)
    parser.add_argument('--peak-tflops', type=float,
                        help='device bf16 peak for MFU (CUDA)')
    parser.add_argument('--video-dir', default=VIDEO_CLIPS)
    parser.add_argument('--pipeline-clips', type=int, default=24,
                        help='videos read per pipeline and num_workers')
    parser.add_argument('--pipeline-batch', type=int,
                        help='batch size (default: the config\'s)')
    parser.add_argument('--workers', type=int, nargs='+',
                        help='num_workers to try (default: the config\'s)')
    parser.add_argument('--pipeline-videos', type=int, default=6,
                        help='videos per implementation (transforms table)')
    parser.add_argument('--families', nargs='+',
                        help='pipeline families to run (substrings of the '
                        'labels, e.g. K400 SSv2; default: all)')
    parser.add_argument('--decoders', nargs='+',
                        help='decoders table: substrings of the decoder '
                        'names to run (decord 1 thread always runs)')
    parser.add_argument('--splits', nargs='+', default=['train', 'test'],
                        choices=['train', 'test'])
    parser.add_argument('--gpu-step-ms', type=float,
                        help='GPU training step (ms) at the config batch, '
                        'for the cores-per-GPU line')
    parser.add_argument('--gpu-result',
                        help='JSON of a GPU benchmark run (--tables video '
                        '--modes train --device cuda --out ...)')
    parser.add_argument('--out', default=None,
                        help='write <out>.md and <out>.json')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    rows: List[dict] = []
    matmul: Dict[str, float] = {}
    if 'matmul' in args.tables:
        matmul['fp32'] = matmul_gflops(args.device)
        if args.device == 'cpu':
            from mmuniformer.models.layers.cpu_kernels import \
                onednn_linear_available
            if onednn_linear_available():
                matmul['fp32 oneDNN'] = matmul_gflops(args.device,
                                                      onednn=True)
        if args.device.startswith('cuda') or 'bf16' in (
                args.precisions or []):
            n = 8192 if args.device.startswith('cuda') else 2048
            matmul['bf16'] = matmul_gflops(args.device, torch.bfloat16, n)
    def progress(new_rows):  # long runs: show each case when it is done
        print(markdown(new_rows, matmul, None), file=sys.stderr, flush=True)
        return new_rows

    if 'video' in args.tables:
        for arch, shape, train, precision, with_cp in video_cases(args):
            rows += progress(model_rows('video', arch, shape, train,
                                        precision, args, with_cp))
    if 'dense' in args.tables:
        for arch, shape, train, precision in dense_cases(args):
            rows += progress(model_rows('dense', arch, shape, train,
                                        precision, args))
    if 'pipeline' in args.tables:
        rows += pipeline_rows(args)
    if 'transforms' in args.tables:
        rows += transform_rows(args)
    if 'decoders' in args.tables:
        rows += decoder_rows(args)
    if 'mimtest' in args.tables:
        rows += mim_test_rows(args)
    peak = bf16_peak(args.device, args.peak_tflops)
    header = (f'device {device_name(args.device)}, torch '
              f'{torch.__version__}, threads {torch.get_num_threads()}, '
              f'median of {args.iters} alternating iterations after '
              f'{args.warmup} warm-up')
    table = header + '\n\n' + markdown(rows, matmul, peak)
    print(table)
    if args.out:
        os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
        with open(args.out + '.md', 'w') as f:
            f.write(table + '\n')
        with open(args.out + '.json', 'w') as f:
            json.dump(dict(header=header, matmul_gflops=matmul,
                           bf16_peak_tflops=peak, rows=rows), f, indent=1)
    return rows


if __name__ == '__main__':
    main()
