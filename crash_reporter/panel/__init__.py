"""The panel in Home Assistant's sidebar (ingress): what the app watches, sent and kept.

`server.Panel` listens in the daemon's process and loads `pages` (the aiohttp application)
when the panel is first opened; `view` turns the app's state into what the page says, in
plain words; `templates/` and `static/` hold the HTML and its stylesheet.
"""
