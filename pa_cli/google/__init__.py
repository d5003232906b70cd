"""Google for pa: OAuth client setup, authorization (loopback, PKCE, incremental), credentials,
service construction and time helpers. Google libraries are imported inside functions only.

Modules: ``client_config`` (setup/load the OAuth client), ``oauth`` (authorize, revoke, web flow),
``credentials`` (tokens, refresh, ``is_authorized``), ``services`` (Gmail/Calendar clients),
``runtime`` (running API calls for tools), ``timeutil`` (calendar times), ``scopes``.
"""
