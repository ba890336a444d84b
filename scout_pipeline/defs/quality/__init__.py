"""quality assets."""
