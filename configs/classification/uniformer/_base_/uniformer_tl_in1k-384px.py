# 384x384 fine-tuning of a token-labeling UniFormer (reference §7.2, 384
# column): from the 224 TL checkpoint (official --finetune: set load_from),
# 50 epochs at a constant lr 5e-6 (no warm-up), weight decay 1e-8, no EMA,
# batch 8 x 64 (L: 8 x 32), RandAugment / random erasing as at 224.
# Experiments set arch, head_dim and drop_path_rate (384 column).
#
# Deviations from the official run: those of _base_/uniformer_tl_in1k.py
# (no token-label loss -- official label map size 12 at 384 -- no MixToken);
# test: the whole image resized to 384x384 bicubic (MMPretrain's 384
# convention; the official crop ratio is the timm default_cfg's, not
# recorded in the reference).
_base_ = ['./uniformer_tl_in1k.py']

base_lr = 5e-6
img_size = 384
max_epochs = 50

bgr_mean = [103.53, 116.28, 123.675]
bgr_std = [57.375, 57.12, 58.395]
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=img_size, backend='pillow',
         interpolation='bicubic'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='RandAugment', policies='timm_increasing', num_policies=2,
         total_level=10, magnitude_level=9, magnitude_std=0.5,
         hparams=dict(pad_val=[round(x) for x in bgr_mean],
                      interpolation='bicubic')),
    dict(type='RandomErasing', erase_prob=0.25, mode='rand',
         min_area_ratio=0.02, max_area_ratio=1 / 3, fill_color=bgr_mean,
         fill_std=bgr_std),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=img_size, backend='pillow',
         interpolation='bicubic'),
    dict(type='PackInputs'),
]
train_dataloader = dict(batch_size=64, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(batch_size=64, dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader

optim_wrapper = dict(optimizer=dict(lr=base_lr, weight_decay=1e-8))
param_scheduler = [dict(type='ConstantLR', factor=1.0, by_epoch=True)]
train_cfg = dict(max_epochs=max_epochs)
auto_scale_lr = dict(base_batch_size=512)
# the 224 token-labeling checkpoint to fine-tune (official or ours)
load_from = None
