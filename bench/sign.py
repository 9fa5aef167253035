"""Prints a wrk Lua snippet with SigV4 headers (botocore's signer) for a GET of URL.

Usage: sign.py URL ACCESS_KEY_ID SECRET [REGION]
A signature stays valid for five minutes either side of its X-Amz-Date, so bench/run.sh signs
again right before each run of a scenario that uses it.
"""

import sys

try:
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
except ImportError:
    sys.exit("bench/sign.py needs botocore: python3 -m pip install botocore")

url, akid, secret = sys.argv[1:4]
region = sys.argv[4] if len(sys.argv) > 4 else "us-east-1"
request = AWSRequest(method="GET", url=url)
SigV4Auth(Credentials(akid, secret), "execute-api", region).add_auth(request)
for name in ("Authorization", "X-Amz-Date", "X-Amz-Content-SHA256"):
    value = request.headers.get(name)
    if value:
        print(f'wrk.headers["{name}"] = "{value}"')
