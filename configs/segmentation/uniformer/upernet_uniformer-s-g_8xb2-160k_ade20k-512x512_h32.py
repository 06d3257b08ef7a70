# Test config (official test_config_h32) for the checkpoint of
# upernet_uniformer-s-g_8xb2-160k_ade20k-512x512.py:
# hybrid attention: stage-3 blocks 3, 7, 11, ... global,
# the others in 32x32 windows.
# Official zoo: 47.0 mIoU (MS 48.5), 955G FLOPs.
# Usage: mim test mmseg <this file> --checkpoint <trained checkpoint>
_base_ = ['./upernet_uniformer-s-g_8xb2-160k_ade20k-512x512.py']

model = dict(backbone=dict(attn_mode='hybrid', window_size=32))
