# Test config (official test_config_g) for the checkpoint of
# upernet_uniformer-s-g_8xb2-160k_ade20k-512x512.py:
# global attention in every stage-3 block (the training
# mode).
# Official zoo: 47.6 mIoU (MS 48.5), 1004G FLOPs.
# Usage: mim test mmseg <this file> --checkpoint <trained checkpoint>
_base_ = ['./upernet_uniformer-s-g_8xb2-160k_ade20k-512x512.py']

model = dict(backbone=dict(attn_mode='global'))
