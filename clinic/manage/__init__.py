"""A booking after it is made: the parent's signed link (see, move, cancel) and staff changes."""
