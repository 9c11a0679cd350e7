"""The one error type of the application layer for input a person must correct."""


class AppInputError(ValueError):
    """Input that cannot be used (a file, a column, an option); the message says what and
    what is allowed. The CLI prints it and exits with code 2; the web app answers 422."""
