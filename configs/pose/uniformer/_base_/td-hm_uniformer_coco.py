# Shared by the six td-hm_uniformer-* COCO configs (top-down heatmap pose
# estimation, the official pose_estimation/exp/top_down_* recipes, §7.7 of
# the reference). The values here are the UniFormer-S 256x192 recipe; a
# child config states only what its recipe changes: backbone arch, drop path
# and ImageNet weights (model.backbone), lr (base_lr + optim_wrapper), batch
# (train_dataloader.batch_size + auto_scale_lr), and the codec. Lists are
# replaced wholesale, so a child with another codec restates the transforms
# that depend on it (the tails of the pipelines), the dataloaders' pipeline
# and model.head.decoder.
_base_ = ['mmpose::_base_/default_runtime.py']
custom_imports = dict(imports=['mmuniformer'], allow_failed_imports=False)
# mmengine's Runner that also runs --launcher pytorch without a GPU (gloo)
runner_type = 'mmuniformer.Runner'
# Official mmpose 0.x checkpoints (keypoint_head.*) work as they are with
# `load_from` / `mim test --checkpoint`: converted while loading.
custom_hooks = [
    dict(type='SyncBuffersHook'),
    dict(type='mmuniformer.OfficialCheckpointHook')
]

# runtime
max_epochs = 210
train_cfg = dict(max_epochs=max_epochs, val_interval=10)
base_lr = 2e-3

# optimizer
optim_wrapper = dict(
    # bf16 autocast (official: fp16 AMP); see docs/user_guides/mixed_precision.md
    type='mmuniformer.AmpOptimWrapper',
    dtype='bfloat16',
    loss_scale='dynamic',
    optimizer=dict(
        type='AdamW', lr=base_lr, betas=(0.9, 0.999), weight_decay=0.01))

# learning policy
param_scheduler = [
    dict(
        type='LinearLR', begin=0, end=500, start_factor=0.001,
        by_epoch=False),  # warm-up
    dict(
        type='MultiStepLR',
        begin=0,
        end=max_epochs,
        milestones=[170, 200],
        gamma=0.1,
        by_epoch=True)
]

# the official total batch: 8 GPUs x 128
auto_scale_lr = dict(base_batch_size=1024)

# hooks
default_hooks = dict(
    checkpoint=dict(type='mmuniformer.CheckpointHook',
                    save_best='coco/AP', rule='greater'),
    # training that survives (docs/advanced_guides/robust_training.md):
    # stop at the first non-finite loss / grad norm, never checkpoint
    # non-finite weights; exact --resume (generator states), fallback to
    # the newest readable checkpoint
    nonfinite=dict(type='mmuniformer.NonFiniteCheckHook'),
    resume=dict(type='mmuniformer.ExactResumeHook'),
    # checkpoints never lost, SIGTERM/SIGUSR1 save and stop, one run per
    # work_dir, one-line optimizer/init logs
    # (docs/advanced_guides/robust_training.md)
    preemption=dict(type='mmuniformer.PreemptionHook'),
    run_lock=dict(type='mmuniformer.RunLockHook'),
    quiet_logs=dict(type='mmuniformer.QuietLogsHook'),
)

# codec settings (blur_kernel_size = the official modulate_kernel, used only
# by the DARK decoder; the official post-process is 'default')
codec = dict(
    type='MSRAHeatmap',
    input_size=(192, 256),
    heatmap_size=(48, 64),
    sigma=2,
    blur_kernel_size=11)

# model settings
# Download uniformer_small_in1k.pth (official ImageNet zoo).
pretrained = 'checkpoints/uniformer_small_in1k.pth'
model = dict(
    type='TopdownPoseEstimator',
    data_preprocessor=dict(
        type='PoseDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True),
    backbone=dict(
        type='mmuniformer.UniFormer',
        arch='small',
        head_dim=64,
        attn_mode='global',
        drop_path_rate=0.2,
        # the official pose backbone returns only the stride-32, 512-ch map
        out_indices=(3, ),
        frozen_stages=-1,
        norm_eval=False,
        with_cp=False,
        init_cfg=dict(type='Pretrained', checkpoint=pretrained)),
    head=dict(
        type='HeatmapHead',
        in_channels=512,
        out_channels=17,
        deconv_out_channels=(256, 256, 256),
        deconv_kernel_sizes=(4, 4, 4),
        loss=dict(type='KeypointMSELoss', use_target_weight=True),
        decoder=codec),
    test_cfg=dict(
        flip_test=True,
        flip_mode='heatmap',
        shift_heatmap=True,
    ))

# base dataset settings
dataset_type = 'CocoDataset'
data_mode = 'topdown'
data_root = 'data/coco/'

# pipelines: official flip 0.5, half body (> 8 visible joints, p 0.3),
# rotation (rot_factor 40, p 0.6), scale (scale_factor 0.5), no bbox shift.
# The codec-dependent transforms stay last: a child with another codec keeps
# _base_.train_pipeline[:-3] / _base_.val_pipeline[:-2] and restates the tail.
train_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='RandomFlip', direction='horizontal'),
    dict(type='RandomHalfBody'),
    dict(
        type='RandomBBoxTransform',
        shift_prob=0.,
        scale_factor=(0.5, 1.5),
        rotate_factor=80.,
        rotate_prob=0.6),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='GenerateTarget', encoder=codec),
    dict(type='PackPoseInputs')
]
val_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='PackPoseInputs')
]

# data loaders
train_dataloader = dict(
    batch_size=128,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_mode=data_mode,
        ann_file='annotations/person_keypoints_train2017.json',
        data_prefix=dict(img='train2017/'),
        pipeline=train_pipeline,
    ))
val_dataloader = dict(
    batch_size=32,
    num_workers=4,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False, round_up=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_mode=data_mode,
        ann_file='annotations/person_keypoints_val2017.json',
        bbox_file='data/coco/person_detection_results/'
        'COCO_val2017_detections_AP_H_56_person.json',
        data_prefix=dict(img='val2017/'),
        test_mode=True,
        pipeline=val_pipeline,
    ))
test_dataloader = val_dataloader

# evaluators
val_evaluator = dict(
    type='CocoMetric',
    ann_file=data_root + 'annotations/person_keypoints_val2017.json')
test_evaluator = val_evaluator
