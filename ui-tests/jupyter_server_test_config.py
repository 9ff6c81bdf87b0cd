"""JupyterLab server for the Galata tests: a temporary root, no token, root allowed (CI runs as root)."""

from jupyterlab.galata import configure_jupyter_server

configure_jupyter_server(c)  # noqa: F821  (c is the config object Jupyter passes in)
c.ServerApp.allow_root = True
c.ServerApp.open_browser = False
