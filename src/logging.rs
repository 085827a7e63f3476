//! Where sfstub's log goes: a bounded queue in memory, written to stderr by one thread of its
//! own, so that a log reader that stops reading (a paused pipe, a stuck log collector, a full
//! disk) never stops a request. When the queue is full a line is dropped and counted; the
//! count is written to the log as soon as stderr takes lines again (at most every
//! [`REPORT_EVERY`]) and once more at exit. No write here ever fails or panics.

use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, mpsc};
use std::time::{Duration, Instant};

/// How many bytes of log lines may wait for stderr before new lines are dropped (a request
/// line, which waits as its fields, [`request_line`], counts as the least its line can be).
pub const QUEUE_BYTES: usize = 1024 * 1024;

/// The longest log line written, in bytes; a longer one is cut and marked.
pub const MAX_LINE: usize = 4096;

/// How long the writer lets lines gather after a write: under load it wakes ~100 times a
/// second, writing ~1 000 lines each time. Each wake is a context switch on a core the runtime's
/// workers (and, on a laptop or a CI runner, the client under test) are using; at 2 ms the
/// server spent ~0.4 us more CPU a request (wrk -c32 on 2 cores, bare hyper and both builds
/// measured in turn, three rounds, twice), at 25 ms no less than at 10. A line reaches the
/// file at most this much later.
const GATHER: Duration = Duration::from_millis(10);

/// How often, at most, the number of dropped lines is reported.
pub const REPORT_EVERY: Duration = Duration::from_secs(10);

/// Writes `args` and a newline to stderr directly, ignoring failure: for the few messages
/// sfstub prints before its log queue runs or after it stopped (`eprintln!` panics when
/// stderr is full or closed).
pub fn stderr_line(args: std::fmt::Arguments<'_>) {
    let mut line = args.to_string();
    line.push('\n');
    let _ = std::io::stderr().write_all(line.as_bytes());
}

/// `eprintln!` that never panics: see [`stderr_line`].
#[macro_export]
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::logging::stderr_line(format_args!($($arg)*))
    };
}

/// The log queue and its writer thread. Clones share the queue; pass one to
/// `tracing_subscriber::fmt().with_writer(...)`.
#[derive(Clone)]
pub struct LogQueue {
    shared: Arc<Shared>,
}

struct Shared {
    state: Mutex<State>,
    wake: Condvar,
    /// Lines dropped since the start.
    dropped: AtomicU64,
    limit: usize,
    /// Gets `()` when the writer thread has written everything after `finish`.
    done: Mutex<Option<mpsc::Receiver<()>>>,
}

#[derive(Default)]
struct State {
    /// The queued pieces, end to end: each the text of lines ([`TEXT`]) or the texts of a
    /// request line the writer writes ([`REQUEST`]).
    pending: Vec<u8>,
    /// The rest of the queued request lines' fields, one for each [`REQUEST`] piece, in order.
    requests: Vec<RequestHead>,
    /// The bytes of the lines queued: a text's length; a request line's least length,
    /// [`REQUEST_LINE_LEAST`] and its texts (which is more than its piece and its head).
    waiting: usize,
    closing: bool,
    /// The writer waits for lines: a push must wake it (otherwise it needs no syscall).
    writer_waits: bool,
}

/// The bytes of a request line but its method, path, caller and outcome, when nothing in them
/// is quoted and its numbers are one digit each: the least a request line can be.
const REQUEST_LINE_LEAST: usize = "2026-11-22T12:00:00.000000Z".len()
    + METHOD_FIELD.len()
    + " path=\"\" status=0 caller=\"\" outcome=".len()
    + MICROS_FIELD.len()
    + "0\n".len();

/// How a piece of the queue begins: the length of the text that follows (native-endian
/// `usize`) and the text, one or more whole lines.
const TEXT: u8 = 0;

/// How a piece of the queue begins: the method, path, caller and outcome of a request line
/// follow, end to end, as long as the piece's [`RequestHead`] says.
const REQUEST: u8 = 1;

/// A queued request line's fields but its texts.
#[derive(Debug, Clone, Copy)]
struct RequestHead {
    time: std::time::SystemTime,
    micros: u64,
    status: u16,
    /// The lengths of the method, path, caller and outcome.
    lens: [usize; 4],
}

impl LogQueue {
    /// A queue of at most [`QUEUE_BYTES`] written to stderr by a new thread.
    pub fn stderr() -> std::io::Result<LogQueue> {
        LogQueue::start(QUEUE_BYTES, std::io::stderr())
    }

    /// A queue of at most `limit` bytes written to `out` by a new thread.
    pub fn start<W: Write + Send + 'static>(limit: usize, out: W) -> std::io::Result<LogQueue> {
        let (done_tx, done_rx) = mpsc::channel();
        let shared = Arc::new(Shared {
            state: Mutex::new(State::default()),
            wake: Condvar::new(),
            dropped: AtomicU64::new(0),
            limit,
            done: Mutex::new(Some(done_rx)),
        });
        let writer = Arc::clone(&shared);
        std::thread::Builder::new().name("sfstub-log".into()).spawn(move || {
            writer.run(out);
            let _ = done_tx.send(());
        })?;
        Ok(LogQueue { shared })
    }

    /// Queues one line (or several, as one piece), whole; drops and counts it when the queue
    /// is full. (Log events, which may quote requests, are cut to [`MAX_LINE`] on the way in.)
    pub fn push(&self, line: &[u8]) {
        if line.is_empty() {
            return;
        }
        let mut state = self.shared.lock();
        if state.closing || state.waiting + line.len() > self.shared.limit {
            drop(state);
            self.shared.dropped.fetch_add(1, Ordering::Relaxed);
            return;
        }
        state.waiting += line.len();
        state.pending.push(TEXT);
        state.pending.extend_from_slice(&line.len().to_ne_bytes());
        state.pending.extend_from_slice(line);
        self.wake_writer(state);
    }

    /// Queues the fields of a request line ended at `time`, for the writer thread to write
    /// the line ([`write_request_line`], cut to [`MAX_LINE`]); drops and counts it when the
    /// queue is full, as [`LogQueue::push`] does. Handing the fields over costs the caller
    /// ~150 instructions where writing the line cost ~600 (callgrind on examples/request_cost).
    fn push_request(&self, f: &RequestFields<'_>, time: std::time::SystemTime) {
        let texts = [f.method, f.path, f.caller, f.outcome];
        let head = RequestHead {
            time,
            micros: f.micros,
            status: f.status,
            lens: texts.map(str::len),
        };
        let size = REQUEST_LINE_LEAST + head.lens.iter().sum::<usize>();
        let mut state = self.shared.lock();
        if state.closing || state.waiting + size > self.shared.limit {
            drop(state);
            self.shared.dropped.fetch_add(1, Ordering::Relaxed);
            return;
        }
        state.waiting += size;
        state.requests.push(head);
        state.pending.push(REQUEST);
        for text in texts {
            state.pending.extend_from_slice(text.as_bytes());
        }
        self.wake_writer(state);
    }

    /// Lets go of the queue after a line was added, waking the writer when it waits for lines.
    fn wake_writer(&self, mut state: MutexGuard<'_, State>) {
        let wake = std::mem::take(&mut state.writer_waits);
        drop(state);
        if wake {
            self.shared.wake.notify_one();
        }
    }

    /// How many lines were dropped so far.
    pub fn dropped(&self) -> u64 {
        self.shared.dropped.load(Ordering::Relaxed)
    }

    /// Stops taking lines and lets the writer write what is queued (and the dropped count);
    /// waits for that at most `wait` — a stderr nobody reads must not keep sfstub from exiting.
    pub fn finish(&self, wait: Duration) {
        self.shared.lock().closing = true;
        self.shared.wake.notify_one();
        let done = self.shared.done.lock().ok().and_then(|mut d| d.take());
        if let Some(done) = done {
            let _ = done.recv_timeout(wait);
        }
    }
}

