"""Public: the school finder, school pages, the booking form and its one atomic step, reminders."""
