"""FLOPs of models as the UniFormer papers counted them (fvcore convention).

Two things mmengine's ``FlopAnalyzer`` (the counter behind every host's
``tools/analysis_tools/get_flops.py``) lacks:

* a handle for ``aten::scaled_dot_product_attention``. Without it the
  fused attention of our blocks counts 0 and MMAction2's tool reports
  28.7 G for UniFormer-S 16x4 instead of the paper's 41.8 G.
  :func:`sdpa_flop_jit` counts it as the two matmuls the official code
  writes out (``q @ k^T``, ``attn @ v``), by the rule of the stock
  ``aten::matmul`` handle. :func:`register_flop_handles` adds it to
  mmengine's table of default handles (run when the model registry loads
  ``mmuniformer.analysis``, i.e. when a config's model is built), so every
  ``FlopAnalyzer`` made afterwards, the hosts' tools included, counts it;
  a registration, no mmengine function is replaced.
* counting without computing. :func:`count_flops` runs the forward on fake
  tensors (``torch._subclasses.FakeTensorMode``: shapes only, no data, no
  arithmetic) under a ``TorchFunctionMode`` that applies the same per-op
  rules as mmengine's jit handles (one multiply-add = one FLOP; conv,
  linear, matmul, bmm, einsum, SDPA, norms, bilinear/nearest upsampling,
  adaptive average pooling, grid sampling; element-wise ops free). The
  cost no longer grows with the input size: the traced count of the
  largest rows of ``docs/flops.md`` (UperNet / Cascade at full size) does
  their real arithmetic, about a minute each on 2 CPU cores. The result
  equals the traced ``FlopAnalyzer``'s (``tests/test_tools/
  test_get_flops.py`` checks both on the same models, and every row of
  ``docs/flops.md``).
"""
import math
import warnings
from collections import Counter, OrderedDict
from typing import Any, Dict, List, Optional, Tuple

import torch
import torch.nn.functional as F
from torch import nn
from torch.overrides import TorchFunctionMode

SDPA_OP = 'aten::scaled_dot_product_attention'
OUR_TOOL = 'tools/analysis_tools/get_flops.py'


def sdpa_flops(q_shape, k_shape, v_shape) -> int:
    """``L * E * S`` (``q @ k^T``) + ``L * S * Ev`` (``attn @ v``)
    multiply-adds per batch entry; scaling, mask and softmax are
    element-wise and not counted (as for the explicit form)."""
    batch = math.prod(torch.broadcast_shapes(
        tuple(q_shape[:-2]), tuple(k_shape[:-2]), tuple(v_shape[:-2])))
    length, embed = q_shape[-2], q_shape[-1]
    source, value_dim = k_shape[-2], v_shape[-1]
    return batch * length * source * (embed + value_dim)


def sdpa_flop_jit(inputs: List[Any], outputs: List[Any]) -> int:
    """mmengine / fvcore jit handle of
    ``aten::scaled_dot_product_attention`` (see :func:`sdpa_flops`)."""
    from mmengine.analysis.jit_handles import get_shape
    return sdpa_flops(*(get_shape(value) for value in inputs[:3]))


def register_flop_handles() -> bool:
    """Add the SDPA handle to mmengine's default ``FlopAnalyzer`` handles.

    Returns True when it is registered (now or before). Where this
    mmengine keeps no such table, warns that its FLOPs miss the attention
    and names our tool, which counts it."""
    try:
        from mmengine.analysis import complexity_analysis
        table = complexity_analysis._DEFAULT_SUPPORTED_FLOP_OPS
    except (ImportError, AttributeError):
        warnings.warn(
            'mmuniformer could not register a FLOPs handle for '
            f'{SDPA_OP} with this mmengine: FLOPs counted by '
            'mmengine.analysis (and the hosts\' get_flops tools) leave out '
            f'the attention of UniFormer blocks. Use {OUR_TOOL} instead.')
        return False
    table.setdefault(SDPA_OP, sdpa_flop_jit)
    return table[SDPA_OP] is sdpa_flop_jit


