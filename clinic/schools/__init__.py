"""Admin: schools, staff accounts and officer assignments."""
