"""brief assets."""
