# HMDB51 split 1: the UCF101 protocol of ucf101_dense.py (the official runs
# share it) on MMAction2's HMDB51 layout (tools/data/hmdb51): videos in
# data/hmdb51/videos, lists in
# data/hmdb51/hmdb51_{train,val}_split_{1,2,3}_videos.txt.
_base_ = ['./ucf101_dense.py']

split = 1
data_root = 'data/hmdb51/videos'
data_root_val = data_root
ann_file_train = f'data/hmdb51/hmdb51_train_split_{split}_videos.txt'
ann_file_val = f'data/hmdb51/hmdb51_val_split_{split}_videos.txt'
ann_file_test = ann_file_val

train_dataloader = dict(
    dataset=dict(ann_file=ann_file_train, data_prefix=dict(video=data_root)))
val_dataloader = dict(
    dataset=dict(ann_file=ann_file_val,
                 data_prefix=dict(video=data_root_val)))
test_dataloader = dict(
    dataset=dict(ann_file=ann_file_test,
                 data_prefix=dict(video=data_root_val)))
