"""The operators' web admin: FastAPI pages rendered on the server, htmx for in-place updates.
The application is ``admin.web.app:create_app``."""
