"""Readable training logs: one line where mmengine writes hundreds.

mmengine 0.10.7 writes, for every training run,

* one ``paramwise_options -- <param>:<key>=<value>`` INFO line per setting
  of every parameter that a ``paramwise_cfg`` touches (388 lines for
  UniFormer-B: every norm, bias and 1-D parameter), and
* after ``init_weights`` one ``<param> - <shape>: <how it was initialised>``
  record per parameter straight into the log file (three lines each).

Neither has an option to turn it off. :func:`summarise_paramwise_options`
and :func:`summarise_init_info` keep the information and print it as one
line each (counts per setting / per sub-module and initialiser). Set the
environment variable ``MMUNIFORMER_VERBOSE_LOGS=1`` to get mmengine's
per-parameter lines back. Applied by ``import mmuniformer``, so every
config of ours (``custom_imports``) gets it.

:func:`silence_known_warnings` (Python warnings) and
:func:`silence_known_log_warnings` (mmengine log records) drop deprecation
notices of the released host packages that a user can do nothing about,
each listed with its reason. Warnings printed before ``mmuniformer`` is
imported (``mim`` itself imports ``pkg_resources``) still show.
"""
import logging
import os
import re
import warnings
from collections import Counter, OrderedDict

VERBOSE_ENV = 'MMUNIFORMER_VERBOSE_LOGS'
_PARAMWISE = re.compile(r'^paramwise_options -- (\S+?):(\w+)=(.*)$')

# (message regex, category, module regex, reason)
KNOWN_WARNINGS = (
    (r'.*torch\.cuda\.amp\.(autocast|GradScaler)\(args\.\.\.\)` is '
     r'deprecated', FutureWarning, '',
     "mmengine 0.10.7's AmpOptimWrapper builds torch.cuda.amp.GradScaler, "
     'the pre-2.4 AMP API, which torch still honours'),
    (r'.*pkg_resources is deprecated', UserWarning, '',
     'mmengine 0.10.7 imports pkg_resources to resolve `mmaction::` style '
     'config bases; setuptools < 82 keeps it working'),
)


# mmengine log records (print_log, level WARNING) of the same kind:
# (message regex, reason)
KNOWN_LOG_WARNINGS = (
    (r'^"FileClient" will be deprecated in future',
     "MMAction2 1.2.0's DecordInit / OpenCVInit open videos through "
     "mmengine's FileClient; the replacement API is not used by the host"),
    (r'^"HardDiskBackend" is the alias of "LocalBackend"',
     'the same FileClient call builds the old backend name'),
)


class KnownDeprecationFilter(logging.Filter):
    """Drops the records of :data:`KNOWN_LOG_WARNINGS`."""

    patterns = [re.compile(p) for p, _ in KNOWN_LOG_WARNINGS]

    def filter(self, record):
        if record.levelno != logging.WARNING:
            return True
        msg = record.getMessage()
        return not any(p.search(msg) for p in self.patterns)


def silence_known_log_warnings() -> bool:
    """Every ``MMLogger`` made from now on (and the current one) gets
    :class:`KnownDeprecationFilter`. Returns False when already applied."""
    from mmengine.logging import MMLogger
    original = MMLogger.__init__
    if getattr(original, '_mmuniformer_quiet', False):
        return False

    def __init__(self, *args, **kwargs):
        original(self, *args, **kwargs)
        if not _verbose():
            self.addFilter(KnownDeprecationFilter())

    __init__._mmuniformer_quiet = True
    MMLogger.__init__ = __init__
    if MMLogger._instance_dict and not _verbose():
        current = MMLogger.get_current_instance()
        if not any(isinstance(f, KnownDeprecationFilter)
                   for f in current.filters):
            current.addFilter(KnownDeprecationFilter())
    return True


def _verbose() -> bool:
    return os.environ.get(VERBOSE_ENV, '').lower() in ('1', 'true', 'yes')