/// The room the writer's buffers keep beyond what a batch used: 64 KiB.
const KEPT_ROOM: usize = 64 * 1024;

/// Shrinks `buffer`, which held `used` items for the last batch, to four times that (at
/// least [`KEPT_ROOM`] bytes) when it has grown larger: its contents are not needed any more.
fn keep_room<T>(buffer: &mut Vec<T>, used: usize) {
    let keep = (4 * used).max(KEPT_ROOM / std::mem::size_of::<T>().max(1));
    if buffer.capacity() > keep {
        buffer.clear();
        buffer.shrink_to(keep);
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding this lock cannot leave the queue inconsistent: keep going.
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The writer thread: takes everything queued, writes it, reports drops, until closing.
    fn run<W: Write>(&self, mut out: W) {
        let mut reported = 0u64;
        let mut last_report: Option<Instant> = None;
        let mut batch = Vec::new();
        let mut heads = Vec::new();
        let mut text = Vec::new();
        let mut cache = LineCache::default();
        loop {
            let closing = {
                let mut state = self.lock();
                let report_due = |reported: u64, last: Option<Instant>| {
                    self.dropped.load(Ordering::Relaxed) > reported && last.is_none_or(|t| t.elapsed() >= REPORT_EVERY)
                };
                while state.pending.is_empty() && !state.closing && !report_due(reported, last_report) {
                    state.writer_waits = true;
                    let (next, _) = self
                        .wake
                        .wait_timeout(state, REPORT_EVERY)
                        .unwrap_or_else(|poisoned| poisoned.into_inner());
                    state = next;
                }
                state.writer_waits = false;
                batch.clear();
                heads.clear();
                std::mem::swap(&mut batch, &mut state.pending);
                std::mem::swap(&mut heads, &mut state.requests);
                state.waiting = 0;
                state.closing
            };
            text.clear();
            write_pieces(&batch, &heads, &mut text, &mut cache);
            // Errors (a closed pipe, a full disk) are ignored: the lines are lost, sfstub is not.
            let _ = out.write_all(&text);
            let dropped = self.dropped.load(Ordering::Relaxed);
            let due = last_report.is_none_or(|t| t.elapsed() >= REPORT_EVERY);
            if dropped > reported && (due || closing) {
                let note = format!(
                    "sfstub: {} log lines dropped (stderr was not read fast enough); {dropped} since the start\n",
                    dropped - reported
                );
                let _ = out.write_all(note.as_bytes());
                reported = dropped;
                last_report = Some(Instant::now());
            }
            let _ = out.flush();
            if closing {
                return;
            }
            // A burst's room (a stderr read slowly lets a batch grow to the queue's limit) is
            // given back once batches are small again.
            let used = batch.len();
            keep_room(&mut batch, used);
            let used = heads.len();
            keep_room(&mut heads, used);
            let used = text.len();
            keep_room(&mut text, used);
            // Let lines gather: under load one write carries many, and pushes wake nobody.
            std::thread::sleep(GATHER);
        }
    }
}

/// Makes `queue` the destination of everything sfstub logs from here on (the global tracing
/// subscriber), filtered by `filter`; `ansi` colours the lines (for a terminal).
///
/// Every line has tracing's default form (`2026-11-22T12:00:00.000123Z  INFO target: fields`).
/// Without colours the request log's lines (one per request, [`REQUEST_TARGET`]) are written by
/// [`Line`], which gives the same text at a fraction of the cost; all others by tracing's own
/// formatter.
///
/// Without colours the queue is also where [`request_line`] writes the request log's lines
/// directly, past tracing's dispatch (the filter still decides whether they are written).
pub fn install(filter: tracing_subscriber::EnvFilter, queue: &LogQueue, ansi: bool) {
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(queue.clone())
        .with_ansi(ansi);
    if ansi {
        builder.init();
    } else {
        builder.event_format(Line::default()).init();
        // The filter is fixed from here on (it has no reload handle): whether it lets request
        // lines through is asked once, not for every request.
        let enabled = tracing::enabled!(target: REQUEST_TARGET, tracing::Level::INFO);
        let _ = DIRECT.set(Direct {
            queue: queue.clone(),
            enabled,
        });
    }
}

/// Where the request log's lines are written directly, set by [`install`] without colours.
struct Direct {
    queue: LogQueue,
    /// Whether the installed filter lets request lines (INFO, [`REQUEST_TARGET`]) through.
    enabled: bool,
}

static DIRECT: std::sync::OnceLock<Direct> = std::sync::OnceLock::new();

/// Whether request lines are written directly by [`request_line`] (`Some`) and then whether the
/// filter lets them through; `None` when they go through tracing (colours, or no [`install`]),
/// where the caller asks `tracing::enabled!` itself. Asking tracing for every request cost
/// ~140 instructions (the dispatcher's lookup and the filter's verdict).
pub fn direct_request_lines() -> Option<bool> {
    DIRECT.get().map(|d| d.enabled)
}

/// Writes one request log line (target [`REQUEST_TARGET`], level INFO) with `fields`
/// straight into the queue [`install`] set up: the text [`Line`] gives the same event
/// (`method` and `outcome` as `%` fields, bare; `path` and `caller` as strings, quoted), without
/// tracing's dispatch, which cost more than the line itself (one per request). The caller
/// checks first that the filter lets the line through (`tracing::enabled!`). False, having
/// written nothing, when there is no such queue (colours, or no [`install`]): the caller then
/// logs through tracing.
///
/// The fields are queued and the line written by the queue's writer thread, off the thread
/// that answers requests ([`LogQueue::push_request`]).
pub fn request_line(fields: &RequestFields<'_>, time: std::time::SystemTime) -> bool {
    let Some(Direct { queue, .. }) = DIRECT.get() else {
        return false;
    };
    queue.push_request(fields, time);
    true
}

/// Writes the lines of the queue's `pieces` to `out`: a text as it is, a request line from its
/// texts and its head (of `heads`, in order) with `cache` (the writer's), cut to [`MAX_LINE`].
/// Reads only what [`LogQueue::push`] and [`LogQueue::push_request`] queued; should a piece
/// not read as one, it and the rest are left out.
fn write_pieces(pieces: &[u8], heads: &[RequestHead], out: &mut Vec<u8>, cache: &mut LineCache) {
    let mut rest = pieces;
    let mut heads = heads.iter();
    while let Some((&kind, after)) = rest.split_first() {
        rest = after;
        let written = match kind {
            TEXT => take(&mut rest, size_of::<usize>())
                .and_then(|len| Some(usize::from_ne_bytes(len.try_into().ok()?)))
                .and_then(|len| take(&mut rest, len))
                .map(|text| out.extend_from_slice(text)),
            REQUEST => heads.next().and_then(|head| {
                // The four texts checked as one (a check each cost ~100 instructions a line).
                let [method, path, caller, _] = head.lens;
                let texts = take(&mut rest, head.lens.iter().sum())?;
                let texts = std::str::from_utf8(texts).ok()?;
                let (method, texts) = texts.split_at_checked(method)?;
                let (path, texts) = texts.split_at_checked(path)?;
                let (caller, outcome) = texts.split_at_checked(caller)?;
                let fields = RequestFields {
                    method,
                    path,
                    caller,
                    outcome,
                    status: head.status,
                    micros: head.micros,
                };
                let start = out.len();
                write_request_line(out, head.time, cache, &fields);
                if out.len() - start > MAX_LINE {
                    let cut = cut_line(&out[start..]);
                    out.truncate(start);
                    out.extend_from_slice(&cut);
                }
                Some(())
            }),
            _ => None,
        };
        if written.is_none() {
            return;
        }
    }
}

/// The first `n` bytes of `rest`, taken off it, if it has as many.
fn take<'a>(rest: &mut &'a [u8], n: usize) -> Option<&'a [u8]> {
    let (taken, after) = rest.split_at_checked(n)?;
    *rest = after;
    Some(taken)
}

