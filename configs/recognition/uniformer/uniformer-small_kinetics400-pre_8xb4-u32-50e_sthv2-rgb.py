# UniFormer-S, 32 frames, Something-Something V2, initialised from the official
# Kinetics-400 S16x4 video checkpoint (official exp
# uniformer_s32_sthv2_prek400: 69.0 top-1, 32x3x1 views). Official run: 8 GPUs
# x 4 = 32 videos per step (x2 clips, repeated augmentation), lr 2e-4, 50
# epochs, warmup 5, drop path 0.3, seed 0.
_base_ = [
    './_base_/uniformer3d_model.py', './_base_/uniformer3d_schedule.py',
    './_base_/sthv2_segment.py'
]

num_classes = 174
base_lr = 2e-4
max_epochs = 50
warmup_epochs = 5
# Official Kinetics-400 UniFormer-S 16x4 video checkpoint (§8, video zoo:
# uniformer_small_k400_16x4.pth); its 400-class head is not loaded.
pretrained = 'checkpoints/uniformer_small_k400_16x4.pth'

model = dict(
    backbone=dict(
        arch='small',
        drop_path_rate=0.3,
        init_cfg=dict(type='Pretrained', checkpoint=pretrained)),
    cls_head=dict(num_classes=num_classes),
    data_preprocessor=dict(
        blending=dict(augments=[
            dict(type='MixupBlending', alpha=0.8, num_classes=num_classes),
            dict(type='CutmixBlending', alpha=1., num_classes=num_classes)
        ])))

# 32 frames: the pipelines of the data base are restated because mmengine
# replaces lists wholesale.
num_frames = 32
train_pipeline = [
    dict(type='DecordInit'),
    dict(type='UniformSample', clip_len=num_frames, num_clips=1),
    dict(type='DecordDecode'),
    dict(type='Resize', scale=(-1, 256)),
    dict(type='TorchVisionWrapper', op='RandAugment', num_ops=4,
         magnitude=7, num_magnitude_bins=11, interpolation=2),
    dict(type='RandomResizedCrop', area_range=(0.08, 1.),
         aspect_ratio_range=(3 / 4, 4 / 3)),
    dict(type='Resize', scale=(224, 224), keep_ratio=False),
    dict(type='RandomErasing', erase_prob=0.25, mode='rand'),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs')
]
val_pipeline = [
    dict(type='DecordInit'),
    dict(type='UniformSample', clip_len=num_frames, num_clips=1,
         test_mode=True),
    dict(type='DecordDecode'),
    dict(type='Resize', scale=(-1, 224)),
    dict(type='CenterCrop', crop_size=224),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs')
]
test_pipeline = [
    dict(type='DecordInit'),
    dict(type='UniformSample', clip_len=num_frames, num_clips=1,
         test_mode=True),
    dict(type='DecordDecode'),
    dict(type='Resize', scale=(-1, 224)),
    dict(type='ThreeCrop', crop_size=224),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs')
]
train_dataloader = dict(
    batch_size=4, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=val_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
train_cfg = dict(max_epochs=max_epochs)
optim_wrapper = dict(optimizer=dict(lr=base_lr))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-6 / base_lr, by_epoch=True,
         begin=0, end=warmup_epochs, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - warmup_epochs,
         eta_min=1e-6, by_epoch=True, begin=warmup_epochs, end=max_epochs,
         convert_to_iter_based=True),
]
randomness = dict(seed=0)
auto_scale_lr = dict(base_batch_size=32)
