# Mask R-CNN + FPN with a UniFormer-S backbone (hybrid stage 3, window 14),
# 1x schedule, single scale. Official exp: mask_rcnn_1x_hybrid_small
# (COCO val2017: 45.6 box AP / 41.6 mask AP, 41M params, 269 GFLOPs).
#
# Official run: 8 GPUs x 2 images = 16 images per step, AdamW lr 1e-4,
# wd 0.05 with no decay on any parameter named `*norm*`, linear warmup 500
# iters (ratio 0.001), steps at epochs 8 and 11, apex O1 mixed precision
# (here bf16 autocast, see below), no gradient clipping, drop path
# 0.2, activation checkpointing of the 8 stage-3 blocks (checkpoint_num
# [0, 0, 8, 0]), ImageNet-1K uniformer_small_in1k.pth initialisation.
# Train: resize to (1333, 800) + flip 0.5; test: (1333, 800), no flip.
# Mixed precision: bf16 (mmuniformer.AmpOptimWrapper); on a CPU-only machine it
# falls back to fp32 with one warning. Switches: --cfg-options
# optim_wrapper.dtype=float16 (official fp16) / optim_wrapper.dtype=float32.
_base_ = ['mmdet::mask_rcnn/mask-rcnn_r50_fpn_1x_coco.py']

custom_imports = dict(imports=['mmuniformer'], allow_failed_imports=False)
# mmengine's Runner that also runs --launcher pytorch without a GPU (gloo)
runner_type = 'mmuniformer.Runner'

# Official ImageNet-1K weights (DeiT recipe, head_dim 64), as downloaded from
# the official zoo (`model` wrapper). The missing backbone norm1..norm4 (the
# dense per-stage LayerNorms) are expected and start from (1, 0).
pretrained = 'checkpoints/uniformer_small_in1k.pth'

model = dict(
    backbone=dict(
        _delete_=True,
        type='mmuniformer.UniFormer',
        arch='small',
        head_dim=64,
        attn_mode='hybrid',  # stage-3 blocks 3, 7 global, others windowed
        window_size=14,
        drop_path_rate=0.2,
        out_indices=(0, 1, 2, 3),
        # As official: no frozen stage and the backbone BatchNorms (plain BN,
        # not SyncBN) keep training.
        frozen_stages=-1,
        norm_eval=False,
        with_cp=(0, 0, 8, 0),
        init_cfg=dict(type='Pretrained', checkpoint=pretrained)),
    neck=dict(in_channels=[64, 128, 320, 512]))

max_epochs = 12
train_cfg = dict(max_epochs=max_epochs)

param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0,
         end=500),
    dict(type='MultiStepLR', begin=0, end=max_epochs, by_epoch=True,
         milestones=[8, 11], gamma=0.1)
]

optim_wrapper = dict(
    # bf16 autocast (official: fp16 AMP); see docs/user_guides/mixed_precision.md
    type='mmuniformer.AmpOptimWrapper',
    dtype='bfloat16',
    paramwise_cfg=dict(custom_keys={'norm': dict(decay_mult=0.)}),
    optimizer=dict(
        _delete_=True,
        type='AdamW',
        lr=1e-4,
        betas=(0.9, 0.999),
        weight_decay=0.05))

# lr 1e-4 is for 16 images per step (8 GPUs x 2); `--auto-scale-lr` rescales.
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
