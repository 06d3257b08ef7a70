# Fine-tune UniFormer-S (16 frames x 4) on your own videos, starting from the
# official Kinetics-400 video checkpoint. Copy this file and edit the marked
# lines; the guide is docs/user_guides/finetune.md.
#   python tools/data/build_video_lists.py data/custom/videos \
#       --out-dir data/custom
#   mim train mmaction my_finetune.py
# The recipe is the official UCF101 fine-tuning one (lr 5e-5, 25 epochs,
# warmup 5, drop path 0.2, RandAugment m5-n2, repeated augmentation x2,
# 5 clips x 3 crops at test) without Mixup/CutMix, whose class count would be
# one more line to keep in step. Only the backbone comes from the
# checkpoint: its 400-class Kinetics head is not loaded and cls_head starts
# from I3DHead's own init (the log says both).
_base_ = [
    './uniformer/uniformer-small_kinetics400-pre_8xb16-16x4x1-25e_ucf101-'
    'split1-rgb.py'
]

# --- edit these -------------------------------------------------------------
num_classes = 5  # the number of lines of classes.txt
data_root = 'data/custom/videos'  # VIDEO_ROOT of build_video_lists.py
ann_file_train = 'data/custom/train.txt'
ann_file_val = 'data/custom/val.txt'
ann_file_test = 'data/custom/val.txt'
# official K400 S16x4 file (see the guide); `--cfg-options
# model.backbone.init_cfg=None` trains from scratch instead
pretrained = 'checkpoints/uniformer_small_k400_16x4.pth'
# ----------------------------------------------------------------------------

model = dict(
    backbone=dict(init_cfg=dict(type='Pretrained', checkpoint=pretrained)),
    cls_head=dict(num_classes=num_classes),
    data_preprocessor=dict(blending=None))

train_dataloader = dict(
    batch_size=8,
    dataset=dict(ann_file=ann_file_train, data_prefix=dict(video=data_root)))
val_dataloader = dict(
    dataset=dict(ann_file=ann_file_val, data_prefix=dict(video=data_root)))
test_dataloader = dict(
    dataset=dict(ann_file=ann_file_test, data_prefix=dict(video=data_root)))
default_hooks = dict(logger=dict(interval=10))
train_cfg = dict(val_interval=1)
