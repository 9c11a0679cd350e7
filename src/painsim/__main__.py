"""``python -m painsim``: the command-line interface."""

from painsim.cli import main

if __name__ == "__main__":
    main()
