//! One purchase record across providers.

use crate::{Provider, Record};
use chrono::{DateTime, Utc};
use compact_str::CompactString;
use rust_decimal::Decimal;
use serde::Serialize;

/// A purchase, normalized across providers. The provider's own record is kept in
/// [`Purchase::record`].
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct Purchase {
    /// Where it comes from.
    pub provider: Provider,
    /// The provider's id for it.
    pub id: CompactString,
    /// When it was made. Every provider sends a time; one that does not parse as RFC 3339
    /// (or falls outside the years 0000–9999 in UTC) fails the record with
    /// [`crate::Error::InvalidRecord`] rather than leaving this empty.
    #[serde(serialize_with = "crate::datetime::serialize_option")]
    pub time: Option<DateTime<Utc>>,
    /// What it cost, exactly (`null` where the provider has no amount yet, e.g. a metered
    /// purchase still running).
    #[cfg_attr(feature = "schemars", schemars(with = "Option<String>"))]
    pub total: Option<Decimal>,
    /// The ISO currency code, where the provider gives one.
    pub currency: Option<CompactString>,
    /// The provider's status for it.
    pub status: Option<CompactString>,
    /// Who bought it, as the provider names the buyer (a project, an account, an e-mail).
    pub customer: Option<CompactString>,
    /// The provider's own record, as decoded.
    #[serde(skip)]
    #[cfg_attr(feature = "schemars", schemars(skip))]
    pub record: Record,
}

/// A provider's time as the record's: parsed as RFC 3339 (for providers that send text),
/// and within the years 0000–9999 once in UTC, so that it can be written back as RFC 3339.
/// Anything else is an [`crate::Error::InvalidRecord`] naming the field and the text.
#[allow(dead_code)] // a build with only providers whose times arrive typed has no caller
pub(crate) fn parse_time(
    provider: Provider,
    id: &str,
    field: &'static str,
    text: &str,
) -> Result<DateTime<Utc>, crate::Error> {
    crate::datetime::parse(text).map_err(|reason| invalid(provider, id, field, reason))
}

/// [`parse_time`] for a time already decoded.
#[allow(dead_code)] // a build with only providers whose times arrive as text has no caller
pub(crate) fn checked_time(
    provider: Provider,
    id: &str,
    field: &'static str,
    time: DateTime<Utc>,
) -> Result<DateTime<Utc>, crate::Error> {
    crate::datetime::check_range(time).map_err(|reason| invalid(provider, id, field, reason))
}

fn invalid(provider: Provider, id: &str, field: &'static str, reason: String) -> crate::Error {
    crate::Error::InvalidRecord {
        provider,
        id: crate::redact::truncate(&crate::redact::escape_controls(id), 64),
        field,
        reason,
    }
}
