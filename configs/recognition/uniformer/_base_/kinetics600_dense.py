# Kinetics-600: the Kinetics-400 protocol of kinetics400_dense.py (same
# sampling, augmentation, repeated augmentation and 4 x 1 test views) on
# MMAction2's Kinetics-600 layout (tools/data/kinetics, dataset=kinetics600).
_base_ = ['./kinetics400_dense.py']

data_root = 'data/kinetics600/videos_train'
data_root_val = 'data/kinetics600/videos_val'
ann_file_train = 'data/kinetics600/kinetics600_train_list_videos.txt'
ann_file_val = 'data/kinetics600/kinetics600_val_list_videos.txt'
ann_file_test = 'data/kinetics600/kinetics600_val_list_videos.txt'

train_dataloader = dict(
    dataset=dict(ann_file=ann_file_train, data_prefix=dict(video=data_root)))
val_dataloader = dict(
    dataset=dict(ann_file=ann_file_val,
                 data_prefix=dict(video=data_root_val)))
test_dataloader = dict(
    dataset=dict(ann_file=ann_file_test,
                 data_prefix=dict(video=data_root_val)))
