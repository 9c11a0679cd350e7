"""The one error type of the application layer for input a person must correct."""


class AppInputError(ValueError):
    """Input that cannot be used (a file, a column, an option); the message says what and
    what is allowed. The CLI prints it and exits with code 2; the web app answers 422."""


def check_environment() -> None:
    """:class:`AppInputError` when a painsim environment variable holds a value it cannot use
    (``PAINSIM_COHORT_CACHE_MB``: painsim.engine.cohort_cache), checked before a command runs
    so that a typo is bad input, not a failure in the middle of a simulation."""
    from painsim.engine.cohort_cache import budget_from_environment

    try:
        budget_from_environment()
    except ValueError as err:
        raise AppInputError(str(err)) from None
