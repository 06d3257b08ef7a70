# Top-down heatmap pose estimation, UniFormer-B at 256x192 on COCO, the
# official pose_estimation/exp/top_down_256x192_global_base (§7.7 of the
# reference): 8 GPUs x 128 images, AdamW lr 2e-3 (betas 0.9/0.999, wd 0.01),
# 210 epochs, lr x0.1 at epochs 170 and 200, linear warm-up of 500 iterations
# from 0.001, fp16 with dynamic loss scale, drop path 0.4, global MHRA, no
# grad-ckpt. Test: person detections (AP 56), flip test with shifted heatmaps.
# Official zoo (COCO val2017):
#   AP 75.0, AP50 90.6, AP75 83.0, AR_M 67.8, AR_L 77.7, AR 80.4;
#   9.2G FLOPs.
# Official model: Google Drive file 15tzJaRyEzyWp2mQhpjDbBzuGoyCaJJ-2
# (usable as it is: OfficialCheckpointHook below converts it while loading).
# Mixed precision: bf16 (mmuniformer.AmpOptimWrapper); on a CPU-only machine it
# falls back to fp32 with one warning. Switches: --cfg-options
# optim_wrapper.dtype=float16 (official fp16) / optim_wrapper.dtype=float32.
_base_ = ['./_base_/td-hm_uniformer_coco.py']

# Download uniformer_base_in1k.pth (official ImageNet zoo).
pretrained = 'checkpoints/uniformer_base_in1k.pth'
model = dict(
    backbone=dict(
        arch='base',
        drop_path_rate=0.4,
        init_cfg=dict(checkpoint=pretrained)))
