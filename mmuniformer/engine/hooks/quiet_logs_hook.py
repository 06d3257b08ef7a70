"""``default_hooks.quiet_logs = dict(type='mmuniformer.QuietLogsHook')``:
readable logs for one run (see :mod:`mmuniformer.quiet_logs` for what and
why)."""
from mmengine.hooks import Hook
from mmengine.logging import MMLogger

from ... import quiet_logs
from ...registry import HOOKS


@HOOKS.register_module()
class QuietLogsHook(Hook):
    """One line where mmengine writes one per parameter, and no known host
    deprecation notices, for the run whose config asks for it.

    The Runner builds its optimizer (whose constructor logs the
    ``paramwise_options`` lines) after it builds its hooks and before any
    hook stage, so the hook starts collecting those lines and dropping the
    known deprecation records and warnings when it is built (on the Runner's
    logger, the current one then); ``before_run`` writes the optimizer
    summary and replaces the per-parameter init dump until ``before_train``;
    ``after_run`` removes everything. With ``MMUNIFORMER_VERBOSE_LOGS=1`` it
    does nothing. No arguments.
    """
    priority = 'HIGHEST'

    def __init__(self):
        self._active = not quiet_logs.verbose()
        self._uninstall_init = None
        self._logger = self._collect = self._deprecations = None
        self._warnings = []
        if not self._active:
            return
        self._logger = MMLogger.get_current_instance()
        self._collect = quiet_logs.ParamwiseCollector()
        self._deprecations = quiet_logs.KnownDeprecationFilter()
        self._logger.addFilter(self._collect)
        self._logger.addFilter(self._deprecations)
        self._warnings = quiet_logs.silence_known_warnings()

    def before_run(self, runner=None):
        if not self._active:
            return
        if self._collect is not None:
            self._logger.removeFilter(self._collect)
            if self._collect.settings:
                self._logger.info(
                    quiet_logs.paramwise_summary(self._collect.settings))
            self._collect = None
        if self._uninstall_init is None:
            self._uninstall_init = quiet_logs.install_init_summary()

    def before_train(self, runner=None):
        if self._uninstall_init is not None:
            self._uninstall_init()
            self._uninstall_init = None

    def after_run(self, runner=None):
        self.before_train(runner)
        if self._logger is not None:
            for item in (self._collect, self._deprecations):
                if item is not None:
                    self._logger.removeFilter(item)
        quiet_logs.restore_warnings(self._warnings)
        self._warnings = []
        self._collect = self._deprecations = None


__all__ = ['QuietLogsHook']
