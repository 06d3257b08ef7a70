# UniFormer ImageNet-1K classifier for the official token-labeling (TL)
# checkpoints (reference §3 TL file, §7.2). The model is exactly the
# official TL one at test time: head(mean tokens) + 0.5 * max over tokens of
# aux_head(tokens) (TokenLabelingClsHead, no neck), so the official TL
# weights load as shipped and give the official logits.
#
# Official TL run -> here: 8 GPUs x 128, lr 1.6e-3 (no linear scaling; L:
# 1.2e-3), AdamW wd 0.05, 300 epochs + 10 cool-down, 5 warm-up epochs from
# 1e-6, min lr 1e-5, RandAugment rand-m9-mstd0.5-inc1, random erasing 0.25,
# label smoothing 0.1, Mixup / CutMix off, AMP.
#
# Deviations from the official run (training only; testing is exact):
# * No token labeling here: no dense per-token loss against the label maps
#   and no MixToken. Training with this config applies the class loss to
#   the summed logits (head + 0.5 * aux max), so it will not reach the TL
#   numbers; the official token-labeling training is the *_tl-train_*
#   configs (_base_/uniformer_tl-train_in1k.py), whose test side is this.
# * No EMA (official --model-ema 0.99992; which weights the TL release holds
#   is not recorded).
# * No repeated augmentation (the TL code, timm's train.py, has none).
# * Test crop: the DeiT one (short side 256, centre 224); the official TL
#   validation uses the model's timm default_cfg crop ratio, which the
#   reference does not record.
# * The cosine starts after the warm-up (see _base_/uniformer_deit_in1k.py).
_base_ = ['./uniformer_deit_in1k.py']

base_lr = 1.6e-3
model = dict(
    neck=None,
    head=dict(type='mmuniformer.TokenLabelingClsHead', aux_weight=0.5),
    train_cfg=None)
train_dataloader = dict(
    sampler=dict(_delete_=True, type='DefaultSampler', shuffle=True))
optim_wrapper = dict(optimizer=dict(lr=base_lr))
param_scheduler = [
    dict(_base_.param_scheduler[0], start_factor=_base_.warmup_lr / base_lr),
    _base_.param_scheduler[1],
]
