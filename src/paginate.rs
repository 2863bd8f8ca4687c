//! Paginated listings as streams: one generic pager for every list operation.
//!
//! A provider *describes* its list operation ([`ListOperation`]: its parameters, how it
//! pages — [`Paging`] — and how a page splits into records and a cursor); a [`ListRequest`]
//! carries every parameter the spec gives the operation, a page size, a start cursor and
//! the scopes to list (Togai's accounts), and this module does the rest for every
//! provider alike: it asks for page after page, within the listing's bounds, detects a
//! server that repeats itself, and hands out [`Page`]s that say where the next one starts,
//! so a program can checkpoint and [`ListRequest::start_from`] later.
//!
//! By default a listing fetches one page ahead: while the consumer works through page *n*,
//! page *n + 1* is already on its way, so a consumer that takes as long per page as the
//! server does waits for the network about half as long. The depth is
//! [`ClientOptions::prefetch`](crate::ClientOptions::prefetch); `0` fetches strictly in turn,
//! only when the consumer asks for more. Either way `.take(n)` stops fetching: at most
//! `depth` pages beyond the ones the consumer reached are ever requested, and dropping the
//! stream cancels the request in flight. Prefetching runs the requests in a task on the
//! current Tokio runtime.
//!
//! A listing over many scopes ([`ListRequest::scopes`]) runs up to
//! [`ListRequest::concurrency`] of them at once, with at most that many requests in flight,
//! and yields their pages in the order the scopes were given (each scope's pages in order),
//! holding a bounded number of pages whatever the number of scopes.
//!
//! ```no_run
//! # async fn run() -> Result<(), purchase_clients::Error> {
//! use futures::TryStreamExt;
//! use purchase_clients::paginate::Cursor;
//! use purchase_clients::{kit, ClientOptions, KitClient};
//!
//! let kit = KitClient::from_env(ClientOptions::default())?;
//! // Continue a listing from the cursor a previous run saved.
//! let saved = Cursor::Token("WzEwMDBd".into());
//! let mut pages = kit.list_purchases().page_size(500).start_from(saved).pages();
//! while let Some(page) = pages.try_next().await? {
//!     for purchase in &page.items {
//!         println!("{} {}", purchase.id, purchase.total);
//!     }
//!     // Where to start next time, once this page's records are safely stored.
//!     let _checkpoint: Option<&Cursor> = page.next.as_ref();
//! }
//! # let _ = kit::params::ListPurchases::default();
//! # Ok(())
//! # }
//! ```

use crate::context::Context;
pub use crate::context::ListingLimits;
pub use crate::error::LimitReached;
use crate::{Error, Provider, Purchase};
use compact_str::CompactString;
use futures::stream::{self, BoxStream, StreamExt, TryStreamExt};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::collections::HashSet;
use std::future::Future;
use std::sync::{Arc, Mutex};

/// A stream of pages.
pub type PageStream<'a, T> = BoxStream<'a, Result<Page<T>, Error>>;

/// A stream of normalized purchases.
pub type PurchaseStream<'a> = BoxStream<'a, Result<Purchase, Error>>;

/// How many pages a listing fetches ahead of its consumer unless told otherwise.
pub const DEFAULT_PREFETCH: usize = 1;

/// How many scopes a listing over several runs at once unless told otherwise.
pub const DEFAULT_CONCURRENCY: usize = 4;

/// Where a listing continues: the cursor of its next page.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Cursor {
    /// How many records come before the next page (an API paged by offset).
    Offset(u64),
    /// The token the API gave for the next page, or the id of the last record for an API
    /// that continues after one.
    Token(CompactString),
}

impl std::fmt::Display for Cursor {
    /// `offset 500`, or the token quoted with anything unprintable escaped (and cut to 80
    /// characters).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Cursor::Offset(n) => write!(f, "offset {n}"),
            Cursor::Token(t) => {
                let shown: String = t.chars().take(80).collect();
                let cut = if t.chars().count() > 80 { "…" } else { "" };
                write!(f, "\"{}{cut}\"", shown.escape_default())
            }
        }
    }
}