/// A request log line's fields.
pub struct RequestFields<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub status: u16,
    pub caller: &'a str,
    pub outcome: &'a str,
    pub micros: u64,
}

/// What the request log's lines keep for the next line, on the queue's writer thread: the text
/// of the time's second, and the middle of the last line.
#[derive(Debug, Default)]
struct LineCache {
    second: Second,
    middle: Middle,
}

/// The middle of the request line last written — from after the time up to `micros=` — and
/// the fields it was written for: the next line with the same method, path, status, caller and
/// outcome (nearly every line of a load on one route) copies it whole instead of writing its
/// eleven pieces and checking that the path and the caller need no quoting (~300 instructions
/// a line). Kept only when the path and the caller needed no quoting, so that they, as the
/// method and the outcome, stand in it as they are, where [`Middle::fits`] compares them.
#[derive(Debug, Default)]
struct Middle {
    /// Empty: nothing kept.
    bytes: Vec<u8>,
    status: u16,
    /// The method's, path's, caller's and outcome's lengths.
    lens: [usize; 4],
    /// Where the method, path, caller and outcome start in `bytes`.
    at: [usize; 4],
}

impl Middle {
    /// The longest middle kept: one of a long path or caller is written again each time.
    const MAX: usize = 512;

    /// Whether the kept middle is the one for `f`.
    fn fits(&self, f: &RequestFields<'_>) -> bool {
        let same =
            |i: usize, text: &str| self.bytes.get(self.at[i]..self.at[i] + self.lens[i]) == Some(text.as_bytes());
        !self.bytes.is_empty()
            && self.status == f.status
            && self.lens == [f.method.len(), f.path.len(), f.caller.len(), f.outcome.len()]
            && same(1, f.path)
            && same(2, f.caller)
            && same(0, f.method)
            && same(3, f.outcome)
    }
}

/// The request log line [`Line`] writes for these fields at `time`, newline included, as
/// bytes: appended to a `Vec<u8>` (the queue takes bytes), numbers and the time's digits
/// appended whole, not a `char` at a time through `fmt::Write` as `Line` must; the middle
/// copied from `cache` when it was written for the same fields ([`Middle`]).
fn write_request_line(line: &mut Vec<u8>, time: std::time::SystemTime, cache: &mut LineCache, f: &RequestFields<'_>) {
    push_time(line, time, &mut cache.second);
    let middle = &mut cache.middle;
    if middle.fits(f) {
        line.extend_from_slice(&middle.bytes);
    } else {
        let start = line.len();
        let plain = write_middle(line, f);
        middle.bytes.clear();
        if plain && line.len() - start <= Middle::MAX {
            // The fields' places, counted from either end of the middle.
            let outcome = line.len() - start - MICROS_FIELD.len() - f.outcome.len();
            let caller = outcome - OUTCOME_FIELD.len() - f.caller.len();
            let path = METHOD_FIELD.len() + f.method.len() + PATH_FIELD.len();
            middle.bytes.extend_from_slice(&line[start..]);
            middle.status = f.status;
            middle.lens = [f.method.len(), f.path.len(), f.caller.len(), f.outcome.len()];
            middle.at = [METHOD_FIELD.len(), path, caller, outcome];
        }
    }
    push_decimal(line, f.micros);
    line.push(b'\n');
}

/// The borders of the fields in a middle whose path and caller needed no quoting.
const PATH_FIELD: &[u8] = b" path=\"";
const OUTCOME_FIELD: &[u8] = b"\" outcome=";
const MICROS_FIELD: &[u8] = b" micros=";

