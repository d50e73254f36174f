"""mmattn heads."""
