#!/usr/bin/python3
"""A relying party, independent of Vigil's code: validates a token with
python3-jwt (Debian's PyJWT) by fetching the signing key from the verifier's
JWKS URL, the way JWT libraries do (issue #5 §5).

usage: verify_token.py ISSUER TOKEN_FILE
  Fetches ISSUER/.well-known/openid-configuration, takes its jwks_uri, lets
  PyJWKClient pick the key by the token's kid, verifies ES256/RS256, exp, nbf,
  iat and iss, and prints the claims as JSON. Exit 0 when valid, 1 when not
  (the reason on stderr). HTTPS trust comes from SSL_CERT_FILE.
"""
import json
import sys
import urllib.request

import jwt


def main():
    issuer, token_file = sys.argv[1], sys.argv[2]
    with open(token_file) as f:
        token = f.read().strip()
    with urllib.request.urlopen(issuer + "/.well-known/openid-configuration") as r:
        meta = json.load(r)
    if meta["issuer"] != issuer:
        print(f"metadata issuer {meta['issuer']!r} != {issuer!r}", file=sys.stderr)
        return 1
    client = jwt.PyJWKClient(meta["jwks_uri"])
    try:
        key = client.get_signing_key_from_jwt(token)
        claims = jwt.decode(
            token,
            key.key,
            algorithms=meta["id_token_signing_alg_values_supported"],
            issuer=issuer,
            options={"require": ["exp", "iat", "nbf", "iss", "jti"]},
        )
    except jwt.PyJWTError as e:
        print(f"token rejected: {e}", file=sys.stderr)
        return 1
    print(json.dumps(claims, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
