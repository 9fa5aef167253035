"""The Wild Rydes flow with boto3 and botocore's SigV4 signer, against a running Portcullis
serving examples/wildrydes (crates/portcullis/tests/wildrydes.rs runs it).

Usage:
  wildrydes.py ENDPOINT sign-up EMAIL PASSWORD        prints SignUp's answer
  wildrydes.py ENDPOINT ride EMAIL PASSWORD CODE      confirms, signs in, gets the identity
      pool's credentials, and calls POST /prod/ride signed and unsigned and GET /prod/fleet;
      prints {identity_id, access_key_id, ride, unsigned, fleet: {status, body}}
"""

import json
import sys
import urllib.error
import urllib.request

import boto3
from botocore import UNSIGNED
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

ENDPOINT, PHASE, EMAIL, PASSWORD = sys.argv[1:5]
REGION = "us-east-1"
POOL = "us-east-1_WildRydes"
CLIENT = "wildrydes-web"
IDENTITY_POOL = "us-east-1:8d4c5b1e-9f1a-4c1e-a2a8-2b7e8f6d9c01"
PICKUP = json.dumps({"PickupLocation": {"Latitude": 47.6174755835663, "Longitude": -122.28837066650185}})

# An app's users call these operations unsigned, as the workshop's page does.
session = boto3.session.Session(aws_access_key_id="unused", aws_secret_access_key="unused")
unsigned = Config(signature_version=UNSIGNED, retries={"max_attempts": 1}, connect_timeout=10, read_timeout=30)
idp = session.client("cognito-idp", region_name=REGION, endpoint_url=ENDPOINT, config=unsigned)
identity = session.client("cognito-identity", region_name=REGION, endpoint_url=ENDPOINT, config=unsigned)


def call(method, path, body, credentials):
    """Sends one API request, signed with `credentials` (botocore's SigV4Auth) or unsigned."""
    url = ENDPOINT + path
    request = AWSRequest(method=method, url=url, data=body, headers={"content-type": "application/json"})
    if credentials is not None:
        SigV4Auth(credentials, "execute-api", REGION).add_auth(request)
    prepared = request.prepare()
    data = prepared.body.encode() if isinstance(prepared.body, str) else prepared.body
    sent = urllib.request.Request(url, data=data, method=method, headers=dict(prepared.headers))
    try:
        with urllib.request.urlopen(sent, timeout=30) as answer:
            status, text = answer.status, answer.read()
    except urllib.error.HTTPError as refused:
        status, text = refused.code, refused.read()
    return {"status": status, "body": json.loads(text) if text else None}


if PHASE == "sign-up":
    out = idp.sign_up(ClientId=CLIENT, Username=EMAIL, Password=PASSWORD)
    print(json.dumps({"UserSub": out["UserSub"], "UserConfirmed": out["UserConfirmed"]}))
else:
    idp.confirm_sign_up(ClientId=CLIENT, Username=EMAIL, ConfirmationCode=sys.argv[5])
    tokens = idp.initiate_auth(
        ClientId=CLIENT,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": EMAIL, "PASSWORD": PASSWORD},
    )["AuthenticationResult"]
    logins = {f"cognito-idp.{REGION}.amazonaws.com/{POOL}": tokens["IdToken"]}
    identity_id = identity.get_id(IdentityPoolId=IDENTITY_POOL, Logins=logins)["IdentityId"]
    c = identity.get_credentials_for_identity(IdentityId=identity_id, Logins=logins)["Credentials"]
    credentials = Credentials(c["AccessKeyId"], c["SecretKey"], c["SessionToken"])
    print(json.dumps({
        "identity_id": identity_id,
        "access_key_id": c["AccessKeyId"],
        "ride": call("POST", "/prod/ride", PICKUP, credentials),
        "unsigned": call("POST", "/prod/ride", PICKUP, None),
        "fleet": call("GET", "/prod/fleet", None, credentials),
    }))