impl From<u64> for Cursor {
    fn from(offset: u64) -> Self {
        Cursor::Offset(offset)
    }
}

impl From<&str> for Cursor {
    fn from(token: &str) -> Self {
        Cursor::Token(token.into())
    }
}

impl From<String> for Cursor {
    fn from(token: String) -> Self {
        Cursor::Token(token.into())
    }
}

/// One page of a listing.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Page<T> {
    /// Its records, in the API's order.
    pub items: Vec<T>,
    /// Where the next page starts; `None` on the last page of its scope. Give it to
    /// [`ListRequest::start_from`] to continue the listing later.
    pub next: Option<Cursor>,
    /// The scope the page belongs to (Togai's account), for an API listed by scope.
    pub scope: Option<CompactString>,
}

/// How the next page of a list operation is found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CursorKind {
    /// An offset into the records; a page shorter than asked for is the last (CoCalc).
    Offset,
    /// A token the page carries (Kit's `end_cursor`, Togai's `nextToken`).
    Token,
    /// The id of the page's last record, the record field named here (Subtotal's
    /// `starting_after` takes a `purchase_id`).
    LastId(&'static str),
}

/// What a listing needs besides its page size and cursor (Togai: an account).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scope {
    /// The parameter that carries it, as the spec names it.
    pub param: &'static str,
    /// What it is, for people (`account`).
    pub name: &'static str,
    /// The environment variable the live checks read it from.
    pub variable: &'static str,
}

/// How a list operation pages: the one place a provider states it, read by the client's
/// pager, the embedded mock's pager and the command line (and checked against the spec by
/// a test).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paging {
    /// The operation id.
    pub operation: &'static str,
    /// The page-size parameter, as the spec names it.
    pub size: &'static str,
    /// The largest page the API serves (the spec's `maximum` of the size parameter).
    pub max_size: u32,
    /// The page size the API uses when none is asked for.
    pub default_size: u32,
    /// The parameter that asks for the next page, as the spec names it.
    pub cursor: &'static str,
    /// How the next page is found.
    pub kind: CursorKind,
    /// What the listing is scoped by, if anything.
    pub scope: Option<Scope>,
    /// Where a page holds its records (a JSON pointer into the page).
    pub items: &'static str,
    /// Where a record holds the amount that becomes [`Purchase::total`] (a JSON pointer
    /// into the record).
    pub amount: &'static str,
    /// Where a record holds the time that becomes [`Purchase::time`] (a JSON pointer into
    /// the record), read as RFC 3339 whatever the spec's type for it.
    pub time: &'static str,
}

impl Paging {
    /// The name of the record's time field ([`Paging::time`] without its `/`), as errors
    /// about it name it.
    pub fn time_field(&self) -> &'static str {
        self.time.trim_start_matches('/')
    }
}