/// The middle of a request line (from after the time up to `micros=`): true when the path and
/// the caller needed no quoting (and so stand in it as they are, between quotes).
fn write_middle(line: &mut Vec<u8>, f: &RequestFields<'_>) -> bool {
    line.extend_from_slice(METHOD_FIELD);
    line.extend_from_slice(f.method.as_bytes());
    line.extend_from_slice(b" path=");
    push_quoted(line, f.path);
    line.extend_from_slice(b" status=");
    push_status(line, f.status);
    line.extend_from_slice(b" caller=");
    push_quoted(line, f.caller);
    line.extend_from_slice(b" outcome=");
    line.extend_from_slice(f.outcome.as_bytes());
    line.extend_from_slice(MICROS_FIELD);
    plain(f.path.as_bytes()) && plain(f.caller.as_bytes())
}

/// What follows the time in a request line, up to the method: the level, [`REQUEST_TARGET`]
/// and the method's name, as one piece (a test checks it against its parts).
const METHOD_FIELD: &[u8] = b"  INFO sfstub::request: method=";

/// An HTTP status (three digits, whatever the `u16` holds when it is a real one) as
/// [`push_decimal`] writes it, without the loop.
fn push_status(line: &mut Vec<u8>, status: u16) {
    match status {
        100..=999 => line.extend_from_slice(&[
            b'0' + (status / 100) as u8,
            b'0' + (status / 10 % 10) as u8,
            b'0' + (status % 10) as u8,
        ]),
        _ => push_decimal(line, u64::from(status)),
    }
}

/// [`write_quoted`], appending bytes.
fn push_quoted(line: &mut Vec<u8>, value: &str) {
    match plain(value.as_bytes()) {
        true => {
            line.push(b'"');
            line.extend_from_slice(value.as_bytes());
            line.push(b'"');
        }
        // Writing to a Vec cannot fail.
        false => {
            let _ = write!(line, "{value:?}");
        }
    }
}

/// [`write_decimal`], appending bytes: the digits pushed last first and turned around, without
/// the array [`decimal`] fills and copies (~136 instructions a number, ~50 this way).
fn push_decimal(line: &mut Vec<u8>, mut value: u64) {
    let start = line.len();
    loop {
        line.push(b'0' + (value % 10) as u8);
        value /= 10;
        if value == 0 {
            break;
        }
    }
    line[start..].reverse();
}

/// [`write_time`], appending bytes, with `second` as the cache of the time's second.
fn push_time(line: &mut Vec<u8>, time: std::time::SystemTime, second: &mut Second) {
    let (prefix, micros) = second.parts(time);
    line.extend_from_slice(prefix.as_bytes());
    line.extend_from_slice(&micros);
    line.push(b'Z');
}

/// Printable ASCII without quotes or backslashes: what `Debug` writes as it is.
const PLAIN: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0x20;
    while b < 0x7f {
        table[b] = b != b'"' as usize && b != b'\\' as usize;
        b += 1;
    }
    table
};

/// True when every byte of `bytes` is [`PLAIN`]: eight bytes at a time (the bit tests of
/// "Bit Twiddling Hacks": a byte below 0x20, above 0x7e, a quote or a backslash), the rest
/// one at a time. A byte at a time cost a request's path and caller ~150 instructions.
fn plain(bytes: &[u8]) -> bool {
    use crate::soap::scan::{above, below, equal, word};
    let mut words = bytes.chunks_exact(8);
    for eight in &mut words {
        let x = word(eight);
        if below(x, 0x20) | above(x, 0x7e) | equal(x, b'"') | equal(x, b'\\') != 0 {
            return false;
        }
    }
    words.remainder().iter().all(|&b| PLAIN[usize::from(b)])
}

/// `value` as tracing's default format writes a string field: quoted, escaped as `Debug`
/// escapes it.
fn write_quoted(writer: &mut impl std::fmt::Write, value: &str) -> std::fmt::Result {
    match plain(value.as_bytes()) {
        true => {
            writer.write_char('"')?;
            writer.write_str(value)?;
            writer.write_char('"')
        }
        false => write!(writer, "{value:?}"),
    }
}

/// The target of the request log: one line per request.
pub const REQUEST_TARGET: &str = "sfstub::request";

/// The log line format: tracing's default full format, written directly for the request
/// log (no ANSI colours, no spans — sfstub's request events have none): the time from a
/// per-thread cache of its date-and-seconds part, fields by a visitor that writes strings
/// without going through `Debug` when they need no escaping. Other events go through
/// tracing's own formatter unchanged.
#[derive(Default)]
pub struct Line {
    full: tracing_subscriber::fmt::format::Format,
}

impl<S, N> tracing_subscriber::fmt::FormatEvent<S, N> for Line
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
    N: for<'a> tracing_subscriber::fmt::FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &tracing_subscriber::fmt::FmtContext<'_, S, N>,
        mut writer: tracing_subscriber::fmt::format::Writer<'_>,
        event: &tracing::Event<'_>,
    ) -> std::fmt::Result {
        let meta = event.metadata();
        if meta.target() != REQUEST_TARGET || writer.has_ansi_escapes() || ctx.lookup_current().is_some() {
            return self.full.format_event(ctx, writer, event);
        }
        write_time(&mut writer, std::time::SystemTime::now())?;
        let level = match *meta.level() {
            tracing::Level::ERROR => "ERROR",
            tracing::Level::WARN => " WARN",
            tracing::Level::INFO => " INFO",
            tracing::Level::DEBUG => "DEBUG",
            tracing::Level::TRACE => "TRACE",
        };
        writer.write_str(" ")?;
        writer.write_str(level)?;
        writer.write_str(" ")?;
        writer.write_str(meta.target())?;
        writer.write_str(": ")?;
        let mut fields = Fields {
            writer: &mut writer,
            first: true,
            result: Ok(()),
        };
        event.record(&mut fields);
        fields.result?;
        writer.write_char('\n')
    }
}

thread_local! {
    /// The second [`write_time`] last wrote on this thread.
    static SECOND: std::cell::RefCell<Second> = const { std::cell::RefCell::new(Second::new()) };
}

/// A time's second as text up to its fraction (`2026-11-22T12:00:00.`), kept while lines are
/// written in that second: made again once a second, not for every line.
#[derive(Debug)]
struct Second {
    /// The Unix second `text` is (`u64::MAX`: none yet).
    secs: u64,
    text: String,
}

impl Second {
    const fn new() -> Second {
        Second {
            secs: u64::MAX,
            text: String::new(),
        }
    }

