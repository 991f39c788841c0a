"""The admin area of the web UI: users, teams, roles, pipelines, custom fields, web forms
and API keys. Pages call the same services as the REST API, as the signed-in admin."""
