//! Response bodies of `/metrics`, made of stored bytes: [`Chunks`] sends them as they are (no
//! copy into one buffer), [`Inflating`] inflates compressed renderings as they are sent, for
//! the rare client that takes no gzip. Both know their exact size, so the answer carries a
//! `Content-Length`.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Frame, SizeHint};

use crate::exposition::Inflater;

/// A response body that sends the stored chunks as they are (no copy into one buffer), with an
/// exact size so the answer carries a `Content-Length`.
pub struct Chunks {
    chunks: VecDeque<Bytes>,
    remaining: u64,
}

impl Chunks {
    pub fn new(chunks: Vec<Bytes>) -> Self {
        let remaining = chunks.iter().map(|c| c.len() as u64).sum();
        Chunks {
            chunks: chunks.into_iter().filter(|c| !c.is_empty()).collect(),
            remaining,
        }
    }
}

impl http_body::Body for Chunks {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        let next = self.chunks.pop_front().map(|chunk| {
            self.remaining -= chunk.len() as u64;
            Ok(Frame::data(chunk))
        });
        Poll::Ready(next)
    }

    fn is_end_stream(&self) -> bool {
        self.chunks.is_empty()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.remaining)
    }
}

/// Raw DEFLATE parts inflated a bounded chunk at a time, then a plain tail.
pub struct Inflating {
    inflater: Inflater,
    tail: Option<Bytes>,
    remaining: u64,
}

impl Inflating {
    /// `len` is the plain length of the whole, parts and tail.
    pub fn new(parts: Vec<Bytes>, tail: Bytes, len: u64) -> Self {
        Inflating {
            inflater: Inflater::new(parts),
            tail: Some(tail),
            remaining: len,
        }
    }
}

impl http_body::Body for Inflating {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        let next = match self.inflater.next_chunk() {
            Some(chunk) => Some(Bytes::from(chunk)),
            None => self.tail.take(),
        };
        Poll::Ready(next.map(|chunk| {
            self.remaining = self.remaining.saturating_sub(chunk.len() as u64);
            Ok(Frame::data(chunk))
        }))
    }

    fn is_end_stream(&self) -> bool {
        self.tail.is_none()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.remaining)
    }
}
