"""The panel in Home Assistant's sidebar (ingress): what the app watches, sent and kept.

`server.Panel` serves it from the daemon's process; `view` turns the app's state into what
the page says, in plain words; `templates/` and `static/` hold the HTML and its stylesheet.
"""
