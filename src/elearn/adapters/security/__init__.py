"""Security adapters of the identity context: access tokens (JWT), opaque secret tokens, TOTP,
rate limits, the access-token deny-list, ISO reference data and the common-password list.

Import the module you need (``elearn.adapters.security.jwt_tokens``...): each pulls in only its
own third-party library.
"""
