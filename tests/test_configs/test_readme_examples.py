"""The docs' "swap UniFormer into any existing mm config" examples are
real configs: each python block with a `_base_` in the README, the config
folders' READMEs and docs/ (the MMAction2 one is in
docs/user_guides/train_test.md) builds its model."""
import glob
import os.path as osp
import re

import pytest
from mmengine.config import Config
from mmengine.registry import init_default_scope

import mmuniformer  # noqa: F401

from conftest import REPO  # noqa: E402  (the repository root)
READMES = [osp.join(REPO, 'README.md')] + sorted(
    glob.glob(osp.join(REPO, 'configs', '*', 'uniformer', 'README.md'))) + \
    sorted(glob.glob(osp.join(REPO, 'docs', '**', '*.md'), recursive=True))
HOSTS = {'mmaction': 'mmaction', 'mmdet': 'mmdet', 'mmseg': 'mmseg',
         'mmpose': 'mmpose'}


def _examples():
    found = []
    for path in READMES:
        with open(path) as f:
            text = f.read()
        for block in re.findall(r'```python\n(.*?)```', text, flags=re.S):
            m = re.search(r"_base_ = \['(\w+)::", block)
            if m:
                found.append(pytest.param(block, m.group(1),
                                          id=f'{osp.relpath(path, REPO)}:'
                                          f'{m.group(1)}'))
    return found


EXAMPLES = _examples()


def test_every_host_has_an_example():
    assert {p.values[1] for p in EXAMPLES} >= set(HOSTS)


@pytest.mark.parametrize('block,host', EXAMPLES)
def test_example_builds(block, host, tmp_path):
    import importlib
    path = tmp_path / 'example.py'
    path.write_text(block)
    cfg = Config.fromfile(str(path))
    assert cfg.model.backbone.type.startswith('mmuniformer.')
    cfg.model.backbone.init_cfg = None
    init_default_scope(HOSTS[host])
    registry = importlib.import_module(f'{HOSTS[host]}.registry').MODELS
    model = registry.build(cfg.model)
    assert type(model.backbone).__module__.startswith('mmuniformer.')
