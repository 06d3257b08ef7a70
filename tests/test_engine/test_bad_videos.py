"""Bad videos in the training list, with real files: by default the first
one stops the run naming file, annotation line and decoder reason; with
``default_hooks.bad_videos.skip=True`` they are skipped through mmengine's
refetch, reported per epoch (log and work_dir/skipped_videos.txt), and too
many stop the run. Short videos warn once and repeat the last frame."""
import os.path as osp
import subprocess
import sys
from types import SimpleNamespace

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from robust_helpers import make_bad_videos

import mmuniformer  # noqa: F401
from mmuniformer.datasets import make_motion_dataset
from mmuniformer.engine import BadVideoError, BadVideoHook

from conftest import REPO  # noqa: E402  (the repository root)
MOTION_CFG = osp.join(REPO, 'configs', 'recognition', 'uniformer',
                      'uniformer-tiny_scratch_1xb16-8x2x1-8e_motion-rgb.py')

REASONS = dict(
    zero='empty file (0 bytes)',
    truncated='Error reading',
    notvideo='Error reading',
    missing='file not found',
    undecodable='Error sending packet',
)


@pytest.fixture(scope='module')
def videos(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('badvid'))
    anns = make_motion_dataset(root, num_train=8, num_val=4, frames=16,
                               size=64, seed=2, splits=('train', ))
    good = [line.split()[0] for line in open(anns['train'])]
    return root, good, make_bad_videos(root, good[0])


def _ann(tmp_path, root, names, file='list.txt'):
    path = tmp_path / file
    path.write_text(''.join(f'{n} {i % 4}\n' for i, n in enumerate(names)))
    return str(path)


def _dataset(ann, root, skip=False, raw=None, hook=True, split='train'):
    from mmaction.registry import DATASETS
    init_default_scope('mmaction')
    cfg = Config.fromfile(MOTION_CFG)
    ds_cfg = cfg[f'{split}_dataloader'].dataset
    ds_cfg.update(ann_file=ann, data_prefix=dict(video=root))
    dataset = DATASETS.build(ds_cfg)
    if hook:
        BadVideoHook(max_bad_fraction=1.)._install(
            SimpleNamespace(dataset=dataset), skip, raw)
    return dataset


@pytest.mark.parametrize('case', sorted(REASONS))
def test_bad_video_is_named_without_a_runner(videos, tmp_path, case):
    """The shipped config's dataset indexed directly (a notebook, a host
    tool): the pipeline's mmuniformer.DecordInit/DecordDecode name the file
    (stock MMAction2: ``RuntimeError: Error reading 5000 bytes...``)."""
    root, good, bad = videos
    ann = _ann(tmp_path, root, good[:2] + [bad[case]])
    dataset = _dataset(ann, root, hook=False)
    assert dataset[0]['inputs'].shape == (1, 3, 8, 64, 64)
    with pytest.raises(BadVideoError) as info:
        dataset[2]
    msg = str(info.value)
    assert msg.startswith(f'{osp.join(root, bad[case])} cannot be read '
                          '(Decord'), msg
    assert REASONS[case] in msg, msg
    assert info.value.filename == osp.join(root, bad[case])
    assert info.value.stage in ('DecordInit', 'DecordDecode')
    assert 'tools/data/check_videos.py' in msg
    assert 'default_hooks.bad_videos.skip=True' in msg


def test_bad_video_error_has_one_home():
    from mmuniformer.datasets.video_faults import BadVideoError as home
    assert BadVideoError is home