/// A list operation as a provider describes it; the generic pager does the paging.
pub trait ListOperation: Sized + Send + Sync + 'static {
    /// The provider's client.
    type Client: Clone + Send + Sync + 'static;
    /// Every parameter of the operation (the generated `params::<Operation>`, or the
    /// generated JSON body type).
    type Params: Clone
        + Default
        + std::fmt::Debug
        + Serialize
        + DeserializeOwned
        + Send
        + Sync
        + 'static;
    /// A page as the API sends it (the generated response type).
    type Page: Serialize + DeserializeOwned + Send + 'static;
    /// One record as the API sends it (the generated type).
    type Item: Clone + std::fmt::Debug + Serialize + DeserializeOwned + Send + Sync + 'static;

    /// How it pages.
    const PAGING: Paging;

    /// The client's context (its provider, limits, redactor).
    fn context(client: &Self::Client) -> &Context;

    /// Sends one request with `params`.
    fn send(
        client: &Self::Client,
        params: &Self::Params,
    ) -> impl Future<Output = Result<Self::Page, Error>> + Send;

    /// A page's records and the cursor it carries to the next page (`None` at the end; an
    /// offset-paged API returns `None` and the pager counts). `first` says whether it is
    /// the first page of its listing. An inconsistent page is an error, never an end.
    fn split(
        page: Self::Page,
        first: bool,
    ) -> Result<(Vec<Self::Item>, Option<CompactString>), Error>;

    /// A record as a normalized purchase (`scope`: the listing's scope).
    fn purchase(item: Self::Item, scope: Option<&str>) -> Result<Purchase, Error>;

    /// A page holding `items` as the API would send it, with `next` its cursor to more (the
    /// embedded mock serves these).
    #[cfg(feature = "mock")]
    fn page(items: Vec<Self::Item>, next: Option<&str>, params: &Self::Params) -> Self::Page;

    /// Whether the API lists `item` for `params` (its filters; the embedded mock honours
    /// them). Every item, unless the API filters.
    #[cfg(feature = "mock")]
    fn matches(params: &Self::Params, item: &Self::Item) -> bool {
        let _ = (params, item);
        true
    }
}

/// Where a listing's scopes come from.
enum Scopes {
    None,
    One(CompactString),
    Many(BoxStream<'static, Result<CompactString, Error>>),
}

/// A listing: every parameter of the list operation, a page size, where to start, and the
/// scopes to list. Build it from a client (`KitClient::list_purchases`), then turn it into
/// a stream of [`ListRequest::pages`], [`ListRequest::items`] or normalized
/// [`ListRequest::purchases`].
pub struct ListRequest<L: ListOperation> {
    client: L::Client,
    params: L::Params,
    page_size: Option<u32>,
    start: Option<Cursor>,
    scopes: Scopes,
    concurrency: usize,
}

impl<L: ListOperation> std::fmt::Debug for ListRequest<L> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ListRequest")
            .field("operation", &L::PAGING.operation)
            .field("params", &self.params)
            .field("page_size", &self.page_size)
            .field("start", &self.start)
            .finish_non_exhaustive()
    }
}

impl<L: ListOperation> ListRequest<L> {
    /// A listing with no parameter set: every record, pages of the API's largest size.
    pub fn new(client: &L::Client) -> Self {
        ListRequest {
            client: client.clone(),
            params: L::Params::default(),
            page_size: None,
            start: None,
            scopes: Scopes::None,
            concurrency: DEFAULT_CONCURRENCY,
        }
    }

    /// Every parameter of the operation at once (filters, sort order; a cursor parameter
    /// set here is where the listing starts, a page size the size of its pages).
    pub fn params(mut self, params: L::Params) -> Self {
        self.params = params;
        self
    }

    /// The parameters, to change one.
    pub fn params_mut(&mut self) -> &mut L::Params {
        &mut self.params
    }

    /// Records per page, from 1 to the API's largest ([`Paging::max_size`], the default).
    pub fn page_size(mut self, size: u32) -> Self {
        self.page_size = Some(size);
        self
    }

    /// Starts at `cursor`, the [`Page::next`] a previous listing gave (in a listing over
    /// several scopes: the cursor within the first scope).
    pub fn start_from(mut self, cursor: impl Into<Cursor>) -> Self {
        self.start = Some(cursor.into());
        self
    }

    /// Lists one scope (Togai's account).
    pub fn scope(mut self, scope: impl Into<CompactString>) -> Self {
        self.scopes = Scopes::One(scope.into());
        self
    }

