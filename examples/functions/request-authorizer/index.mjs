// A REQUEST Lambda authorizer for Node.js (`runtime: nodejs22.x`, `handler: index.handler`),
// as written for Lambda: it reads a header, a query string parameter and a stage variable of the
// event API Gateway sends, and allows the caller's tenant when its key matches.
export const handler = async (event) => {
  const tenant = event.headers['x-tenant'];
  const key = event.queryStringParameters.key;
  if (key === 'unauthorized') throw new Error('Unauthorized');
  const allowed = key === `${tenant}-key` && event.stageVariables.open === 'yes';
  return {
    principalId: tenant,
    policyDocument: {
      Version: '2012-10-17',
      Statement: [{ Action: 'execute-api:Invoke', Effect: allowed ? 'Allow' : 'Deny', Resource: event.methodArn }],
    },
    context: {
      tenant,
      resource: event.resource,
      path: event.path,
      pet: event.pathParameters.petId ?? '',
      sourceIp: event.requestContext.identity.sourceIp,
    },
  };
};
