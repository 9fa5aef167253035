// The handler behind both serverless-offline routes: a Lambda proxy answer, "ok".
export const handler = async () => ({ statusCode: 200, body: 'ok\n' });
