# Something-Something V1, official UniFormer protocol (§7.3): the SSv2
# recipe of sthv2_segment.py (segment sampling, no flip, RandAugment m7-n4,
# RandomResizedCrop 0.08-1 to 224, random erasing 0.25; test 1 clip x 3
# crops, short side 224) on JPEG frames.
# Data layout: MMAction2's (tools/data/sthv1), which keeps V1 as the
# released frames: data/sthv1/rawframes/<video id>/00001.jpg ... and
# data/sthv1/sthv1_{train,val}_list_rawframes.txt.
#
# Deviation: no repeated augmentation. The official run (AUG.NUM_SAMPLE 2)
# trains on 2 augmented copies of each video; MMAction2's RepeatAugDataset
# only reads videos through decord, so it cannot be used with frames. We
# keep the official number of videos per step (so iterations per epoch and
# the learning-rate schedule match) and train on half the official clips.
# Converting the frames to videos and using the sthv2_segment.py dataloader
# would restore it.
num_frames = 16
dataset_type = 'RawframeDataset'
data_root = 'data/sthv1/rawframes'
ann_file_train = 'data/sthv1/sthv1_train_list_rawframes.txt'
ann_file_val = 'data/sthv1/sthv1_val_list_rawframes.txt'
ann_file_test = 'data/sthv1/sthv1_val_list_rawframes.txt'
filename_tmpl = '{:05d}.jpg'

train_pipeline = [
    dict(type='UniformSample', clip_len=num_frames, num_clips=1),
    dict(type='RawFrameDecode'),
    dict(type='Resize', scale=(-1, 256)),
    # see the RandAugment note in kinetics400_dense.py
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
    dict(type='UniformSample', clip_len=num_frames, num_clips=1,
         test_mode=True),
    dict(type='RawFrameDecode'),
    dict(type='Resize', scale=(-1, 224)),
    dict(type='CenterCrop', crop_size=224),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs')
]
test_pipeline = [
    dict(type='UniformSample', clip_len=num_frames, num_clips=1,
         test_mode=True),
    dict(type='RawFrameDecode'),
    dict(type='Resize', scale=(-1, 224)),
    dict(type='ThreeCrop', crop_size=224),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs')
]

train_dataloader = dict(
    batch_size=4,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        ann_file=ann_file_train,
        data_prefix=dict(img=data_root),
        filename_tmpl=filename_tmpl,
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=8,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        ann_file=ann_file_val,
        data_prefix=dict(img=data_root),
        filename_tmpl=filename_tmpl,
        pipeline=val_pipeline,
        test_mode=True))
test_dataloader = dict(
    batch_size=1,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        ann_file=ann_file_test,
        data_prefix=dict(img=data_root),
        filename_tmpl=filename_tmpl,
        pipeline=test_pipeline,
        test_mode=True))

val_evaluator = dict(type='AccMetric')
test_evaluator = val_evaluator

# Official checkpoints (path or URL) work as they are with `load_from` and
# `mim test --checkpoint`: converted while loading.
custom_hooks = [dict(type='mmuniformer.OfficialCheckpointHook')]
