"""Work-arounds for the released OpenMMLab packages on today's stack.

Each fix is one function, applied once by ``import mmuniformer`` (every
mmuniformer config imports it through ``custom_imports``), and each has a
test in ``tests/test_compat`` that fails without it.

1. :func:`fix_mmaction_missing_drn` -- the mmaction2 1.2.0 wheel lacks
   ``mmaction/models/localizers/drn/`` (the folder has no ``__init__.py``
   upstream, so the wheel build dropped it) while
   ``mmaction/models/localizers/__init__.py`` imports ``.drn.drn``. Without
   the fix ``import mmaction.models`` -- and so every MMAction2 config --
   fails. We register a stand-in package whose ``DRN`` raises a clear error
   when built; everything else in MMAction2 works.
2. :func:`allow_mmengine_checkpoint_globals` -- torch >= 2.6 loads with
   ``weights_only=True`` by default and mmengine 0.10.7 calls ``torch.load``
   without the argument, so its own full training checkpoints (``--resume``,
   ``load_from`` of a training checkpoint) fail on ``HistoryBuffer`` and
   numpy arrays in the message hub. We keep ``weights_only=True`` and allow
   exactly those types: mmengine's ``HistoryBuffer`` and numpy arrays,
   scalars and dtypes (plain data, no code runs when they are rebuilt).
   ``HistoryBuffer`` pickles its statistics methods as
   ``getattr(HistoryBuffer, 'min')``; the global ``builtins.getattr`` is
   therefore mapped to :func:`history_buffer_attr`, which resolves public
   methods of ``HistoryBuffer`` and nothing else. Any other object in a
   checkpoint is still refused.
3. :func:`fix_mmpose_keypoint_radius` -- MMPose 1.3.2 draws keypoints with
   ``radius=np.array([r])`` and its OpenCV backend calls ``int(radius)``:
   a TypeError with numpy >= 2.4 as soon as one keypoint is drawn, which
   breaks every pose visualisation (inferencer, visualisation hook). The
   OpenCV ``draw_circles`` gets a scalar radius. Importing mmpose's
   visualisers takes seconds, so the patch is applied when that module is
   first imported (or at once if it already is), not by importing it.
4. :func:`fix_mmengine_cpu_distributed` -- mmengine 0.10.7's
   ``_init_dist_pytorch`` calls ``torch.cuda.set_device(LOCAL_RANK)``
   unconditionally, so ``--launcher pytorch`` dies on a machine without a
   GPU (``Found no NVIDIA driver``) even with the gloo backend, and the
   Runner wraps the model in ``MMDistributedDataParallel(device_ids=
   [LOCAL_RANK])``, which PyTorch refuses for a CPU module. Without CUDA we
   skip ``set_device``, use gloo (nccl needs GPUs; said in the log) and give
   DDP ``device_ids=None``; with CUDA nothing changes. Training is still
   PyTorch DDP through MMEngine.
5. :func:`fix_mmengine_atomic_checkpoint_writes` -- mmengine writes
   checkpoints (and ``last_checkpoint``) with ``open(path, 'wb')`` in
   ``LocalBackend.put``/``put_text``: a kill during the write leaves a
   truncated file under the final name, which ``--resume`` then picks.
   The local backend now writes a temporary file in the same folder and
   ``os.replace``-s it, so the final name is the old or the whole new file.
"""
import importlib
import importlib.abc
import importlib.util
import os.path as osp
import sys
import types

_APPLIED = set()
DRN_STANDIN_MSG = (
    'mmaction.models.localizers.drn is missing from the mmaction2 1.2.0 wheel '
    '(an upstream packaging bug); mmuniformer installed a stand-in so that the '
    'rest of MMAction2 imports. DRN itself is unavailable: install mmaction2 '
    'from source to use it.')


def _mmaction_dir():
    """Directory of the installed mmaction package, without importing its
    submodules (importing mmaction.models is what fails)."""
    spec = importlib.util.find_spec('mmaction')
    if spec is None or not spec.submodule_search_locations:
        return None
    return list(spec.submodule_search_locations)[0]


