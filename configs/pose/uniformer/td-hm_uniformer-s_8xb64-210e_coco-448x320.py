# Top-down heatmap pose estimation, UniFormer-S at 448x320 on COCO, the
# official pose_estimation/exp/top_down_448x320_global_small (§7.7 of the
# reference): 8 GPUs x 64 images, AdamW lr 1e-3 (betas 0.9/0.999, wd 0.01),
# 210 epochs, lr x0.1 at epochs 170 and 200, linear warm-up of 500 iterations
# from 0.001, fp16 with dynamic loss scale, drop path 0.2, global MHRA, no
# grad-ckpt. Test: person detections (AP 56), flip test with shifted heatmaps.
# Official zoo (COCO val2017):
#   AP 76.2, AP50 90.6, AP75 83.2, AR_M 68.6, AR_L 79.4, AR 81.4;
#   14.8G FLOPs.
# Official model: Google Drive file 165nQRsT58SXJegcttksHwDn46Fme5dGX
# (usable as it is: OfficialCheckpointHook below converts it while loading).
# Mixed precision: bf16 (mmuniformer.AmpOptimWrapper); on a CPU-only machine it
# falls back to fp32 with one warning. Switches: --cfg-options
# optim_wrapper.dtype=float16 (official fp16) / optim_wrapper.dtype=float32.
_base_ = ['./_base_/td-hm_uniformer_coco.py']

base_lr = 1e-3
optim_wrapper = dict(optimizer=dict(lr=base_lr))
# the official total batch: 8 GPUs x 64
auto_scale_lr = dict(base_batch_size=512)

# codec settings and what depends on them
codec = dict(
    _base_.codec, input_size=(320, 448), heatmap_size=(80, 112), sigma=3)
train_pipeline = [
    *_base_.train_pipeline[:-3],
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='GenerateTarget', encoder=codec),
    dict(type='PackPoseInputs')
]
val_pipeline = [
    *_base_.val_pipeline[:-2],
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='PackPoseInputs')
]

model = dict(head=dict(decoder=codec))

train_dataloader = dict(batch_size=64, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=val_pipeline))
test_dataloader = val_dataloader
