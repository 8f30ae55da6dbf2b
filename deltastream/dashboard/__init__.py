"""The web dashboard: a server-rendered shell (Jinja2) plus small ES modules, served at ``/``.

It owns no table and calls nothing in-process: the browser reads the public REST API and the
Socket.IO stream, so everything it shows a client can get too. See ``docs/dashboard.md``.
"""
