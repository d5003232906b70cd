"""Alembic migrations, shipped inside the package so an installed pa can migrate its database."""
