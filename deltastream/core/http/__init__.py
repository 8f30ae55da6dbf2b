"""The HTTP kit every router uses: error envelope, JSON responses, OpenAPI helpers, rate limits,
shared query parameters and the ``Annotated`` dependencies on the app's typed state.

Nothing here knows a context; each context's router imports what it needs from the submodules.
"""
