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
    /// When it was made, if the provider says in a form that parses as a timestamp.
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

#[cfg(any(feature = "subtotal", feature = "kit"))]
pub(crate) fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

#[cfg(feature = "cocalc")]
impl From<crate::cocalc::types::Purchase> for Purchase {
    fn from(p: crate::cocalc::types::Purchase) -> Self {
        Purchase {
            provider: Provider::CoCalc,
            id: p.id.to_string(),
            time: Some(p.time),
            total: p.cost,
            currency: Some("USD".into()),
            status: p
                .pending
                .map(|pending| if pending { "pending" } else { "done" }.to_string()),
            customer: p.project_id.map(|id| id.to_string()),
            record: Record::CoCalc(Box::new(p)),
        }
    }
}

#[cfg(feature = "subtotal")]
impl From<crate::subtotal::types::PurchaseSummary> for Purchase {
    fn from(p: crate::subtotal::types::PurchaseSummary) -> Self {
        Purchase {
            provider: Provider::Subtotal,
            id: p.purchase_id.clone(),
            time: parse_time(&p.date),
            total: Some(p.total),
            currency: None,
            status: None,
            customer: None,
            record: Record::Subtotal(Box::new(p)),
        }
    }
}

#[cfg(feature = "togai")]
impl Purchase {
    /// A Togai list item, whose account is the one the listing was asked for (the items
    /// carry no `accountId`).
    pub fn from_togai(p: crate::togai::types::PurchaseListItem, account_id: &str) -> Self {
        Purchase {
            provider: Provider::Togai,
            id: p.id.clone(),
            time: Some(p.created_at),
            total: p.price,
            currency: p.invoice_currency.clone(),
            status: Some(p.status.to_string()),
            customer: Some(account_id.to_string()),
            record: Record::Togai(Box::new(p)),
        }
    }
}

#[cfg(feature = "togai")]
impl From<crate::togai::types::Purchase> for Purchase {
    /// A Togai purchase fetched by id (which, unlike list items, names its account).
    fn from(p: crate::togai::types::Purchase) -> Self {
        Purchase {
            provider: Provider::Togai,
            id: p.id.clone(),
            time: Some(p.created_at),
            total: p.price,
            currency: p.invoice_currency.clone(),
            status: p.status.map(|s| s.to_string()),
            customer: Some(p.account_id.to_string()),
            record: Record::TogaiPurchase(Box::new(p)),
        }
    }
}

#[cfg(feature = "kit")]
impl From<crate::kit::types::Purchase> for Purchase {
    fn from(p: crate::kit::types::Purchase) -> Self {
        Purchase {
            provider: Provider::Kit,
            id: p.id.to_string(),
            time: parse_time(&p.transaction_time),
            total: Some(p.total),
            currency: Some(p.currency.clone()),
            status: Some(p.status.clone()),
            customer: Some(p.email_address.clone()),
            record: Record::Kit(Box::new(p)),
        }
    }
}
