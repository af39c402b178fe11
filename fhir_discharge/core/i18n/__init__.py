"""What the module writes and shows, in the reader's language: the catalogues (one TOML file per
language: catalogue.py), which language the letter speaks (language.py), dates, times, numbers
and durations per language (dates.py), and the gate's findings and a discharge's warnings said by
their codes (said.py)."""
