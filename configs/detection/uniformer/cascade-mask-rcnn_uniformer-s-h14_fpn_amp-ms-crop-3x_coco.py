# Cascade Mask R-CNN + FPN with a UniFormer-S backbone (hybrid stage 3,
# window 14), 3x schedule, multi-scale + crop.
# Official exp: cascade_mask_rcnn_3x_ms_hybrid_small
# (COCO val2017: 52.1 box AP / 45.2 mask AP, 79M params, 747 GFLOPs).
#
# Official run: 8 GPUs x 2 images, AdamW lr 1e-4, wd 0.05 with no decay on
# `*norm*` parameters, warmup 500 iters (ratio 0.001), 36 epochs with steps at
# 27 and 33, apex O1 mixed precision, no gradient clipping, drop path 0.2,
# checkpoint_num [0, 0, 8, 0], uniformer_small_in1k.pth initialisation.
# Heads as in the Swin Cascade Mask R-CNN configs: three class-specific
# ConvFC box heads (4 shared convs with SyncBN + 1 fc), GIoU loss x10 on
# decoded boxes. Augmentation as the Mask R-CNN 3x config (DETR-style
# multi-scale + crop); test (1333, 800), no flip.
_base_ = [
    'mmdet::_base_/models/cascade-mask-rcnn_r50_fpn.py',
    'mmdet::_base_/datasets/coco_instance.py',
    'mmdet::_base_/schedules/schedule_1x.py',
    'mmdet::_base_/default_runtime.py'
]

custom_imports = dict(imports=['mmuniformer'], allow_failed_imports=False)
# mmengine's Runner that also runs --launcher pytorch without a GPU (gloo)
runner_type = 'mmuniformer.Runner'

pretrained = 'checkpoints/uniformer_small_in1k.pth'


def _conv4fc1_giou_head(target_stds):
    return dict(
        type='ConvFCBBoxHead',
        num_shared_convs=4,
        num_shared_fcs=1,
        in_channels=256,
        conv_out_channels=256,
        fc_out_channels=1024,
        roi_feat_size=7,
        num_classes=80,
        bbox_coder=dict(
            type='DeltaXYWHBBoxCoder',
            target_means=[0., 0., 0., 0.],
            target_stds=target_stds),
        reg_class_agnostic=False,
        reg_decoded_bbox=True,
        norm_cfg=dict(type='SyncBN', requires_grad=True),
        loss_cls=dict(
            type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0),
        loss_bbox=dict(type='GIoULoss', loss_weight=10.0))


model = dict(
    backbone=dict(
        _delete_=True,
        type='mmuniformer.UniFormer',
        arch='small',
        head_dim=64,
        attn_mode='hybrid',
        window_size=14,
        drop_path_rate=0.2,
        out_indices=(0, 1, 2, 3),
        frozen_stages=-1,
        norm_eval=False,
        with_cp=(0, 0, 8, 0),
        init_cfg=dict(type='Pretrained', checkpoint=pretrained)),
    neck=dict(in_channels=[64, 128, 320, 512]),
    roi_head=dict(bbox_head=[
        _conv4fc1_giou_head([0.1, 0.1, 0.2, 0.2]),
        _conv4fc1_giou_head([0.05, 0.05, 0.1, 0.1]),
        _conv4fc1_giou_head([0.033, 0.033, 0.067, 0.067]),
    ]))

# DETR / Sparse R-CNN style multi-scale + crop (same as the Mask R-CNN 3x).
ms_scales = [(short, 1333) for short in range(480, 801, 32)]
train_pipeline = [
    dict(type='LoadImageFromFile', backend_args={{_base_.backend_args}}),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='RandomFlip', prob=0.5),
    dict(
        type='RandomChoice',
        transforms=[
            [dict(type='RandomChoiceResize', scales=ms_scales,
                  keep_ratio=True)],
            [
                dict(type='RandomChoiceResize',
                     scales=[(400, 1333), (500, 1333), (600, 1333)],
                     keep_ratio=True),
                dict(type='RandomCrop', crop_type='absolute_range',
                     crop_size=(384, 600), allow_negative_crop=True),
                dict(type='RandomChoiceResize', scales=ms_scales,
                     keep_ratio=True),
            ],
        ]),
    dict(type='PackDetInputs')
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))

max_epochs = 36
train_cfg = dict(max_epochs=max_epochs)

param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0,
         end=500),
    dict(type='MultiStepLR', begin=0, end=max_epochs, by_epoch=True,
         milestones=[27, 33], gamma=0.1)
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
