"""One router per resource; :func:`graphrisk.api.app.create_app` includes them all."""
