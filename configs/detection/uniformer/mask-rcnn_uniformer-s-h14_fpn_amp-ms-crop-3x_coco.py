# Mask R-CNN + FPN with a UniFormer-S backbone (hybrid stage 3, window 14),
# 3x schedule with DETR-style multi-scale + crop augmentation.
# Official exp: mask_rcnn_3x_ms_hybrid_small
# (COCO val2017: 48.2 box AP / 43.4 mask AP, 41M params, 269 GFLOPs).
#
# Official run: 8 GPUs x 2 images, AdamW lr 1e-4, wd 0.05 with no decay on
# `*norm*` parameters, warmup 500 iters (ratio 0.001), 36 epochs with steps at
# 27 and 33, apex O1 mixed precision, no gradient clipping, drop path 0.1,
# checkpoint_num [0, 0, 8, 0], uniformer_small_in1k.pth initialisation.
# Train: flip 0.5, then either (A) resize short side in {480, 512, ..., 800},
# long side <= 1333, or (B) resize short side in {400, 500, 600}, random crop
# of 384-600 px (absolute range), then A; padded to a multiple of 32. The
# Swin 3x base config below carries exactly that pipeline. Test: (1333, 800),
# no flip.
_base_ = ['mmdet::swin/mask-rcnn_swin-t-p4-w7_fpn_ms-crop-3x_coco.py']

custom_imports = dict(imports=['mmuniformer'], allow_failed_imports=False)
# mmengine's Runner that also runs --launcher pytorch without a GPU (gloo)
runner_type = 'mmuniformer.Runner'

pretrained = 'checkpoints/uniformer_small_in1k.pth'

model = dict(
    backbone=dict(
        _delete_=True,
        type='mmuniformer.UniFormer',
        arch='small',
        head_dim=64,
        attn_mode='hybrid',
        window_size=14,
        drop_path_rate=0.1,
        out_indices=(0, 1, 2, 3),
        frozen_stages=-1,
        norm_eval=False,
        with_cp=(0, 0, 8, 0),
        init_cfg=dict(type='Pretrained', checkpoint=pretrained)),
    neck=dict(in_channels=[64, 128, 320, 512]))

max_epochs = 36
train_cfg = dict(max_epochs=max_epochs)

# The Swin base warms up for 1000 iters; the official UniFormer runs used 500.
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0,
         end=500),
    dict(type='MultiStepLR', begin=0, end=max_epochs, by_epoch=True,
         milestones=[27, 33], gamma=0.1)
]

# The official config also listed `absolute_pos_embed` and
# `relative_position_bias_table` (Swin leftovers that match no UniFormer
# parameter); only `norm` has an effect, so only `norm` is kept.
optim_wrapper = dict(
    # bf16 autocast (official: fp16 AMP); see docs/user_guides/mixed_precision.md
    type='mmuniformer.AmpOptimWrapper',
    dtype='bfloat16',
    paramwise_cfg=dict(
        _delete_=True, custom_keys={'norm': dict(decay_mult=0.)}),
    optimizer=dict(
        _delete_=True,
        type='AdamW',
        lr=1e-4,
        betas=(0.9, 0.999),
        weight_decay=0.05))

auto_scale_lr = dict(base_batch_size=16)

default_hooks = dict(
    checkpoint=dict(type='mmuniformer.CheckpointHook'),
    # training that survives (docs/advanced_guides/robust_training.md):
    # stop at the first non-finite loss / grad norm, never checkpoint
    # non-finite weights; exact --resume (generator states), fallback to
    # the newest readable checkpoint
    nonfinite=dict(type='mmuniformer.NonFiniteCheckHook'),
    resume=dict(type='mmuniformer.ExactResumeHook'),
    # average the backbone's BatchNorm buffers over ranks at the end of
    # training and before validation (the host's runtime lacks it, MMAction2
    # and our pose configs have it): every rank ends identical to the
    # checkpoint saved at the end
    sync_buffers=dict(type='mmuniformer.SyncBuffersHook'),
    # checkpoints never lost, SIGTERM/SIGUSR1 save and stop, one run per
    # work_dir, one-line optimizer/init logs
    # (docs/advanced_guides/robust_training.md)
    preemption=dict(type='mmuniformer.PreemptionHook'),
    run_lock=dict(type='mmuniformer.RunLockHook'),
    quiet_logs=dict(type='mmuniformer.QuietLogsHook'),
)
