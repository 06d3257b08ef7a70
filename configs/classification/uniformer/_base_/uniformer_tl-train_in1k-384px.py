# Token-labeling fine-tuning at 384x384 (official *_tl_384 runs): the 384 TL
# base (constant lr 5e-6, 50 epochs, wd 1e-8, batch 8 x 64, no warm-up, no
# EMA, test as the 384 TL configs) with the token-labeling training of
# _base_/uniformer_tl-train_in1k.py at 384: 12 x 12 token targets
# (official --token-label-size 12), MixToken on the 96 x 96 stride-4 map.
# Set load_from to the 224 token-labeling checkpoint (official --finetune:
# every weight, aux head included, loads).
#
# Deviations from the official run: those of _base_/uniformer_tl-train_in1k.py
# (precision, interpolation, label warps, erasing, box order switch) and of
# _base_/uniformer_tl_in1k-384px.py (test resize). No EMA, as officially.
_base_ = ['./uniformer_tl_in1k-384px.py']
custom_imports = dict(
    imports=[
        'mmuniformer', 'mmuniformer.models.heads.cls_heads',
        'mmuniformer.models.heads.token_labeling',
        'mmuniformer.datasets.transforms.token_labels'
    ],
    allow_failed_imports=False)

token_label_root = 'data/imagenet/token_labels'
img_size = 384
label_size = img_size // 32
bgr_mean = [103.53, 116.28, 123.675]
bgr_std = [57.375, 57.12, 58.395]

model = dict(
    type='mmuniformer.TokenLabelingClassifier',
    mix_token=dict(type='mmuniformer.MixToken', alpha=1.0, stride=4,
                   ratio=8),
    head=dict(
        cls_loss=dict(type='CrossEntropyLoss', use_soft=True,
                      loss_weight=1.0),
        dense_loss=dict(type='CrossEntropyLoss', use_soft=True,
                        loss_weight=1.0)))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='mmuniformer.LoadTokenLabel', label_root=token_label_root),
    dict(type='mmuniformer.TokenLabelRandomFlip', prob=0.5,
         direction='horizontal'),
    dict(type='mmuniformer.TokenLabelRandAugment', policies='timm_increasing',
         num_policies=2, total_level=10, magnitude_level=9,
         magnitude_std=0.5,
         hparams=dict(pad_val=[round(x) for x in bgr_mean],
                      interpolation='bicubic')),
    dict(type='mmuniformer.TokenLabelRandomResizedCrop', scale=img_size,
         backend='pillow', interpolation='bicubic'),
    dict(type='RandomErasing', erase_prob=0.25, mode='rand',
         min_area_ratio=0.02, max_area_ratio=1 / 3, fill_color=bgr_mean,
         fill_std=bgr_std),
    dict(type='mmuniformer.PackTokenLabelInputs', num_classes=1000,
         label_size=label_size, smoothing=0.1, box_order='official'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
