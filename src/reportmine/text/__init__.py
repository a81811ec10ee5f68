"""text stage of reportmine."""
