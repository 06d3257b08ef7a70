"""Readable training logs: one line where mmengine writes hundreds.

mmengine 0.10.7 writes, for every training run,

* one ``paramwise_options -- <param>:<key>=<value>`` INFO line per setting
  of every parameter that a ``paramwise_cfg`` touches (388 lines for
  UniFormer-B: every norm, bias and 1-D parameter), and
* after ``init_weights`` one ``<param> - <shape>: <how it was initialised>``
  record per parameter straight into the log file (three lines each).

Neither has an option to turn it off. :class:`ParamwiseCollector` and
:func:`install_init_summary` keep the information and print it as one line
each (counts per setting / per sub-module and initialiser).
:func:`silence_known_warnings` (Python warnings) and
:class:`KnownDeprecationFilter` (mmengine log records) drop deprecation
notices of the released host packages that a user can do nothing about,
each listed with its reason.

Nothing here acts on import: a config asks for it with
``default_hooks.quiet_logs = dict(type='mmuniformer.QuietLogsHook')``
(:mod:`mmuniformer.engine.hooks.quiet_logs_hook`; the shipped configs'
``_base_`` files do), which installs these pieces for one run and removes
them after it. Set the environment variable ``MMUNIFORMER_VERBOSE_LOGS=1``
to get mmengine's lines back.
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


def _verbose() -> bool:
    return os.environ.get(VERBOSE_ENV, '').lower() in ('1', 'true', 'yes')


class ParamwiseCollector(logging.Filter):
    """Drops ``paramwise_options`` records and keeps their content in
    ``settings`` (``[(param, key, value), ...]``)."""

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


def install_init_summary():
    """Make ``BaseModule._dump_init_info`` write :func:`init_summary` (one
    line) instead of three lines per parameter; returns the function that
    puts mmengine's back. For the span of one run (``QuietLogsHook``)."""
    from mmengine.dist import master_only
    from mmengine.logging import MMLogger
    from mmengine.model.base_module import BaseModule
    original = BaseModule.__dict__['_dump_init_info']

    @master_only
    def _dump_init_info(self):
        MMLogger.get_current_instance().info(init_summary(self))

    BaseModule._dump_init_info = _dump_init_info

    def uninstall():
        if BaseModule.__dict__.get('_dump_init_info') is _dump_init_info:
            BaseModule._dump_init_info = original
    return uninstall


def silence_known_warnings() -> list:
    """Ignore the warnings of :data:`KNOWN_WARNINGS` (their reasons are in
    the table). Returns the filters added, for :func:`restore_warnings`."""
    added = []
    for message, category, module, _ in KNOWN_WARNINGS:
        warnings.filterwarnings('ignore', message=message, category=category,
                                module=module)
        added.append(warnings.filters[0])
    return added


def restore_warnings(added: list) -> None:
    """Remove the filters :func:`silence_known_warnings` added."""
    for entry in added:
        if entry in warnings.filters:
            warnings.filters.remove(entry)
    getattr(warnings, "_filters_mutated", lambda: None)()


def verbose() -> bool:
    """Whether ``MMUNIFORMER_VERBOSE_LOGS`` asks for mmengine's lines."""
    return _verbose()
