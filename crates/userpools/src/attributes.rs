//! User attributes: Cognito's standard names, `custom:` names a pool declares, the formats
//! Cognito checks (email, phone number), and sign-in aliases in their one canonical form.

use crate::error::{CognitoError, ErrorType};

/// Cognito's standard attributes (OpenID Connect's standard claims, plus `sub`).
pub const STANDARD: &[&str] = &[
    "address",
    "birthdate",
    "email",
    "email_verified",
    "family_name",
    "gender",
    "given_name",
    "locale",
    "middle_name",
    "name",
    "nickname",
    "phone_number",
    "phone_number_verified",
    "picture",
    "preferred_username",
    "profile",
    "sub",
    "updated_at",
    "website",
    "zoneinfo",
];

/// Attributes only Cognito sets: a caller may not write them.
pub const READ_ONLY: &[&str] = &["sub", "updated_at"];

/// Longest attribute value Cognito accepts (2048 characters).
pub const MAX_VALUE_LENGTH: usize = 2048;

fn invalid(message: String) -> CognitoError {
    CognitoError::new(ErrorType::InvalidParameter, message)
}

/// Checks one attribute a caller writes: a standard name or a declared custom one (`declared`
/// answers for the name after `custom:`), a value of allowed length and, for `email` and
/// `phone_number`, format.
pub fn check_writable(
    name: &str,
    value: &str,
    declared: impl Fn(&str) -> bool,
) -> Result<(), CognitoError> {
    let known = match name.strip_prefix("custom:") {
        Some(custom) => declared(custom),
        None => STANDARD.contains(&name) && !READ_ONLY.contains(&name),
    };
    if !known {
        return Err(invalid(format!(
            "Attributes did not conform to the schema: Type for attribute {{{name}}} could not be determined"
        )));
    }
    if value.chars().count() > MAX_VALUE_LENGTH {
        return Err(invalid(format!(
            "Attributes did not conform to the schema: {name}: String must be no longer than {MAX_VALUE_LENGTH} characters"
        )));
    }
    match name {
        "email" if !is_email(value) => Err(invalid("Invalid email address format.".into())),
        "phone_number" if !is_phone_number(value) => {
            Err(invalid("Invalid phone number format.".into()))
        }
        "email_verified" | "phone_number_verified" if value != "true" && value != "false" => {
            Err(invalid(format!(
                "Attributes did not conform to the schema: {name} must be true or false"
            )))
        }
        _ => Ok(()),
    }
}

/// A plausible email address: one `@`, something on each side, a dot in the domain, no spaces.
pub fn is_email(value: &str) -> bool {
    let Some((local, domain)) = value.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !value.chars().any(char::is_whitespace)
}

/// E.164, as Cognito requires: `+`, then 1 to 15 digits, the first not zero.
pub fn is_phone_number(value: &str) -> bool {
    value.strip_prefix('+').is_some_and(|digits| {
        (1..=15).contains(&digits.len())
            && digits.bytes().all(|b| b.is_ascii_digit())
            && !digits.starts_with('0')
    })
}

/// The one form a sign-in alias is stored and looked up in. Emails are case-insensitive (as in a
/// pool whose usernames are case-insensitive, Cognito's default); phone numbers are already
/// canonical in E.164; `preferred_username` is case-insensitive too.
pub fn canonical_alias(kind: &str, value: &str) -> String {
    match kind {
        "email" | "preferred_username" => value.to_lowercase(),
        _ => value.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn names_are_standard_or_declared() {
        let declared = |n: &str| n == "plan";
        assert!(check_writable("email", "a@example.com", declared).is_ok());
        assert!(check_writable("custom:plan", "gold", declared).is_ok());
        assert!(check_writable("custom:other", "x", declared).is_err());
        assert!(check_writable("sub", "x", declared).is_err(), "read-only");
        assert!(check_writable("nickname", &"x".repeat(2049), declared).is_err());
        assert!(check_writable("email_verified", "yes", declared).is_err());
        let e = check_writable("colour", "red", declared).unwrap_err();
        assert_eq!(e.kind, ErrorType::InvalidParameter);
        assert!(e.message.contains("{colour}"), "{}", e.message);
    }

    #[test]
    fn formats() {
        for ok in ["a@b.co", "first.last+tag@sub.example.org"] {
            assert!(is_email(ok), "{ok}");
        }
        for bad in [
            "", "a", "a@b", "@b.co", "a@.co", "a@b.co.", "a b@c.co", "a@b@c.co",
        ] {
            assert!(!is_email(bad), "{bad}");
        }
        assert!(is_phone_number("+14155550123"));
        for bad in ["14155550123", "+", "+0123", "+1415555012345678", "+1 415"] {
            assert!(!is_phone_number(bad), "{bad}");
        }
        assert_eq!(
            canonical_alias("email", "Alice@Example.COM"),
            "alice@example.com"
        );
        assert_eq!(
            canonical_alias("phone_number", "+14155550123"),
            "+14155550123"
        );
    }

    proptest! {
        #[test]
        fn checks_never_panic(name in any::<String>(), value in any::<String>()) {
            let _ = check_writable(&name, &value, |_| true);
            let _ = canonical_alias(&name, &value);
        }
    }
}
