"""Pure builders for calendar invites and feeds (no Flask request needed)."""
