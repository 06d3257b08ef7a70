"""Work-arounds for the released OpenMMLab packages on today's stack.

Each fix is one function with its reason here and a test in
``tests/test_compat`` that fails without it. The three below are applied by
``import mmuniformer`` (every mmuniformer config imports it through
``custom_imports``):

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

Why these three, and only these, run at import: each makes a broken host
*importable or usable as documented* and changes no runner behaviour -- (1)
replaces a module that is missing from the wheel, (2) lets ``torch.load``
read mmengine's own checkpoint types that torch 2.6 refuses by default (it
adds plain-data types to torch's allow-list; no loading path changes), (3)
turns a numpy array into the scalar the drawing call already expects. None
alters training, checkpoint writing, logging or distributed setup; a config
that never uses DRN, full checkpoints or pose drawing behaves the same with
or without them.

Work-arounds that do change runner behaviour are opt-in, where a config asks
for them:

* CPU data-parallel (mmengine's dist init calls ``torch.cuda.set_device``):
  ``runner_type = 'mmuniformer.Runner'`` (:mod:`mmuniformer.engine.runner`);
* atomic checkpoint writes, rotation after the new file is durable:
  ``default_hooks.checkpoint.type = 'mmuniformer.CheckpointHook'``
  (:mod:`mmuniformer.engine.hooks.checkpoint_hook`);
* one-line optimizer / init summaries, known host deprecations dropped:
  ``default_hooks.quiet_logs = dict(type='mmuniformer.QuietLogsHook')``
  (:mod:`mmuniformer.quiet_logs`).

The shipped configs' ``_base_`` files set all three.
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


IMPORT_TIME_FIXES = (fix_mmaction_missing_drn,
                     allow_mmengine_checkpoint_globals,
                     fix_mmpose_keypoint_radius)


def apply_all():
    """Apply the import-time fixes (see the module docstring) once per
    process."""
    for fix in IMPORT_TIME_FIXES:
        if fix.__name__ not in _APPLIED:
            fix()
            _APPLIED.add(fix.__name__)
