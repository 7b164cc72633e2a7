"""Public: school pages, the booking form, the manage link and the waiting list."""
