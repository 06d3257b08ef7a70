"""BadVideoHook where the videos sit behind a dataset wrapper
(mmengine's ``ConcatDataset``, as a config joining two lists builds it),
and at evaluation, where ``skip=True`` must not hide a bad video."""
import os.path as osp

import pytest
from mmengine.config import Config
from robust_helpers import make_bad_videos

import mmuniformer  # noqa: F401
from mmuniformer.datasets import make_motion_dataset
from mmuniformer.engine import BadVideoError

from conftest import REPO  # noqa: E402  (the repository root)
MOTION_CFG = osp.join(REPO, 'configs', 'recognition', 'uniformer',
                      'uniformer-tiny_scratch_1xb16-8x2x1-8e_motion-rgb.py')


@pytest.fixture(scope='module')
def videos(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('wrapped'))
    anns = make_motion_dataset(root, num_train=8, num_val=4, frames=16,
                               size=64, seed=4)
    good = [line.split()[0] for line in open(anns['train'])]
    val = [line.split()[0] for line in open(anns['val'])]
    return root, good, val, make_bad_videos(root, good[0])


def _ann(path, names):
    path.write_text(''.join(f'{n} {i % 4}\n' for i, n in enumerate(names)))
    return str(path)


def _cfg(root, work_dir, train_anns, skip, val_ann=None):
    cfg = Config.fromfile(MOTION_CFG)
    sub = cfg.train_dataloader.dataset
    parts = [dict(sub, ann_file=ann, data_prefix=dict(video=root),
                  max_refetch=20) for ann in train_anns]
    cfg.train_dataloader.dataset = dict(type='ConcatDataset', datasets=parts)
    cfg.merge_from_dict({
        'train_dataloader.num_workers': 0,
        'train_dataloader.batch_size': 4,
        'train_cfg.max_epochs': 1,
        'default_hooks.checkpoint': dict(type='CheckpointHook', interval=-1),
        'default_hooks.bad_videos.skip': skip,
        'default_hooks.bad_videos.max_bad_fraction': 0.5,
        'work_dir': str(work_dir),
        'experiment_name': f'wrapped_{osp.basename(str(work_dir))}',
    })
    cfg.param_scheduler = []
    cfg.test_dataloader = cfg.test_cfg = cfg.test_evaluator = None
    if val_ann is None:
        cfg.val_dataloader = cfg.val_cfg = cfg.val_evaluator = None
    else:
        cfg.merge_from_dict({
            'val_dataloader.dataset.ann_file': val_ann,
            'val_dataloader.dataset.data_prefix.video': root,
            'val_dataloader.num_workers': 0,
            'val_dataloader.batch_size': 2,
            'train_cfg.val_interval': 1,
        })
    return cfg


def test_concat_dataset_bad_video_is_named(videos, tmp_path):
    from mmengine.runner import Runner
    root, good, _, bad = videos
    anns = [_ann(tmp_path / 'a.txt', good[:4]),
            _ann(tmp_path / 'b.txt', good[4:] + [bad['truncated']])]
    with pytest.raises(BadVideoError) as info:
        Runner.from_cfg(_cfg(root, tmp_path, anns, skip=False)).train()
    message = str(info.value)
    assert osp.join(root, bad['truncated']) in message
    assert 'b.txt' in message and 'line 5' in message


def test_concat_dataset_skips_and_reports(videos, tmp_path):
    from mmengine.runner import Runner
    root, good, _, bad = videos
    anns = [_ann(tmp_path / 'a.txt', good[:4] + [bad['zero']]),
            _ann(tmp_path / 'b.txt', good[4:] + [bad['missing']])]
    runner = Runner.from_cfg(_cfg(root, tmp_path, anns, skip=True))
    runner.train()
    assert runner.iter == 3  # 10 samples, batch 4: bad ones replaced
    report = (tmp_path / 'skipped_videos.txt').read_text()
    assert report.startswith('# epoch 1: 2 skipped\n'), report
    for case in ('zero', 'missing'):
        assert osp.join(root, bad[case]) in report


def test_skip_does_not_apply_to_evaluation(videos, tmp_path):
    """skip=True for training; a bad video in the validation list still
    stops the run, named (a skipped clip would change the metric)."""
    from mmengine.runner import Runner
    root, good, val, bad = videos
    anns = [_ann(tmp_path / 'a.txt', good)]
    val_ann = _ann(tmp_path / 'val.txt', val + [bad['notvideo']])
    cfg = _cfg(root, tmp_path, anns, skip=True, val_ann=val_ann)
    with pytest.raises(BadVideoError) as info:
        Runner.from_cfg(cfg).train()
    assert osp.join(root, bad['notvideo']) in str(info.value)
