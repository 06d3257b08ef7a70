# Token-labeling training parts shared by the 224 and 384 token-labeling
# training bases (uniformer_tl-train_in1k.py, uniformer_tl-train_in1k-384px.py,
# which state the recipe and its deviations). No _base_: listed as a second
# base next to a TL test base, it adds only tl_* names, which those bases
# turn into model / train_pipeline / custom_imports; the crop scale and the
# label size are the 224 ones here, the 384 base rescales them.
tl_custom_imports = dict(
    imports=[
        'mmuniformer', 'mmuniformer.models.heads.cls_heads',
        'mmuniformer.models.heads.token_labeling',
        'mmuniformer.datasets.transforms.token_labels'
    ],
    allow_failed_imports=False)

tl_label_root = 'data/imagenet/token_labels'
tl_bgr_mean = [103.53, 116.28, 123.675]
tl_bgr_std = [57.375, 57.12, 58.395]

tl_model = dict(
    type='mmuniformer.TokenLabelingClassifier',
    mix_token=dict(type='mmuniformer.MixToken', alpha=1.0, stride=4,
                   ratio=8),
    head=dict(
        cls_loss=dict(type='CrossEntropyLoss', use_soft=True,
                      loss_weight=1.0),
        dense_loss=dict(type='CrossEntropyLoss', use_soft=True,
                        loss_weight=1.0)))

tl_train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='mmuniformer.LoadTokenLabel', label_root=tl_label_root),
    dict(type='mmuniformer.TokenLabelRandomFlip', prob=0.5,
         direction='horizontal'),
    dict(type='mmuniformer.TokenLabelRandAugment', policies='timm_increasing',
         num_policies=2, total_level=10, magnitude_level=9,
         magnitude_std=0.5,
         hparams=dict(pad_val=[round(x) for x in tl_bgr_mean],
                      interpolation='bicubic')),
    dict(type='mmuniformer.TokenLabelRandomResizedCrop', scale=224,
         backend='pillow', interpolation='bicubic'),
    dict(type='RandomErasing', erase_prob=0.25, mode='rand',
         min_area_ratio=0.02, max_area_ratio=1 / 3, fill_color=tl_bgr_mean,
         fill_std=tl_bgr_std),
    dict(type='mmuniformer.PackTokenLabelInputs', num_classes=1000,
         label_size=224 // 32, smoothing=0.1, box_order='official'),
]
