"""Verb declarations shared by the command line and the magics: options declared once."""
