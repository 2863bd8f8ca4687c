//! Paginated listings as streams.
//!
//! Each provider pages its own way (offset, `starting_after`, `nextToken`, `after` cursor);
//! all of them become a [`PageStream`] of pages and a [`PurchaseStream`] of items. A page is
//! fetched only when the consumer asks for more, so `.take(n)` stops fetching.

use crate::{Error, Purchase};
use futures::stream::{self, BoxStream, StreamExt, TryStreamExt};
use std::collections::HashSet;
use std::future::Future;

/// A stream of pages.
pub type PageStream<'a, T> = BoxStream<'a, Result<Vec<T>, Error>>;

/// A stream of normalized purchases.
pub type PurchaseStream<'a> = BoxStream<'a, Result<Purchase, Error>>;

/// What fetching one page gave: its items and where the next page starts, if anywhere.
pub(crate) struct Fetched<T, C> {
    pub items: Vec<T>,
    pub next: Option<C>,
}

/// Follows `fetch` from `first` until it reports no next cursor. A cursor seen before is an
/// error rather than a loop.
pub(crate) fn pages<'a, T, C, F, Fut>(
    provider: crate::Provider,
    first: C,
    mut fetch: F,
) -> PageStream<'a, T>
where
    T: Send + 'a,
    C: Clone + Eq + std::hash::Hash + std::fmt::Debug + Send + 'a,
    F: FnMut(C) -> Fut + Send + 'a,
    Fut: Future<Output = Result<Fetched<T, C>, Error>> + Send + 'a,
{
    let state = (Some(first), HashSet::new());
    stream::try_unfold(state, move |(cursor, mut seen)| {
        let next_page = cursor.map(|c| {
            let new = seen.insert(c.clone());
            (c, new)
        });
        let fut = next_page.map(|(c, new)| (c.clone(), new, fetch(c)));
        async move {
            let Some((cursor, new, fut)) = fut else {
                return Ok(None);
            };
            if !new {
                return Err(Error::PaginationLoop {
                    provider,
                    detail: format!("the server sent cursor {cursor:?} again"),
                });
            }
            let page = fut.await?;
            Ok(Some((page.items, (page.next, seen))))
        }
    })
    .boxed()
}

/// Flattens pages into items.
pub(crate) fn items<'a, T: Send + 'a>(pages: PageStream<'a, T>) -> BoxStream<'a, Result<T, Error>> {
    pages
        .map_ok(|page| stream::iter(page.into_iter().map(Ok)))
        .try_flatten()
        .boxed()
}

/// Refuses a page size outside `1..=max` before any request.
pub(crate) fn check_page_size(what: &str, size: u32, max: u32) -> Result<(), Error> {
    if size == 0 || size > max {
        return Err(Error::InvalidArgument(format!(
            "{what} must be between 1 and {max}, got {size}"
        )));
    }
    Ok(())
}
