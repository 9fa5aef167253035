"""A TOKEN Lambda authorizer, as written for Lambda's Python runtime and run unmodified by
Portcullis under AWS's runtime interface client (`python3 -m awslambdaric authorizer.handler`).

The token decides the answer (a real authorizer would verify a signature or look the token up):

- ``allow`` or ``allow:<user>``: Allow every method of the stage, with a context for the backend;
- ``keyed:<api key>``: Allow, naming the API key a usage plan meters (``usageIdentifierKey``,
  for APIs whose key source is ``AUTHORIZER``);
- ``get-only``: Allow GET only (a POST is refused by the gateway: the policy does not cover it);
- ``deny``: an explicit Deny of every method;
- ``unauthorized``: raise ``Unauthorized``, API Gateway's 401;
- ``error``: any other exception, a 500;
- ``malformed``: an answer without a policy, a 500;
- ``bad-context``: a context value that is an object, a 500;
- ``sleep``: run past the function's timeout, a 500.
"""
import time


def stage_arn(method_arn):
    """``arn:aws:execute-api:{region}:{account}:{api}/{stage}`` of the method being called."""
    api, stage = method_arn.split("/")[:2]
    return f"{api}/{stage}"


def policy(principal, effect, resource, context=None):
    answer = {
        "principalId": principal,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [
                {"Action": "execute-api:Invoke", "Effect": effect, "Resource": resource}
            ],
        },
    }
    if context is not None:
        answer["context"] = context
    return answer


def handler(event, context):
    token = event["authorizationToken"]
    base = stage_arn(event["methodArn"])
    if token == "allow" or token.startswith("allow:"):
        user = token.partition(":")[2] or "user"
        return policy(
            user,
            "Allow",
            f"{base}/*/*",
            {"user": user, "tier": "gold", "calls": 3, "admin": False},
        )
    if token.startswith("keyed:"):
        answer = policy("metered", "Allow", f"{base}/*/*")
        answer["usageIdentifierKey"] = token.partition(":")[2]
        return answer
    if token == "get-only":
        return policy("reader", "Allow", f"{base}/GET/*", {"user": "reader"})
    if token == "deny":
        return policy("intruder", "Deny", f"{base}/*/*")
    if token == "unauthorized":
        raise Exception("Unauthorized")
    if token == "malformed":
        return {"principalId": "nobody"}
    if token == "bad-context":
        return policy("user", "Allow", f"{base}/*/*", {"nested": {"no": "objects"}})
    if token == "sleep":
        time.sleep(30)
    raise ValueError("unknown token kind")
