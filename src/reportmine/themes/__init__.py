"""themes stage of reportmine."""
