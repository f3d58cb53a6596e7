"""Provides the terminal UI of devnet (Textual)."""
