// The Wild Rydes page: register → verify → sign in (SRP) → identity-pool credentials →
// SigV4-signed POST /ride → the unicorn. As the workshop's IAM module, with the AWS SDK's own
// pieces: amazon-cognito-identity-js for the user pool, @aws-sdk/client-cognito-identity for the
// identity pool, @smithy/signature-v4 to sign the API call.
import {
  AuthenticationDetails,
  CognitoUser,
  CognitoUserAttribute,
  CognitoUserPool,
} from 'amazon-cognito-identity-js';
import {
  CognitoIdentityClient,
  GetCredentialsForIdentityCommand,
  GetIdCommand,
} from '@aws-sdk/client-cognito-identity';
import { SignatureV4 } from '@smithy/signature-v4';
import { Sha256 } from '@aws-crypto/sha256-js';
import { config } from './config.js';

const pool = new CognitoUserPool({
  UserPoolId: config.userPoolId,
  ClientId: config.clientId,
  endpoint: config.endpoint,
});
const identity = new CognitoIdentityClient({ region: config.region, endpoint: config.endpoint });
const RIDE_BODY = JSON.stringify({ PickupLocation: { Latitude: 47.6, Longitude: -122.3 } });

const $ = (id) => document.getElementById(id);
let credentials = null;

function show(id, text, ok = true) {
  const el = $(id);
  el.textContent = text;
  el.className = ok ? 'ok' : 'error';
}

const user = () => new CognitoUser({ Username: $('email').value.trim(), Pool: pool });

// amazon-cognito-identity-js speaks callbacks; the steps below read better as promises.
const promised = (call) =>
  new Promise((resolve, reject) => call((err, result) => (err ? reject(err) : resolve(result))));
const message = (err) => `${err.code || err.name || 'Error'}: ${err.message}`;

async function register() {
  const email = $('email').value.trim();
  const attributes = [new CognitoUserAttribute({ Name: 'email', Value: email })];
  try {
    await promised((cb) => pool.signUp(email, $('password').value, attributes, null, cb));
    show('status', `Registered ${email}. Enter the code sent to it (\`portcullis userpool codes\`).`);
  } catch (err) {
    show('status', message(err), false);
  }
}

async function verify() {
  try {
    await promised((cb) => user().confirmRegistration($('code').value.trim(), true, cb));
    show('status', 'Verified. Sign in.');
  } catch (err) {
    show('status', message(err), false);
  }
}

// The ID token's issuer without its scheme is the identity pool's provider name for it:
// `cognito-idp.us-east-1.amazonaws.com/us-east-1_WildRydes` on AWS, the edge's host here.
function providerName(idToken) {
  const payload = idToken.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
  const { iss } = JSON.parse(atob(payload));
  return iss.replace(/^https?:\/\//, '');
}

async function signIn() {
  const details = new AuthenticationDetails({
    Username: $('email').value.trim(),
    Password: $('password').value,
  });
  try {
    const session = await new Promise((resolve, reject) =>
      user().authenticateUser(details, { onSuccess: resolve, onFailure: reject }),
    );
    const idToken = session.getIdToken().getJwtToken();
    const Logins = { [providerName(idToken)]: idToken };
    const { IdentityId } = await identity.send(
      new GetIdCommand({ IdentityPoolId: config.identityPoolId, Logins }),
    );
    const { Credentials } = await identity.send(
      new GetCredentialsForIdentityCommand({ IdentityId, Logins }),
    );
    credentials = {
      accessKeyId: Credentials.AccessKeyId,
      secretAccessKey: Credentials.SecretKey,
      sessionToken: Credentials.SessionToken,
    };
    show('status', `Signed in; identity ${IdentityId}.`);
    $('ride').disabled = false;
  } catch (err) {
    show('status', message(err), false);
  }
}

// POST {api}/ride, signed for execute-api with the identity pool's credentials when given.
async function postRide(signWith) {
  const url = new URL(`${config.apiUrl}/ride`);
  let headers = { 'content-type': 'application/json' };
  if (signWith) {
    const signer = new SignatureV4({
      credentials: signWith,
      region: config.region,
      service: 'execute-api',
      sha256: Sha256,
      // API Gateway does not need x-amz-content-sha256, and the API's CORS does not allow it.
      applyChecksum: false,
    });
    const signed = await signer.sign({
      method: 'POST',
      protocol: url.protocol,
      hostname: url.hostname,
      port: url.port ? Number(url.port) : undefined,
      path: url.pathname,
      query: {},
      headers: { host: url.host, ...headers },
      body: RIDE_BODY,
    });
    // The browser sends Host itself (the same value that was signed).
    const { host, ...rest } = signed.headers;
    headers = rest;
  }
  const response = await fetch(url, { method: 'POST', headers, body: RIDE_BODY });
  return { status: response.status, body: await response.json() };
}

async function requestRide() {
  try {
    const { status, body } = await postRide(credentials);
    if (status !== 201) return show('unicorn', `${status}: ${body.message}`, false);
    show('unicorn', `${body.Unicorn.Name} (${body.Unicorn.Color}) is on the way: ride ${body.RideId}, ETA ${body.Eta}.`);
    $('unicorn-name').textContent = body.Unicorn.Name;
  } catch (err) {
    show('unicorn', message(err), false);
  }
}

async function requestUnsigned() {
  try {
    const { status, body } = await postRide(null);
    show('unsigned-result', `${status}: ${body.message}`, status < 400);
  } catch (err) {
    show('unsigned-result', message(err), false);
  }
}

$('register').addEventListener('click', register);
$('verify').addEventListener('click', verify);
$('signin').addEventListener('click', signIn);
$('ride').addEventListener('click', requestRide);
$('unsigned').addEventListener('click', requestUnsigned);
$('endpoint').textContent = config.endpoint;