def fix_mmaction_missing_drn() -> bool:
    """Install the DRN stand-in if (and only if) the real one is missing.

    Returns True when the stand-in was installed.
    """
    name = 'mmaction.models.localizers.drn'
    if name in sys.modules:
        return False
    root = _mmaction_dir()
    if root is None or osp.isdir(osp.join(root, 'models', 'localizers',
                                          'drn')):
        return False
    if not osp.isfile(osp.join(root, 'models', 'localizers', '__init__.py')):
        return False

    package = types.ModuleType(name)
    package.__path__ = []  # a package, so 'drn.drn' resolves
    package.__doc__ = DRN_STANDIN_MSG
    module = types.ModuleType(name + '.drn')
    module.__doc__ = DRN_STANDIN_MSG

    class DRN:  # noqa: D401 - stand-in with a clear error
        """Stand-in for MMAction2's DRN localizer (missing from the wheel)."""

        def __init__(self, *args, **kwargs):
            raise ImportError(DRN_STANDIN_MSG)

    DRN.__module__ = module.__name__
    module.DRN = DRN
    package.drn = module
    sys.modules[name] = package
    sys.modules[name + '.drn'] = module
    try:
        from mmaction.registry import MODELS
        if 'DRN' not in MODELS.module_dict:
            MODELS.register_module(name='DRN', module=DRN)
    except Exception:  # noqa: BLE001 - registry unavailable: import fix only
        pass
    return True


def history_buffer_attr(obj, name):
    """``getattr`` as seen by ``weights_only`` loads: only public methods of
    mmengine's ``HistoryBuffer`` resolve; anything else is refused."""
    import pickle

    from mmengine.logging.history_buffer import HistoryBuffer
    if (obj is HistoryBuffer and isinstance(name, str)
            and not name.startswith('_')
            and callable(HistoryBuffer.__dict__.get(name))):
        return getattr(HistoryBuffer, name)
    raise pickle.UnpicklingError(
        f'getattr({obj!r}, {name!r}) is not allowed in a weights_only '
        'checkpoint (mmuniformer only allows HistoryBuffer methods)')


def mmengine_checkpoint_globals() -> list:
    """The non-tensor types inside mmengine 0.10.7 training checkpoints."""
    import numpy as np
    from mmengine.logging.history_buffer import HistoryBuffer

    allowed = [HistoryBuffer, np.ndarray, np.dtype,
               (history_buffer_attr, 'builtins.getattr')]
    for mod_name in ('numpy._core.multiarray', 'numpy.core.multiarray'):
        try:
            mod = importlib.import_module(mod_name)
        except ImportError:
            continue
        for attr in ('_reconstruct', 'scalar'):
            if hasattr(mod, attr):
                allowed.append(getattr(mod, attr))
    for code in '?bhilqBHILQefdgFDGUSV':
        allowed.append(type(np.dtype(code)))
    return allowed


def allow_mmengine_checkpoint_globals() -> bool:
    """Allow-list mmengine's checkpoint types for ``weights_only`` loading.

    Returns True when torch has the allow-list API (torch >= 2.4).
    """
    import torch
    add = getattr(torch.serialization, 'add_safe_globals', None)
    if add is None:
        return False
    add(mmengine_checkpoint_globals())
    return True


class _PatchingLoader(importlib.abc.Loader):
    """Runs the real loader, then ``patch(module)``."""

    def __init__(self, loader, patch):
        self._loader, self._patch = loader, patch

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        self._loader.exec_module(module)
        self._patch(module)

    def __getattr__(self, name):  # get_source, get_filename, ...
        return getattr(self._loader, name)


class _PostImportPatcher(importlib.abc.MetaPathFinder):
    """Patches module ``name`` right after it is first imported."""

    def __init__(self, name, patch):
        self.name, self.patch = name, patch

    def find_spec(self, fullname, path, target=None):
        if fullname != self.name:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, 'find_spec'):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None and spec.loader is not None:
                spec.loader = _PatchingLoader(spec.loader, self.patch)
                return spec
        return None


def patch_after_import(name: str, patch) -> None:
    """Call ``patch(module)`` for ``name`` now if imported, else on import."""
    if name in sys.modules:
        patch(sys.modules[name])
    elif not any(isinstance(f, _PostImportPatcher) and f.name == name
                 for f in sys.meta_path):
        sys.meta_path.insert(0, _PostImportPatcher(name, patch))


