//! The admin request body, read up to [`MAX_BODY_BYTES`]. A larger body is refused
//! with [`AdminError::PayloadTooLarge`] before more than the limit is held in memory: at once when
//! the declared length says so, otherwise as soon as the chunks read pass the limit.
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

/// The body of an admin request, or why it was refused.
pub struct LimitedBody(pub Result<Bytes, AdminError>);

impl<S: Send + Sync> FromRequest<S> for LimitedBody {
    type Rejection = Infallible;

    async fn from_request(request: Request, _: &S) -> Result<Self, Infallible> {
        Ok(LimitedBody(read(request, MAX_BODY_BYTES).await))
    }
}

/// Reads the whole body if it is at most `limit` bytes. `into_body` rather than axum's
/// `into_limited_body`: this function is the limit, whatever `DefaultBodyLimit` says.
async fn read(request: Request, limit: usize) -> Result<Bytes, AdminError> {
    let body = request.into_body();
    // hyper gives an exact hint from `Content-Length`: refused without reading a byte (and a
    // client that sent `Expect: 100-continue` is never asked for the body).
    let declared = http_body::Body::size_hint(&body).lower();
    if declared > limit as u64 {
        return Err(AdminError::PayloadTooLarge);
    }
    let mut buffer = BytesMut::with_capacity(declared as usize);
    let mut chunks = body.into_data_stream();
    while let Some(chunk) = chunks.next().await {
        let chunk = chunk.map_err(|_| {
            AdminError::InvalidArgument(Invalid::new("body", "the body could not be read"))
        })?;
        // Checked before copying: the chunk that would pass the limit is dropped, not kept.
        if buffer.len() + chunk.len() > limit {
            return Err(AdminError::PayloadTooLarge);
        }
        buffer.extend_from_slice(&chunk);
    }
    Ok(buffer.freeze())
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

    #[tokio::test]
    async fn an_endless_stream_is_refused_after_the_limit() {
        let endless = futures::stream::repeat_with(|| Ok::<_, Infallible>(vec![b' '; 4096]));

        let refused = read(request(Body::from_stream(endless)), MAX_BODY_BYTES).await;

        assert_eq!(refused.unwrap_err(), AdminError::PayloadTooLarge);
    }
}
