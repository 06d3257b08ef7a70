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
_base_ = ['./uniformer_tl_in1k-384px.py', './token_labeling_train.py']
custom_imports = _base_.tl_custom_imports
model = _base_.tl_model
train_pipeline = [
    dict(t, scale=_base_.img_size)
    if t['type'] == 'mmuniformer.TokenLabelRandomResizedCrop' else
    dict(t, label_size=_base_.img_size // 32)
    if t['type'] == 'mmuniformer.PackTokenLabelInputs' else t
    for t in _base_.tl_train_pipeline
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
