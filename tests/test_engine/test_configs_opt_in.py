"""The shipped training configs ask for the runner behaviour that
``import mmuniformer`` no longer applies (issue 17): ``mmuniformer.Runner``
and the checkpoint / preemption / lock / log hooks, from their ``_base_``."""
import glob
import os.path as osp

import pytest
from mmengine.config import Config

from conftest import REPO

CONFIGS = sorted(
    c for c in glob.glob(osp.join(REPO, 'configs', '*', 'uniformer', '*.py'))
    if '_base_' not in c)
WANT = {'checkpoint': 'mmuniformer.CheckpointHook',
        'preemption': 'mmuniformer.PreemptionHook',
        'run_lock': 'mmuniformer.RunLockHook',
        'quiet_logs': 'mmuniformer.QuietLogsHook'}


@pytest.mark.parametrize('path', CONFIGS,
                         ids=[osp.relpath(c, REPO) for c in CONFIGS])
def test_shipped_config_opts_in(path):
    cfg = Config.fromfile(path)
    assert cfg.get('runner_type') == 'mmuniformer.Runner'
    hooks = {key: value['type'] for key, value in cfg.default_hooks.items()
             if value is not None}
    for key, hook in WANT.items():
        assert hooks.get(key) == hook, (key, hooks)


def test_every_task_is_covered():
    tasks = {osp.relpath(c, REPO).split(osp.sep)[1] for c in CONFIGS}
    assert tasks == {'classification', 'detection', 'pose', 'recognition',
                     'segmentation'}