class _Collect(logging.Filter):
    """Drops ``paramwise_options`` records and keeps their content."""

    def __init__(self):
        super().__init__()
        self.settings = []

    def filter(self, record):
        match = _PARAMWISE.match(record.getMessage())
        if match is None:
            return True
        self.settings.append(match.groups())
        return False


def paramwise_summary(settings) -> str:
    """One line for ``[(param, key, value), ...]``."""
    params = {name for name, _, _ in settings}
    counts = Counter(f'{key}={value}' for _, key, value in settings)
    parts = ', '.join(f'{setting} x{n}' for setting, n in
                      sorted(counts.items(), key=lambda kv: -kv[1]))
    return (f'paramwise_cfg: {len(params)} parameters with their own '
            f'settings ({parts}); set {VERBOSE_ENV}=1 for one line per '
            'parameter')


def summarise_paramwise_options() -> bool:
    """Wrap ``DefaultOptimWrapperConstructor.__call__`` (see module
    docstring). Returns False when already applied."""
    from mmengine.logging import MMLogger
    from mmengine.optim.optimizer.default_constructor import \
        DefaultOptimWrapperConstructor as Ctor
    original = Ctor.__call__
    if getattr(original, '_mmuniformer_quiet', False):
        return False

    def __call__(self, model):
        if _verbose():
            return original(self, model)
        logger = MMLogger.get_current_instance()
        collect = _Collect()
        logger.addFilter(collect)
        try:
            wrapper = original(self, model)
        finally:
            logger.removeFilter(collect)
        if collect.settings:
            logger.info(paramwise_summary(collect.settings))
        return wrapper

    __call__._mmuniformer_quiet = True
    __call__.__doc__ = original.__doc__
    Ctor.__call__ = __call__
    return True


def init_summary(module) -> str:
    """One line: per top-level sub-module, how many parameter tensors got
    which initialisation (from mmengine's ``_params_init_info``)."""
    groups = OrderedDict()
    total = 0
    for name, param in module.named_parameters():
        info = module._params_init_info.get(param, {}).get('init_info', '?')
        info = ' '.join(str(info).split())
        child = name.split('.')[0]
        groups.setdefault((child, info), []).append(name)
        total += 1
    parts = []
    for (child, info), names in groups.items():
        shown = '' if len(names) > 4 else \
            ' (' + ', '.join(n[len(child) + 1:] for n in names) + ')'
        parts.append(f'{child}: {len(names)}{shown} {info.rstrip(". ")}')
    return (f'init_weights of {type(module).__name__}: {total} parameter '
            f'tensors; ' + '; '.join(parts))


def summarise_init_info() -> bool:
    """Replace ``BaseModule._dump_init_info`` by one summary line (see
    module docstring). Returns False when already applied."""
    from mmengine.dist import master_only
    from mmengine.logging import MMLogger
    from mmengine.model.base_module import BaseModule
    original = BaseModule._dump_init_info
    if getattr(original, '_mmuniformer_quiet', False):
        return False

    @master_only
    def _dump_init_info(self):
        if _verbose():
            return original(self)
        MMLogger.get_current_instance().info(init_summary(self))

    _dump_init_info._mmuniformer_quiet = True
    BaseModule._dump_init_info = _dump_init_info
    return True


def silence_known_warnings() -> int:
    """Ignore the warnings of :data:`KNOWN_WARNINGS` (their reasons are in
    the table). Returns how many filters were added."""
    if _verbose():
        return 0
    for message, category, module, _ in KNOWN_WARNINGS:
        warnings.filterwarnings('ignore', message=message, category=category,
                                module=module)
    return len(KNOWN_WARNINGS)


def apply_all() -> None:
    """Patch mmengine when (or if already) its modules are imported, so
    that ``import mmuniformer`` stays cheap."""
    from .compat import patch_after_import
    patch_after_import('mmengine.optim.optimizer.default_constructor',
                       lambda module: summarise_paramwise_options())
    patch_after_import('mmengine.model.base_module',
                       lambda module: summarise_init_info())
    patch_after_import('mmengine.logging.logger',
                       lambda module: silence_known_log_warnings())
    silence_known_warnings()
