//! Reading a request body: every frame is copied into one buffer as it arrives, so a body
//! sent in many small pieces holds no more memory than its size (hyper hands each piece over
//! as a slice of a whole read buffer), never more than `--max-body`, and within the body
//! deadline (`--body-timeout`).

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http_body_util::BodyExt;
use hyper::body::Body;

/// Why a body could not be read.
#[derive(Debug)]
pub enum BodyError {
    /// It is (or says it is) larger than the limit.
    TooLarge,
    /// It did not arrive in time.
    TimedOut,
    /// The connection failed while it arrived.
    Read(String),
}

/// The most bytes reserved up front for a body whose Content-Length is known; a larger one
/// grows as it arrives, so a client cannot make sfstub reserve memory it never sends.
const RESERVE_AHEAD: usize = 64 * 1024;

/// Reads `body` whole: at most `max` bytes, within `deadline` from now.
pub async fn read<B>(body: B, max: usize, deadline: Duration) -> Result<Bytes, BodyError>
where
    B: Body<Data = Bytes> + Unpin,
    B::Error: std::fmt::Display,
{
    match tokio::time::timeout(deadline, collect(body, max)).await {
        Ok(result) => result,
        Err(_) => Err(BodyError::TimedOut),
    }
}

async fn collect<B>(mut body: B, max: usize) -> Result<Bytes, BodyError>
where
    B: Body<Data = Bytes> + Unpin,
    B::Error: std::fmt::Display,
{
    if body.size_hint().lower() > max as u64 {
        return Err(BodyError::TooLarge);
    }
    // A body that arrives in one piece is kept as that piece (no copy): it is dropped with
    // the request. From the second piece on, pieces are copied and dropped at once.
    let mut first: Option<Bytes> = None;
    let mut joined: Option<BytesMut> = None;
    let mut len = 0usize;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| BodyError::Read(e.to_string()))?;
        let Ok(data) = frame.into_data() else {
            continue; // trailers
        };
        if data.is_empty() {
            continue;
        }
        len = len.saturating_add(data.len());
        if len > max {
            return Err(BodyError::TooLarge);
        }
        if let Some(buf) = joined.as_mut() {
            buf.extend_from_slice(&data);
        } else if let Some(piece) = first.take() {
            let expected = usize::try_from(body.size_hint().lower()).unwrap_or(usize::MAX);
            let mut buf = BytesMut::with_capacity(len.saturating_add(expected).min(max).min(len + RESERVE_AHEAD));
            buf.extend_from_slice(&piece);
            buf.extend_from_slice(&data);
            joined = Some(buf);
        } else {
            first = Some(data);
        }
    }
    Ok(match (joined, first) {
        (Some(buf), _) => buf.freeze(),
        (None, Some(piece)) => piece,
        (None, None) => Bytes::new(),
    })
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;
    use std::convert::Infallible;
    use std::pin::Pin;
    use std::task::{Context, Poll};

    use hyper::body::Frame;

    use super::*;

    /// A body handing over the given pieces, one frame each.
    struct Pieces(VecDeque<Bytes>);

    impl Body for Pieces {
        type Data = Bytes;
        type Error = Infallible;

        fn poll_frame(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
            Poll::Ready(self.0.pop_front().map(|b| Ok(Frame::data(b))))
        }
    }

    fn read_now(pieces: Pieces, max: usize) -> Result<Bytes, BodyError> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        runtime.block_on(read(pieces, max, Duration::from_secs(5)))
    }

    #[test]
    fn a_body_in_many_pieces_keeps_none_of_the_buffers_they_came_in() {
        let buffer = Bytes::from(vec![b'x'; 8192]);
        let pieces = Pieces((0..1000).map(|i| buffer.slice(i..i + 1)).collect());
        let body = read_now(pieces, 4096).unwrap();
        assert_eq!(body.len(), 1000);
        assert!(buffer.is_unique(), "the body still refers to the read buffer");
    }

    #[test]
    fn a_body_in_one_piece_is_not_copied() {
        let buffer = Bytes::from_static(b"<Envelope/>");
        let body = read_now(Pieces([buffer.clone()].into()), 4096).unwrap();
        assert_eq!(body.as_ptr(), buffer.as_ptr());
    }

    #[test]
    fn the_limit_counts_every_piece() {
        let pieces = Pieces((0..5).map(|_| Bytes::from_static(b"0123456789")).collect());
        assert!(matches!(read_now(pieces, 49), Err(BodyError::TooLarge)));
        let pieces = Pieces((0..5).map(|_| Bytes::from_static(b"0123456789")).collect());
        assert_eq!(read_now(pieces, 50).unwrap().len(), 50);
    }
}
