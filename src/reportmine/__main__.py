"""`python -m reportmine` runs the command-line interface."""
from reportmine.cli.app import main

if __name__ == "__main__":
    main()
