// Computes test vectors for crates/srp with the real client, amazon-cognito-identity-js
// (the SRP implementation Amplify uses), with fixed secrets instead of random ones.
// Usage: node vectors.js < inputs.json > ../vectors/client.json
// Run from a directory where `npm install amazon-cognito-identity-js@6.3.21` was done.
const AuthenticationHelper = require('amazon-cognito-identity-js/lib/AuthenticationHelper').default;
const BigInteger = require('amazon-cognito-identity-js/lib/BigInteger').default;
const { Sha256 } = require('@aws-crypto/sha256-js');
const { Buffer } = require('buffer');

const inputs = JSON.parse(require('fs').readFileSync(0, 'utf8'));

function vector(input) {
  return new Promise((resolve, reject) => {
    const poolName = input.pool_id.split('_')[1];
    const helper = new AuthenticationHelper(poolName);
    helper.smallAValue = new BigInteger(input.a_hex, 16);
    helper.largeAValue = undefined;
    helper.getLargeAValue((err, A) => {
      if (err) return reject(err);
      const B = new BigInteger(input.srp_b_hex, 16);
      const salt = new BigInteger(input.salt_hex, 16);
      helper.getPasswordAuthenticationKey(input.user_id, input.password, B, salt, (err2, hkdf) => {
        if (err2) return reject(err2);
        const message = Buffer.concat([
          Buffer.from(poolName, 'utf8'),
          Buffer.from(input.user_id, 'utf8'),
          Buffer.from(input.secret_block, 'base64'),
          Buffer.from(input.timestamp, 'utf8'),
        ]);
        const mac = new Sha256(hkdf);
        mac.update(message);
        const signature = Buffer.from(mac.digestSync()).toString('base64');
        resolve({ ...input, srp_a_hex: A.toString(16), key_hex: Buffer.from(hkdf).toString('hex'), signature, k_hex: helper.k.toString(16) });
      });
    });
  });
}

Promise.all(inputs.map(vector)).then(v => process.stdout.write(JSON.stringify(v, null, 1) + '\n'));