    /// `time`'s text up to the fraction (from this cache when it is of the same second) and
    /// its microseconds' six ASCII digits.
    fn parts(&mut self, time: std::time::SystemTime) -> (&str, [u8; 6]) {
        let since = time.duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        let (secs, micros) = (since.as_secs(), since.subsec_micros());
        // Two digits at a time: three divisions instead of six.
        let (high, mid, low) = (micros / 10_000, micros / 100 % 100, micros % 100);
        let pair = |n: u32| [b'0' + (n / 10) as u8, b'0' + (n % 10) as u8];
        let [a, b] = pair(high);
        let [c, d] = pair(mid);
        let [e, f] = pair(low);
        if self.secs != secs {
            let at = i64::try_from(secs)
                .ok()
                .and_then(|s| chrono::DateTime::<chrono::Utc>::from_timestamp(s, 0))
                .unwrap_or_default();
            self.text.clear();
            let _ = std::fmt::Write::write_fmt(&mut self.text, format_args!("{}", at.format("%Y-%m-%dT%H:%M:%S.")));
            self.secs = secs;
        }
        (&self.text, [a, b, c, d, e, f])
    }
}

impl Default for Second {
    fn default() -> Second {
        Second::new()
    }
}

/// `time` as RFC 3339 in UTC with microseconds, as tracing's default timer writes it.
fn write_time(writer: &mut impl std::fmt::Write, time: std::time::SystemTime) -> std::fmt::Result {
    SECOND.with(|cached| {
        let mut cached = cached.borrow_mut();
        let (second, micros) = cached.parts(time);
        writer.write_str(second)?;
        micros.iter().try_for_each(|&d| writer.write_char(char::from(d)))
    })?;
    writer.write_char('Z')
}

/// Writes an event's fields as tracing's default formatter does: `name=value` separated by
/// spaces, the message bare, strings quoted and escaped as `Debug` escapes them.
struct Fields<'w, 'a> {
    writer: &'w mut tracing_subscriber::fmt::format::Writer<'a>,
    first: bool,
    result: std::fmt::Result,
}

impl Fields<'_, '_> {
    /// The separator and `name=`, or nothing for the message.
    fn name(&mut self, field: &tracing::field::Field) -> std::fmt::Result {
        if !std::mem::take(&mut self.first) {
            self.writer.write_str(" ")?;
        }
        if field.name() != "message" {
            self.writer.write_str(field.name())?;
            self.writer.write_str("=")?;
        }
        Ok(())
    }

    fn write(&mut self, field: &tracing::field::Field, value: impl FnOnce(&mut Self) -> std::fmt::Result) {
        if self.result.is_ok() {
            self.result = self.name(field).and_then(|()| value(self));
        }
    }
}

impl tracing::field::Visit for Fields<'_, '_> {
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        let message = field.name() == "message";
        self.write(field, |f| match message {
            true => f.writer.write_str(value),
            false => write_quoted(f.writer, value),
        });
    }

    fn record_u64(&mut self, field: &tracing::field::Field, value: u64) {
        self.write(field, |f| write_decimal(f.writer, value));
    }

    fn record_i64(&mut self, field: &tracing::field::Field, value: i64) {
        self.write(field, |f| {
            if value < 0 {
                f.writer.write_str("-")?;
            }
            write_decimal(f.writer, value.unsigned_abs())
        });
    }

    fn record_bool(&mut self, field: &tracing::field::Field, value: bool) {
        self.write(field, |f| write!(f.writer, "{value}"));
    }

    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        self.write(field, |f| write!(f.writer, "{value:?}"));
    }
}

/// Writes `value` in decimal: what `Display` writes, without the formatting machinery (every
/// request line has two numbers), a character at a time (checking the digits to be UTF-8 to
/// write them as one `str` cost more than writing them).
fn write_decimal(writer: &mut impl std::fmt::Write, value: u64) -> std::fmt::Result {
    let (digits, start) = decimal(value);
    digits[start..]
        .iter()
        .try_for_each(|&d| writer.write_char(char::from(d)))
}

/// `value`'s decimal digits in ASCII: `digits[start..]`.
fn decimal(mut value: u64) -> ([u8; 20], usize) {
    let mut digits = [0; 20];
    let mut start = digits.len();
    loop {
        start -= 1;
        digits[start] = b'0' + (value % 10) as u8;
        value /= 10;
        if value == 0 {
            break;
        }
    }
    (digits, start)
}

/// `bytes`, cut to [`MAX_LINE`] (at a character boundary) with a marker and a newline.
fn cut_line(bytes: &[u8]) -> Vec<u8> {
    if bytes.len() <= MAX_LINE {
        return bytes.to_vec();
    }
    let mut end = MAX_LINE;
    // Back up to the start of a UTF-8 character (at most 3 continuation bytes).
    while end > MAX_LINE - 4 && bytes.get(end).is_some_and(|b| b & 0xC0 == 0x80) {
        end -= 1;
    }
    let mut line = bytes[..end].to_vec();
    line.extend_from_slice(format!("…(log line cut; {} bytes in all)\n", bytes.len()).as_bytes());
    line
}

/// The `std::io::Write` handed to the log formatter: each write is one event's line, cut to
/// [`MAX_LINE`].
pub struct QueueWriter<'a>(&'a LogQueue);

impl QueueWriter<'_> {
    /// Queues one event's line, cut to [`MAX_LINE`].
    fn push_line(&self, buf: &[u8]) {
        match buf.len() <= MAX_LINE {
            true => self.0.push(buf),
            false => self.0.push(&cut_line(buf)),
        }
    }
}

