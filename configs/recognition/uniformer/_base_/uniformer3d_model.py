# UniFormer video recognizer (official video model, §4 of the reference):
# UniFormer3D backbone -> mean over T*H*W -> Linear (I3DHead, no dropout).
# Multi-view test scores are averaged as raw logits ('score'), which ranks
# classes exactly like the official sum of logits.
custom_imports = dict(imports=['mmuniformer'], allow_failed_imports=False)
# mmengine's Runner that also runs --launcher pytorch without a GPU (gloo)
runner_type = 'mmuniformer.Runner'

num_classes = 400
model = dict(
    type='Recognizer3D',
    backbone=dict(
        type='mmuniformer.UniFormer3D',
        arch='small',
        drop_path_rate=0.1),
    # No init_cfg here: each experiment sets init_cfg=dict(type='Pretrained',
    # checkpoint=...), and mmengine refuses to merge a dict into a base None.
    cls_head=dict(
        type='I3DHead',
        in_channels=512,
        num_classes=num_classes,
        spatial_type='avg',
        dropout_ratio=0.,
        label_smooth_eps=0.1,
        average_clips='score'),
    data_preprocessor=dict(
        type='ActionDataPreprocessor',
        # official video normalisation: 0.45 / 0.225 on [0, 1]
        mean=[114.75, 114.75, 114.75],
        std=[57.375, 57.375, 57.375],
        format_shape='NCTHW',
        # official: Mixup alpha 0.8 / CutMix alpha 1.0, prob 1, switch 0.5
        blending=dict(
            type='RandomBatchAugment',
            augments=[
                dict(type='MixupBlending', alpha=0.8, num_classes=num_classes),
                dict(type='CutmixBlending', alpha=1., num_classes=num_classes)
            ])))
