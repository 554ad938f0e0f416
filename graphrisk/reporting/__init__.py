"""Documents for people outside the tool: case and portfolio reports, the suspicious-activity
report."""
