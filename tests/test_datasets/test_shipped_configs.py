"""The shipped video configs use the checked data sets, the metric that
does not score non-finite outputs, and the label / resume hooks."""
import glob
import os.path as osp

import pytest
from mmengine.config import Config

from conftest import REPO  # noqa: E402

CONFIGS = sorted(
    osp.relpath(p, REPO) for p in
    glob.glob(osp.join(REPO, 'configs', 'recognition', '**', '*.py'),
              recursive=True) if '_base_' not in p)
CHECKED = ('mmuniformer.VideoDataset', 'mmuniformer.RepeatAugDataset',
           'mmuniformer.RawframeDataset')


@pytest.mark.parametrize('config', CONFIGS)
def test_video_config_uses_checked_lists_metric_and_hooks(config):
    cfg = Config.fromfile(osp.join(REPO, config))
    for split in ('train', 'val', 'test'):
        assert cfg[f'{split}_dataloader'].dataset.type in CHECKED, split
    for split in ('val', 'test'):
        assert cfg[f'{split}_evaluator'].type == 'mmuniformer.AccMetric'
    assert cfg.default_hooks.annotations.type == \
        'mmuniformer.AnnotationCheckHook'
    assert cfg.default_hooks.resume_config.type == \
        'mmuniformer.ResumeConfigHook'
