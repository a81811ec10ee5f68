"""structure stage of reportmine."""
