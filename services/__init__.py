"""Prilavok services; each is its own process and never imports another."""
