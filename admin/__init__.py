"""The operators' side: the ``orderhub`` command line (and, later, the web admin)."""
