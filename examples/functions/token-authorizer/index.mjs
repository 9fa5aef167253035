// The TOKEN authorizer of authorizer.py, for Node.js (`runtime: nodejs22.x`, `handler:
// index.handler`): the same tokens, the same answers. The benchmark runs this one behind both
// Portcullis and serverless-offline, so that both run the same code.
const stageArn = (methodArn) => methodArn.split('/').slice(0, 2).join('/');

const policy = (principalId, effect, resource, context) => ({
  principalId,
  policyDocument: {
    Version: '2012-10-17',
    Statement: [{ Action: 'execute-api:Invoke', Effect: effect, Resource: resource }],
  },
  ...(context ? { context } : {}),
});

export const handler = async (event) => {
  const token = event.authorizationToken;
  const base = stageArn(event.methodArn);
  if (token === 'allow' || token.startsWith('allow:')) {
    const user = token.split(':')[1] || 'user';
    return policy(user, 'Allow', `${base}/*/*`, { user, tier: 'gold', calls: 3, admin: false });
  }
  if (token.startsWith('keyed:')) {
    return { ...policy('metered', 'Allow', `${base}/*/*`), usageIdentifierKey: token.slice(6) };
  }
  if (token === 'get-only') return policy('reader', 'Allow', `${base}/GET/*`, { user: 'reader' });
  if (token === 'deny') return policy('intruder', 'Deny', `${base}/*/*`);
  if (token === 'unauthorized') throw new Error('Unauthorized');
  if (token === 'malformed') return { principalId: 'nobody' };
  throw new Error('unknown token kind');
};
