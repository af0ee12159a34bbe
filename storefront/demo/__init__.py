"""The demo catalog: Bắc Giang's OCOP products from the seed article, famous OCOP products of
other provinces, and one account for each role (`flask --app wsgi seed-demo`).

seed.py builds it from the data files in data/ (accounts, cooperatives, listings as TOML,
read by specs.py); pictures.py draws the product pictures.
"""

from storefront.demo.seed import seed_demo
from storefront.demo.specs import DEMO_PASSWORD, pfa_email

PFA_EMAIL = pfa_email()

__all__ = ["DEMO_PASSWORD", "PFA_EMAIL", "seed_demo"]
