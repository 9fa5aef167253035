"""Prints a wrk Lua line that sends an ID token of bench/run.sh's user pool: signs a user up
(the pool confirms at sign-up) and in with USER_PASSWORD_AUTH, over the Cognito JSON protocol.

Usage: id_token.py ENDPOINT (not token.py: that name would shadow the standard library module)
"""

import json
import sys
import urllib.error
import urllib.request

ENDPOINT = sys.argv[1]


def call(op, body):
    request = urllib.request.Request(
        ENDPOINT + "/",
        data=json.dumps(body).encode(),
        method="POST",
        headers={
            "content-type": "application/x-amz-json-1.1",
            "x-amz-target": "AWSCognitoIdentityProviderService." + op,
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as e:
        return json.loads(e.read())


user = {"ClientId": "bench-web", "Username": "bench@example.com", "Password": "Bench-Passw0rd"}
call("SignUp", user)  # a second run finds the user there: fine
answer = call(
    "InitiateAuth",
    {
        "ClientId": "bench-web",
        "AuthFlow": "USER_PASSWORD_AUTH",
        "AuthParameters": {"USERNAME": user["Username"], "PASSWORD": user["Password"]},
    },
)
token = answer["AuthenticationResult"]["IdToken"]
print(f'wrk.headers["Authorization"] = "{token}"')
