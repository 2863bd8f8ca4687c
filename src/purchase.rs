//! One purchase record across providers.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The four APIs this crate speaks.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    /// CoCalc API v2.
    #[serde(rename = "cocalc")]
    CoCalc,
    /// Subtotal.
    Subtotal,
    /// Togai.
    Togai,
    /// Kit API v4.
    Kit,
}

impl Provider {
    /// Every provider.
    pub const ALL: [Provider; 4] = [
        Provider::CoCalc,
        Provider::Subtotal,
        Provider::Togai,
        Provider::Kit,
    ];

    /// The lowercase name used in module names, URLs and output.
    pub fn name(self) -> &'static str {
        match self {
            Provider::CoCalc => "cocalc",
            Provider::Subtotal => "subtotal",
            Provider::Togai => "togai",
            Provider::Kit => "kit",
        }
    }

    /// The provider's production base URL.
    pub fn default_base_url(self) -> &'static str {
        match self {
            Provider::CoCalc => "https://cocalc.com",
            Provider::Subtotal => "https://api.subtotal.com",
            Provider::Togai => "https://api.togai.com",
            Provider::Kit => "https://api.kit.com",
        }
    }
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Provider {
    type Err = crate::Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Provider::ALL
            .into_iter()
            .find(|p| p.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                crate::Error::InvalidArgument(format!(
                    "unknown provider {s:?}: expected cocalc, subtotal, togai or kit"
                ))
            })
    }
}

/// A purchase, normalized across providers. The provider's own record is kept in
/// [`Purchase::record`].
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Purchase {
    /// Where it comes from.
    pub provider: Provider,
    /// The provider's id for it.
    pub id: String,
    /// When it was made. Every provider sends a time; one that does not parse as RFC 3339
    /// (or falls outside the years 0000–9999 in UTC) fails the record with
    /// [`crate::Error::InvalidRecord`] rather than leaving this empty.
    pub time: Option<DateTime<Utc>>,
    /// What it cost, exactly (`null` while a CoCalc purchase is still running).
    #[schemars(with = "Option<String>")]
    pub total: Option<Decimal>,
    /// The ISO currency code, where the provider gives one (CoCalc is always USD).
    pub currency: Option<String>,
    /// The provider's status for it.
    pub status: Option<String>,
    /// Who bought it: CoCalc project, Togai account, Kit subscriber e-mail.
    pub customer: Option<String>,
    /// The provider's own record, as decoded.
    #[serde(skip)]
    #[schemars(skip)]
    pub record: Record,
}

/// A provider's own purchase record.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Record {
    /// A CoCalc purchase row.
    #[cfg(feature = "cocalc")]
    CoCalc(Box<crate::cocalc::types::Purchase>),
    /// A Subtotal purchase summary.
    #[cfg(feature = "subtotal")]
    Subtotal(Box<crate::subtotal::types::PurchaseSummary>),
    /// A Togai purchase as listed.
    #[cfg(feature = "togai")]
    Togai(Box<crate::togai::types::PurchaseListItem>),
    /// A Togai purchase fetched by id.
    #[cfg(feature = "togai")]
    TogaiPurchase(Box<crate::togai::types::Purchase>),
    /// A Kit purchase.
    #[cfg(feature = "kit")]
    Kit(Box<crate::kit::types::Purchase>),
}

/// A provider's time as the record's: parsed as RFC 3339 (Subtotal and Kit send text),
/// and within the years 0000–9999 once in UTC, so that it can be written back as RFC 3339.
/// Anything else is an [`crate::Error::InvalidRecord`] naming the field and the text.
#[cfg_attr(not(any(feature = "subtotal", feature = "kit")), allow(dead_code))]
fn record_time(
    provider: Provider,
    id: &str,
    field: &'static str,
    text: &str,
) -> Result<DateTime<Utc>, crate::Error> {
    crate::datetime::parse(text).map_err(|reason| invalid(provider, id, field, reason))
}

/// [`record_time`] for a time already decoded.
#[cfg_attr(not(any(feature = "cocalc", feature = "togai")), allow(dead_code))]
fn checked_time(
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

#[cfg(feature = "cocalc")]
impl TryFrom<crate::cocalc::types::Purchase> for Purchase {
    type Error = crate::Error;

    fn try_from(p: crate::cocalc::types::Purchase) -> Result<Self, crate::Error> {
        let id = p.id.to_string();
        Ok(Purchase {
            provider: Provider::CoCalc,
            time: Some(checked_time(Provider::CoCalc, &id, "time", p.time)?),
            id,
            total: p.cost,
            currency: Some("USD".into()),
            status: p
                .pending
                .map(|pending| if pending { "pending" } else { "done" }.to_string()),
            customer: p.project_id.map(|id| id.to_string()),
            record: Record::CoCalc(Box::new(p)),
        })
    }
}

#[cfg(feature = "subtotal")]
impl TryFrom<crate::subtotal::types::PurchaseSummary> for Purchase {
    type Error = crate::Error;

    fn try_from(p: crate::subtotal::types::PurchaseSummary) -> Result<Self, crate::Error> {
        Ok(Purchase {
            provider: Provider::Subtotal,
            id: p.purchase_id.clone(),
            time: Some(record_time(
                Provider::Subtotal,
                &p.purchase_id,
                "date",
                &p.date,
            )?),
            total: Some(p.total),
            currency: None,
            status: None,
            customer: None,
            record: Record::Subtotal(Box::new(p)),
        })
    }
}

#[cfg(feature = "togai")]
impl Purchase {
    /// A Togai list item, whose account is the one the listing was asked for (the items
    /// carry no `accountId`).
    pub fn from_togai(
        p: crate::togai::types::PurchaseListItem,
        account_id: &str,
    ) -> Result<Self, crate::Error> {
        Ok(Purchase {
            provider: Provider::Togai,
            id: p.id.clone(),
            time: Some(checked_time(
                Provider::Togai,
                &p.id,
                "createdAt",
                p.created_at,
            )?),
            total: p.price,
            currency: p.invoice_currency.clone(),
            status: Some(p.status.to_string()),
            customer: Some(account_id.to_string()),
            record: Record::Togai(Box::new(p)),
        })
    }
}

#[cfg(feature = "togai")]
impl TryFrom<crate::togai::types::Purchase> for Purchase {
    type Error = crate::Error;

    /// A Togai purchase fetched by id (which, unlike list items, names its account).
    fn try_from(p: crate::togai::types::Purchase) -> Result<Self, crate::Error> {
        Ok(Purchase {
            provider: Provider::Togai,
            id: p.id.clone(),
            time: Some(checked_time(
                Provider::Togai,
                &p.id,
                "createdAt",
                p.created_at,
            )?),
            total: p.price,
            currency: p.invoice_currency.clone(),
            status: p.status.as_ref().map(|s| s.to_string()),
            customer: Some(p.account_id.to_string()),
            record: Record::TogaiPurchase(Box::new(p)),
        })
    }
}

#[cfg(feature = "kit")]
impl TryFrom<crate::kit::types::Purchase> for Purchase {
    type Error = crate::Error;

    fn try_from(p: crate::kit::types::Purchase) -> Result<Self, crate::Error> {
        let id = p.id.to_string();
        Ok(Purchase {
            provider: Provider::Kit,
            time: Some(record_time(
                Provider::Kit,
                &id,
                "transaction_time",
                &p.transaction_time,
            )?),
            id,
            total: Some(p.total),
            currency: Some(p.currency.clone()),
            status: Some(p.status.clone()),
            customer: Some(p.email_address.clone()),
            record: Record::Kit(Box::new(p)),
        })
    }
}
