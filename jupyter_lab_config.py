# JupyterLab settings for `make lab`: local only, nothing leaves the machine.
c = get_config()  # noqa: F821
c.ServerApp.ip = "127.0.0.1"
c.ServerApp.open_browser = False
c.ServerApp.root_dir = "notebooks"
c.LabApp.news_url = None                       # no announcements feed
c.LabApp.check_for_updates_class = "jupyterlab.handlers.announcements.NeverCheckForUpdate"
c.LabApp.extension_manager = "readonly"        # no PyPI look-ups from the extension manager