@pytest.mark.parametrize('split', ['val', 'test'])
def test_skip_never_applies_at_evaluation(videos, tmp_path, split):
    """skip=True is for training: a bad video at val/test stops, through
    the hook's val/test install and for any test_mode dataset."""
    root, good, bad = videos
    ann = _ann(tmp_path, root, good[:2] + [bad['zero']])
    hook = BadVideoHook(skip=True, max_bad_fraction=1.)
    # a val/test list built without test_mode: before_val/test still stop
    dataset = _dataset(ann, root, hook=False)
    runner = SimpleNamespace(work_dir=str(tmp_path), **{
        f'{split}_dataloader': SimpleNamespace(dataset=dataset)})
    getattr(hook, f'before_{split}')(runner)
    with pytest.raises(BadVideoError, match='empty file'):
        dataset.prepare_data(2)
    # a test_mode dataset stops even when installed for training
    evaluation = _dataset(ann, root, hook=False, split=split)
    assert evaluation.test_mode
    hook._install(SimpleNamespace(dataset=evaluation), True,
                  str(tmp_path / 'raw.txt'))
    with pytest.raises(BadVideoError, match='empty file'):
        evaluation.prepare_data(2)


def test_shipped_recognition_configs_use_the_naming_readers():
    import glob
    configs = [c for c in glob.glob(osp.join(
        REPO, 'configs', 'recognition', '**', '*.py'), recursive=True)
        if '_base_' not in c]
    readers = set()
    for path in configs:
        cfg = Config.fromfile(path)
        for split in ('train', 'val', 'test'):
            loader = cfg.get(f'{split}_dataloader')
            if not loader:
                continue
            for step in loader.dataset.get('pipeline', []):
                if step['type'].endswith(('DecordInit', 'DecordDecode')):
                    readers.add(step['type'])
    assert readers == {'mmuniformer.DecordInit', 'mmuniformer.DecordDecode'}


@pytest.mark.parametrize('case', sorted(REASONS))
def test_bad_video_is_named_with_line_and_reason(videos, tmp_path, case):
    root, good, bad = videos
    ann = _ann(tmp_path, root, good[:2] + [bad[case]])
    dataset = _dataset(ann, root)
    assert dataset[0]['inputs'].shape == (1, 3, 8, 64, 64)
    with pytest.raises(BadVideoError) as info:
        dataset[2]
    msg = str(info.value)
    assert osp.join(root, bad[case]) in msg
    assert f'line 3 of {ann} ("{bad[case]} 2")' in msg
    assert REASONS[case] in msg, msg
    assert 'default_hooks.bad_videos.skip=True' in msg


def test_skip_mode_returns_none_for_mmengine_refetch(videos, tmp_path):
    root, good, bad = videos
    raw = str(tmp_path / 'raw.txt')
    dataset = _dataset(_ann(tmp_path, root, good[:2] + [bad['zero']]), root,
                       skip=True, raw=raw)
    assert dataset.prepare_data(2) is None  # BaseDataset then refetches
    assert dataset[2]['inputs'].shape == (1, 3, 8, 64, 64)
    assert bad['zero'] in open(raw).read()


def test_short_video_warns_once_and_repeats_the_last_frame(videos,
                                                           tmp_path):
    import logging

    from mmengine.logging import MMLogger
    root, good, bad = videos
    dataset = _dataset(_ann(tmp_path, root, [bad['short']]), root)
    records = []
    handler = logging.Handler(level=logging.WARNING)
    handler.emit = lambda record: records.append(record.getMessage())
    logger = MMLogger.get_current_instance()
    logger.addHandler(handler)
    try:
        clip = dataset[0]['inputs'][0]  # (3, 8, 64, 64)
        dataset[0]
    finally:
        logger.removeHandler(handler)
    # the official (PySlowFast) behaviour: indices clamped to the last
    # frame, [0 2 2 2 2 2 2 2]; MMAction2's default 'loop' would give
    # [0 2 1 0 2 1 0 2]
    assert not torch.equal(clip[:, 0], clip[:, 1])
    assert all(torch.equal(clip[:, 1], clip[:, t]) for t in range(2, 8))
    warned = [r for r in records
              if 'shorter than clip_len x frame_interval = 16' in r]
    assert len(warned) == 1, records
    assert osp.join(root, bad['short']) in warned[0]
    assert 'frame indices [0, 2, 2, 2, 2, 2, 2, 2]' in warned[0]