    /// Lists several scopes as one listing: their pages in the order given, up to
    /// [`ListRequest::concurrency`] scopes fetched at once.
    pub fn scopes<I>(mut self, scopes: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<CompactString>,
        I::IntoIter: Send + 'static,
    {
        let iter = scopes.into_iter().map(|s| Ok(s.into()));
        self.scopes = Scopes::Many(stream::iter(iter).boxed());
        self
    }

    /// Lists the scopes a stream yields (read lazily: a file of ids is never held whole).
    pub fn scope_stream(
        mut self,
        scopes: impl futures::Stream<Item = Result<CompactString, Error>> + Send + 'static,
    ) -> Self {
        self.scopes = Scopes::Many(scopes.boxed());
        self
    }

    /// At most this many scopes at once, and this many requests in flight (default 4).
    pub fn concurrency(mut self, n: usize) -> Self {
        self.concurrency = n.max(1);
        self
    }

    /// The page size to ask for: the one set, else a size parameter among the params,
    /// else the API's largest; refused outside `1..=max` before any request.
    fn size(&self) -> Result<u32, Error> {
        let paging = L::PAGING;
        let from_params = || {
            serde_json::to_value(&self.params)
                .ok()?
                .get(paging.size)?
                .as_u64()
        };
        let size = match self.page_size {
            Some(n) => u64::from(n),
            None => from_params().unwrap_or(u64::from(paging.max_size)),
        };
        if size == 0 || size > u64::from(paging.max_size) {
            return Err(Error::InvalidArgument(format!(
                "{} must be between 1 and {}, got {size}",
                paging.size, paging.max_size
            )));
        }
        Ok(size as u32)
    }

    /// The cursor to start at: the one set, else a cursor parameter among the params.
    fn start(&self) -> Option<Cursor> {
        if self.start.is_some() {
            return self.start.clone();
        }
        let v = serde_json::to_value(&self.params).ok()?;
        match v.get(L::PAGING.cursor)? {
            serde_json::Value::Number(n) => n.as_u64().map(Cursor::Offset),
            serde_json::Value::String(s) => Some(Cursor::Token(s.as_str().into())),
            _ => None,
        }
    }

    /// Every page of typed records, each with the cursor of the next.
    pub fn pages(self) -> PageStream<'static, L::Item> {
        let size = match self.size() {
            Ok(s) => s,
            Err(e) => return stream::once(async move { Err(e) }).boxed(),
        };
        let start = self.start();
        let ListRequest {
            client,
            params,
            scopes,
            concurrency,
            ..
        } = self;
        let context = L::context(&client).provider;
        let (one_client, one_params) = (client.clone(), params.clone());
        let one = move |scope, start, gate| {
            one_scope::<L>(
                one_client.clone(),
                one_params.clone(),
                size,
                start,
                scope,
                gate,
            )
        };
        match scopes {
            Scopes::Many(scopes) => many::<L>(scopes, start, concurrency, one),
            Scopes::One(scope) => one(Some(scope), start, None),
            Scopes::None => match L::PAGING.scope {
                Some(s) if !has_param(&params, s.param) => {
                    let e = Error::InvalidArgument(format!(
                        "{} lists one {}'s purchases at a time: give the {} ({})",
                        context, s.name, s.name, s.param
                    ));
                    stream::once(async move { Err(e) }).boxed()
                }
                _ => one(None, start, None),
            },
        }
    }

    /// Every typed record.
    pub fn items(self) -> BoxStream<'static, Result<L::Item, Error>> {
        items(self.pages())
    }

    /// Every page, its records normalized.
    pub fn purchase_pages(self) -> PageStream<'static, Purchase> {
        let redactor = L::context(&self.client).redactor().clone();
        self.pages()
            .and_then(|page| async move {
                let scope = page.scope.clone();
                let items = page
                    .items
                    .into_iter()
                    .map(|item| L::purchase(item, scope.as_deref()))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(Page {
                    items,
                    next: page.next,
                    scope,
                })
            })
            .map_err(move |e| e.redacted(&redactor))
            .boxed()
    }

    /// Every record, normalized.
    pub fn purchases(self) -> PurchaseStream<'static> {
        items(self.purchase_pages())
    }
}

