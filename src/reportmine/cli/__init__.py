"""cli stage of reportmine."""
