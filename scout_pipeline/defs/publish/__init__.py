"""publish assets."""