/// Whether `params` sets `name`.
fn has_param<P: Serialize>(params: &P, name: &str) -> bool {
    serde_json::to_value(params)
        .ok()
        .and_then(|v| v.get(name).cloned())
        .is_some_and(|v| !v.is_null())
}

/// `params` with the page size, the cursor and the scope set, through their wire names.
fn with_paging<L: ListOperation>(
    params: &L::Params,
    size: u32,
    cursor: Option<&Cursor>,
    scope: Option<&str>,
) -> Result<L::Params, Error> {
    use serde_json::{json, Value};
    let paging = L::PAGING;
    let mut value = serde_json::to_value(params).map_err(|e| {
        Error::InvalidArgument(format!(
            "{}: the parameters do not serialize: {e}",
            paging.operation
        ))
    })?;
    let Value::Object(map) = &mut value else {
        return Err(Error::InvalidArgument(format!(
            "{}: the parameters are not an object",
            paging.operation
        )));
    };
    map.insert(paging.size.into(), json!(size));
    match cursor {
        Some(Cursor::Offset(n)) => map.insert(paging.cursor.into(), json!(n)),
        Some(Cursor::Token(t)) => map.insert(paging.cursor.into(), json!(t)),
        // An offset-paged API is asked for its first page at offset 0.
        None if paging.kind == CursorKind::Offset => map.insert(paging.cursor.into(), json!(0)),
        None => map.remove(paging.cursor),
    };
    if let (Some(s), Some(scope)) = (paging.scope, scope) {
        map.insert(s.param.into(), json!(scope));
    }
    serde_json::from_value(value).map_err(|e| {
        Error::InvalidArgument(format!(
            "{}: a parameter does not fit the spec: {e}",
            paging.operation
        ))
    })
}

/// The pages of one scope.
fn one_scope<L: ListOperation>(
    client: L::Client,
    params: L::Params,
    size: u32,
    start: Option<Cursor>,
    scope: Option<CompactString>,
    gate: Option<Arc<tokio::sync::Semaphore>>,
) -> PageStream<'static, L::Item> {
    let context = L::context(&client).clone();
    let provider = context.provider;
    let kind = L::PAGING.kind;
    // The first record of the previous page: a server that ignores the offset sends it again.
    let previous_first = Arc::new(Mutex::new(None::<String>));
    let mut first = true;
    let fetch_scope = scope.clone();
    let fetch = move |cursor: Option<Cursor>| {
        let request = with_paging::<L>(&params, size, cursor.as_ref(), fetch_scope.as_deref());
        let (client, gate, previous_first) = (client.clone(), gate.clone(), previous_first.clone());
        let is_first = std::mem::replace(&mut first, false);
        async move {
            let request = request?;
            let permit = match &gate {
                Some(g) => Some(
                    g.acquire()
                        .await
                        .map_err(|_| Error::Config("the listing's request gate closed".into()))?,
                ),
                None => None,
            };
            let page = L::send(&client, &request).await?;
            drop(permit);
            let (items, token) = L::split(page, is_first)?;
            let next = match kind {
                CursorKind::Offset => {
                    let offset = match &cursor {
                        Some(Cursor::Offset(n)) => *n,
                        _ => 0,
                    };
                    let firsts = items.first().and_then(|i| serde_json::to_string(i).ok());
                    let repeated = {
                        let mut previous = previous_first.lock().unwrap_or_else(|p| p.into_inner());
                        let repeated = firsts.is_some() && *previous == firsts;
                        *previous = firsts;
                        repeated
                    };
                    if repeated {
                        return Err(Error::PaginationLoop {
                            provider,
                            detail: format!("offset {offset} returned the previous page again"),
                        });
                    }
                    let taken = items.len() as u64;
                    (taken >= u64::from(size)).then_some(Cursor::Offset(offset + taken))
                }
                CursorKind::Token | CursorKind::LastId(_) => token.map(Cursor::Token),
            };
            Ok((items, next))
        }
    };
    pages(&context, start, scope, fetch)
}

