"""ingest stage of reportmine."""
