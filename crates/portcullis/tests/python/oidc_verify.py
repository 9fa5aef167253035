"""The independent check of user_pool_oauth.rs: PyJWT verifies an ID token from the
authorization-code grant against the pool's JWKS, as an OpenID Connect relying party does.

    oidc_verify.py   reads {"jwks", "issuer", "client_id", "nonce", "id_token"} on stdin and
                     prints the verified claims; exits non-zero on any failure.

Missing modules are an error (exit 1), never a skip: the Rust test must fail without them.
"""

import json
import sys

import jwt  # PyJWT


def main() -> None:
    req = json.load(sys.stdin)
    jwks = jwt.PyJWKSet.from_dict(req["jwks"])
    token = req["id_token"]
    kid = jwt.get_unverified_header(token)["kid"]
    key = next(k for k in jwks.keys if k.key_id == kid)
    claims = jwt.decode(
        token,
        key.key,
        algorithms=["RS256"],
        audience=req["client_id"],
        issuer=req["issuer"],
        options={"require": ["exp", "iat", "sub", "aud", "iss"]},
    )
    if claims.get("token_use") != "id":
        raise SystemExit("not an ID token")
    if claims.get("nonce") != req["nonce"]:
        raise SystemExit(f"nonce {claims.get('nonce')!r} is not {req['nonce']!r}")
    json.dump(claims, sys.stdout)


if __name__ == "__main__":
    main()
