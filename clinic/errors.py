"""The base of the services' named errors."""


class RuleError(Exception):
    """A step the rules do not allow; ``message`` is plain English shown to the person.

    Subclasses set a default ``message``; a caller may give a more precise one."""

    message = "This cannot be done."

    def __init__(self, message: str | None = None):
        super().__init__(message or self.message)
        if message:
            self.message = message
