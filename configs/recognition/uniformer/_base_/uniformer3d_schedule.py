# Official video schedule (§7.3): AdamW (eps 1e-8, wd 0.05, no decay on 1-D
# parameters), linear warmup from 1e-6 then cosine to 1e-6, updated per
# iteration; AMP; grad-norm clip 20. Experiments set base_lr, max_epochs,
# warmup_epochs and auto_scale_lr.base_batch_size; mmengine replaces lists
# wholesale, so one that changes them restates param_scheduler as
# dict(_base_.param_scheduler[i], <changed keys>) for each scheduler.
_base_ = ['mmaction::_base_/default_runtime.py']

base_lr = 1e-4
max_epochs = 110
warmup_epochs = 10

train_cfg = dict(
    type='EpochBasedTrainLoop', max_epochs=max_epochs, val_begin=1,
    val_interval=5)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

optim_wrapper = dict(
    # bf16 autocast (official: fp16 AMP); see docs/user_guides/mixed_precision.md
    type='mmuniformer.AmpOptimWrapper',
    dtype='bfloat16',
    optimizer=dict(
        type='AdamW', lr=base_lr, betas=(0.9, 0.999), eps=1e-8,
        weight_decay=0.05),
    paramwise_cfg=dict(flat_decay_mult=0., norm_decay_mult=0.,
                       bias_decay_mult=0.),
    clip_grad=dict(max_norm=20, norm_type=2))

param_scheduler = [
    dict(type='LinearLR', start_factor=1e-6 / base_lr, by_epoch=True,
         begin=0, end=warmup_epochs, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - warmup_epochs,
         eta_min=1e-6, by_epoch=True, begin=warmup_epochs, end=max_epochs,
         convert_to_iter_based=True),
]

default_hooks = dict(
    checkpoint=dict(type='mmuniformer.CheckpointHook',
                    interval=1, max_keep_ckpts=3, save_best='auto'),
    logger=dict(interval=100),
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

# auto_scale_lr: base_batch_size is the official total batch in videos per
# step (clips = 2x with repeated augmentation); enable it with
# `--auto-scale-lr` when your total batch differs.
auto_scale_lr = dict(enable=False, base_batch_size=32)