# ------------------------------------------------------------------------
# counting on fake tensors
# ------------------------------------------------------------------------
def _shape(x) -> List[int]:
    return list(x.shape)


def _numel(x) -> int:
    return math.prod(x.shape)


def _arg(args, kwargs, index, name, default=None):
    if len(args) > index:
        return args[index]
    return kwargs.get(name, default)


def _matmul(a, b) -> int:
    s1, s2 = _shape(a), _shape(b)
    if len(s1) == 1:
        s1 = [1, s1[0]]
    if len(s2) == 1:
        s2 = [s2[0], 1]
    return math.prod(s1) * s2[-1]


def _conv(args, kwargs, out, transposed=False) -> int:
    x, w = args[0], _arg(args, kwargs, 1, 'weight')
    spatial = (_shape(x) if transposed else _shape(out))[2:]
    return _shape(x)[0] * _numel(w) * math.prod(spatial)


def _norm(x, weight) -> int:
    return _numel(x) * (5 if weight is not None else 4)


def _batch_norm(args, kwargs, out) -> int:
    weight = _arg(args, kwargs, 3, 'weight')
    if _arg(args, kwargs, 5, 'training', False):
        return _norm(args[0], weight)
    return _numel(args[0]) * (2 if weight is not None else 1)


def _interpolate(args, kwargs, out) -> int:
    mode = _arg(args, kwargs, 3, 'mode', 'nearest')
    if out.dim() != 4:
        return 0  # 1-d / 3-d resampling: no mmengine handle either
    return _numel(out) * {'bilinear': 4, 'nearest': 1}.get(mode, 0)