def _scalar_keypoint_radius(module):
    import numpy as np
    cls = module.OpencvBackendVisualizer
    original = cls.draw_circles
    if getattr(original, '_mmuniformer_scalar_radius', False):
        return

    def draw_circles(self, center, radius, *args, **kwargs):
        if (self.backend == 'opencv' and isinstance(radius, np.ndarray)
                and radius.size == 1):
            radius = radius.item()
        return original(self, center, radius, *args, **kwargs)

    draw_circles._mmuniformer_scalar_radius = True
    draw_circles.__doc__ = original.__doc__
    cls.draw_circles = draw_circles


def fix_mmpose_keypoint_radius() -> bool:
    """Scalar keypoint radius for MMPose's OpenCV visualiser (see module
    docstring). Returns False when mmpose is not installed."""
    if importlib.util.find_spec('mmpose') is None:
        return False
    patch_after_import('mmpose.visualization.opencv_backend_visualizer',
                       _scalar_keypoint_radius)
    return True


def _cuda_usable() -> bool:
    import torch
    return torch.cuda.is_available()


def fix_mmengine_cpu_distributed() -> bool:
    """CPU (gloo) ``--launcher pytorch`` for mmengine (see module docstring).
    Returns True when the patch was installed."""
    import mmengine.dist.utils as dist_utils
    from mmengine.model import MMDistributedDataParallel
    original_init = dist_utils._init_dist_pytorch
    if getattr(original_init, '_mmuniformer_cpu', False):
        return False

    def _init_dist_pytorch(backend, init_backend='torch', **kwargs):
        accel = (dist_utils.is_mlu_available() or dist_utils.is_npu_available()
                 or dist_utils.is_musa_available())
        if _cuda_usable() or accel or init_backend != 'torch':
            return original_init(backend, init_backend=init_backend,
                                 **kwargs)
        if backend != 'gloo':
            from mmengine.logging import print_log
            print_log(f'mmuniformer: no CUDA device, using the gloo backend '
                      f'instead of {backend!r}', logger='current')
            backend = 'gloo'
        dist_utils.torch_dist.init_process_group(backend=backend, **kwargs)

    _init_dist_pytorch._mmuniformer_cpu = True
    dist_utils._init_dist_pytorch = _init_dist_pytorch

    ddp_init = MMDistributedDataParallel.__init__

    def __init__(self, module, detect_anomalous_params=False, **kwargs):
        on_cpu = all(p.device.type == 'cpu' for p in module.parameters())
        if on_cpu and not _cuda_usable():
            kwargs['device_ids'] = None
            kwargs.pop('output_device', None)
        ddp_init(self, module,
                 detect_anomalous_params=detect_anomalous_params, **kwargs)

    __init__.__doc__ = ddp_init.__doc__
    MMDistributedDataParallel.__init__ = __init__
    return True


def atomic_write(path, data, mode: str = 'wb', encoding=None):
    """Write ``data`` to ``path`` through a temporary file in the same folder
    and ``os.replace``: ``path`` is either the old or the whole new file."""
    import os
    path = str(path)
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    tmp = osp.join(folder, f'.{osp.basename(path)}.tmp-{os.getpid()}')
    try:
        with open(tmp, mode, encoding=encoding) as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if osp.exists(tmp):
            os.remove(tmp)


def fix_mmengine_atomic_checkpoint_writes() -> bool:
    """Atomic ``LocalBackend.put``/``put_text`` (see module docstring)."""
    from mmengine.fileio.backends.local_backend import LocalBackend
    if getattr(LocalBackend.put, '_mmuniformer_atomic', False):
        return False

    def put(self, obj: bytes, filepath) -> None:
        atomic_write(filepath, obj, 'wb')

    def put_text(self, obj: str, filepath, encoding: str = 'utf-8') -> None:
        atomic_write(filepath, obj, 'w', encoding=encoding)

    for func, name in ((put, 'put'), (put_text, 'put_text')):
        func._mmuniformer_atomic = True
        func.__doc__ = getattr(LocalBackend, name).__doc__
        setattr(LocalBackend, name, func)
    return True


def apply_all():
    """Apply every fix once per process."""
    for fix in (fix_mmaction_missing_drn, allow_mmengine_checkpoint_globals,
                fix_mmpose_keypoint_radius, fix_mmengine_cpu_distributed,
                fix_mmengine_atomic_checkpoint_writes):
        if fix.__name__ not in _APPLIED:
            fix()
            _APPLIED.add(fix.__name__)
