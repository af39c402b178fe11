"""The ED physician's SMART on FHIR app: its routes (routes.py), its page and files (page.py,
static/) and what it is sent (models.py)."""
