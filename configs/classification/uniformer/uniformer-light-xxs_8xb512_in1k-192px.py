# UniFormer-light XXS at 192x192, ImageNet-1K (official xxs_192:
# 79.9 top-1, 10.2M params, 0.96G FLOPs). Official weights:
# uniformer_xxs_192_in1k.pth, load as shipped. As the 224 config at
# this size (trained from scratch at it).
# Recipe and deviations from the official run: _base_/uniformer_light_in1k.py.
_base_ = ['./uniformer-light-xxs_8xb512_in1k-224px.py']

img_size = 192
train_pipeline = [
    dict(t, scale=img_size) if t['type'] == 'RandomResizedCrop' else t
    for t in _base_.train_pipeline
]
test_pipeline = [
    dict(t, scale=int(256 / 224 * img_size)) if t['type'] == 'ResizeEdge'
    else dict(t, crop_size=img_size) if t['type'] == 'CenterCrop' else t
    for t in _base_.test_pipeline
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
