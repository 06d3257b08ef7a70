# UperNet + UniFormer on ADE20K, the official recipe of
# semantic_segmentation/exp/upernet_* (§7.6 of the reference):
# 8 GPUs x 2 images, 160k iterations, AdamW lr 6e-5 (betas 0.9/0.999),
# wd 0.01 with every parameter whose name contains 'norm' exempt, poly
# (power 1, min 0) over all 160k iterations with a linear warm-up of 1500
# iterations from 1e-6, crop 512x512, whole-image single-scale test at
# (2048, 512). The concrete configs set arch, attention mode and drop path.
_base_ = [
    'mmseg::_base_/models/upernet_r50.py', 'mmseg::_base_/datasets/ade20k.py',
    'mmseg::_base_/default_runtime.py',
    'mmseg::_base_/schedules/schedule_160k.py'
]
custom_imports = dict(imports=['mmuniformer'], allow_failed_imports=False)
# mmengine's Runner that also runs --launcher pytorch without a GPU (gloo)
runner_type = 'mmuniformer.Runner'

crop_size = (512, 512)
max_iters = 160000
warmup_iters = 1500
base_lr = 6e-5
# Download uniformer_{small,base}_in1k.pth (official ImageNet zoo).
pretrained = 'checkpoints/uniformer_small_in1k.pth'

data_preprocessor = dict(size=crop_size)
model = dict(
    data_preprocessor=data_preprocessor,
    pretrained=None,
    backbone=dict(
        _delete_=True,
        type='mmuniformer.UniFormer',
        arch='small',
        head_dim=64,
        attn_mode='global',
        window_size=14,
        drop_path_rate=0.25,
        out_indices=(0, 1, 2, 3),
        frozen_stages=-1,
        # the official dense backbone keeps its BatchNorms training
        norm_eval=False,
        with_cp=False,
        init_cfg=dict(type='Pretrained', checkpoint=pretrained)),
    decode_head=dict(in_channels=[64, 128, 320, 512], num_classes=150),
    auxiliary_head=dict(in_channels=320, num_classes=150))

optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(
        type='AdamW', lr=base_lr, betas=(0.9, 0.999), weight_decay=0.01),
    # official: custom_keys={'norm': decay_mult 0} (all BN / LN incl. the
    # backbone's norm1..4 and patch_embed*.norm; heads name theirs 'bn')
    paramwise_cfg=dict(custom_keys={'norm': dict(decay_mult=0.)}))

# mmcv 1.x semantics: the warm-up factor multiplies the poly value, and the
# poly runs over all iterations from 0 (the two schedulers overlap).
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=1e-6,
        by_epoch=False,
        begin=0,
        end=warmup_iters),
    dict(
        type='PolyLR',
        power=1.0,
        eta_min=0.0,
        by_epoch=False,
        begin=0,
        end=max_iters)
]
train_cfg = dict(max_iters=max_iters)

train_dataloader = dict(batch_size=2)
val_dataloader = dict(batch_size=1)
test_dataloader = val_dataloader
auto_scale_lr = dict(enable=False, base_batch_size=16)

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
