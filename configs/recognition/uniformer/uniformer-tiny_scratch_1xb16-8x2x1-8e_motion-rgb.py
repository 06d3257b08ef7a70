# The package's demo task, runnable on 2 CPU cores in a few minutes: a small
# UniFormer3D trained from scratch on the synthetic "motion direction" videos
# of mmuniformer.datasets.synthetic_motion (4 classes that only frame order
# tells apart). Made by `python tools/demo/motion_demo.py`, which writes the
# data under data/motion and runs `mim train` / `mim test` on this config.
_base_ = ['./_base_/uniformer3d_model.py', 'mmaction::_base_/default_runtime.py']

num_classes = 4
data_root = 'data/motion'
model = dict(
    backbone=dict(
        arch=dict(_delete_=True, depths=(1, 1, 2, 1),
                  embed_dims=(16, 32, 64, 64), head_dim=16),
        drop_path_rate=0.),
    cls_head=dict(in_channels=64, num_classes=num_classes,
                  label_smooth_eps=0.),
    # left/right and up/down are the labels: no mixup, no flips
    data_preprocessor=dict(_delete_=True, type='ActionDataPreprocessor',
                           mean=[114.75, 114.75, 114.75],
                           std=[57.375, 57.375, 57.375],
                           format_shape='NCTHW'))

# past the end of a short video: repeat the last frame, as the official
# (PySlowFast) sampler clamps indices (MMAction2's default 'loop' wraps)
sampling = dict(clip_len=8, frame_interval=2, num_clips=1,
                out_of_bound_opt='repeat_last')
train_pipeline = [
    dict(type='mmuniformer.DecordInit'),
    dict(type='SampleFrames', **sampling),
    dict(type='mmuniformer.DecordDecode'),
    dict(type='RandomResizedCrop', area_range=(0.6, 1.)),
    dict(type='Resize', scale=(64, 64), keep_ratio=False),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs')
]
test_pipeline = [
    dict(type='mmuniformer.DecordInit'),
    dict(type='SampleFrames', test_mode=True, **sampling),
    dict(type='mmuniformer.DecordDecode'),
    dict(type='Resize', scale=(64, 64), keep_ratio=False),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs')
]


train_dataloader = dict(
    batch_size=16,
    num_workers=2,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type='mmuniformer.VideoDataset',
        ann_file=f'{data_root}/train.txt',
        data_prefix=dict(video=data_root),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=16,
    num_workers=2,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='mmuniformer.VideoDataset',
        ann_file=f'{data_root}/val.txt',
        data_prefix=dict(video=data_root),
        pipeline=test_pipeline,
        test_mode=True))
test_dataloader = val_dataloader
val_evaluator = dict(type='mmuniformer.AccMetric')
test_evaluator = val_evaluator

max_epochs = 8
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs,
                 val_begin=1, val_interval=4)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(
    optimizer=dict(type='AdamW', lr=2e-3, betas=(0.9, 0.999),
                   weight_decay=0.05),
    paramwise_cfg=dict(flat_decay_mult=0.),
    clip_grad=dict(max_norm=20, norm_type=2))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=1,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - 1, eta_min=1e-5,
         by_epoch=True, begin=1, end=max_epochs, convert_to_iter_based=True)
]
default_hooks = dict(
    checkpoint=dict(type='mmuniformer.CheckpointHook',
                    interval=4, max_keep_ckpts=1, save_best='acc/top1',
                    rule='greater'),
    logger=dict(interval=5),
    # training that survives (docs/advanced_guides/robust_training.md):
    # stop at the first non-finite loss / grad norm, never checkpoint
    # non-finite weights; exact --resume (generator states), fallback to
    # the newest readable checkpoint
    nonfinite=dict(type='mmuniformer.NonFiniteCheckHook'),
    resume=dict(type='mmuniformer.ExactResumeHook'),
    # unreadable videos: named by default; skip them with
    # --cfg-options default_hooks.bad_videos.skip=True
    bad_videos=dict(type='mmuniformer.BadVideoHook', skip=False,
                    max_bad_fraction=0.01),
    # checkpoints never lost, SIGTERM/SIGUSR1 save and stop, one run per
    # work_dir, one-line optimizer/init logs
    # (docs/advanced_guides/robust_training.md)
    preemption=dict(type='mmuniformer.PreemptionHook'),
    run_lock=dict(type='mmuniformer.RunLockHook'),
    quiet_logs=dict(type='mmuniformer.QuietLogsHook'),
    # labels of the train/val/test lists inside the head's range, checked
    # before iteration 1; --resume with a changed config: what differs, and
    # what wins (docs/advanced_guides/robust_training.md)
    annotations=dict(type='mmuniformer.AnnotationCheckHook'),
    resume_config=dict(type='mmuniformer.ResumeConfigHook'),
)
randomness = dict(seed=0)
auto_scale_lr = dict(enable=False, base_batch_size=16)
custom_hooks = [dict(type='mmuniformer.OfficialCheckpointHook')]
