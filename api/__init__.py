"""The JSON API at /api/v1/: the same objects, scopes, services and money rules as the pages, for machines."""