impl Write for QueueWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.push_line(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LogQueue {
    type Writer = QueueWriter<'a>;

    fn make_writer(&'a self) -> Self::Writer {
        QueueWriter(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_writers_buffers_give_back_a_bursts_room() {
        let mut burst: Vec<u8> = Vec::with_capacity(1024 * 1024);
        keep_room(&mut burst, 300);
        assert!(burst.capacity() <= KEPT_ROOM, "{}", burst.capacity());
        // Room for four times the last batch is kept, and no less than KEPT_ROOM.
        let mut busy: Vec<u8> = Vec::with_capacity(256 * 1024);
        busy.extend_from_slice(&[b'x'; 100 * 1024]);
        keep_room(&mut busy, 100 * 1024);
        assert_eq!((busy.capacity() >= 256 * 1024, busy.len()), (true, 100 * 1024));
        let mut heads: Vec<[u64; 8]> = Vec::with_capacity(100_000);
        keep_room(&mut heads, 10);
        assert!(heads.capacity() * 64 <= KEPT_ROOM, "{}", heads.capacity());
    }

    #[test]
    fn decimals_are_what_display_writes() {
        for v in [
            0,
            1,
            9,
            10,
            99,
            100,
            65_535,
            1_000_000,
            u64::from(u32::MAX),
            u64::MAX - 1,
            u64::MAX,
        ] {
            let mut written = String::new();
            write_decimal(&mut written, v).unwrap();
            assert_eq!(written, v.to_string());
            let mut pushed = Vec::new();
            push_decimal(&mut pushed, v);
            assert_eq!(pushed, v.to_string().as_bytes());
            // Appended after what a line already holds, which stays as it was.
            let mut after = b"micros=".to_vec();
            push_decimal(&mut after, v);
            assert_eq!(after, format!("micros={v}").as_bytes());
        }
    }

    #[test]
    fn plain_reads_eight_bytes_at_a_time_as_one_at_a_time() {
        let base = *b"/kontrolsaglistehent/1x";
        for at in 0..base.len() {
            for b in 0..=255u8 {
                let mut bytes = base;
                bytes[at] = b;
                for len in [at + 1, base.len()] {
                    let bytes = &bytes[..len];
                    assert_eq!(plain(bytes), bytes.iter().all(|&b| PLAIN[usize::from(b)]), "{bytes:?}");
                }
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn plain_is_every_byte_plain(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..40)) {
            proptest::prop_assert_eq!(plain(&bytes), bytes.iter().all(|&b| PLAIN[usize::from(b)]));
        }

        #[test]
        fn plain_is_every_byte_plain_near_the_edges(
            bytes in proptest::collection::vec(
                proptest::prop_oneof![0x1eu8..0x24, 0x5au8..0x5e, 0x7cu8..0x82, 0xfeu8..=0xff],
                0..40,
            )
        ) {
            proptest::prop_assert_eq!(plain(&bytes), bytes.iter().all(|&b| PLAIN[usize::from(b)]));
        }
    }

    #[test]
    fn statuses_are_what_display_writes() {
        for status in 0..=u16::MAX {
            let mut pushed = b"status=".to_vec();
            push_status(&mut pushed, status);
            assert_eq!(pushed, format!("status={status}").as_bytes());
        }
    }

    #[test]
    fn the_method_field_is_the_level_the_target_and_the_name() {
        assert_eq!(METHOD_FIELD, format!("  INFO {REQUEST_TARGET}: method=").as_bytes());
    }

    /// A writer that blocks until released, then records what it got.
    #[derive(Clone)]
    struct Gate {
        open: Arc<(Mutex<bool>, Condvar)>,
        got: Arc<Mutex<Vec<u8>>>,
    }

    impl Gate {
        fn new() -> Gate {
            Gate {
                open: Arc::new((Mutex::new(false), Condvar::new())),
                got: Arc::new(Mutex::new(Vec::new())),
            }
        }

        fn release(&self) {
            *self.open.0.lock().unwrap() = true;
            self.open.1.notify_all();
        }

        fn text(&self) -> String {
            String::from_utf8_lossy(&self.got.lock().unwrap()).into_owned()
        }
    }

    impl Write for Gate {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            let mut open = self.open.0.lock().unwrap();
            while !*open {
                open = self.open.1.wait(open).unwrap();
            }
            self.got.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_blocked_writer_costs_dropped_lines_not_a_blocked_caller() {
        let gate = Gate::new();
        let queue = LogQueue::start(1000, gate.clone()).unwrap();
        // The writer takes the first line and blocks on it; 10 more fill the 1000 bytes.
        for i in 0..500 {
            queue.push(format!("line {i:04} {}\n", "x".repeat(80)).as_bytes());
        }
        assert!(queue.dropped() >= 480, "{}", queue.dropped());
        gate.release();
        queue.finish(Duration::from_secs(10));
        let text = gate.text();
        assert!(text.starts_with("line 0000"), "{text}");
        assert!(
            text.contains(&format!(
                "log lines dropped (stderr was not read fast enough); {} since the start",
                queue.dropped()
            )),
            "{text}"
        );
    }

    #[test]
    fn request_lines_queued_as_fields_are_cut_and_dropped_as_pushed_lines() {
        let time = std::time::UNIX_EPOCH + Duration::new(1_795_000_000, 123_456_789);
        // Control characters are quoted as `\u{1}`: the line is longer than MAX_LINE.
        let long = "\u{1}".repeat(256);
        let outcome = "é".repeat(1024);
        let fields = |path: &'static str| RequestFields {
            method: "POST",
            path,
            status: 200,
            caller: "-",
            outcome: "ok",
            micros: 35,
        };
        let long_fields = RequestFields {
            method: "POST",
            path: &long,
            status: 500,
            caller: &long,
            outcome: &outcome,
            micros: u64::MAX,
        };
        let line = |f: &RequestFields<'_>| {
            let mut line = Vec::new();
            write_request_line(&mut line, time, &mut LineCache::default(), f);
            line
        };
        let full = line(&long_fields);
        assert!(full.len() > MAX_LINE, "{}", full.len());
        let cut = String::from_utf8(cut_line(&full)).unwrap();
        // A long line counts as ~2 700 bytes (~4 700 written): the queue takes three (and the
        // short ones). The writer may take the first piece or two at once and block on them:
        // of the five long pieces one or two are dropped.
        let size = REQUEST_LINE_LEAST + 4 + 2 * long.len() + outcome.len();
        let gate = Gate::new();
        let queue = LogQueue::start(3 * size + 300, gate.clone()).unwrap();
        queue.push_request(&fields("/first"), time);
        for _ in 0..5 {
            queue.push_request(&long_fields, time);
        }
        assert!((1..=2).contains(&queue.dropped()), "{}", queue.dropped());
        queue.push(b"a line between\n");
        queue.push_request(&fields("/last"), time);
        gate.release();
        queue.finish(Duration::from_secs(10));
        let text = gate.text();
        // The writer notes the drops once it writes again (at once or at the end).
        assert!(
            text.contains(&format!("; {} since the start\n", queue.dropped())),
            "{text}"
        );
        // The lines pushed, without the writer's note of those dropped.
        let lines: Vec<&str> = text.lines().filter(|l| !l.starts_with("sfstub: ")).collect();
        assert_eq!(lines.len(), 8 - queue.dropped() as usize, "{text}");
        assert_eq!(format!("{}\n", lines[0]).as_bytes(), line(&fields("/first")));
        assert_eq!(lines[lines.len() - 2], "a line between");
        assert_eq!(
            format!("{}\n", lines[lines.len() - 1]).as_bytes(),
            line(&fields("/last"))
        );
        for line in &lines[1..lines.len() - 2] {
            assert_eq!(format!("{line}\n"), cut);
        }
    }

    #[test]
    fn a_request_line_is_no_shorter_than_the_least_it_is_counted_as() {
        let mut cache = LineCache::default();
        let time = std::time::UNIX_EPOCH + Duration::new(1_795_000_000, 0);
        for (status, micros) in [(200, 0), (0, 0), (7, 9), (1000, 10), (u16::MAX, u64::MAX)] {
            for (method, path, caller, outcome) in [("", "", "", ""), ("POST", "/a", "-", "ok"), ("a", "\"", "\n", "é")]
            {
                let fields = RequestFields {
                    method,
                    path,
                    status,
                    caller,
                    outcome,
                    micros,
                };
                let mut line = Vec::new();
                write_request_line(&mut line, time, &mut cache, &fields);
                let texts = method.len() + path.len() + caller.len() + outcome.len();
                assert!(
                    line.len() >= REQUEST_LINE_LEAST + texts,
                    "{}",
                    String::from_utf8_lossy(&line)
                );
                if (status, micros, texts) == (0, 0, 0) {
                    assert_eq!(line.len(), REQUEST_LINE_LEAST);
                }
            }
        }
    }

    #[test]
    fn pieces_that_do_not_read_as_pieces_are_left_out() {
        let mut pieces = Vec::new();
        pieces.push(TEXT);
        pieces.extend_from_slice(&3usize.to_ne_bytes());
        pieces.extend_from_slice(b"ok\n");
        let head = RequestHead {
            time: std::time::UNIX_EPOCH,
            micros: 1,
            status: 200,
            lens: [4, 2, 1, 2],
        };
        let whole = [&[REQUEST][..], b"POST/a-ok"].concat();
        let line = "1970-01-01T00:00:00.000000Z  INFO sfstub::request: method=POST path=\"/a\" status=200 caller=\"-\" outcome=ok micros=1\n";
        let mut out = Vec::new();
        write_pieces(
            &[&pieces[..], &whole].concat(),
            &[head],
            &mut out,
            &mut LineCache::default(),
        );
        assert_eq!(String::from_utf8(out).unwrap(), format!("ok\n{line}"));
        let inside = [RequestHead {
            lens: [1, 3, 1, 2],
            ..head
        }];
        let cuts: [(&[u8], &[RequestHead]); 7] = [
            (&[TEXT], &[]),
            (&[TEXT, 1, 2, 3], &[]),
            (&[7, b'x'], &[]),
            (&whole, &[]),
            (&whole[..whole.len() - 1], &[head]),
            (
                &[REQUEST, b'P', 0xff, b'S', b'T', b'/', b'a', b'-', b'o', b'k'],
                &[head],
            ),
            // A length that ends inside a character.
            (&[REQUEST, 0xc3, 0xa9, b'/', b'a', b'-', b'o', b'k'], &inside),
        ];
        for (cut, heads) in cuts {
            let mut out = Vec::new();
            write_pieces(&[&pieces[..], cut].concat(), heads, &mut out, &mut LineCache::default());
            assert_eq!(out, b"ok\n");
        }
        let mut long = pieces.clone();
        long.push(TEXT);
        long.extend_from_slice(&usize::MAX.to_ne_bytes());
        let mut out = Vec::new();
        write_pieces(&long, &[], &mut out, &mut LineCache::default());
        assert_eq!(out, b"ok\n");
    }

    #[test]
    fn finish_gives_up_on_a_writer_that_never_returns() {
        let gate = Gate::new();
        let queue = LogQueue::start(1000, gate.clone()).unwrap();
        queue.push(b"stuck\n");
        let started = Instant::now();
        queue.finish(Duration::from_millis(200));
        assert!(started.elapsed() < Duration::from_secs(5));
        gate.release();
    }

    /// A writer into a shared buffer, for a subscriber in a test.
    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl Write for Buffer {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Buffer {
        type Writer = Buffer;

        fn make_writer(&'a self) -> Buffer {
            self.clone()
        }
    }

    /// What `emit` logs, formatted by [`Line`] (`fast`) or by tracing's default format.
    fn logged(fast: bool, emit: &dyn Fn()) -> String {
        let buffer = Buffer::default();
        let builder = tracing_subscriber::fmt().with_writer(buffer.clone()).with_ansi(false);
        match fast {
            true => tracing::subscriber::with_default(builder.event_format(Line::default()).finish(), emit),
            false => tracing::subscriber::with_default(builder.finish(), emit),
        }
        let bytes = buffer.0.lock().unwrap().clone();
        String::from_utf8(bytes).unwrap()
    }

    #[test]
    fn request_lines_read_as_tracings_default_format_writes_them() {
        let emit = || {
            tracing::info!(
                target: REQUEST_TARGET,
                method = %"POST",
                path = "/kontrolsaglistehent/1",
                status = 200u16,
                caller = "64942212",
                outcome = %"1 case(s)",
                micros = 35u64,
            );
            tracing::warn!(target: REQUEST_TARGET, path = "a \"quoted\" \\ path\tæ\u{301}", n = -3i64, ok = true, "a {} message", 7);
            tracing::info!(target: "sfstub::server", port = 8080, "listening");
        };
        let (fast, full) = (logged(true, &emit), logged(false, &emit));
        let fast: Vec<&str> = fast.lines().collect();
        let full: Vec<&str> = full.lines().collect();
        assert_eq!(fast.len(), 3, "{fast:?}");
        for (f, d) in fast.iter().zip(&full) {
            let (f_time, f_rest) = f.split_once(' ').unwrap();
            let (d_time, d_rest) = d.split_once(' ').unwrap();
            assert_eq!(f_rest, d_rest);
            assert_eq!(f_time.len(), d_time.len(), "{f_time} {d_time}");
            assert!(chrono::DateTime::parse_from_rfc3339(f_time).is_ok(), "{f_time}");
        }
        assert_eq!(
            fast[0].split_once(' ').unwrap().1,
            " INFO sfstub::request: method=POST path=\"/kontrolsaglistehent/1\" status=200 caller=\"64942212\" outcome=1 case(s) micros=35"
        );
    }

    #[test]
    fn direct_request_lines_are_what_line_writes_for_the_event() {
        let cases = [
            ("POST", "/kontrolsaglistehent/1", 200, "64942212", "1 case(s)", 35),
            (
                "GET",
                "a \"quoted\" \\ path\tæ\u{301}\u{7f}",
                503,
                "-",
                "fault: «x»\ny",
                u64::MAX,
            ),
            ("PATCH", "", 0, "", "", 0),
        ];
        for (method, path, status, caller, outcome, micros) in cases {
            let traced = logged(true, &|| {
                tracing::info!(
                    target: REQUEST_TARGET,
                    method = %method,
                    path = path,
                    status = status,
                    caller = caller,
                    outcome = %outcome,
                    micros = micros,
                );
            });
            let mut direct = Vec::new();
            let fields = RequestFields {
                method,
                path,
                status,
                caller,
                outcome,
                micros,
            };
            write_request_line(
                &mut direct,
                std::time::SystemTime::now(),
                &mut LineCache::default(),
                &fields,
            );
            let direct = String::from_utf8(direct).unwrap();
            let (t_time, t_rest) = traced.split_once(' ').unwrap();
            let (d_time, d_rest) = direct.split_once(' ').unwrap();
            assert_eq!(d_rest, t_rest);
            assert_eq!(d_time.len(), t_time.len(), "{d_time} {t_time}");
        }
    }

    #[test]
    fn kept_middles_give_the_lines_written_afresh() {
        let long = "x".repeat(600);
        let cases = [
            ("POST", "/kontrolsaglistehent/1", 200, "64942212", "1 case(s)"),
            ("POST", "/kontrolsaglistehent/1", 200, "64942212", "1 case(s)"),
            ("POST", "/kontrolsaglistehent/1", 200, "64942213", "1 case(s)"),
            ("POST", "/kontrolsaglistehent/2", 200, "64942213", "1 case(s)"),
            ("POST", "/kontrolsaglistehent/2", 500, "64942213", "1 case(s)"),
            ("POST", "/kontrolsaglistehent/2", 500, "64942213", "2 case(s)"),
            ("PUT", "/kontrolsaglistehent/2", 500, "64942213", "2 case(s)"),
            ("PUT", "/kontrolsaglistehent/\"2", 500, "64942213", "2 case(s)"),
            ("PUT", "/kontrolsaglistehent/\"2", 500, "64942213", "2 case(s)"),
            ("PUT", "/kontrolsaglistehent/2", 500, "6494\n2213", "2 case(s)"),
            ("PUT", "/kontrolsaglistehent/2", 500, "6494\n2213", "2 case(s)"),
            ("PUT", "/kontrolsaglistehent/2", 500, "6494æ2213", "2 case(s)"),
            ("PUT", "/kontrolsaglistehent/2", 500, "6494æ2213", "2 case(s)"),
            ("PUT", "/kontrolsaglistehent/2", 500, "64942213", "2 \"case(s)\""),
            ("PUT", "/kontrolsaglistehent/2", 500, "64942213", "2 \"case(s)\""),
            ("PUT", "/kontrolsaglistehent/2", 7, "64942213", "2 \"case(s)\""),
            ("PUT", "/kontrolsaglistehent/2", 7, "64942213", "2 \"case(s)\""),
            ("PUT", "/kontrolsaglistehent/2", 77, "64942213", "2 \"case(s)\""),
            ("PUT", &long, 200, "-", "ok"),
            ("PUT", &long, 200, "-", "ok"),
            ("PUT", "/kontrolsaglistehent/2", 200, &long, "ok"),
            ("PUT", "/kontrolsaglistehent/2", 200, &long, "ok"),
            ("", "", 0, "", ""),
            ("", "", 0, "", ""),
            ("POST", "/a", 200, "b", ""),
            ("POST", "/a", 200, "b", ""),
            ("POST", "/ab", 200, "", ""),
            ("POST", "/kontrolsaglistehent/1", 200, "64942212", "1 case(s)"),
        ];
        let time = std::time::UNIX_EPOCH + Duration::new(1_795_000_000, 123_456_000);
        let mut cache = LineCache::default();
        for (i, (method, path, status, caller, outcome)) in cases.into_iter().enumerate() {
            let fields = RequestFields {
                method,
                path,
                status,
                caller,
                outcome,
                micros: i as u64,
            };
            let mut kept = b"before\n".to_vec();
            write_request_line(&mut kept, time, &mut cache, &fields);
            let mut fresh = b"before\n".to_vec();
            write_request_line(&mut fresh, time, &mut LineCache::default(), &fields);
            assert_eq!(String::from_utf8_lossy(&kept), String::from_utf8_lossy(&fresh), "{i}");
            let mut quoted = String::new();
            write_quoted(&mut quoted, path).unwrap();
            assert!(String::from_utf8_lossy(&fresh).contains(&format!(" path={quoted} status={status} ")));
        }
    }

    #[test]
    fn strings_are_quoted_as_debug_quotes_them() {
        let chars = (0u8..0x80)
            .map(char::from)
            .chain(['æ', '\u{a0}', '\u{200b}', '\u{fffd}']);
        for c in chars {
            for value in [c.to_string(), format!("/a{c}b/1"), format!("{c}{c}")] {
                let mut written = String::new();
                write_quoted(&mut written, &value).unwrap();
                assert_eq!(written, format!("{value:?}"), "{value:?}");
                let mut pushed = Vec::new();
                push_quoted(&mut pushed, &value);
                assert_eq!(pushed, written.as_bytes(), "{value:?}");
            }
        }
    }

    #[test]
    fn log_times_are_rfc_3339_with_microseconds() {
        for (secs, nanos) in [
            (0, 0),
            (1_795_000_000, 123_456_789),
            (1_795_000_000, 999_999_999),
            (1_795_000_001, 5_000),
        ] {
            let time = std::time::UNIX_EPOCH + Duration::new(secs, nanos);
            let mut written = String::new();
            write_time(&mut written, time).unwrap();
            let expected = chrono::DateTime::<chrono::Utc>::from(time)
                .format("%Y-%m-%dT%H:%M:%S%.6fZ")
                .to_string();
            assert_eq!(written, expected);
            let mut pushed = Vec::new();
            push_time(&mut pushed, time, &mut Second::new());
            assert_eq!(pushed, expected.as_bytes());
            // From a cache of another second, and of this one.
            let mut second = Second::new();
            let mut pushed = Vec::new();
            push_time(
                &mut pushed,
                std::time::UNIX_EPOCH + Duration::new(secs + 1, 0),
                &mut second,
            );
            pushed.clear();
            push_time(&mut pushed, time, &mut second);
            assert_eq!(pushed, expected.as_bytes());
            pushed.clear();
            push_time(&mut pushed, time, &mut second);
            assert_eq!(pushed, expected.as_bytes());
        }
    }

    #[test]
    fn long_lines_are_cut_and_marked() {
        let long = format!("{}\n", "é".repeat(10_000));
        let cut = cut_line(long.as_bytes());
        let text = String::from_utf8(cut).expect("cut at a character boundary");
        assert!(text.len() < MAX_LINE + 64);
        assert!(
            text.ends_with("…(log line cut; 20001 bytes in all)\n"),
            "{}",
            &text[4000..]
        );
        assert_eq!(cut_line(b"short\n"), b"short\n");
    }
}
