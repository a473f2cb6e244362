"""Authentication and accounts: browser sessions, password login and its throttle, account
activation, personal API tokens, OpenID Connect users, and the audit of credential actions.

The doors (the API, the pages, the command line) keep cookies, headers and redirects; these
services take plain inputs and a `Caller`, and raise `filrouge.core.errors`.
"""