def _einsum(args, kwargs, out) -> int:
    import numpy as np
    equation, operands = args[0], args[1:]
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = operands[0]
    arrays = [np.zeros(_shape(o)) for o in operands]
    info = np.einsum_path(equation.replace(' ', ''), *arrays,
                          optimize='optimal')[1]
    for line in info.split('\n'):
        if 'optimized flop' in line.lower():
            return int(float(line.split(':')[-1]) // 2)
    raise NotImplementedError(f'einsum {equation!r}')


def _matmul_handle(args, kwargs, out):
    return _matmul(args[0], args[1])


def _handles() -> Dict[Any, Any]:
    """torch function -> ``(args, kwargs, output) -> FLOPs``, the rules of
    mmengine's jit handles at the level the jit trace records."""
    T = torch.Tensor
    h = {}
    for fn in (torch.matmul, T.matmul, T.__matmul__, torch.mm, T.mm,
               torch.bmm, T.bmm):
        h[fn] = _matmul_handle
    h[T.__rmatmul__] = lambda a, k, o: _matmul(a[1], a[0])
    h[F.linear] = lambda a, k, o: _numel(a[0]) * _shape(
        _arg(a, k, 1, 'weight'))[0]
    h[torch.addmm] = lambda a, k, o: _matmul(a[1], a[2])
    for fn in (torch.conv1d, torch.conv2d, torch.conv3d, F.conv1d, F.conv2d,
               F.conv3d):
        h[fn] = lambda a, k, o: _conv(a, k, o)
    for fn in (torch.conv_transpose1d, torch.conv_transpose2d,
               torch.conv_transpose3d, F.conv_transpose1d,
               F.conv_transpose2d, F.conv_transpose3d):
        h[fn] = lambda a, k, o: _conv(a, k, o, transposed=True)
    h[F.layer_norm] = lambda a, k, o: _norm(a[0], _arg(a, k, 2, 'weight'))
    h[F.group_norm] = lambda a, k, o: _norm(a[0], _arg(a, k, 2, 'weight'))
    h[F.instance_norm] = lambda a, k, o: _norm(a[0], _arg(a, k, 3, 'weight'))
    h[F.batch_norm] = _batch_norm
    h[F.interpolate] = _interpolate
    h[F.adaptive_avg_pool2d] = lambda a, k, o: _numel(a[0])
    h[F.grid_sample] = lambda a, k, o: 4 * _numel(o)
    h[F.scaled_dot_product_attention] = lambda a, k, o: sdpa_flops(
        _shape(a[0]), _shape(a[1]), _shape(a[2]))
    h[torch.einsum] = _einsum
    return h


_NAMES = {
    F.scaled_dot_product_attention: 'scaled_dot_product_attention',
    F.linear: 'linear', torch.addmm: 'addmm', F.batch_norm: 'batch_norm',
    F.layer_norm: 'layer_norm', F.group_norm: 'group_norm',
    F.instance_norm: 'instance_norm', F.interpolate: 'upsample',
    F.adaptive_avg_pool2d: 'adaptive_avg_pool2d', torch.einsum: 'einsum',
    F.grid_sample: 'grid_sampler',
}


class _FlopMode(TorchFunctionMode):
    """Counts FLOPs of the torch functions called, per module on the
    current forward stack."""

    def __init__(self):
        super().__init__()
        self.handles = _handles()
        self.by_module = Counter()
        self.by_operator = Counter()
        self.stack = ['']

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        out = func(*args, **kwargs)
        handle = self.handles.get(func)
        if handle is not None:
            flops = int(handle(args, kwargs, out))
            name = _NAMES.get(func) or (
                'conv' if 'conv' in getattr(func, '__name__', '') else
                'matmul')
            self.by_operator[name] += flops
            for module in set(self.stack):
                self.by_module[module] += flops
        return out


class FlopCount(dict):
    """``total``, ``by_module`` (every module name, '' = the root),
    ``by_operator`` and, from :func:`trace_flops`, ``unsupported``."""

    @property
    def total(self) -> int:
        return self['total']


def _prefixes(name: str) -> List[str]:
    parts = name.split('.')
    return [''] + ['.'.join(parts[:i + 1]) for i in range(len(parts))]


def count_flops(model: nn.Module, inputs: tuple,
                stub_modules: Optional[Dict[type, Any]] = None
                ) -> FlopCount:
    """FLOPs of ``model(*inputs)`` without computing it.

    Args:
        model (nn.Module): the module to count (its parameters stay real;
            they are read as fake tensors).
        inputs (tuple): example inputs (their values are not used).
        stub_modules (dict, optional): ``{module class: fn(module, *args)}``
            for modules whose forward cannot run on fake tensors (C++
            extension ops, data-dependent indexing) and whose FLOPs are not
            counted anyway; ``fn`` returns an output of the right shape.
            Default None.

    Returns:
        FlopCount: ``total``, ``by_module`` and ``by_operator``.
    """
    from torch._subclasses.fake_tensor import FakeTensorMode
    mode = _FlopMode()
    hooks, saved = [], []
    for name, module in model.named_modules():
        def pre(_, __, name=name):
            mode.stack.append(name)

        def post(_, __, ___, name=name):
            mode.stack.pop()
        hooks.append(module.register_forward_pre_hook(pre))
        hooks.append(module.register_forward_hook(post))
        for cls, fn in (stub_modules or {}).items():
            if isinstance(module, cls):
                saved.append((module, module.__dict__.get('forward')))
                module.forward = fn.__get__(module)
    try:
        with FakeTensorMode(allow_non_fake_inputs=True) as fake:
            fake_inputs = tuple(
                fake.from_tensor(x) if isinstance(x, torch.Tensor) else x
                for x in inputs)
            with torch.no_grad(), mode:
                model(*fake_inputs)
    finally:
        for hook in hooks:
            hook.remove()
        for module, forward in saved:
            if forward is None:
                del module.forward
            else:
                module.forward = forward
    by_module = OrderedDict()
    # every stack entry counted each of its ops once: the module's own
    # total, children included
    for name, _ in model.named_modules():
        by_module[name] = mode.by_module.get(name, 0)
    return FlopCount(total=by_module[''], by_module=by_module,
                     by_operator=dict(mode.by_operator))


# ------------------------------------------------------------------------
# counting with mmengine's jit FlopAnalyzer, and a model's report
# ------------------------------------------------------------------------
def trace_flops(model: nn.Module, inputs: tuple) -> FlopCount:
    """FLOPs of ``model(*inputs)`` with mmengine's jit ``FlopAnalyzer`` on
    the real inputs (the SDPA handle registered; its warnings off).

    Args:
        model (nn.Module): the module to count, in the mode to count.
        inputs (tuple): example inputs.

    Returns:
        FlopCount: ``total``, ``by_module``, ``by_operator`` and
        ``unsupported`` (op -> count of calls that were not counted).
    """
    from mmengine.analysis import FlopAnalyzer
    register_flop_handles()
    with torch.no_grad():
        analyzer = FlopAnalyzer(model, inputs)
        analyzer.unsupported_ops_warnings(False)
        analyzer.uncalled_modules_warnings(False)
        analyzer.tracer_warnings('none')
        return FlopCount(total=analyzer.total(),
                         by_module=analyzer.by_module(),
                         by_operator=dict(analyzer.by_operator()),
                         unsupported=dict(analyzer.unsupported_ops()))


def count_params(module: nn.Module) -> int:
    """Number of parameter elements of ``module``.

    Args:
        module (nn.Module): the module.
    """
    return sum(p.numel() for p in module.parameters())


# modules of a bare classifier (``UniFormerImageClassifier``) that are not
# its backbone
HEAD_MODULES = ('head', 'aux_head', 'norm_cls', 'head_cls')


def _backbone_parts(model: nn.Module) -> Tuple[List[str], int]:
    """(names of the backbone's modules, or of a bare classifier's heads;
    the backbone's parameter count)."""
    if isinstance(getattr(model, 'backbone', None), nn.Module):
        return ['model.backbone'], count_params(model.backbone)
    names = [n for n in HEAD_MODULES
             if isinstance(getattr(model, n, None), nn.Module)]
    return ([f'model.{n}' for n in names],
            count_params(model) - sum(count_params(getattr(model, n))
                                      for n in names))


def _roi_extractor_stub(self, feats, rois, roi_scale_factor=None):
    """An mmdet RoI extractor's output shape: its RoIAlign is an mmcv C++
    op (not counted by the fvcore convention either) that fake tensors
    cannot run."""
    return feats[0].new_zeros(rois.size(0), self.out_channels,
                              *self.roi_layers[0].output_size)


def _stubs() -> Dict[type, Any]:
    try:
        from mmdet.models.roi_heads.roi_extractors import BaseRoIExtractor
    except ImportError:
        return {}
    return {BaseRoIExtractor: _roi_extractor_stub}


def measure(wrapper: nn.Module, inputs: tuple,
            trace: bool = False) -> Dict[str, Any]:
    """FLOPs and parameters of ``wrapper(*inputs)``, whole and backbone.

    ``wrapper`` is one of :mod:`mmuniformer.analysis.models`' forwards:
    ``wrapper.model`` is the counted model, whose ``backbone`` submodule
    (for a bare classifier: everything but :data:`HEAD_MODULES`) gives the
    backbone figures. The wrapper is put in eval mode with the fast CPU
    kernels off (the plain modules are what both counters count).

    Args:
        wrapper (nn.Module): the forward to count.
        inputs (tuple): its inputs.
        trace (bool): count with :func:`trace_flops` on the real inputs
            instead of :func:`count_flops` on fake tensors (same figures,
            much slower on large inputs). Defaults to False.

    Returns:
        dict: ``flops``, ``backbone_flops``, ``params``,
        ``backbone_params``, ``by_operator`` and ``unsupported``
        (empty on fake tensors).
    """
    from mmuniformer.models.layers.cpu_kernels import set_cpu_kernels
    wrapper.eval()
    set_cpu_kernels(wrapper, False)
    model = wrapper.model
    parts, backbone_params = _backbone_parts(model)
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter('ignore')
        result = trace_flops(wrapper, inputs) if trace else \
            count_flops(wrapper, inputs, _stubs())
    by_module = result['by_module']
    parts_flops = sum(by_module.get(name, 0) for name in parts)
    backbone_flops = parts_flops if parts == ['model.backbone'] else \
        result.total - parts_flops
    return dict(flops=result.total, backbone_flops=backbone_flops,
                params=count_params(model), backbone_params=backbone_params,
                by_operator=result['by_operator'],
                unsupported=result.get('unsupported', {}))
