"""Provides deployment: build and install apps, create and join contexts, hot redeploy on save."""
