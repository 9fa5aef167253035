"""The independent side of crates/tokens/tests/python_interop.rs: PyJWT and cryptography.

    interop.py verify   reads {"jwks", "issuer", "client_id", "id_token", "access_token"} on
                        stdin, verifies both tokens with PyJWT against the JWKS (and each key's
                        kid against its RFC 7638 thumbprint), prints the verified claims.
    interop.py sign     reads {"issuer", "client_id", "now"} on stdin, makes its own RSA key and
                        JWKS, prints the JWKS and tokens (good and forged) for our validator.

Missing modules are an error (exit 1), never a skip: the Rust test must fail without them.
"""

import base64
import hashlib
import hmac
import json
import sys

import jwt  # PyJWT
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def thumbprint(jwk: dict) -> str:
    canonical = json.dumps({"e": jwk["e"], "kty": "RSA", "n": jwk["n"]},
                           separators=(",", ":"), sort_keys=True)
    return b64url(hashlib.sha256(canonical.encode()).digest())


def verify(req: dict) -> dict:
    jwks = jwt.PyJWKSet.from_dict(req["jwks"])
    for key in req["jwks"]["keys"]:
        if key["kid"] != thumbprint(key):
            raise SystemExit(f"kid {key['kid']} is not the key's RFC 7638 thumbprint")

    def key_for(token: str):
        kid = jwt.get_unverified_header(token)["kid"]
        return jwks[kid].key

    id_token = req["id_token"]
    id_claims = jwt.decode(
        id_token, key_for(id_token), algorithms=["RS256"], issuer=req["issuer"],
        audience=req["client_id"],
        options={"require": ["exp", "iat", "iss", "sub", "aud"]})
    access_token = req["access_token"]
    access_claims = jwt.decode(
        access_token, key_for(access_token), algorithms=["RS256"], issuer=req["issuer"],
        options={"require": ["exp", "iat", "iss", "sub"], "verify_aud": False})
    if access_claims.get("client_id") != req["client_id"]:
        raise SystemExit("access token client_id mismatch")

    # PyJWT really checks the signature: the same token with another payload is refused.
    header, _, signature = id_token.split(".")
    forged_payload = b64url(json.dumps({**id_claims, "sub": "admin"}).encode())
    try:
        jwt.decode(f"{header}.{forged_payload}.{signature}", key_for(id_token),
                   algorithms=["RS256"], audience=req["client_id"])
    except jwt.InvalidSignatureError:
        pass
    else:
        raise SystemExit("PyJWT accepted a tampered token")
    return {"id": id_claims, "access": access_claims,
            "headers": [jwt.get_unverified_header(id_token),
                        jwt.get_unverified_header(access_token)]}


def sign(req: dict) -> dict:
    now, issuer, client = req["now"], req["issuer"], req["client_id"]
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = jwt.algorithms.RSAAlgorithm.to_jwk(private_key.public_key(), as_dict=True)
    jwk.update({"kid": "pyjwt-key-1", "use": "sig", "alg": "RS256"})
    # An HMAC key an attacker might publish; our validator must skip it.
    oct_key = {"kty": "oct", "kid": "pyjwt-hmac", "k": b64url(b"secret"), "alg": "HS256"}
    jwks = {"keys": [oct_key, jwk]}
    headers = {"kid": jwk["kid"]}

    id_claims = {
        "sub": "f0e1d2c3-0000-4000-8000-000000000001", "cognito:groups": ["readers"],
        "email_verified": True, "iss": issuer, "cognito:username": "bob",
        "origin_jti": "o-1", "aud": client, "event_id": "e-1", "token_use": "id",
        "auth_time": now, "exp": now + 3600, "iat": now, "jti": "j-1",
        "email": "bob@example.com", "custom:team": "blue",
    }
    access_claims = {
        "sub": id_claims["sub"], "iss": issuer, "version": 2, "client_id": client,
        "origin_jti": "o-1", "event_id": "e-1", "token_use": "access",
        "scope": "openid orders/read", "auth_time": now, "exp": now + 3600, "iat": now,
        "jti": "j-2", "username": "bob",
    }
    good_id = jwt.encode(id_claims, private_key, algorithm="RS256", headers=headers)
    good_access = jwt.encode(access_claims, private_key, algorithm="RS256", headers=headers)

    public_pem = private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)

    def hs256(claims: dict, secret: bytes) -> str:
        # PyJWT refuses to use a PEM public key as an HMAC secret (its own defence), so the
        # forgery is written by hand.
        signing_input = (b64url(json.dumps({"alg": "HS256", "kid": jwk["kid"]}).encode())
                         + "." + b64url(json.dumps(claims).encode()))
        mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
        return signing_input + "." + b64url(mac)

    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    tokens = [
        {"name": "pyjwt_id_token", "token": good_id, "expected": "ok", "use": "id"},
        {"name": "pyjwt_access_token", "token": good_access, "expected": "ok",
         "use": "access"},
        {"name": "pyjwt_alg_none",
         "token": jwt.encode(id_claims, None, algorithm="none", headers=headers),
         "expected": "alg_none", "use": "id"},
        {"name": "hs256_with_public_pem", "token": hs256(id_claims, public_pem),
         "expected": "hmac_algorithm", "use": "id"},
        {"name": "hs256_with_published_oct_key",
         "token": jwt.encode(id_claims, b"secret", algorithm="HS256",
                             headers={"kid": "pyjwt-hmac"}),
         "expected": "hmac_algorithm", "use": "id"},
        {"name": "pyjwt_rs512",
         "token": jwt.encode(id_claims, private_key, algorithm="RS512", headers=headers),
         "expected": "unsupported_algorithm", "use": "id"},
        {"name": "pyjwt_ps256",
         "token": jwt.encode(id_claims, private_key, algorithm="PS256", headers=headers),
         "expected": "unsupported_algorithm", "use": "id"},
        {"name": "other_key_same_kid",
         "token": jwt.encode(id_claims, other_key, algorithm="RS256", headers=headers),
         "expected": "bad_signature", "use": "id"},
        {"name": "pyjwt_expired",
         "token": jwt.encode({**id_claims, "exp": now - 3600}, private_key,
                             algorithm="RS256", headers=headers),
         "expected": "expired", "use": "id"},
        {"name": "pyjwt_wrong_audience",
         "token": jwt.encode({**id_claims, "aud": "someone-else"}, private_key,
                             algorithm="RS256", headers=headers),
         "expected": "audience_not_accepted", "use": "id"},
    ]
    return {"jwks": jwks, "tokens": tokens, "id_claims": id_claims,
            "access_claims": access_claims}


def main() -> None:
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    req = json.load(sys.stdin)
    if command == "verify":
        out = verify(req)
    elif command == "sign":
        out = sign(req)
    else:
        raise SystemExit(f"usage: {sys.argv[0]} verify|sign")
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
