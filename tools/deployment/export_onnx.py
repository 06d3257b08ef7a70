#!/usr/bin/env python
"""Export a UniFormer model to ONNX, check it with onnxruntime, time both.

    python tools/deployment/export_onnx.py CONFIG [CHECKPOINT] \
        --shape T H W | H W  --out model.onnx [--verify] [--legacy]

What is exported (model in eval mode, pretrained init skipped, activation
checkpointing off, SyncBN as BN: :func:`mmuniformer.analysis.
build_plain_model`, as ``get_flops.py`` counts):

* an MMAction2 recognizer config: backbone -> (neck) -> cls head
  (:class:`mmuniformer.analysis.RecognizerForward`), input
  ``input (B, 3, T, H, W)`` (one normalised view, the config's
  ``data_preprocessor`` mean/std already applied), output
  ``scores (B, num_classes)`` (the head's logits); dynamic batch;
* an MMDetection / MMSegmentation / MMPose config: the UniFormer backbone
  alone, input ``input (B, 3, H, W)``, outputs ``out0..outN`` (one map per
  ``out_indices`` entry); dynamic batch, height and width (``--legacy``:
  dynamic batch only, see :func:`io_spec`);
* a config whose ``model`` is a bare backbone
  (``model = dict(type='mmuniformer.UniFormer', ...)`` or
  ``'mmuniformer.UniFormer3D'``): that backbone, as above (video: dynamic
  batch, outputs ``out0..outN``).

CHECKPOINT may be an mm-format checkpoint, an official UniFormer file
(converted while loading, as the demos do) or a weights name / ``hf://``
reference (``mmuniformer/checkpoint/download.py``); without it the weights
are random (enough to check the export). ``--label-order`` (default
``auto``: the ``label_order`` of the config's ``OfficialCheckpointHook``,
which is what ``mim test`` uses, i.e. MMAction2's order for the Kinetics
configs) puts an official Kinetics head into that order, so the ONNX scores
index the same label map as ``mim test`` and ``video_demo.py --labels k400``.

The weights are embedded in the ``.onnx`` file (``external_data=False``)
below protobuf's 2 GB limit; ``--external-data`` (or a larger model)
writes them to a ``<out>.data`` sidecar, which must stay next to the
``.onnx`` file (onnxruntime reads it by that name).

Both of torch's exporters work: the default (``torch.export``-based,
``dynamo=True``) and ``--legacy`` (TorchScript tracing, ``dynamo=False``).

``--verify`` runs onnxruntime on the export shape and on a second shape
(batch 2; for dense models also ``--verify-hw``), compares every output
with PyTorch and prints the largest absolute difference. It then times
PyTorch eager and onnxruntime side by side on the export shape (median of
``--repeat`` alternating runs, both on the same number of CPU threads).
The exit status is 1 when the difference exceeds ``--atol`` (default
1e-4) or onnxruntime cannot load the file.
"""
import argparse
import os
import os.path as osp
import statistics
import sys
import time
import warnings

import torch


def config_label_order(cfg) -> str:
    """``label_order`` of the config's ``OfficialCheckpointHook`` (what
    ``mim test`` loads with), ``'official'`` without one."""
    for hook in cfg.get('custom_hooks', None) or []:
        if str(hook.get('type', '')).endswith('OfficialCheckpointHook'):
            return hook.get('label_order', 'official')
    return 'official'


