"""viz stage of reportmine."""
