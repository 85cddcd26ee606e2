//! The admin request body, read up to [`MAX_BODY_BYTES`]. A larger body is refused
//! with [`AdminError::PayloadTooLarge`] before more than the limit is held in memory: at once when
//! the declared length says so, otherwise as soon as the chunks read pass the limit.
//!
//! A refused body that is on its way is read on and thrown away, within a bound (at most
//! [`DRAIN_BYTES`] more, for at most [`DRAIN_TIME`]), before the 413 is sent: closing a
//! connection with unread bytes in it makes the kernel reset it, and the reset destroys the 413
//! in the client's receive queue (nginx's lingering close answers the same problem). A client
//! that asked `Expect: 100-continue` is never asked for the body, so nothing is drained.
//!
//! The whole body must arrive within [`BODY_DEADLINE`] of the handler starting to read it: a body
//! trickled a byte at a time is refused with a 400 `invalid_argument` (field `body`) once the
//! deadline passes, instead of holding the request open without end. Bodies of requests refused
//! by the bearer token are never read (hyper closes the connection after the 401).
//!
//! [`LimitedBody`] never rejects the request itself: it hands the refusal to the handler, which
//! audits and counts it like any other (axum's own limit answers a plain-text 413 that bypasses
//! both).

use std::convert::Infallible;

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use bytes::BytesMut;
use futures::StreamExt;

use super::decode::Invalid;
use super::error::{AdminError, MAX_BODY_BYTES};

/// How much more of a refused body is read and thrown away before the 413.
pub(crate) const DRAIN_BYTES: usize = 8 << 20;
/// How long a refused body is read on before the 413, at most.
pub(crate) const DRAIN_TIME: std::time::Duration = std::time::Duration::from_secs(2);

/// How long the whole body may take to arrive.
pub(crate) const BODY_DEADLINE: std::time::Duration = std::time::Duration::from_secs(10);

/// The body of an admin request, or why it was refused.
pub struct LimitedBody(pub Result<Bytes, AdminError>);

impl<S: Send + Sync> FromRequest<S> for LimitedBody {
    type Rejection = Infallible;

    async fn from_request(request: Request, _: &S) -> Result<Self, Infallible> {
        Ok(LimitedBody(read(request, MAX_BODY_BYTES).await))
    }
}

/// Reads the whole body if it is at most `limit` bytes and arrives within [`BODY_DEADLINE`].
/// `into_body` rather than axum's `into_limited_body`: this function is the limit, whatever
/// `DefaultBodyLimit` says.
async fn read(request: Request, limit: usize) -> Result<Bytes, AdminError> {
    let deadline = tokio::time::Instant::now() + BODY_DEADLINE;
    read_until(request, limit, deadline).await
}

async fn read_until(
    request: Request,
    limit: usize,
    deadline: tokio::time::Instant,
) -> Result<Bytes, AdminError> {
    let expects_continue = request
        .headers()
        .get(axum::http::header::EXPECT)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"100-continue"));
    let body = request.into_body();
    // hyper gives an exact hint from `Content-Length`: refused without keeping a byte (and a
    // client that sent `Expect: 100-continue` is never asked for the body).
    let declared = http_body::Body::size_hint(&body).lower();
    let mut chunks = body.into_data_stream();
    if declared > limit as u64 {
        if !expects_continue {
            drain(&mut chunks).await;
        }
        return Err(AdminError::PayloadTooLarge);
    }
    let mut buffer = BytesMut::with_capacity(declared as usize);
    loop {
        let Ok(next) = tokio::time::timeout_at(deadline, chunks.next()).await else {
            return Err(too_slow());
        };
        let Some(chunk) = next else {
            break;
        };
        let chunk = chunk.map_err(|_| {
            AdminError::InvalidArgument(Invalid::new("body", "the body could not be read"))
        })?;
        // Checked before copying: the chunk that would pass the limit is dropped, not kept.
        if buffer.len() + chunk.len() > limit {
            drop(buffer);
            drain(&mut chunks).await;
            return Err(AdminError::PayloadTooLarge);
        }
        buffer.extend_from_slice(&chunk);
    }
    Ok(buffer.freeze())
}

fn too_slow() -> AdminError {
    AdminError::InvalidArgument(Invalid::new(
        "body",
        format!(
            "the body did not arrive within {} seconds",
            BODY_DEADLINE.as_secs()
        ),
    ))
}

