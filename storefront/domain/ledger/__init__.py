"""The settlement ledger: postings (postings.py), payout accounts and payouts (payouts.py), and
what the finance pages read (queries.py). See docs/architecture.md, "Settlement ledger"."""
