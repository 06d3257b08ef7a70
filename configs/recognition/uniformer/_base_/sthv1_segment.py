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
_base_ = ['./sthv2_segment.py']

dataset_type = 'mmuniformer.RawframeDataset'
data_root = 'data/sthv1/rawframes'
ann_file_train = 'data/sthv1/sthv1_train_list_rawframes.txt'
ann_file_val = 'data/sthv1/sthv1_val_list_rawframes.txt'
ann_file_test = 'data/sthv1/sthv1_val_list_rawframes.txt'
filename_tmpl = '{:05d}.jpg'

# the sthv2_segment.py pipelines on frames: their sampler (second transform),
# then RawFrameDecode for the video opener + decoder
train_pipeline = [
    _base_.train_pipeline[1],
    dict(type='RawFrameDecode'),
    *_base_.train_pipeline[3:]
]
val_pipeline = [
    _base_.val_pipeline[1],
    dict(type='RawFrameDecode'),
    *_base_.val_pipeline[3:]
]
test_pipeline = [
    _base_.test_pipeline[1],
    dict(type='RawFrameDecode'),
    *_base_.test_pipeline[3:]
]

# no repeated augmentation (see above): a plain frame dataset
train_dataloader = dict(
    _delete_=True,
    batch_size=4,
    num_workers=8,
    persistent_workers=True,
    pin_memory=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        ann_file=ann_file_train,
        data_prefix=dict(img=data_root),
        filename_tmpl=filename_tmpl,
        pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        ann_file=ann_file_val,
        data_prefix=dict(_delete_=True, img=data_root),
        filename_tmpl=filename_tmpl,
        pipeline=val_pipeline))
test_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        ann_file=ann_file_test,
        data_prefix=dict(_delete_=True, img=data_root),
        filename_tmpl=filename_tmpl,
        pipeline=test_pipeline))
