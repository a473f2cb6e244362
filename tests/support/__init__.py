"""Scaffolding the test modules share: the pathway walker, territories, imports, mail."""
