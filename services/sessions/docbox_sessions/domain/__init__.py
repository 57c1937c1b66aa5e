"""Pure rules of the sessions service: no Flask, no database."""