/// Reads the rest of a refused body and throws it away, within [`DRAIN_BYTES`] and
/// [`DRAIN_TIME`]; whatever is left then is left to the connection's close.
async fn drain(chunks: &mut axum::body::BodyDataStream) {
    let discard = async {
        let mut drained = 0usize;
        while let Some(Ok(chunk)) = chunks.next().await {
            drained += chunk.len();
            if drained > DRAIN_BYTES {
                break;
            }
        }
    };
    let _ = tokio::time::timeout(DRAIN_TIME, discard).await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;

    fn request(body: Body) -> Request {
        Request::builder().body(body).unwrap()
    }

    /// A body of `chunks` chunks of `size` bytes with no declared length, like a chunked upload.
    fn streamed(chunks: usize, size: usize) -> Body {
        let stream =
            futures::stream::iter((0..chunks).map(move |_| Ok::<_, Infallible>(vec![b' '; size])));
        Body::from_stream(stream)
    }

    #[tokio::test]
    async fn a_body_of_exactly_the_limit_is_read_whole() {
        let read = read(request(Body::from(vec![b'x'; 64])), 64).await;

        assert_eq!(read.unwrap().len(), 64);
    }

    #[tokio::test]
    async fn a_declared_length_over_the_limit_is_refused_unread() {
        let read = read(request(Body::from(vec![b'x'; 65])), 64).await;

        assert_eq!(read.unwrap_err(), AdminError::PayloadTooLarge);
    }

    #[tokio::test]
    async fn a_stream_without_a_length_is_refused_once_it_passes_the_limit() {
        assert_eq!(read(request(streamed(4, 16)), 64).await.unwrap().len(), 64);

        let refused = read(request(streamed(5, 16)), 64).await;

        assert_eq!(refused.unwrap_err(), AdminError::PayloadTooLarge);
    }

    #[tokio::test(start_paused = true)]
    async fn a_refused_stream_is_drained_only_within_its_byte_bound() {
        let read_so_far = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = read_so_far.clone();
        let endless = futures::stream::repeat_with(move || {
            counter.fetch_add(4096, std::sync::atomic::Ordering::Relaxed);
            Ok::<_, Infallible>(vec![b' '; 4096])
        });

        let refused = read(request(Body::from_stream(endless)), 64).await;

        assert_eq!(refused.unwrap_err(), AdminError::PayloadTooLarge);
        let read = read_so_far.load(std::sync::atomic::Ordering::Relaxed);
        assert!(
            read > DRAIN_BYTES && read <= DRAIN_BYTES + 2 * 4096,
            "{read}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_refused_body_that_trickles_is_drained_only_within_its_time_bound() {
        let trickle = futures::stream::unfold((), |()| async {
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            Some((Ok::<_, Infallible>(vec![b' '; 1]), ()))
        });
        let started = tokio::time::Instant::now();

        // The first byte passes the limit of 0; then the trickle is read on for DRAIN_TIME.
        let refused = read(request(Body::from_stream(trickle)), 0).await;

        assert_eq!(refused.unwrap_err(), AdminError::PayloadTooLarge);
        let first_byte = std::time::Duration::from_secs(1);
        assert_eq!(started.elapsed(), first_byte + DRAIN_TIME);
    }

    #[tokio::test(start_paused = true)]
    async fn a_body_trickled_a_byte_every_5_seconds_is_refused_at_the_deadline() {
        let sent = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = sent.clone();
        let trickle = futures::stream::unfold((), move |()| {
            let counter = counter.clone();
            async move {
                tokio::time::sleep(std::time::Duration::from_secs(5)).await;
                counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                Some((Ok::<_, Infallible>(vec![b'{'; 1]), ()))
            }
        });
        let started = tokio::time::Instant::now();

        let refused = read(request(Body::from_stream(trickle)), MAX_BODY_BYTES).await;

        assert_eq!(
            refused.unwrap_err(),
            AdminError::InvalidArgument(Invalid::new(
                "body",
                "the body did not arrive within 10 seconds"
            ))
        );
        assert_eq!(started.elapsed(), BODY_DEADLINE);
        // The bytes of 5 s and of 10 s: the trickle is not read past the deadline.
        assert_eq!(sent.load(std::sync::atomic::Ordering::Relaxed), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn a_slow_body_that_arrives_within_the_deadline_is_read() {
        let chunks = futures::stream::unfold(0, |sent| async move {
            if sent == 3 {
                return None;
            }
            tokio::time::sleep(std::time::Duration::from_secs(3)).await;
            Some((Ok::<_, Infallible>(vec![b' '; 2]), sent + 1))
        });

        let read = read(request(Body::from_stream(chunks)), MAX_BODY_BYTES).await;

        assert_eq!(read.unwrap().len(), 6);
    }

    #[tokio::test]
    async fn an_endless_stream_is_refused_after_the_limit() {
        let endless = futures::stream::repeat_with(|| Ok::<_, Infallible>(vec![b' '; 4096]));

        let refused = read(request(Body::from_stream(endless)), MAX_BODY_BYTES).await;

        assert_eq!(refused.unwrap_err(), AdminError::PayloadTooLarge);
    }
}