/// The pages of every scope, in the order given, up to `concurrency` scopes at once.
fn many<L: ListOperation>(
    scopes: BoxStream<'static, Result<CompactString, Error>>,
    start: Option<Cursor>,
    concurrency: usize,
    one: impl Fn(
            Option<CompactString>,
            Option<Cursor>,
            Option<Arc<tokio::sync::Semaphore>>,
        ) -> PageStream<'static, L::Item>
        + Send
        + 'static,
) -> PageStream<'static, L::Item> {
    let gate = Arc::new(tokio::sync::Semaphore::new(concurrency));
    let mut start = start;
    scopes
        .map(move |scope| {
            let pages = scope.map(|s| one(Some(s), start.take(), Some(gate.clone())));
            async move {
                match pages {
                    Err(e) => (Some(Err(e)), None),
                    Ok(mut pages) => {
                        let first = pages.next().await;
                        (first, Some(pages))
                    }
                }
            }
        })
        .buffered(concurrency)
        .flat_map(|(first, rest)| stream::iter(first).chain(stream::iter(rest).flatten()))
        .boxed()
}

/// Follows `fetch` from `start` until it reports no next cursor, keeping up to
/// `context.prefetch` pages fetched ahead of the consumer, within `context.limits`. A
/// cursor seen before is an error rather than a loop. Every error passes through the
/// client's redactor.
pub(crate) fn pages<T, F, Fut>(
    context: &Context,
    start: Option<Cursor>,
    scope: Option<CompactString>,
    fetch: F,
) -> PageStream<'static, T>
where
    T: Send + 'static,
    F: FnMut(Option<Cursor>) -> Fut + Send + 'static,
    Fut: Future<Output = Result<(Vec<T>, Option<Cursor>), Error>> + Send + 'static,
{
    let redactor = context.redactor().clone();
    ahead(
        in_turn(context.provider, start, scope, context.limits, fetch),
        context.prefetch,
    )
    .map_err(move |e| e.redacted(&redactor))
    .boxed()
}

/// Where a listing is: the next cursor, the cursors seen, and what counts toward its limits.
struct Progress {
    /// The next page's cursor (`Some(None)`: the first page, asked without one).
    next: Option<Option<Cursor>>,
    seen: HashSet<Cursor>,
    pages: u64,
    empty_run: u32,
    deadline: Option<tokio::time::Instant>,
}

/// The pages fetched strictly in turn: the next request starts when the consumer asks.
fn in_turn<'a, T, F, Fut>(
    provider: Provider,
    start: Option<Cursor>,
    scope: Option<CompactString>,
    limits: ListingLimits,
    mut fetch: F,
) -> PageStream<'a, T>
where
    T: Send + 'a,
    F: FnMut(Option<Cursor>) -> Fut + Send + 'a,
    Fut: Future<Output = Result<(Vec<T>, Option<Cursor>), Error>> + Send + 'a,
{
    let progress = Progress {
        next: Some(start),
        seen: HashSet::new(),
        pages: 0,
        empty_run: 0,
        deadline: None,
    };
    let limit = move |reached| Error::ListingLimit {
        provider,
        limit: reached,
    };
    stream::try_unfold(progress, move |mut progress| {
        let step = progress.next.take().map(|cursor| {
            let new = cursor.as_ref().is_none_or(|c| progress.seen.insert(c.clone()));
            (cursor.clone(), new, fetch(cursor))
        });
        let scope = scope.clone();
        async move {
            let Some((cursor, new, fut)) = step else {
                return Ok(None);
            };
            if let (false, Some(cursor)) = (new, cursor) {
                return Err(Error::PaginationLoop {
                    provider,
                    detail: format!("the server sent the cursor {cursor} again"),
                });
            }
            if progress.pages >= limits.max_pages {
                tracing::warn!(provider = %provider, pages = progress.pages, "listing stopped at its page limit");
                return Err(limit(LimitReached::Pages(limits.max_pages)));
            }
            let deadline = *progress
                .deadline
                .get_or_insert_with(|| tokio::time::Instant::now() + limits.max_time);
            let (items, next) = tokio::time::timeout_at(deadline, fut).await.map_err(|_| {
                tracing::warn!(provider = %provider, "listing stopped at its time budget");
                limit(LimitReached::Time(limits.max_time))
            })??;
            progress.pages += 1;
            tracing::info!(
                provider = %provider,
                page = progress.pages,
                items = items.len(),
                cursor = next.is_some(),
                "page"
            );
            if items.is_empty() && next.is_some() {
                progress.empty_run += 1;
                if progress.empty_run > limits.max_empty_pages {
                    tracing::warn!(provider = %provider, empty_pages = progress.empty_run, "listing stopped: empty pages keep saying more");
                    return Err(limit(LimitReached::EmptyPages(progress.empty_run)));
                }
            } else {
                progress.empty_run = 0;
            }
            progress.next = next.clone().map(Some);
            Ok(Some((Page { items, next, scope }, progress)))
        }
    })
    .boxed()
}

