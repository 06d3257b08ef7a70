"""The upstream work-arounds of mmuniformer.compat: each is needed (the
bug shows without it, in a clean interpreter) and each fix works."""
import os.path as osp
import subprocess
import sys

import pytest
import torch
from toy_runner import toy_runner

import mmuniformer  # noqa: F401
from mmuniformer import compat


def _python(code):
    return subprocess.run([sys.executable, '-c', code], capture_output=True,
                          text=True, timeout=300)


def test_mmaction_models_fail_without_the_fix():
    """Documents the packaging bug; if this ever passes, the wheel was
    fixed upstream and the stand-in is no longer installed (see
    fix_mmaction_missing_drn, which checks the folder first)."""
    res = _python('import mmaction.models')
    assert res.returncode != 0
    assert 'mmaction.models.localizers.drn' in res.stderr


def test_all_of_mmaction_imports_and_works_after_import():
    res = _python(
        'import mmuniformer, mmaction.models, mmaction.apis, '
        'mmaction.datasets\n'
        'from mmaction.registry import MODELS\n'
        'from mmengine.registry import init_default_scope\n'
        'init_default_scope("mmaction")\n'
        'm = MODELS.build(dict(type="I3DHead", num_classes=3, '
        'in_channels=8))\n'
        'print(type(m).__name__)')
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip().endswith('I3DHead')


def test_drn_stand_in_raises_a_clear_error():
    from mmaction.registry import MODELS
    from mmengine.registry import init_default_scope
    init_default_scope('mmaction')
    with pytest.raises(ImportError, match='missing from the mmaction2 1.2.0'):
        MODELS.build(dict(type='DRN'))


def test_drn_fix_leaves_a_real_drn_alone(monkeypatch, tmp_path):
    fake_root = tmp_path / 'mmaction'
    (fake_root / 'models' / 'localizers' / 'drn').mkdir(parents=True)
    (fake_root / 'models' / 'localizers' / '__init__.py').write_text('')
    monkeypatch.setattr(compat, '_mmaction_dir', lambda: str(fake_root))
    saved = {k: sys.modules.pop(k) for k in list(sys.modules)
             if k.startswith('mmaction.models.localizers.drn')}
    try:
        assert compat.fix_mmaction_missing_drn() is False
        assert 'mmaction.models.localizers.drn' not in sys.modules
    finally:
        sys.modules.update(saved)


RESUME_SCRIPT = '''
import sys
sys.path.insert(0, {tests!r})
{prelude}
from toy_runner import toy_runner
runner = toy_runner({work!r}, 2, resume=True)
runner.train()
print('EPOCH', runner.epoch)
'''


@pytest.fixture
def trained_work_dir(tmp_path):
    runner = toy_runner(tmp_path, 1)
    runner.train()
    assert osp.isfile(tmp_path / 'epoch_1.pth')
    return tmp_path


def test_resume_fails_without_the_fix(trained_work_dir):
    tests = osp.dirname(osp.dirname(osp.abspath(__file__)))
    res = _python(RESUME_SCRIPT.format(tests=tests, prelude='',
                                       work=str(trained_work_dir)))
    assert res.returncode != 0
    assert 'HistoryBuffer' in res.stderr or 'weights_only' in res.stderr


def test_resume_of_a_real_runner_checkpoint_works(trained_work_dir):
    tests = osp.dirname(osp.dirname(osp.abspath(__file__)))
    res = _python(RESUME_SCRIPT.format(tests=tests, prelude='import '
                                       'mmuniformer',
                                       work=str(trained_work_dir)))
    assert res.returncode == 0, res.stderr[-3000:]
    assert 'EPOCH 2' in res.stdout
    # mmengine's line after a resume from epoch_1.pth (EPOCH 2 alone would
    # also hold for a run that started over)
    assert 'resumed epoch: 1, iter:' in res.stdout + res.stderr


class NotAllowed:
    """A class no allow-list names."""


def test_untrusted_objects_are_still_refused(tmp_path):
    path = tmp_path / 'evil.pth'
    torch.save({'state_dict': {}, 'payload': NotAllowed()}, path)
    from mmengine.runner.checkpoint import CheckpointLoader
    with pytest.raises(Exception, match='weights_only|Unsupported global'):
        CheckpointLoader.load_checkpoint(str(path), map_location='cpu')


def test_getattr_in_checkpoints_only_resolves_history_buffer_methods():
    import os
    from mmengine.logging.history_buffer import HistoryBuffer
    assert compat.history_buffer_attr(HistoryBuffer, 'mean') is \
        HistoryBuffer.mean
    for obj, name in ((os, 'system'), (HistoryBuffer, '__init__'),
                      (HistoryBuffer, '_statistics_methods'),
                      (dict, 'get')):
        with pytest.raises(Exception, match='not allowed'):
            compat.history_buffer_attr(obj, name)


class GetattrPayload:
    """Pickles as getattr(HistoryBuffer, '__init__') -- must be refused."""

    def __reduce__(self):
        from mmengine.logging.history_buffer import HistoryBuffer
        return (getattr, (HistoryBuffer, '__init__'))


def test_getattr_payloads_are_refused(tmp_path):
    path = tmp_path / 'evil.pth'
    torch.save({'x': GetattrPayload()}, path)
    with pytest.raises(Exception, match='not allowed'):
        torch.load(path)


DRAW_KEYPOINT = '''
{prelude}
import numpy as np
from mmpose.visualization import PoseLocalVisualizer
vis = PoseLocalVisualizer(backend='opencv', radius=3)
vis.set_image(np.zeros((32, 32, 3), np.uint8))
vis.draw_circles(np.array([10., 12.]), radius=np.array([vis.radius]),
                 face_colors=(255, 0, 0), edge_colors=(255, 0, 0),
                 line_widths=3)
print('DRAWN', int(vis.get_image().sum() > 0))
'''


def test_mmpose_keypoint_drawing_fails_without_the_fix():
    res = _python(DRAW_KEYPOINT.format(prelude=''))
    assert res.returncode != 0
    assert 'TypeError' in res.stderr


def test_mmpose_keypoint_drawing_works_after_import():
    """Patched when mmpose's visualiser is imported after mmuniformer."""
    res = _python(DRAW_KEYPOINT.format(prelude='import mmuniformer'))
    assert res.returncode == 0, res.stderr[-2000:]
    assert 'DRAWN 1' in res.stdout


def test_mmpose_patch_applies_when_imported_first():
    res = _python(DRAW_KEYPOINT.format(
        prelude='import mmpose.visualization\nimport mmuniformer'))
    assert res.returncode == 0, res.stderr[-2000:]
    assert 'DRAWN 1' in res.stdout
