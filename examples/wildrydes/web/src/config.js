// Where the page finds the gateway. The edge endpoint serves the user pool (Cognito IdP), the
// identity pool (Cognito Identity) and the API on one port. By default it is this page's host on
// port 8080 (examples/wildrydes/portcullis.yaml's `listen`), with this page's scheme;
// `?endpoint=https://127.0.0.1:PORT` points the page elsewhere (the browser test does, for its
// ephemeral ports), and `?api=` the API's stage URL.
const params = new URLSearchParams(window.location.search);
const endpoint = (
  params.get('endpoint') || `${window.location.protocol}//${window.location.hostname}:8080`
).replace(/\/+$/, '');

export const config = {
  endpoint,
  region: 'us-east-1',
  userPoolId: 'us-east-1_WildRydes',
  clientId: 'wildrydes-web',
  identityPoolId: 'us-east-1:8d4c5b1e-9f1a-4c1e-a2a8-2b7e8f6d9c01',
  // The `prod` stage of `wildrydes1`: the only API on this endpoint, so `/{stage}/…` reaches it.
  apiUrl: (params.get('api') || `${endpoint}/prod`).replace(/\/+$/, ''),
};
