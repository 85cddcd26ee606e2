//! Compressed renderings: [`DeflatePiece`]s of raw DEFLATE that join into one gzip member
//! without recompressing ([`gzip_join`]), a [`DeflateWriter`] that encodes text straight into
//! its compressor (the plain text is never held), and [`inflate`] for the rare client that takes
//! no gzip.

use std::fmt;
use std::io::Write;

use bytes::Bytes;
use flate2::write::DeflateEncoder;
use flate2::{Compression, Decompress, FlushDecompress, Status};

/// A piece of a gzip stream: raw DEFLATE ending in a sync flush (byte-aligned, not final), or a
/// final block for the last piece, with the CRC and length of its uncompressed bytes, so pieces
/// can be joined without recompressing.
#[derive(Debug, Clone, Default)]
pub struct DeflatePiece {
    deflate: Bytes,
    crc: crc32fast::Hasher,
    len: u64,
}

impl DeflatePiece {
    /// A piece for the middle of a stream (ends in a sync flush).
    #[cfg(test)]
    pub(crate) fn compress(data: &[u8]) -> Self {
        let mut writer = DeflateWriter::new(data.len() / 4);
        writer.write_bytes(data);
        writer.finish()
    }

    /// The last piece of a stream: raw DEFLATE ending in a final block, compressed fast (it is
    /// small and made at most once a second).
    pub(crate) fn compress_last(data: &[u8]) -> Self {
        let mut encoder =
            DeflateEncoder::new(Vec::with_capacity(data.len() / 3 + 64), Compression::fast());
        // Writing to a Vec cannot fail.
        encoder.write_all(data).expect("write to Vec");
        let deflate = Bytes::from(encoder.finish().expect("finish to Vec"));
        let mut crc = crc32fast::Hasher::new();
        crc.update(data);
        DeflatePiece {
            deflate,
            crc,
            len: data.len() as u64,
        }
    }

    /// The raw DEFLATE bytes.
    pub(crate) fn deflate(&self) -> &Bytes {
        &self.deflate
    }

    /// Length of the uncompressed bytes.
    pub(crate) fn plain_len(&self) -> u64 {
        self.len
    }
}

/// Text written through `fmt::Write` into a compressor, staged in a small buffer so the
/// encoder sees large writes, not one per label.
pub struct DeflateWriter {
    encoder: DeflateEncoder<Vec<u8>>,
    staged: String,
    crc: crc32fast::Hasher,
    len: u64,
}

/// Bytes staged before they go to the compressor.
const STAGE: usize = 64 * 1024;

impl DeflateWriter {
    /// A writer whose output buffer starts at `expected` bytes (a guess of the compressed size).
    pub fn new(expected: usize) -> Self {
        DeflateWriter {
            encoder: DeflateEncoder::new(Vec::with_capacity(expected + 64), Compression::default()),
            staged: String::with_capacity(STAGE),
            crc: crc32fast::Hasher::new(),
            len: 0,
        }
    }

    fn write_bytes(&mut self, data: &[u8]) {
        self.crc.update(data);
        self.len += data.len() as u64;
        // Writing to a Vec cannot fail.
        self.encoder.write_all(data).expect("write to Vec");
    }

    fn drain(&mut self) {
        let staged = std::mem::take(&mut self.staged);
        self.write_bytes(staged.as_bytes());
        self.staged = staged;
        self.staged.clear();
    }

    /// The piece, ending in a sync flush; its buffer shrunk to what it holds.
    pub fn finish(mut self) -> DeflatePiece {
        self.drain();
        // `flush` is a sync flush in flate2.
        self.encoder.flush().expect("flush to Vec");
        let mut deflate = std::mem::take(self.encoder.get_mut());
        deflate.shrink_to_fit();
        DeflatePiece {
            deflate: Bytes::from(deflate),
            crc: self.crc,
            len: self.len,
        }
    }
}

impl fmt::Write for DeflateWriter {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.staged.push_str(s);
        if self.staged.len() >= STAGE {
            self.drain();
        }
        Ok(())
    }
}

/// Joins pre-compressed pieces and a last piece (from `DeflatePiece::compress_last`) into one
/// gzip member, as chunks: every piece's bytes are shared, not copied, and nothing is
/// compressed here.
pub fn gzip_join<'a>(
    pieces: impl IntoIterator<Item = &'a DeflatePiece>,
    last: &'a DeflatePiece,
) -> Vec<Bytes> {
    const HEADER: [u8; 10] = [0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 0xff];
    let mut chunks = vec![Bytes::from_static(&HEADER)];
    let mut crc = crc32fast::Hasher::new();
    let mut len = 0u64;
    for piece in pieces.into_iter().chain(std::iter::once(last)) {
        chunks.push(piece.deflate.clone());
        crc.combine(&piece.crc);
        len += piece.len;
    }
    let mut trailer = Vec::with_capacity(8);
    trailer.extend_from_slice(&crc.finalize().to_le_bytes());
    // ISIZE is the length modulo 2^32, as RFC 1952 defines it.
    trailer.extend_from_slice(&(len as u32).to_le_bytes());
    chunks.push(Bytes::from(trailer));
    chunks
}

