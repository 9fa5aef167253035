"""Calls a running Portcullis with AWS's own Python tooling: botocore's SigV4 signers (header and
presigned forms) against an AWS_IAM API, and the AWS CLI against the STS endpoint.

Usage: real_clients.py ENDPOINT ACCESS_KEY_ID SECRET ROLE_ARN
Prints one JSON object: {case: [status, body]}.
"""

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request

from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

ENDPOINT, AKID, SECRET, ROLE_ARN = sys.argv[1:5]
REGION = "us-east-1"


def send(prepared, body):
    request = urllib.request.Request(
        prepared.url, data=body, method=prepared.method, headers=dict(prepared.headers)
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return [response.status, response.read().decode()]
    except urllib.error.HTTPError as e:
        return [e.code, e.read().decode()]


def call(method, path, credentials, body=None, headers=None, presign=False):
    data = body.encode() if body is not None else None
    request = AWSRequest(method=method, url=ENDPOINT + path, data=data, headers=headers or {})
    if presign:
        SigV4QueryAuth(credentials, "execute-api", REGION, expires=300).add_auth(request)
    else:
        SigV4Auth(credentials, "execute-api", REGION).add_auth(request)
    return send(request.prepare(), data)


def cli(*args, credentials):
    env = dict(os.environ)
    env.update(
        AWS_ACCESS_KEY_ID=credentials.access_key,
        AWS_SECRET_ACCESS_KEY=credentials.secret_key,
        AWS_DEFAULT_REGION=REGION,
        AWS_CONFIG_FILE="/dev/null",
        AWS_SHARED_CREDENTIALS_FILE="/dev/null",
    )
    if credentials.token:
        env["AWS_SESSION_TOKEN"] = credentials.token
    else:
        env.pop("AWS_SESSION_TOKEN", None)
    out = subprocess.run(
        [sys.executable, "-m", "awscli", "--endpoint-url", ENDPOINT, "--output", "json", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return [out.returncode, out.stdout if out.returncode == 0 else out.stderr]


user = Credentials(AKID, SECRET)
results = {
    "get": call("GET", "/prod/pets?type=dog&q=a%20b", user),
    "post": call("POST", "/prod/pets", user, body='{"type":"bird"}', headers={"content-type": "application/json"}),
    "odd_path": call("GET", "/prod/pets/a%20b%40c", user),
    "presigned": call("GET", "/prod/pets?x=1", user, presign=True),
    "wrong_secret": call("GET", "/prod/pets", Credentials(AKID, "wrong")),
    "cli_identity": cli("sts", "get-caller-identity", credentials=user),
}
assumed = cli(
    "sts", "assume-role", "--role-arn", ROLE_ARN, "--role-session-name", "cli-session",
    credentials=user,
)
results["cli_assume_role"] = assumed
if assumed[0] == 0:
    c = json.loads(assumed[1])["Credentials"]
    session = Credentials(c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])
    results["session_get"] = call("GET", "/prod/pets", session)
    results["session_post"] = call("POST", "/prod/pets", session, body="{}")
    results["session_identity"] = cli("sts", "get-caller-identity", credentials=session)
print(json.dumps(results))
