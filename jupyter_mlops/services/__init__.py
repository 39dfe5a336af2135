"""Services: plain-Python operations shared by the magics, the CLI and the REST handlers."""
