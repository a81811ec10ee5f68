"""extract stage of reportmine."""
