# Top-down heatmap pose estimation, UniFormer-S at 256x192 on COCO, the
# official pose_estimation/exp/top_down_256x192_global_small (§7.7 of the
# reference): 8 GPUs x 128 images, AdamW lr 2e-3 (betas 0.9/0.999, wd 0.01),
# 210 epochs, lr x0.1 at epochs 170 and 200, linear warm-up of 500 iterations
# from 0.001, fp16 with dynamic loss scale, drop path 0.2, global MHRA, no
# grad-ckpt. Test: person detections (AP 56), flip test with shifted heatmaps.
# Official zoo (COCO val2017):
#   AP 74.0, AP50 90.3, AP75 82.2, AR_M 66.8, AR_L 76.7, AR 79.5;
#   4.7G FLOPs.
# Official model: Google Drive file 162R0JuTpf3gpLe1IK6oxRoQK7JSj4ylx
# (usable as it is: OfficialCheckpointHook below converts it while loading).
# Mixed precision: bf16 (mmuniformer.AmpOptimWrapper); on a CPU-only machine it
# falls back to fp32 with one warning. Switches: --cfg-options
# optim_wrapper.dtype=float16 (official fp16) / optim_wrapper.dtype=float32.
_base_ = ['./_base_/td-hm_uniformer_coco.py']
