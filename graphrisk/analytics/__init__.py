"""Pure analytics on graph snapshots: no database, no I/O."""
