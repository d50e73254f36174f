"""mmattn necks."""