/// A raw DEFLATE stream given in parts (the pieces' bytes, in order), inflated a bounded
/// chunk at a time: the plain text is produced as it is sent, never held whole.
pub struct Inflater {
    parts: std::collections::VecDeque<Bytes>,
    decompress: Decompress,
}

/// Plain bytes produced per call of [`Inflater::next_chunk`].
const INFLATE_CHUNK: usize = 64 * 1024;

impl Inflater {
    pub fn new(parts: impl IntoIterator<Item = Bytes>) -> Self {
        Inflater {
            parts: parts.into_iter().filter(|p| !p.is_empty()).collect(),
            decompress: Decompress::new(false),
        }
    }

    /// The next chunk of plain bytes; `None` when every part is consumed. Corrupt input (our own
    /// compressor wrote it, so only a bug) ends the stream early rather than panicking.
    pub fn next_chunk(&mut self) -> Option<Vec<u8>> {
        let mut out = Vec::with_capacity(INFLATE_CHUNK);
        while out.len() < out.capacity() {
            let empty = Bytes::new();
            let part = self.parts.front().unwrap_or(&empty);
            let before_in = self.decompress.total_in();
            let before_out = out.len();
            let status = self
                .decompress
                .decompress_vec(part, &mut out, FlushDecompress::Sync);
            let consumed = (self.decompress.total_in() - before_in) as usize;
            if let Some(part) = self.parts.front_mut() {
                let _ = part.split_to(consumed.min(part.len()));
                if part.is_empty() {
                    self.parts.pop_front();
                }
            }
            let progressed = consumed > 0 || out.len() > before_out;
            match status {
                Ok(Status::StreamEnd) | Err(_) => {
                    self.parts.clear();
                    break;
                }
                // Nothing more in or out with room left: all input is consumed and all output
                // given (or the input is truncated: only a bug could make it so).
                Ok(_) if !progressed => {
                    self.parts.clear();
                    break;
                }
                Ok(_) => {}
            }
        }
        (!out.is_empty()).then_some(out)
    }
}

/// A part of a plain answer: stored plain bytes, or a piece's raw DEFLATE to inflate as it is
/// sent.
#[derive(Debug, Clone)]
pub enum Part {
    Plain(Bytes),
    Deflate(Bytes),
}

/// All of a raw DEFLATE stream given in parts, inflated (tests and the rare plain answer built
/// whole).
pub fn inflate(parts: &[&Bytes]) -> Vec<u8> {
    let mut inflater = Inflater::new(parts.iter().map(|p| (*p).clone()));
    let mut out = Vec::new();
    while let Some(chunk) = inflater.next_chunk() {
        out.extend_from_slice(&chunk);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fmt::Write as _;

    #[test]
    fn text_written_piecewise_inflates_back_to_itself() {
        let mut writer = DeflateWriter::new(0);
        let mut expected = String::new();
        for i in 0..50_000 {
            let line = format!("proxy911_x{{a=\"{i}\"}} {i}.0\n");
            writer.write_str(&line).unwrap();
            expected.push_str(&line);
        }
        let piece = writer.finish();
        assert_eq!(piece.plain_len(), expected.len() as u64);
        assert_eq!(inflate(&[piece.deflate()]), expected.as_bytes());
    }

    #[test]
    fn pieces_and_a_last_piece_inflate_in_bounded_chunks() {
        let a = DeflatePiece::compress(&b"first\n".repeat(30_000));
        let b = DeflatePiece::compress(b"");
        let last = DeflatePiece::compress_last(b"tail\n");
        let mut inflater = Inflater::new([
            a.deflate().clone(),
            b.deflate().clone(),
            last.deflate().clone(),
        ]);
        let mut out = Vec::new();
        while let Some(chunk) = inflater.next_chunk() {
            assert!(chunk.len() <= INFLATE_CHUNK + 64 * 1024);
            out.extend_from_slice(&chunk);
        }
        let mut expected = b"first\n".repeat(30_000);
        expected.extend_from_slice(b"tail\n");
        assert_eq!(out, expected);
    }

    #[test]
    fn garbage_ends_the_stream_without_a_panic() {
        let mut inflater = Inflater::new([Bytes::from_static(b"\xff\xfe not deflate")]);
        while inflater.next_chunk().is_some() {}
    }
}
