"""The pages for people: server-rendered DSFR pages with htmx, a door beside the JSON API.

They use the API's session login, CSRF check and role table (`api/access.py`), and call the
same services; they never query the store themselves (an import-linter contract checks it).
"""
