"""Commune digital-transformation research suite: cleaning, statistics and province briefs."""

__version__ = "0.1.0"
