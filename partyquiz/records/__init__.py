"""Training records: roster, hour rules, the ledger and the roll-in from nbgrader's gradebook."""
