// Drives amazon-cognito-identity-js (the SRP implementation Amplify uses), unmodified, against
// the gateway's edge endpoint. Usage:
//   node sign_in.js <endpoint> <poolId> <clientId> <username> <password> [<newPassword>]
// Signs in with USER_SRP_AUTH; with <newPassword>, then changes the password. Prints one JSON
// line: {"ok": true, "idToken": "...", "accessToken": "..."} or {"ok": false, "code", "message"}.
// With TOTP_CODE in the environment, a SOFTWARE_TOKEN_MFA challenge is answered with it.
'use strict';
const { CognitoUserPool, CognitoUser, AuthenticationDetails } = require('amazon-cognito-identity-js');

const [endpoint, poolId, clientId, username, password, newPassword] = process.argv.slice(2);
const pool = new CognitoUserPool({ UserPoolId: poolId, ClientId: clientId, endpoint });
const user = new CognitoUser({ Username: username, Pool: pool });
const details = new AuthenticationDetails({ Username: username, Password: password });

function done(result) {
  process.stdout.write(JSON.stringify(result) + '\n');
  process.exit(0);
}
const failed = (err) => done({ ok: false, code: err.code || err.name, message: err.message });

// A bounded run: the test never waits on a hung client.
setTimeout(() => failed({ code: 'Timeout', message: 'no answer within 20 s' }), 20000).unref();

const callbacks = {
  onSuccess(session) {
    const tokens = {
      ok: true,
      idToken: session.getIdToken().getJwtToken(),
      accessToken: session.getAccessToken().getJwtToken(),
    };
    if (!newPassword) return done(tokens);
    user.changePassword(password, newPassword, (err) => (err ? failed(err) : done(tokens)));
  },
  onFailure: failed,
  newPasswordRequired: () => failed({ code: 'NewPasswordRequired', message: 'unexpected challenge' }),
  totpRequired() {
    const code = process.env.TOTP_CODE;
    if (!code) return failed({ code: 'TotpRequired', message: 'unexpected challenge' });
    user.sendMFACode(code, callbacks, 'SOFTWARE_TOKEN_MFA');
  },
  mfaSetup: () => failed({ code: 'MfaSetup', message: 'unexpected challenge' }),
};
user.authenticateUser(details, callbacks);
