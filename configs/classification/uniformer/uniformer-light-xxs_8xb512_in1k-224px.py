# UniFormer-light XXS at 224x224, ImageNet-1K (official xxs_224:
# 80.6 top-1, 10.2M params, 1.3G FLOPs). Official weights:
# uniformer_xxs_224_in1k.pth, load as shipped. Drop path 0, lr 3.2e-3
# (--lr 4e-4 x 4096 / 512), wd 0.1, AutoAugment.
# Recipe and deviations from the official run: _base_/uniformer_light_in1k.py.
_base_ = ['./_base_/uniformer_light_in1k.py']

model = dict(backbone=dict(arch='xxs', drop_path_rate=0.))
