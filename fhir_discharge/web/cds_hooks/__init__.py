"""CDS Hooks 2.0: the `encounter-discharge` hook (routes.py), its service description
(service.py), its request and answer models (models.py) and the reading of its prefetch
(prefetch.py). The cards are built in core/cds_cards.py, the record read in io/hook_gathering.py.
"""
