"""``import mmuniformer`` changes no runner behaviour (issue 17): every
mmengine / torch function the old import patched is the same object before
and after the import, in a clean interpreter. The opt-ins are configs'."""
import subprocess
import sys

CHECK = r'''
import logging, warnings
import torch
import mmengine.dist.utils as dist_utils
from mmengine.fileio.backends.local_backend import LocalBackend
from mmengine.logging import MMLogger
from mmengine.model import MMDistributedDataParallel
from mmengine.model.base_module import BaseModule
from mmengine.optim.optimizer.default_constructor import \
    DefaultOptimWrapperConstructor
from mmengine.runner import Runner
targets = {
    'LocalBackend.put': lambda: LocalBackend.put,
    'LocalBackend.put_text': lambda: LocalBackend.put_text,
    '_init_dist_pytorch': lambda: dist_utils._init_dist_pytorch,
    'DDP.__init__': lambda: MMDistributedDataParallel.__init__,
    'MMLogger.__init__': lambda: MMLogger.__init__,
    'optim constructor': lambda: DefaultOptimWrapperConstructor.__call__,
    '_dump_init_info': lambda: BaseModule._dump_init_info,
    'Runner.wrap_model': lambda: Runner.wrap_model,
    'Runner.setup_env': lambda: Runner.setup_env,
}
before = {k: f() for k, f in targets.items()}
filters = list(warnings.filters)
logger_filters = list(MMLogger.get_current_instance().filters)
import mmuniformer, mmuniformer.engine
changed = [k for k, f in targets.items() if f() is not before[k]]
assert not changed, changed
assert warnings.filters == filters, 'warning filters changed'
assert MMLogger.get_current_instance().filters == logger_filters
print('UNCHANGED', len(targets))
'''


def test_import_mmuniformer_patches_no_mmengine_function():
    res = subprocess.run([sys.executable, '-c', CHECK], capture_output=True,
                         text=True, timeout=300)
    assert res.returncode == 0, res.stderr[-3000:]
    assert 'UNCHANGED 9' in res.stdout
