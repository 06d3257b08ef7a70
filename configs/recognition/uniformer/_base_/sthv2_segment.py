# Something-Something V2, official UniFormer protocol (§7.3): TSN-style
# segment sampling (UniformSample = PySlowFast ssv2 sampling), no flip,
# RandAugment m7-n4, RandomResizedCrop(0.08-1) to 224, random erasing 0.25,
# repeated augmentation (2 clips per video, frames sampled once);
# test: 1 clip x 3 crops, short side 224.
# Data layout: MMAction2's (tools/data/sthv2): data/sthv2/videos/*.webm and
# data/sthv2/sthv2_{train,val}_list_videos.txt.
# input pipeline and loader settings: see kinetics400_dense.py
num_frames = 16
dataset_type = 'mmuniformer.VideoDataset'
data_root = 'data/sthv2/videos'
ann_file_train = 'data/sthv2/sthv2_train_list_videos.txt'
ann_file_val = 'data/sthv2/sthv2_val_list_videos.txt'
ann_file_test = 'data/sthv2/sthv2_val_list_videos.txt'

train_pipeline = [
    dict(type='mmuniformer.PyAVSeekInit'),
    dict(type='UniformSample', clip_len=num_frames, num_clips=1),
    dict(type='mmuniformer.PyAVSeekDecode'),
    dict(type='Resize', scale=(-1, 256)),
    # see the RandAugment note in kinetics400_dense.py
    dict(type='mmuniformer.ClipRandAugment', num_ops=4,
         magnitude=7, num_magnitude_bins=11, interpolation=2),
    dict(type='RandomResizedCrop', area_range=(0.08, 1.),
         aspect_ratio_range=(3 / 4, 4 / 3)),
    dict(type='Resize', scale=(224, 224), keep_ratio=False),
    dict(type='RandomErasing', erase_prob=0.25, mode='rand'),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs')
]
val_pipeline = [
    dict(type='mmuniformer.PyAVSeekInit'),
    dict(type='UniformSample', clip_len=num_frames, num_clips=1,
         test_mode=True),
    dict(type='mmuniformer.PyAVSeekDecode'),
    dict(type='Resize', scale=(-1, 224)),
    dict(type='CenterCrop', crop_size=224),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs')
]
# test: the val pipeline with three 224 crops
test_pipeline = [
    *val_pipeline[:4],
    dict(type='ThreeCrop', crop_size=224),
    *val_pipeline[5:]
]

train_dataloader = dict(
    batch_size=5,
    num_workers=8,
    persistent_workers=True,
    pin_memory=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='repeat_pseudo_collate'),
    dataset=dict(
        type='mmuniformer.RepeatAugDataset',
        num_repeats=2,
        sample_once=True,
        ann_file=ann_file_train,
        data_prefix=dict(video=data_root),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=8,
    num_workers=8,
    persistent_workers=True,
    pin_memory=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        ann_file=ann_file_val,
        data_prefix=dict(video=data_root),
        pipeline=val_pipeline,
        test_mode=True))
# test: the val loader, one video per batch
test_dataloader = dict(
    val_dataloader,
    batch_size=1,
    dataset=dict(
        val_dataloader['dataset'],
        ann_file=ann_file_test,
        pipeline=test_pipeline))

val_evaluator = dict(type='mmuniformer.AccMetric')
test_evaluator = val_evaluator

# Official checkpoints (path or URL) work as they are with `load_from` and
# `mim test --checkpoint`: converted while loading.
custom_hooks = [dict(type='mmuniformer.OfficialCheckpointHook')]
