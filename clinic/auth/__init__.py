"""Staff sign-in, roles, password set/reset and the one place that decides scope."""
