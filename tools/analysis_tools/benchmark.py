#!/usr/bin/env python
"""Side-by-side speed / memory benchmark of UniFormer implementations.

    python tools/analysis_tools/benchmark.py [--arch small] [--frames 16]
        [--size 224] [--batch 1] [--iters 10] [--warmup 2] [--device cpu]
        [--mode infer|train]

Compares, with identical weights and inputs, in one run:

* ``ours``: ``mmuniformer.UniFormer3D`` (scaled_dot_product_attention);
* ``mmaction-port``: MMAction2 1.2.0's test-only ``UniFormer`` (explicit
  softmax attention), block LayerNorm eps set to the official 1e-6.

Runs alternate between the implementations (ABAB...), so machine noise hits
both alike; the report gives median milliseconds per iteration, the ratio to
``ours`` and peak memory (CUDA: ``max_memory_allocated``; CPU: the peak of
the allocations torch's profiler records during one iteration). The outputs
are compared too, so a faster but different model cannot pass unnoticed.
"""
import argparse
import statistics
import time

import torch
from torch import nn


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument('--arch', default='small', choices=['small', 'base'])
    parser.add_argument('--depths', type=int, nargs=4, default=None,
                        help='override the depths (quick runs)')
    parser.add_argument('--frames', type=int, default=16)
    parser.add_argument('--size', type=int, default=224)
    parser.add_argument('--batch', type=int, default=1)
    parser.add_argument('--iters', type=int, default=10)
    parser.add_argument('--warmup', type=int, default=2)
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--mode', default='infer', choices=['infer', 'train'])
    parser.add_argument('--threads', type=int, default=None)
    return parser.parse_args(argv)


def build_models(args):
    """``{'ours': model, 'mmaction-port': model}`` with identical weights."""
    import mmuniformer  # noqa: F401
    from mmaction.models.backbones.uniformer import UniFormer as Port
    from mmuniformer.models import UniFormer3D
    from mmuniformer.models.arch import resolve_arch
    arch = resolve_arch(args.arch)
    if args.depths:
        arch['depths'] = tuple(args.depths)
    ours = UniFormer3D({k: arch[k] for k in ('depths', 'embed_dims',
                                             'head_dim')})
    port = Port(depth=list(arch['depths']),
                embed_dim=list(arch['embed_dims']),
                head_dim=arch['head_dim'], pretrained2d=False)
    missing, unexpected = port.load_state_dict(ours.state_dict(),
                                               strict=False)
    if missing or unexpected:
        raise RuntimeError(f'key layouts differ: {missing} {unexpected}')
    for name in ('blocks3', 'blocks4'):
        for module in getattr(port, name).modules():
            if isinstance(module, nn.LayerNorm):
                module.eps = 1e-6
    return {'ours': ours, 'mmaction-port': port}


def _step(model, x, train):
    if train:
        model.zero_grad(set_to_none=True)
        out = model(x)
        out.float().mean().backward()
        return out.detach()
    with torch.no_grad():
        return model(x)


def peak_memory_mb(model, x, train, device):
    """Peak bytes allocated by one iteration (MB)."""
    if device.startswith('cuda'):
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        base = torch.cuda.memory_allocated()
        _step(model, x, train)
        torch.cuda.synchronize()
        return (torch.cuda.max_memory_allocated() - base) / 2**20
    from torch.profiler import ProfilerActivity, profile
    with profile(activities=[ProfilerActivity.CPU],
                 profile_memory=True) as prof:
        _step(model, x, train)
    # replay the allocation / free events in order to find the peak
    events = sorted((e for e in prof.events() if e.cpu_memory_usage),
                    key=lambda e: e.time_range.start)
    current = peak = 0
    for event in events:
        current += event.cpu_memory_usage
        peak = max(peak, current)
    return peak / 2**20


def run(args):
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    models = build_models(args)
    x = torch.randn(args.batch, 3, args.frames, args.size, args.size,
                    device=args.device)
    train = args.mode == 'train'
    for model in models.values():
        model.to(args.device).train(train)
    outs = {name: _step(m, x, train) for name, m in models.items()}
    diff = (outs['ours'] - outs['mmaction-port']).abs().max().item()
    times = {name: [] for name in models}
    sync = torch.cuda.synchronize if args.device.startswith('cuda') \
        else (lambda: None)
    for i in range(args.warmup + args.iters):
        for name, model in models.items():  # alternate: A B A B ...
            sync()
            start = time.perf_counter()
            _step(model, x, train)
            sync()
            if i >= args.warmup:
                times[name].append((time.perf_counter() - start) * 1e3)
    memory = {name: peak_memory_mb(m, x, train, args.device)
              for name, m in models.items()}
    base = statistics.median(times['ours'])
    rows = []
    for name in models:
        median = statistics.median(times[name])
        rows.append(dict(name=name, ms=median, ratio=median / base,
                         mem=memory[name],
                         mem_ratio=memory[name] / memory['ours']))
    return rows, diff


def main(argv=None):
    args = parse_args(argv)
    rows, diff = run(args)
    print(f'UniFormer3D-{args.arch} {args.mode}, input {args.batch}x3x'
          f'{args.frames}x{args.size}x{args.size}, {args.device}, '
          f'{args.iters} iterations (median), threads '
          f'{torch.get_num_threads()}')
    print(f'max |ours - port| = {diff:.2e}')
    print('| implementation | ms / iter | time vs ours | peak MB | '
          'memory vs ours |')
    print('|---|---:|---:|---:|---:|')
    for row in rows:
        print(f'| {row["name"]} | {row["ms"]:.1f} | {row["ratio"]:.2f} | '
              f'{row["mem"]:.1f} | {row["mem_ratio"]:.2f} |')
    return rows


if __name__ == '__main__':
    main()
