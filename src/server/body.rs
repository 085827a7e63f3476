//! Reading a request body: every frame is copied into one buffer as it arrives, so a body
//! sent in many small pieces holds no more memory than its size (hyper hands each piece over
//! as a slice of a whole read buffer), never more than `--max-body`, and within the body
//! deadline (`--body-timeout`).

use std::pin::Pin;
use std::task::{Context, Poll};
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

/// Reads `body` whole: at most `max` bytes, within `deadline` from now ([`start`], then
/// [`rest`]).
#[cfg(test)]
pub async fn read<B>(mut body: B, max: usize, deadline: Duration) -> Result<Bytes, BodyError>
where
    B: Body<Data = Bytes> + Unpin,
    B::Error: std::fmt::Display,
{
    let started = std::future::poll_fn(|cx| Poll::Ready(start(&mut body, max, cx))).await;
    rest(body, started, max, deadline).await
}

/// How far [`start`] got.
pub enum Started {
    /// The body, whole.
    Whole(Bytes),
    /// It cannot be read.
    Failed(BodyError),
    /// More is to come, after the first piece if one was taken.
    More(Option<Bytes>),
}

/// Takes `body` if it is already there whole (no body, or one that came with its head in the
/// same read and says how long it is), without a timer and without asking the body for its
/// end: setting up and dropping the deadline's timer and the second poll of hyper's body
/// channel cost every request ~250 instructions (callgrind on `sfstub serve` under wrk).
/// Polled once, with the caller's `cx`: a body answered by the caller at once needs no future.
pub fn start<B>(body: &mut B, max: usize, cx: &mut Context<'_>) -> Started
where
    B: Body<Data = Bytes> + Unpin,
    B::Error: std::fmt::Display,
{
    if body.size_hint().lower() > max as u64 {
        return Started::Failed(BodyError::TooLarge);
    }
    if body.is_end_stream() {
        return Started::Whole(Bytes::new());
    }
    match Pin::new(&mut *body).poll_frame(cx) {
        Poll::Pending => Started::More(None),
        Poll::Ready(None) => Started::Whole(Bytes::new()),
        Poll::Ready(Some(Err(e))) => Started::Failed(BodyError::Read(e.to_string())),
        Poll::Ready(Some(Ok(frame))) => match frame.into_data() {
            Ok(data) if data.len() > max => Started::Failed(BodyError::TooLarge),
            Ok(data) if body.is_end_stream() => Started::Whole(data),
            Ok(data) => Started::More(Some(data).filter(|d| !d.is_empty())),
            Err(_) => Started::More(None), // trailers
        },
    }
}

/// Reads what [`start`] left of `body`: at most `max` bytes, within `deadline` from now.
pub async fn rest<B>(body: B, started: Started, max: usize, deadline: Duration) -> Result<Bytes, BodyError>
where
    B: Body<Data = Bytes> + Unpin,
    B::Error: std::fmt::Display,
{
    let first = match started {
        Started::Whole(bytes) => return Ok(bytes),
        Started::Failed(e) => return Err(e),
        Started::More(first) => first,
    };
    match tokio::time::timeout(deadline, collect(body, first, max)).await {
        Ok(result) => result,
        Err(_) => Err(BodyError::TimedOut),
    }
}

/// Reads the rest of `body`, after its `first` piece if one was taken.
async fn collect<B>(mut body: B, mut first: Option<Bytes>, max: usize) -> Result<Bytes, BodyError>
where
    B: Body<Data = Bytes> + Unpin,
    B::Error: std::fmt::Display,
{
    // A body that arrives in one piece is kept as that piece (no copy): it is dropped with
    // the request. From the second piece on, pieces are copied and dropped at once.
    let mut joined: Option<BytesMut> = None;
    let mut len = first.as_ref().map_or(0, Bytes::len);
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

    /// A body of one piece that says so (as hyper's body does once the bytes its Content-Length
    /// announced are handed over): asked for more, it never answers.
    struct Whole(Option<Bytes>);

    impl Body for Whole {
        type Data = Bytes;
        type Error = Infallible;

        fn poll_frame(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
            match self.0.take() {
                Some(piece) => Poll::Ready(Some(Ok(Frame::data(piece)))),
                None => Poll::Pending,
            }
        }

        fn is_end_stream(&self) -> bool {
            self.0.is_none()
        }
    }

    /// A body whose pieces arrive after a wait each (it wakes its reader at once); `None`
    /// pieces never arrive.
    struct Late {
        pieces: VecDeque<Option<Bytes>>,
        waited: bool,
    }

    impl Body for Late {
        type Data = Bytes;
        type Error = Infallible;

        fn poll_frame(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
        ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
            self.waited = !self.waited;
            if self.waited {
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
            match self.pieces.front() {
                Some(None) => Poll::Pending,
                Some(Some(_)) => Poll::Ready(self.pieces.pop_front().flatten().map(|p| Ok(Frame::data(p)))),
                None => Poll::Ready(None),
            }
        }
    }

    fn read_within<B>(body: B, max: usize, deadline: Duration) -> Result<Bytes, BodyError>
    where
        B: Body<Data = Bytes> + Unpin,
        B::Error: std::fmt::Display,
    {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        runtime.block_on(read(body, max, deadline))
    }

    #[test]
    fn a_body_that_says_it_is_whole_is_not_asked_for_more() {
        let piece = Bytes::from_static(b"<Envelope/>");
        let body = read_within(Whole(Some(piece.clone())), 4096, Duration::from_millis(50)).unwrap();
        assert_eq!(body.as_ptr(), piece.as_ptr());
        assert!(matches!(
            read_within(Whole(Some(piece)), 10, Duration::from_millis(50)),
            Err(BodyError::TooLarge)
        ));
        assert!(
            read_within(Whole(None), 10, Duration::from_millis(50))
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn a_body_that_arrives_later_is_waited_for_within_the_deadline() {
        let late = |pieces: &[Option<&'static [u8]>]| Late {
            pieces: pieces.iter().map(|p| p.map(Bytes::from_static)).collect(),
            waited: false,
        };
        let body = read_within(late(&[Some(b"<Env"), Some(b"elope/>")]), 4096, Duration::from_secs(5)).unwrap();
        assert_eq!(&body[..], b"<Envelope/>");
        let one = read_within(late(&[Some(b"<Envelope/>")]), 4096, Duration::from_secs(5)).unwrap();
        assert_eq!(&one[..], b"<Envelope/>");
        assert!(matches!(
            read_within(late(&[Some(b"<Env"), Some(b"elope/>")]), 10, Duration::from_secs(5)),
            Err(BodyError::TooLarge)
        ));
        assert!(matches!(
            read_within(late(&[Some(b"<Env"), None]), 4096, Duration::from_millis(50)),
            Err(BodyError::TimedOut)
        ));
        assert!(matches!(
            read_within(late(&[None]), 4096, Duration::from_millis(50)),
            Err(BodyError::TimedOut)
        ));
    }

    #[test]
    fn the_limit_counts_every_piece() {
        let pieces = Pieces((0..5).map(|_| Bytes::from_static(b"0123456789")).collect());
        assert!(matches!(read_now(pieces, 49), Err(BodyError::TooLarge)));
        let pieces = Pieces((0..5).map(|_| Bytes::from_static(b"0123456789")).collect());
        assert_eq!(read_now(pieces, 50).unwrap().len(), 50);
    }
}