/// Drives `pages` in a task that keeps up to `depth` pages waiting for the consumer.
///
/// The task takes a free slot in a channel of `depth` slots *before* it asks for the next
/// page, so it never holds more than `depth` unconsumed pages, and it stops after the first
/// error. Nothing starts until the stream is first polled; dropping the stream aborts the
/// task (and the request it has in flight). A panic in the task resumes in the consumer.
fn ahead<T: Send + 'static>(pages: PageStream<'static, T>, depth: usize) -> PageStream<'static, T> {
    if depth == 0 {
        return pages;
    }
    stream::once(async move {
        let (tx, rx) = tokio::sync::mpsc::channel(depth);
        let task = tokio::spawn(async move {
            let mut pages = pages;
            while let Ok(slot) = tx.reserve().await {
                let Some(page) = pages.next().await else {
                    break;
                };
                let failed = page.is_err();
                slot.send(page);
                if failed {
                    break;
                }
            }
        });
        stream::unfold((rx, Task(Some(task))), |(mut rx, mut task)| async move {
            if let Some(page) = rx.recv().await {
                return Some((page, (rx, task)));
            }
            // The channel closed: the task is done. Surface a panic rather than end quietly.
            if let Some(handle) = task.0.take() {
                if let Err(e) = handle.await {
                    if e.is_panic() {
                        std::panic::resume_unwind(e.into_panic());
                    }
                }
            }
            None
        })
    })
    .flatten()
    .boxed()
}

/// The prefetching task, aborted when the consumer drops the stream.
struct Task(Option<tokio::task::JoinHandle<()>>);

impl Drop for Task {
    fn drop(&mut self) {
        if let Some(handle) = &self.0 {
            handle.abort();
        }
    }
}

