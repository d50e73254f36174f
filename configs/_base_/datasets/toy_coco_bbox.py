# Toy COCO for box-only detectors (SSD): toy_coco.py, evaluated on boxes
# alone (the masks it loads are not used).
_base_ = './toy_coco.py'
val_evaluator = dict(metric='bbox')
test_evaluator = val_evaluator
