//! Delivering an answer a fault rule touched ([`crate::faults::Delivery`]): a delay before it,
//! the answer trickled in pieces, no answer at all (the connection closed), or a hang. All of
//! it is timers on the connection's task: no worker thread ever waits.

use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use hyper::Response;
use hyper::body::{Body, Frame, SizeHint};
use tokio::time::Sleep;

use super::head::Answering;
use crate::faults::Delivery;
use crate::faults::effect::Mode;

/// The shortest time between two trickled pieces: a longer body gets larger pieces.
const MIN_STEP: Duration = Duration::from_millis(10);

/// The body of an answer: whole, or in pieces over time.
pub enum OutBody {
    Whole(Option<Bytes>),
    Trickle {
        rest: Bytes,
        chunk: usize,
        every: Duration,
        wait: Option<Pin<Box<Sleep>>>,
        /// The request, answered (for the connection's head deadline) once the body is sent.
        answering: Option<Answering>,
    },
}

impl OutBody {
    /// `body` sent in pieces of about `chunk` bytes spread over `over`, the request `answering`
    /// until the last is sent.
    pub fn trickle(body: Bytes, chunk: usize, over: Duration, answering: Option<Answering>) -> OutBody {
        let len = body.len().max(1);
        let most = (over.as_millis() / MIN_STEP.as_millis()).max(1) as usize;
        let pieces = len.div_ceil(chunk.max(1)).clamp(1, most);
        let chunk = len.div_ceil(pieces);
        OutBody::Trickle {
            rest: body,
            chunk,
            every: over / pieces as u32,
            wait: None,
            answering,
        }
    }
}

impl Body for OutBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        match self.get_mut() {
            OutBody::Whole(b) => Poll::Ready(b.take().filter(|b| !b.is_empty()).map(|b| Ok(Frame::data(b)))),
            OutBody::Trickle {
                rest,
                chunk,
                every,
                wait,
                answering,
            } => {
                if rest.is_empty() {
                    answering.take();
                    return Poll::Ready(None);
                }
                if let Some(w) = wait.as_mut()
                    && w.as_mut().poll(cx).is_pending()
                {
                    return Poll::Pending;
                }
                *wait = Some(Box::pin(tokio::time::sleep(*every)));
                let piece = rest.split_to((*chunk).min(rest.len()));
                Poll::Ready(Some(Ok(Frame::data(piece))))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            OutBody::Whole(b) => b.as_ref().is_none_or(Bytes::is_empty),
            OutBody::Trickle { rest, .. } => rest.is_empty(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            OutBody::Whole(b) => SizeHint::with_exact(b.as_ref().map_or(0, |b| b.len() as u64)),
            OutBody::Trickle { rest, .. } => SizeHint::with_exact(rest.len() as u64),
        }
    }
}

/// The connection is closed without an answer (a `drop` or `hang` rule).
#[derive(Debug)]
pub struct NoAnswer(pub &'static str);

impl std::fmt::Display for NoAnswer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

impl std::error::Error for NoAnswer {}

/// Whether a fault rule asked for a delivery of `response` other than at once and whole.
pub fn touched(response: &Response<Bytes>) -> bool {
    response.extensions().get::<Delivery>().is_some()
}

/// Applies the delivery a fault rule asked for (none: the answer as it is). The request stays
/// `answering` (for the connection's head deadline) through a delay or a hang, and while a
/// trickled body is sent.
pub async fn deliver(mut response: Response<Bytes>, answering: Answering) -> Result<Response<OutBody>, NoAnswer> {
    let Some(delivery) = response.extensions_mut().remove::<Delivery>() else {
        return Ok(response.map(|b| OutBody::Whole(Some(b))));
    };
    if !delivery.delay.is_zero() {
        tokio::time::sleep(delivery.delay).await;
    }
    match delivery.mode {
        Mode::Whole => Ok(response.map(|b| OutBody::Whole(Some(b)))),
        Mode::Trickle(t) => Ok(response.map(|b| OutBody::trickle(b, t.chunk, t.over, Some(answering)))),
        Mode::Drop => Err(NoAnswer("a fault rule dropped the connection")),
        Mode::Hang(d) => {
            tokio::time::sleep(d).await;
            Err(NoAnswer("a fault rule hung the call, then closed the connection"))
        }
    }
}

#[cfg(test)]
mod tests {
    use http_body_util::BodyExt;

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_trickled_body_arrives_whole_in_pieces_over_the_time() {
        let body = Bytes::from(vec![b'x'; 1000]);
        let mut out = OutBody::trickle(body, 100, Duration::from_secs(1), None);
        let start = tokio::time::Instant::now();
        let mut pieces = 0;
        let mut len = 0;
        while let Some(frame) = out.frame().await {
            len += frame.unwrap().into_data().unwrap().len();
            pieces += 1;
        }
        assert_eq!((pieces, len), (10, 1000));
        let took = start.elapsed();
        assert!(
            took >= Duration::from_millis(900) && took <= Duration::from_millis(1000),
            "{took:?}"
        );
    }

    #[test]
    fn pieces_are_never_closer_than_the_minimum_step() {
        let OutBody::Trickle { chunk, every, .. } =
            OutBody::trickle(Bytes::from(vec![0; 100_000]), 1, Duration::from_secs(1), None)
        else {
            unreachable!()
        };
        assert_eq!(every, MIN_STEP);
        assert_eq!(chunk, 1000);
    }
}
