"""Invokes a function with the AWS CLI (`aws lambda invoke --endpoint-url`, signed by botocore)
against a running Portcullis.

Usage: lambda_cli.py ENDPOINT ACCESS_KEY_ID SECRET FUNCTION PAYLOAD_FILE OUT_DIR
Prints one JSON object: {case: [exit status, stdout or stderr, the response file or null]}.
"""

import json
import os
import subprocess
import sys

ENDPOINT, KEY, SECRET, FUNCTION, PAYLOAD, OUT = sys.argv[1:7]


def cli(case, *args):
    env = dict(os.environ)
    env.pop("AWS_SESSION_TOKEN", None)
    env.pop("AWS_PROFILE", None)
    env.update(AWS_CONFIG_FILE="/dev/null", AWS_SHARED_CREDENTIALS_FILE="/dev/null",
               AWS_ACCESS_KEY_ID=KEY, AWS_SECRET_ACCESS_KEY=SECRET)
    response = os.path.join(OUT, case + ".json")
    out = subprocess.run(
        [sys.executable, "-m", "awscli", "lambda", "invoke", "--endpoint-url", ENDPOINT,
         "--region", "us-east-1", "--output", "json", *args, response],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    body = None
    if os.path.exists(response):
        with open(response, encoding="utf-8") as f:
            body = f.read()
    return [out.returncode, out.stdout if out.returncode == 0 else out.stderr, body]


results = {
    "invoke": cli("invoke", "--function-name", FUNCTION, "--payload", "fileb://" + PAYLOAD,
                  "--log-type", "Tail"),
    "event": cli("event", "--function-name", FUNCTION, "--invocation-type", "Event",
                 "--payload", "fileb://" + PAYLOAD),
    "missing": cli("missing", "--function-name", "NoSuchFunction"),
}
print(json.dumps(results))