def _train_cfg(root, ann, work_dir, **hook):
    cfg = Config.fromfile(MOTION_CFG)
    cfg.merge_from_dict({
        'train_dataloader.dataset.ann_file': ann,
        'train_dataloader.dataset.data_prefix.video': root,
        'train_dataloader.dataset.max_refetch': 20,
        'train_dataloader.num_workers': 2,
        'train_dataloader.batch_size': 4,
        'train_cfg.max_epochs': 1,
        'default_hooks.checkpoint': dict(type='CheckpointHook', interval=-1),
        'default_hooks.bad_videos.skip': True,
        'work_dir': str(work_dir),
    })
    cfg.default_hooks.bad_videos.update(hook)
    cfg.val_dataloader = cfg.val_cfg = cfg.val_evaluator = None
    cfg.test_dataloader = cfg.test_cfg = cfg.test_evaluator = None
    cfg.param_scheduler = []
    cfg.experiment_name = f'bad_{osp.basename(str(work_dir))}'
    return cfg


def test_training_skips_bad_videos_and_reports_them(videos, tmp_path):
    """Real dataloader worker processes; 4 unreadable of 12."""
    from mmengine.runner import Runner
    root, good, bad = videos
    names = good + [bad[c] for c in ('zero', 'truncated', 'notvideo',
                                     'missing')]
    cfg = _train_cfg(root, _ann(tmp_path, root, names), tmp_path,
                     max_bad_fraction=0.5)
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert runner.iter == 3  # 12 samples, batch 4: bad ones were replaced
    report = (tmp_path / 'skipped_videos.txt').read_text()
    assert report.startswith('# epoch 1: 4 skipped\n')
    for case in ('zero', 'truncated', 'notvideo', 'missing'):
        assert osp.join(root, bad[case]) in report
    log = open(glob_one(tmp_path, '*/*.log')).read()
    assert 'epoch 1: skipped 4 unreadable video(s) of 12' in log


def test_too_many_bad_videos_stop_training(videos, tmp_path):
    from mmengine.runner import Runner
    root, good, bad = videos
    names = good + [bad['zero'], bad['missing']]
    cfg = _train_cfg(root, _ann(tmp_path, root, names), tmp_path,
                     max_bad_fraction=0.1)
    with pytest.raises(Exception, match='max_bad_fraction=0.1'):
        Runner.from_cfg(cfg).train()


def glob_one(folder, pattern):
    import glob
    found = glob.glob(osp.join(str(folder), pattern))
    assert len(found) == 1, found
    return found[0]


def test_check_videos_tool_writes_bad_entries_and_clean_list(videos,
                                                             tmp_path):
    root, good, bad = videos
    names = good[:3] + [bad[c] for c in sorted(bad)]
    ann = _ann(tmp_path, root, names)
    out_bad, out_clean = tmp_path / 'bad.txt', tmp_path / 'clean.txt'
    res = subprocess.run(
        [sys.executable, osp.join(REPO, 'tools', 'data', 'check_videos.py'),
         ann, '--data-prefix', root, '--workers', '2', '--min-frames', '16',
         '--out-bad', str(out_bad), '--out-clean', str(out_clean)],
        capture_output=True, text=True, timeout=120)
    assert res.returncode == 1, res.stderr
    rows = [line.split('\t') for line in out_bad.read_text().splitlines()]
    found = {osp.relpath(path, root): reason for _, path, reason in rows}
    assert sorted(found) == sorted(bad.values())
    for case in REASONS:
        assert found[bad[case]].startswith('bad: '), found[bad[case]]
    assert 'header says 16 frames, frame' in found[bad['undecodable']]
    assert 'Error sending packet' in found[bad['undecodable']]
    assert found[bad['short']] == 'short: 3 frames < 16 needed for one clip'
    kept = [line.split()[0] for line in out_clean.read_text().splitlines()]
    assert kept == good[:3] + [bad['short']]
    assert [int(r[0]) for r in rows] == [4, 5, 7, 8, 9, 6]  # lines