/// Flattens pages into items.
pub(crate) fn items<'a, T: Send + 'a>(pages: PageStream<'a, T>) -> BoxStream<'a, Result<T, Error>> {
    pages
        .map_ok(|page| stream::iter(page.items.into_iter().map(Ok)))
        .try_flatten()
        .boxed()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::time::Duration;

    /// A client's state (any provider: paging is the same for all) with prefetch `depth`
    /// and the default limits.
    fn context(depth: usize) -> crate::context::Context {
        let provider = *crate::Provider::ALL
            .first()
            .expect("a provider is compiled in");
        let mut context = crate::context::Context::new(
            provider,
            crate::transport::Auth::Bearer(crate::Secret::new("token-1")),
            crate::RetryConfig::standard(),
        );
        context.prefetch = depth;
        context
    }

    /// Pages `[c*10, c*10+1]` for cursors 0..last, counting the fetches.
    fn numbered(
        calls: Arc<AtomicUsize>,
        last: u32,
        fail_at: Option<u32>,
        depth: usize,
    ) -> PageStream<'static, u32> {
        pages(&context(depth), None, None, move |c: Option<Cursor>| {
            calls.fetch_add(1, Ordering::SeqCst);
            let c = match c {
                Some(Cursor::Offset(n)) => n as u32,
                _ => 0,
            };
            async move {
                if Some(c) == fail_at {
                    return Err(Error::InvalidArgument(format!("page {c}")));
                }
                let next = (c < last).then_some(Cursor::Offset(u64::from(c) + 1));
                Ok((vec![c * 10, c * 10 + 1], next))
            }
        })
    }

    async fn settle_at(calls: &AtomicUsize, n: usize) {
        for _ in 0..500 {
            if calls.load(Ordering::SeqCst) >= n {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        // Give a task that would overshoot the bound the time to do so.
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    #[tokio::test]
    async fn every_depth_yields_the_same_pages() {
        for depth in [0, 1, 2, 7] {
            let calls = Arc::new(AtomicUsize::new(0));
            let all: Vec<Page<u32>> = numbered(calls.clone(), 4, None, depth)
                .try_collect()
                .await
                .unwrap();
            assert_eq!(all.len(), 5, "depth {depth}");
            assert_eq!(all[4].items, vec![40, 41], "depth {depth}");
            assert_eq!(calls.load(Ordering::SeqCst), 5, "depth {depth}");
        }
    }

    #[tokio::test]
    async fn the_task_fetches_ahead_but_never_more_than_depth_pages() {
        for depth in [0usize, 1, 3] {
            let calls = Arc::new(AtomicUsize::new(0));
            let mut s = numbered(calls.clone(), 20, None, depth);
            assert_eq!(
                calls.load(Ordering::SeqCst),
                0,
                "nothing before the first poll"
            );
            assert_eq!(s.next().await.unwrap().unwrap().items, vec![0, 1]);
            // The consumer holds page 0 and asks for nothing more.
            settle_at(&calls, 1 + depth).await;
            assert_eq!(calls.load(Ordering::SeqCst), 1 + depth, "depth {depth}");
            assert_eq!(s.next().await.unwrap().unwrap().items, vec![10, 11]);
            settle_at(&calls, 2 + depth).await;
            assert_eq!(calls.load(Ordering::SeqCst), 2 + depth, "depth {depth}");
        }
    }

    #[tokio::test]
    async fn an_error_ends_the_stream_and_the_fetching() {
        for depth in [0, 1, 3] {
            let calls = Arc::new(AtomicUsize::new(0));
            let got: Vec<_> = numbered(calls.clone(), 20, Some(2), depth).collect().await;
            assert_eq!(got.len(), 3, "depth {depth}");
            assert!(got[..2].iter().all(|p| p.is_ok()));
            assert!(matches!(&got[2], Err(Error::InvalidArgument(m)) if m == "page 2"));
            assert_eq!(calls.load(Ordering::SeqCst), 3, "depth {depth}");
        }
    }

    #[tokio::test]
    async fn dropping_the_stream_stops_the_task() {
        let calls = Arc::new(AtomicUsize::new(0));
        let mut s = numbered(calls.clone(), 1000, None, 2);
        s.next().await.unwrap().unwrap();
        drop(s);
        tokio::time::sleep(Duration::from_millis(100)).await;
        let after_drop = calls.load(Ordering::SeqCst);
        assert!(after_drop <= 3, "{after_drop}");
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(calls.load(Ordering::SeqCst), after_drop);
    }

    #[tokio::test]
    #[should_panic(expected = "fetch blew up")]
    async fn a_panic_in_the_task_reaches_the_consumer() {
        let s = pages(&context(1), None, None, |_| async {
            if true {
                panic!("fetch blew up");
            }
            Ok::<(Vec<u32>, Option<Cursor>), Error>((vec![], None))
        });
        let _ = s.collect::<Vec<_>>().await;
    }
}
