# Registers mmattn's modules (type='mmattn.X') in any mmdet or mmseg run.
custom_imports = dict(imports=['mmattn.models'], allow_failed_imports=False)