def build_model(config, checkpoint=None, cfg_options=None,
                label_order='auto'):
    """``(kind, module)``: the module to export, in eval mode; kind is
    ``'recognizer'``, ``'video-backbone'`` or ``'dense'``.

    Args:
        config (str): config file.
        checkpoint (str, optional): file, weights name or ``hf://``;
            default None (random weights).
        cfg_options (dict, optional): config overrides. Default None.
        label_order (str): ``'auto'`` (the config's, as ``mim test``),
            ``'official'`` or ``'mmaction'``. Default ``'auto'``.
    """
    import mmuniformer  # noqa: F401  (registry, compat fixes)
    from mmengine.config import Config
    from mmuniformer.analysis import (RecognizerForward, build_plain_model,
                                      prepare_config)
    from mmuniformer.checkpoint.convert import load_as_mm_checkpoint
    cfg = Config.fromfile(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    if str(cfg.model.get('type', '')).startswith('mmuniformer.'):
        # a config whose model is a bare backbone (no host model around it)
        from mmuniformer.registry import MODELS
        model = MODELS.build(prepare_config(cfg))
        kind = 'video-backbone' if model.ndim == 3 else 'dense'
        if checkpoint:
            from mmuniformer.checkpoint.adapter import load_pretrained
            load_pretrained(model, checkpoint)
        return kind, model.eval()
    kind, model = build_plain_model(cfg)
    if checkpoint:
        if label_order == 'auto':
            label_order = config_label_order(cfg)
        load_as_mm_checkpoint(model, checkpoint, label_order=label_order)
    model.eval()
    if kind == 'mmaction':
        return 'recognizer', RecognizerForward(model).eval()
    return 'dense', model.backbone


def io_spec(kind, module, sample, legacy=False):
    """Input/output names and the dynamic axes of the input.

    Dense models with the legacy exporter get a dynamic batch only: its
    tracing records the window padding and partition sizes of windowed
    attention as constants, so another H/W fails in onnxruntime (a Reshape
    of the window partition).
    """
    if kind == 'recognizer':
        return ['input'], ['scores'], {0: 'batch'}
    with torch.no_grad():
        out = module(sample)
    count = len(out) if isinstance(out, (tuple, list)) else 1
    names = [f'out{i}' for i in range(count)]
    if kind == 'video-backbone':
        return ['input'], names, {0: 'batch'}
    if legacy:
        return ['input'], names, {0: 'batch'}
    return ['input'], names, {0: 'batch', 2: 'height', 3: 'width'}


EMBED_LIMIT = 2 * 1024 ** 3 - 64 * 1024 ** 2  # protobuf's 2 GB, some margin


def export(module, sample, out, input_names, output_names, dynamic,
           legacy=False, opset=None, external_data=None):
    """Write ``out`` with torch's default exporter or the legacy one;
    weights embedded unless ``external_data`` (default: only when the
    parameters exceed protobuf's 2 GB)."""
    if external_data is None:
        size = sum(p.numel() * p.element_size()
                   for p in module.state_dict().values())
        external_data = size > EMBED_LIMIT
    kwargs = dict(input_names=input_names, output_names=output_names,
                  dynamo=not legacy, external_data=external_data)
    if opset is not None:
        kwargs['opset_version'] = opset
    if legacy:
        kwargs['dynamic_axes'] = {input_names[0]: dynamic}
    else:
        kwargs['dynamic_shapes'] = (
            {axis: torch.export.Dim.DYNAMIC for axis in dynamic}, )
    os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter('ignore')
        torch.onnx.export(module, (sample, ), out, **kwargs)


def _as_list(out):
    return list(out) if isinstance(out, (tuple, list)) else [out]


def ort_session(path, threads):
    import onnxruntime as ort
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    return ort.InferenceSession(path, options,
                                providers=['CPUExecutionProvider'])


def max_diff(module, session, x):
    """Largest |onnxruntime - PyTorch| over every output element."""
    with torch.no_grad():
        ref = _as_list(module(x))
    got = session.run(None, {session.get_inputs()[0].name: x.numpy()})
    if len(got) != len(ref):
        raise RuntimeError(f'onnxruntime gave {len(got)} outputs, PyTorch '
                           f'{len(ref)}')
    worst = 0.
    for r, g in zip(ref, got):
        if tuple(r.shape) != tuple(g.shape):
            raise RuntimeError(f'output shape {tuple(g.shape)} from '
                               f'onnxruntime, {tuple(r.shape)} from PyTorch '
                               f'for input {tuple(x.shape)}')
        worst = max(worst, float((r - torch.from_numpy(g)).abs().max()))
    return worst


def median_ms(fns, repeat):
    """Median milliseconds of each function; runs alternate between them
    (after one warm-up each) so that a busy machine affects all alike."""
    for fn in fns:
        fn()
    times = [[] for _ in fns]
    for _ in range(repeat):
        for fn, acc in zip(fns, times):
            start = time.perf_counter()
            fn()
            acc.append((time.perf_counter() - start) * 1e3)
    return [statistics.median(t) for t in times]


def verify_shapes(sample, dynamic, verify_hw):
    """The export shape and a second one that exercises the dynamic
    axes: batch 2 and, when H/W are dynamic, ``verify_hw`` (default: H
    and W of the export shape + 32)."""
    second = list(sample.shape)
    second[0] = 2
    if 2 in dynamic:
        second[2:] = verify_hw or [sample.shape[2] + 32, sample.shape[3] + 32]
    return [tuple(sample.shape), tuple(second)]


def parse_args(argv=None):
    from mmengine.config import DictAction
    parser = argparse.ArgumentParser(
        description='Export a UniFormer recognizer (video) or dense '
        'backbone to ONNX and verify it with onnxruntime.')
    parser.add_argument('config', help='an mmuniformer config file')
    parser.add_argument('checkpoint', nargs='?', default=None,
                        help='mm-format or official checkpoint (default: '
                        'random weights)')
    parser.add_argument('--shape', type=int, nargs='+', required=True,
                        help='video: T H W; dense: H W (batch 1, 3 '
                        'channels)')
    parser.add_argument('--out', required=True, help='the .onnx file')
    parser.add_argument('--legacy', action='store_true',
                        help='use the TorchScript exporter (dynamo=False)')
    parser.add_argument('--opset', type=int, default=None,
                        help='ONNX opset (default: the exporter\'s)')
    parser.add_argument('--verify', action='store_true',
                        help='compare with PyTorch in onnxruntime and time '
                        'both')
    parser.add_argument('--verify-hw', type=int, nargs=2, default=None,
                        metavar=('H', 'W'),
                        help='dense models: second H W to verify (default: '
                        'export H W + 32)')
    parser.add_argument('--atol', type=float, default=1e-4,
                        help='largest allowed |onnxruntime - PyTorch|')
    parser.add_argument('--repeat', type=int, default=3,
                        help='timed runs of each runtime, alternating '
                        '(median)')
    parser.add_argument('--threads', type=int, default=None,
                        help='CPU threads for both runtimes (default: '
                        'torch\'s)')
    parser.add_argument('--label-order', default='auto',
                        choices=('auto', 'official', 'mmaction'),
                        help='class order of the exported head (default: '
                        'the config\'s, as mim test)')
    parser.add_argument('--external-data', action='store_true',
                        help='weights in a <out>.data sidecar (default: '
                        'embedded below 2 GB)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings (key=value)')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    for path, what in ((args.config, 'CONFIG'),
                       (args.checkpoint, 'CHECKPOINT')):
        if what == 'CHECKPOINT' and path:
            from mmuniformer.checkpoint.download import resolve_checkpoint
            path = args.checkpoint = resolve_checkpoint(path)
        if path and not osp.isfile(path) and '://' not in path:
            sys.exit(f'error: {what} {path} does not exist')
    kind, module = build_model(args.config, args.checkpoint,
                               args.cfg_options, args.label_order)
    want = 2 if kind == 'dense' else 3
    if len(args.shape) != want:
        sys.exit(f'error: --shape takes {"T H W" if want == 3 else "H W"} '
                 f'for this {kind} config, got {args.shape}')
    if args.threads:
        torch.set_num_threads(args.threads)
    threads = torch.get_num_threads()
    sample = torch.randn(1, 3, *args.shape,
                         generator=torch.Generator().manual_seed(0))
    inputs, outputs, dynamic = io_spec(kind, module, sample, args.legacy)
    exporter = 'legacy (dynamo=False)' if args.legacy else 'dynamo'
    start = time.perf_counter()
    export(module, sample, args.out, inputs, outputs, dynamic, args.legacy,
           args.opset, external_data=args.external_data or None)
    print(f'exported {kind} model with the {exporter} exporter to '
          f'{args.out} in {time.perf_counter() - start:.1f} s; input '
          f'{inputs[0]} {tuple(sample.shape)}, dynamic axes '
          f'{sorted(dynamic.values())}, outputs {outputs}')
    if not args.verify:
        return 0
    import onnx
    onnx.checker.check_model(args.out)
    try:
        session = ort_session(args.out, threads)
    except Exception as exc:  # noqa: BLE001 - report and fail
        print(f'FAIL: onnxruntime cannot load {args.out}: {exc}')
        return 1
    worst = 0.
    gen = torch.Generator().manual_seed(1)
    for shape in verify_shapes(sample, dynamic, args.verify_hw):
        x = sample if shape == tuple(sample.shape) else torch.randn(
            *shape, generator=gen)
        diff = max_diff(module, session, x)
        worst = max(worst, diff)
        print(f'input {shape}: max |onnxruntime - pytorch| = {diff:.3g}')
    feed = {session.get_inputs()[0].name: sample.numpy()}
    with torch.no_grad():
        eager, onnx_ms = median_ms(
            [lambda: module(sample), lambda: session.run(None, feed)],
            args.repeat)
    print(f'time per forward {tuple(sample.shape)} on {threads} CPU '
          f'threads (median of {args.repeat}): pytorch eager {eager:.1f} ms, '
          f'onnxruntime {onnx_ms:.1f} ms ({eager / onnx_ms:.2f}x)')
    if worst > args.atol:
        print(f'FAIL: max difference {worst:.3g} > --atol {args.atol:g}')
        return 1
    print(f'OK: max difference {worst:.3g} <= --atol {args.atol:g}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
