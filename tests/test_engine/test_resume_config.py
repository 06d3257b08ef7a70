"""--resume with a changed config: every difference is listed with its
winner; a changed number of iterations per epoch stops the run (issue 18:
today rc 0, the new lr silently ignored, batch 8 on a schedule built for 6
iterations per epoch)."""
import glob
import itertools
import os.path as osp

import pytest
import torch
from mmengine.config import Config

import mmuniformer  # noqa: F401
from mmuniformer.engine.hooks import ResumeConfigError

from toy_runner import ToyModel  # noqa: E402

_RUNS = itertools.count()


def _runner(work_dir, lr=0.01, batch=2, max_epochs=2, resume=False,
            on_schedule_change='error'):
    from mmengine.runner import Runner
    data = [dict(inputs=torch.randn(2), labels=torch.randn(1))
            for _ in range(12)]
    settings = dict(
        work_dir=str(work_dir),
        train_dataloader=dict(dataset=data, batch_size=batch,
                              sampler=dict(type='DefaultSampler',
                                           shuffle=False),
                              collate_fn=dict(type='default_collate')),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=lr)),
        param_scheduler=[dict(type='LinearLR', start_factor=0.5, begin=0,
                              end=1, by_epoch=True,
                              convert_to_iter_based=True)],
        train_cfg=dict(by_epoch=True, max_epochs=max_epochs),
        default_hooks=dict(
            checkpoint=dict(type='CheckpointHook', interval=1),
            resume_config=dict(type='mmuniformer.ResumeConfigHook',
                               on_schedule_change=on_schedule_change)),
        resume=resume, default_scope='mmengine',
        # one logger (and log file) per runner, whatever the clock says
        experiment_name=f'resume_cfg_{next(_RUNS)}')
    cfg = Config({k: v for k, v in settings.items() if k != 'train_dataloader'}
                 | dict(train_dataloader=dict(batch_size=batch)))
    return Runner(model=ToyModel(), cfg=cfg, **settings)


def _log(work_dir):
    """The log of the last run in ``work_dir`` (folders are named by the
    experiment name, which counts up)."""
    logs = glob.glob(osp.join(str(work_dir), '*', '*.log'))
    return open(max(logs, key=osp.getmtime)).read()


def test_changed_lr_listed_checkpoint_wins(tmp_path):
    _runner(tmp_path, lr=0.01).train()
    runner = _runner(tmp_path, lr=0.5, max_epochs=3, resume=True)
    runner.train()
    log = _log(tmp_path)
    assert 'optim_wrapper.optimizer.lr: checkpoint 0.01 -> config 0.5; ' \
        'checkpoint wins' in log
    assert 'train_cfg.max_epochs: checkpoint 2 -> config 3; config wins' \
        in log
    # the rule as stated: the restored optimizer state holds the first lr
    assert runner.optim_wrapper.param_groups[0]['lr'] == pytest.approx(0.01)


def test_changed_batch_size_stops_before_training(tmp_path):
    _runner(tmp_path, batch=2).train()
    runner = _runner(tmp_path, batch=4, max_epochs=3, resume=True)
    with pytest.raises(ResumeConfigError) as err:
        runner.train()
    text = str(err.value)
    assert 'batch_size: checkpoint 2 -> config 4; config wins' in text
    assert 'iters_per_epoch: checkpoint 6 -> config 3; config wins' in text
    assert 'load_from=' in text and 'on_schedule_change=warn' in text
    assert runner.iter == 0  # stopped while loading: no step taken


def test_schedule_change_can_be_accepted(tmp_path):
    _runner(tmp_path, batch=2).train()
    runner = _runner(tmp_path, batch=4, max_epochs=3, resume=True,
                     on_schedule_change='warn')
    runner.train()
    assert 'iters_per_epoch: checkpoint 6 -> config 3' in _log(tmp_path)
    assert runner.epoch == 3


def test_unchanged_resume_says_nothing(tmp_path):
    _runner(tmp_path).train()
    _runner(tmp_path, max_epochs=2, resume=True).train()
    assert 'differs from the checkpoint' not in _log(tmp_path)


def test_checkpoint_records_run_shape(tmp_path):
    _runner(tmp_path, batch=3).train()
    ckpt = torch.load(osp.join(str(tmp_path), 'epoch_2.pth'),
                      weights_only=False)
    assert ckpt['meta']['run_shape'] == dict(world_size=1, batch_size=3,
                                             iters_per_epoch=4)
