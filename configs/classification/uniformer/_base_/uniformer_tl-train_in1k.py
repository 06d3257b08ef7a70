# Token-labeling training of UniFormer on ImageNet-1K at 224 (the official
# token_labeling/ recipe), on top of the TL test/class-loss base: the model
# and the test pipeline are those of _base_/uniformer_tl_in1k.py (so a model
# trained here tests exactly like the official TL checkpoints), training
# adds what token labeling is:
# * dense labels: each train image's token-label file ([2, 5, S, S] float16
#   top-5 logits + class ids of a teacher, <label_root>/<wnid>/<stem>.pt, set
#   in the LoadTokenLabel step of train_pipeline (default data/imagenet/
#   token_labels, in _base_/token_labeling_train.py);
#   official: NFNet-F6 at 576 px, S = 18; make your own with
#   tools/data/gen_token_labels.py), carried through horizontal flip ->
#   RandAugment rand-m9-mstd0.5-inc1 on the full image -> RandomResizedCrop
#   (the official order), then soft targets (crop-level + 7 x 7 token
#   targets: RoIAlign of the scattered top-5 logits, softmax over classes,
#   smoothing 0.1) built by mmuniformer.PackTokenLabelInputs;
# * MixToken on the stride-4 map (Beta(1, 1) box, area-corrected lam from
#   the stride-32 box, dense output un-mixed at stride 32):
#   mmuniformer.TokenLabelingClassifier;
# * loss 1.0 x soft CE(head(mean), lam-mixed crop target) + 1.0 x soft CE
#   per token (aux head, token targets): mmuniformer.TokenLabelingClsHead;
#   the ImageNet class label is not used (official --ground-truth off);
# * EMA of parameters and buffers, decay 0.99992 per iteration (mmengine
#   EMAHook, momentum = 1 - 0.99992); as officially, validation and the
#   best checkpoint use the EMA weights;
# * no Mixup / CutMix, no repeated augmentation (as the base).
# Schedule, optimiser, batch 8 x 128, lr 1.6e-3 (no scaling): the base's.
#
# Deviations from the official run (besides the base's cosine start):
# * Precision: bf16 autocast through mmuniformer.AmpOptimWrapper (official:
#   apex O1 fp16, or fp32 where apex is missing).
# * Interpolation: bicubic for RandAugment and the crop (official: bilinear
#   or bicubic drawn per call).
# * Label warps of RandAugment: the image's own pixel affine carried to label
#   cells with the pixel-centre convention (official: the same angle / shear
#   / shift in square cell units about index S/2) -- identical for square
#   images up to the half-cell rotation centre, exact for non-square ones.
# * Random erasing runs in the pipeline on the uint8 image (per-pixel noise
#   of the dataset mean / std) rather than on the GPU after normalisation;
#   as officially, it never touches the label map.
# * Targets are built per image in the data workers (same math).
# * box_order='official' keeps the official RoIAlign box order (the targets
#   come from the crop box mirrored across the main diagonal); set
#   box_order='xyxy' in PackTokenLabelInputs for the crop actually made.
# * EMAHook saves the EMA weights as `state_dict` (the raw ones as
#   `ema_state_dict`): a 384 fine-tune from our checkpoint starts from the
#   EMA weights, the official one from the raw weights.
# * Seeds: mmengine's `randomness` (official: 42 + rank).
_base_ = ['./uniformer_tl_in1k.py', './token_labeling_train.py']
custom_imports = _base_.tl_custom_imports
model = _base_.tl_model
train_pipeline = _base_.tl_train_pipeline
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))

custom_hooks = [
    dict(type='mmuniformer.OfficialCheckpointHook'),
    dict(type='EMAHook', ema_type='ExponentialMovingAverage',
         momentum=1 - 0.99992, update_buffers=True, priority='ABOVE_NORMAL'),
]
