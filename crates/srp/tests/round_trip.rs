//! Any user, password and pool: our client and the server agree, and a wrong password never
//! signs in.

#![allow(clippy::unwrap_used)]

use std::time::{Duration, UNIX_EPOCH};

use proptest::prelude::*;
use srp::client::Client;
use srp::server::{self, Claim};
use srp::{ServerKey, Verifier, timestamp};

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]

    #[test]
    fn sign_in_round_trips(
        pool in "[a-z]{2}-[a-z]{4}-[1-9]_[A-Za-z0-9]{1,20}",
        user in "\\PC{1,40}",
        password in "\\PC{6,40}",
        other in "\\PC{6,40}",
        secs in 1_000_000_000u64..4_000_000_000,
    ) {
        let now = UNIX_EPOCH + Duration::from_secs(secs);
        let key = ServerKey::generate().unwrap();
        let verifier = Verifier::new(&pool, &user, &password).unwrap();
        let client = Client::new().unwrap();
        let challenge = server::challenge(&key, &pool, &user, &verifier, &client.srp_a_hex(), now).unwrap();
        let ts = timestamp::format(now);
        let good = client.sign(&pool, &user, &password, &challenge, &ts).unwrap();
        let claim = Claim { secret_block: &challenge.secret_block, signature: &good, timestamp: &ts };
        prop_assert_eq!(server::verify(&key, &pool, &user, &verifier, claim, now), Ok(()));
        if other != password {
            let bad = client.sign(&pool, &user, &other, &challenge, &ts).unwrap();
            let claim = Claim { signature: &bad, ..claim };
            prop_assert_eq!(
                server::verify(&key, &pool, &user, &verifier, claim, now),
                Err(srp::SrpError::BadSignature)
            );
        }
    }
}
