//! Paginated listings as streams.
//!
//! Each provider pages its own way (offset, `starting_after`, `nextToken`, `after` cursor);
//! all of them become a [`PageStream`] of pages and a [`PurchaseStream`] of items.
//!
//! By default a listing fetches one page ahead: while the consumer works through page *n*,
//! page *n + 1* is already on its way, so a consumer that takes as long per page as the
//! server does waits for the network about half as long. The depth is
//! [`ClientOptions::prefetch`](crate::ClientOptions::prefetch); `0` fetches strictly in turn,
//! only when the consumer asks for more. Either way `.take(n)` stops fetching: at most
//! `depth` pages beyond the ones the consumer reached are ever requested, and dropping the
//! stream cancels the request in flight. Prefetching runs the requests in a task on the
//! current Tokio runtime.

pub use crate::context::ListingLimits;
pub use crate::error::LimitReached;
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

/// How many pages a listing fetches ahead of its consumer unless told otherwise.
pub const DEFAULT_PREFETCH: usize = 1;

/// Follows `fetch` from `first` until it reports no next cursor, keeping up to
/// `inner.prefetch` pages fetched ahead of the consumer, within `inner.limits`. A cursor
/// seen before is an error rather than a loop. Every error passes through the client's
/// redactor.
pub(crate) fn pages<T, C, F, Fut>(
    inner: &crate::context::Context,
    first: C,
    fetch: F,
) -> PageStream<'static, T>
where
    T: Send + 'static,
    C: Clone + Eq + std::hash::Hash + std::fmt::Debug + Send + 'static,
    F: FnMut(C) -> Fut + Send + 'static,
    Fut: Future<Output = Result<Fetched<T, C>, Error>> + Send + 'static,
{
    let redactor = inner.redactor().clone();
    ahead(
        in_turn(inner.provider, first, inner.limits, fetch),
        inner.prefetch,
    )
    .map_err(move |e| e.redacted(&redactor))
    .boxed()
}

/// Where a listing is: the next cursor, the cursors seen, and what counts toward its limits.
struct Progress<C> {
    cursor: Option<C>,
    seen: HashSet<C>,
    pages: u64,
    empty_run: u32,
    deadline: Option<tokio::time::Instant>,
}

/// The pages fetched strictly in turn: the next request starts when the consumer asks.
fn in_turn<'a, T, C, F, Fut>(
    provider: crate::Provider,
    first: C,
    limits: ListingLimits,
    mut fetch: F,
) -> PageStream<'a, T>
where
    T: Send + 'a,
    C: Clone + Eq + std::hash::Hash + std::fmt::Debug + Send + 'a,
    F: FnMut(C) -> Fut + Send + 'a,
    Fut: Future<Output = Result<Fetched<T, C>, Error>> + Send + 'a,
{
    let start = Progress {
        cursor: Some(first),
        seen: HashSet::new(),
        pages: 0,
        empty_run: 0,
        deadline: None,
    };
    let limit = move |reached| Error::ListingLimit {
        provider,
        limit: reached,
    };
    stream::try_unfold(start, move |mut progress| {
        let step = progress.cursor.take().map(|c| {
            let new = progress.seen.insert(c.clone());
            (c.clone(), new, fetch(c))
        });
        async move {
            let Some((cursor, new, fut)) = step else {
                return Ok(None);
            };
            if !new {
                return Err(Error::PaginationLoop {
                    provider,
                    detail: format!("the server sent cursor {cursor:?} again"),
                });
            }
            if progress.pages >= limits.max_pages {
                tracing::warn!(provider = %provider, pages = progress.pages, "listing stopped at its page limit");
                return Err(limit(LimitReached::Pages(limits.max_pages)));
            }
            let deadline = *progress
                .deadline
                .get_or_insert_with(|| tokio::time::Instant::now() + limits.max_time);
            let page = tokio::time::timeout_at(deadline, fut).await.map_err(|_| {
                tracing::warn!(provider = %provider, "listing stopped at its time budget");
                limit(LimitReached::Time(limits.max_time))
            })??;
            progress.pages += 1;
            tracing::info!(
                provider = %provider,
                page = progress.pages,
                items = page.items.len(),
                cursor = page.next.is_some(),
                "page"
            );
            if page.items.is_empty() && page.next.is_some() {
                progress.empty_run += 1;
                if progress.empty_run > limits.max_empty_pages {
                    tracing::warn!(provider = %provider, empty_pages = progress.empty_run, "listing stopped: empty pages keep saying more");
                    return Err(limit(LimitReached::EmptyPages(progress.empty_run)));
                }
            } else {
                progress.empty_run = 0;
            }
            progress.cursor = page.next;
            Ok(Some((page.items, progress)))
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::time::Duration;

    /// A client's state (any provider: paging is the same for all) with prefetch `depth`
    /// and the default limits.
    fn inner(depth: usize) -> crate::context::Context {
        let provider = *crate::Provider::ALL
            .first()
            .expect("a provider is compiled in");
        let mut inner = crate::context::Context::new(
            provider,
            crate::transport::Auth::Bearer(crate::Secret::new("token-1")),
            crate::RetryConfig::standard(),
        );
        inner.prefetch = depth;
        inner
    }

    /// Pages `[c*10, c*10+1]` for cursors 0..last, counting the fetches.
    fn numbered(
        calls: Arc<AtomicUsize>,
        last: u32,
        fail_at: Option<u32>,
        depth: usize,
    ) -> PageStream<'static, u32> {
        pages(&inner(depth), 0u32, move |c| {
            calls.fetch_add(1, Ordering::SeqCst);
            async move {
                if Some(c) == fail_at {
                    return Err(Error::InvalidArgument(format!("page {c}")));
                }
                Ok(Fetched {
                    items: vec![c * 10, c * 10 + 1],
                    next: (c < last).then_some(c + 1),
                })
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
            let all: Vec<Vec<u32>> = numbered(calls.clone(), 4, None, depth)
                .try_collect()
                .await
                .unwrap();
            assert_eq!(all.len(), 5, "depth {depth}");
            assert_eq!(all[4], vec![40, 41], "depth {depth}");
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
            assert_eq!(s.next().await.unwrap().unwrap(), vec![0, 1]);
            // The consumer holds page 0 and asks for nothing more.
            settle_at(&calls, 1 + depth).await;
            assert_eq!(calls.load(Ordering::SeqCst), 1 + depth, "depth {depth}");
            assert_eq!(s.next().await.unwrap().unwrap(), vec![10, 11]);
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
        let s = pages(&inner(1), 0u32, |_| async {
            if true {
                panic!("fetch blew up");
            }
            Ok(Fetched::<u32, u32> {
                items: vec![],
                next: None,
            })
        });
        let _ = s.collect::<Vec<_>>().await;
    }
}
