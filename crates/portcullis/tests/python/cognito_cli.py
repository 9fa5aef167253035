"""Signs a user up and in with the AWS CLI (`aws cognito-idp`, unsigned as an app's users are),
the commands of the README's tour, against a running Portcullis.

Usage: cognito_cli.py ENDPOINT CLIENT_ID USERNAME PASSWORD sign-up|sign-in
Prints one JSON object: {case: [exit status, stdout or stderr]}.
"""

import json
import os
import subprocess
import sys

ENDPOINT, CLIENT_ID, USERNAME, PASSWORD, PHASE = sys.argv[1:6]


def cli(*args):
    env = dict(os.environ)
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        env.pop(name, None)
    env.update(AWS_CONFIG_FILE="/dev/null", AWS_SHARED_CREDENTIALS_FILE="/dev/null")
    out = subprocess.run(
        [sys.executable, "-m", "awscli", "cognito-idp", "--endpoint-url", ENDPOINT,
         "--region", "us-east-1", "--no-sign-request", "--output", "json", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return [out.returncode, out.stdout if out.returncode == 0 else out.stderr]


def sign_in(password):
    return cli("initiate-auth", "--client-id", CLIENT_ID, "--auth-flow", "USER_PASSWORD_AUTH",
               "--auth-parameters", f"USERNAME={USERNAME},PASSWORD={password}")


if PHASE == "sign-up":
    results = {
        "sign_up": cli("sign-up", "--client-id", CLIENT_ID, "--username", USERNAME,
                       "--password", PASSWORD),
        "unconfirmed": sign_in(PASSWORD),
    }
else:
    results = {"sign_in": sign_in(PASSWORD), "wrong_password": sign_in(PASSWORD + "x")}
print(json.dumps(results))
