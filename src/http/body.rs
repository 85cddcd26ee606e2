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

use crate::exposition::{Inflater, Part};

/// A response body that sends the stored chunks as they are (no copy into one buffer), with an
/// exact size so the answer carries a `Content-Length`.
pub(crate) struct Chunks {
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

/// Parts of a plain answer, in order: stored plain bytes sent as they are, raw DEFLATE pieces
/// inflated a bounded chunk at a time.
pub(crate) struct Inflating {
    parts: VecDeque<Part>,
    current: Option<Inflater>,
    remaining: u64,
}

impl Inflating {
    /// `len` is the plain length of the whole.
    pub fn new(parts: Vec<Part>, len: u64) -> Self {
        Inflating {
            parts: parts.into(),
            current: None,
            remaining: len,
        }
    }

    fn next_chunk(&mut self) -> Option<Bytes> {
        loop {
            if let Some(inflater) = &mut self.current {
                match inflater.next_chunk() {
                    Some(chunk) => return Some(Bytes::from(chunk)),
                    None => self.current = None,
                }
            }
            match self.parts.pop_front()? {
                Part::Plain(bytes) if bytes.is_empty() => continue,
                Part::Plain(bytes) => return Some(bytes),
                Part::Deflate(bytes) => self.current = Some(Inflater::new([bytes])),
            }
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
        let next = self.next_chunk();
        Poll::Ready(next.map(|chunk| {
            self.remaining = self.remaining.saturating_sub(chunk.len() as u64);
            Ok(Frame::data(chunk))
        }))
    }

    fn is_end_stream(&self) -> bool {
        self.current.is_none() && self.parts.is_empty()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.remaining)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exposition::DeflatePiece;
    use http_body_util::BodyExt;

    #[tokio::test]
    async fn a_plain_answer_mixes_kept_text_and_inflated_pieces_in_order_at_its_exact_length() {
        let large = "proxy911_x{a=\"1\"} 1.0\n".repeat(100_000);
        let piece = DeflatePiece::compress(large.as_bytes());
        let parts = vec![
            Part::Plain(Bytes::from_static(b"small\n")),
            Part::Deflate(piece.deflate().clone()),
            Part::Plain(Bytes::new()),
            Part::Plain(Bytes::from_static(b"tail\n")),
        ];
        let len = 6 + piece.plain_len() + 5;
        let body = Inflating::new(parts, len);
        assert_eq!(http_body::Body::size_hint(&body).exact(), Some(len));

        let collected = body.collect().await.unwrap().to_bytes();

        assert_eq!(collected.len() as u64, len);
        assert_eq!(collected, format!("small\n{large}tail\n").as_bytes());
    }
}
