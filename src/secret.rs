//! Credentials that never print.

use std::fmt;

/// A credential (API key, access token). Its `Debug` and `Display` print a redaction, so
/// it can sit in structs that are logged or shown in errors without leaking.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a credential.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The credential itself, for putting on the wire.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Reads a credential from an environment variable; an unset or empty variable is an
    /// error naming it.
    pub fn from_env(var: &str) -> Result<Self, crate::Error> {
        match std::env::var(var) {
            Ok(v) if !v.trim().is_empty() => Ok(Secret(v.trim().to_string())),
            _ => Err(crate::Error::MissingCredential {
                variable: var.to_string(),
            }),
        }
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(*** redacted ***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("*** redacted ***")
    }
}

impl From<&str> for Secret {
    fn from(s: &str) -> Self {
        Secret::new(s)
    }
}

impl From<String> for Secret {
    fn from(s: String) -> Self {
        Secret::new(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_never_show_the_value() {
        let s = Secret::new("sk_live_abc123");
        assert!(!format!("{s:?}").contains("abc123"));
        assert!(!format!("{s}").contains("abc123"));
        assert!(!format!("{:?}", Some(&s)).contains("abc123"));
        assert_eq!(s.expose(), "sk_live_abc123");
    }
}
