# Test config (official test_config_g) for the checkpoint of
# upernet_uniformer-b-g_8xb2-160k_ade20k-512x512.py:
# global attention in every stage-3 block (the training
# mode).
# Official zoo: 50.0 mIoU (MS 50.8), 1227G FLOPs.
# Usage: mim test mmseg <this file> --checkpoint <trained checkpoint>
_base_ = ['./upernet_uniformer-b-g_8xb2-160k_ade20k-512x512.py']

model = dict(backbone=dict(attn_mode='global'))
