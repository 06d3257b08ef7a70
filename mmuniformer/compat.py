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
"""
import importlib
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


def apply_all():
    """Apply every fix once per process."""
    for fix in (fix_mmaction_missing_drn, allow_mmengine_checkpoint_globals):
        if fix.__name__ not in _APPLIED:
            fix()
            _APPLIED.add(fix.__name__)
