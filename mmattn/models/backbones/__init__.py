"""mmattn backbones."""
