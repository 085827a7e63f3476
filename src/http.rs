//! From an HTTP request to an HTTP response, without a socket: routing, contracts, SOAP
//! dispatch, faults. Tests call [`handle`] (or [`answer`], which also says what the request log
//! would) directly; [`crate::server`] puts it on the wire.

use std::time::Instant;

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode, header};

use crate::app::{App, Loaded};
use crate::clip::{QUOTE_CHARS, REASON_CHARS, clip, clip_to};
use crate::conformance;
use crate::contracts;
use crate::journal::Call;
use crate::memo;
use crate::security::{Guard, wss};
use crate::services::sf1514_rest;
use crate::services::sf1514_sts::Issuer;
use crate::services::{Context, Service, Signer, Summary};
use crate::soap::xml::escape;
use crate::soap::{self, Fault, ResponseAddressing, SoapVersion};
use crate::tls::PeerCertificate;

/// Answers one request whose body has already been read (within the size limit), and logs
/// it (target `sfstub::request`). The request is answered on one snapshot of the world
/// ([`App::loaded`]), whatever a reload swaps in meanwhile. A fault rule that fires replaces
/// the answer and puts a [`crate::faults::Delivery`] in its extensions for the connection layer.
pub fn handle(app: &App, request: Request<Bytes>) -> Response<Bytes> {
    let (parts, body) = request.into_parts();
    handle_parts(app, parts, body)
}

/// [`handle`] of a request's head and body, as the server has them.
pub(crate) fn handle_parts(app: &App, parts: http::request::Parts, body: Bytes) -> Response<Bytes> {
    let started = Instant::now();
    let path = trimmed(parts.uri.path());
    if !app.is_ready() && path != "/healthz" {
        return not_ready();
    }
    // The pages and the admin API answer only at `/` and below the admin API's prefix (the
    // pages' own is below it): a service call is asked of neither (~60 instructions).
    if path == "/" || path.starts_with(crate::admin::PREFIX) {
        if let Some(response) = crate::face::route(app, &parts, path, &body) {
            return response;
        }
        if let Some(response) = crate::admin::route(app, &parts, path, &body) {
            return response;
        }
    }
    let loaded = app.loaded();
    let mut call = Call::default();
    let headers = RequestHeaders::of(&parts.headers);
    let mut summary = Summary::default();
    let mut response = respond(app, &loaded, &parts, headers, &body, &mut call, &mut summary);
    if parts.method == Method::POST && !app.faults.is_empty() {
        response = inject(app, &loaded, &parts, &body, &mut call, &mut summary, response);
    }
    // One reading of each clock for the log line and the journal: the time taken, and the
    // time of day it ended at.
    let latency = started.elapsed();
    let ended = std::time::SystemTime::now();
    log_request(
        &parts.method,
        path,
        response.status(),
        summary.caller.as_deref(),
        &summary.outcome,
        latency,
        ended,
    );
    call.finish(app, latency, ended, &parts, headers, &body, &response, summary);
    spare_headers(parts.headers);
    response
}

thread_local! {
    /// A request's header map, emptied, waiting on its thread for the headers of the next
    /// answer ([`xml_response`]). hyper parses a connection's next request into the header map
    /// of the answer it sent, so a map goes round and none is made or freed a request, where
    /// the answer's new map and the request's dropped one cost ~650 instructions (callgrind on
    /// examples/request_cost).
    static SPARE_HEADERS: std::cell::Cell<Option<HeaderMap>> = const { std::cell::Cell::new(None) };
}

/// The most headers a map kept for an answer was made for: a request that came with many
/// more does not hold on to its large map.
const SPARE_CAPACITY: usize = 48;

/// Keeps `headers`, emptied, for the next answer on this thread ([`SPARE_HEADERS`]).
fn spare_headers(mut headers: HeaderMap) {
    if headers.capacity() <= SPARE_CAPACITY {
        headers.clear();
        SPARE_HEADERS.set(Some(headers));
    }
}

/// The request headers more than one step reads (the SOAP version's guess, the SOAPAction,
/// the Host, the journal), found in one pass over the request's few headers: a `HeaderMap`
/// lookup hashes the name, ~130 instructions each, three a request.
#[derive(Debug, Clone, Copy, Default)]
pub struct RequestHeaders<'a> {
    pub content_type: Option<&'a HeaderValue>,
    /// The Content-Type as text, when it is visible ASCII.
    pub content_type_text: Option<&'a str>,
    /// The SOAP version whose own Content-Type ([`SoapVersion::content_type`]) the request
    /// came with, byte for byte, if it did.
    pub soap_content_type: Option<SoapVersion>,
    /// The SOAP 1.1 `SOAPAction` header.
    pub soap_action: Option<&'a HeaderValue>,
    /// The Host header.
    pub host: Option<&'a HeaderValue>,
    /// Whether there is more than one Host header.
    pub more_hosts: bool,
}

impl<'a> RequestHeaders<'a> {
    /// Finds the headers in `headers` (the first value of each, as `HeaderMap::get` gives it).
    pub fn of(headers: &'a http::HeaderMap) -> RequestHeaders<'a> {
        let mut found = RequestHeaders::default();
        for (name, value) in headers {
            if name == header::CONTENT_TYPE {
                found.content_type.get_or_insert(value);
            } else if name == header::HOST {
                found.more_hosts |= found.host.is_some();
                found.host.get_or_insert(value);
            } else if name == soap::SOAPACTION {
                found.soap_action.get_or_insert(value);
            }
        }
        // A client that sends what sfstub answers with (nearly all) is known by one compare:
        // the value's check that it is visible ASCII cost ~90 instructions a request, the guess
        // of the SOAP version from it ~50 (callgrind on `sfstub serve` under wrk).
        let known = found.content_type.and_then(|v| {
            [SoapVersion::V12, SoapVersion::V11]
                .into_iter()
                .find(|version| v.as_bytes() == version.content_type().as_bytes())
        });
        found.soap_content_type = known;
        found.content_type_text = match known {
            Some(version) => Some(version.content_type()),
            None => found.content_type.and_then(|v| v.to_str().ok()),
        };
        found
    }

    /// The SOAP version the Content-Type suggests ([`SoapVersion::guess_from_content_type`]).
    pub fn guessed_version(&self) -> SoapVersion {
        self.soap_content_type
            .unwrap_or_else(|| SoapVersion::guess_from_content_type(self.content_type_text))
    }
}

/// Logs the request line (target `sfstub::request`): method, path, status, caller, outcome and
/// the time taken (`latency`), the line's time being `ended` when sfstub writes its own lines
/// (tracing's own clock otherwise). What the request chose is cut to a bounded length
/// ([`crate::clip`]).
pub fn log_request(
    method: &Method,
    path: &str,
    status: StatusCode,
    caller: Option<&str>,
    outcome: &str,
    latency: std::time::Duration,
    ended: std::time::SystemTime,
) {
    let direct = crate::logging::direct_request_lines();
    if direct == Some(false)
        || (direct.is_none() && !tracing::enabled!(target: crate::logging::REQUEST_TARGET, tracing::Level::INFO))
    {
        return;
    }
    let micros = latency.as_micros() as u64;
    let (caller, path) = (caller.unwrap_or("-"), trimmed(path));
    // What is no longer in bytes than the most characters allowed needs no clip: nearly every
    // request's fields, written as they are (four clips and their `Cow`s cost ~80 instructions).
    let short = method.as_str().len() <= QUOTE_CHARS
        && path.len() <= QUOTE_CHARS
        && caller.len() <= QUOTE_CHARS
        && outcome.len() <= REASON_CHARS;
    if short {
        let fields = crate::logging::RequestFields {
            method: method.as_str(),
            path,
            status: status.as_u16(),
            caller,
            outcome,
            micros,
        };
        return log_fields(&fields, ended);
    }
    let (method, path, caller, outcome) = (
        clip_to(method.as_str(), QUOTE_CHARS),
        clip_to(path, QUOTE_CHARS),
        clip_to(caller, QUOTE_CHARS),
        clip_to(outcome, REASON_CHARS),
    );
    let fields = crate::logging::RequestFields {
        method: &method,
        path: &path,
        status: status.as_u16(),
        caller: &caller,
        outcome: &outcome,
        micros,
    };
    log_fields(&fields, ended);
}

/// Logs a request line with `fields`, cut as [`log_request`] cuts them: straight into the log
/// queue when there is one for request lines, through tracing otherwise.
fn log_fields(fields: &crate::logging::RequestFields<'_>, ended: std::time::SystemTime) {
    if crate::logging::request_line(fields, ended) {
        return;
    }
    tracing::info!(
        target: "sfstub::request",
        method = %fields.method,
        path = fields.path,
        status = fields.status,
        caller = fields.caller,
        outcome = %fields.outcome,
        micros = fields.micros,
    );
}

/// The path without a trailing slash (but `/` stays `/`): how the request log and the journal
/// name an endpoint.
pub(crate) fn trimmed(path: &str) -> &str {
    if path.len() > 1 {
        path.trim_end_matches('/')
    } else {
        path
    }
}

/// Answers one request: the response, and what the request log says about it — among it the
/// caller whenever the request named one, also when the answer is a fault.
pub fn answer(app: &App, request: Request<Bytes>) -> (Response<Bytes>, Summary) {
    let (parts, body) = request.into_parts();
    let headers = RequestHeaders::of(&parts.headers);
    let mut summary = Summary::default();
    let response = respond(
        app,
        &app.loaded(),
        &parts,
        headers,
        &body,
        &mut Call::default(),
        &mut summary,
    );
    (response, summary)
}

/// 503 while the world is being built (only `/healthz` answers then).
fn not_ready() -> Response<Bytes> {
    let mut r = text(
        StatusCode::SERVICE_UNAVAILABLE,
        "sfstub is starting: the world is being built; /readyz answers 200 once it is\n".into(),
    );
    r.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    r
}

/// Applies the fault rule that fires on this call, if one does: the answer it gives instead
/// of `response`, noted in `call` for the journal and counted in the metrics.
fn inject(
    app: &App,
    loaded: &Loaded,
    parts: &http::request::Parts,
    body: &Bytes,
    call: &mut Call,
    summary: &mut Summary,
    response: Response<Bytes>,
) -> Response<Bytes> {
    let Some(title) = call.service else {
        return response;
    };
    let path = trimmed(parts.uri.path());
    let cpr = call.trace.noted_cpr();
    let facts = crate::faults::Call {
        service: title,
        path,
        operation: call.operation.as_deref(),
        caller: summary.caller.as_deref(),
        cpr: cpr.as_deref(),
    };
    let Some(hit) = app.faults.decide(&facts) else {
        return response;
    };
    let kind = crate::services::catalogue::by_title(title).map(|e| e.kind);
    let content_type = parts.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
    let guessed = SoapVersion::guess_from_content_type(content_type);
    let version = call.soap_version.unwrap_or(guessed);
    let mut response = response;
    let mut refused = None;
    if let Some(crate::faults::Effect::Fejl { id, text }) = &hit.rule.effect {
        let fejl = crate::services::k2017::Fejl {
            id: *id,
            tekst: text
                .clone()
                .unwrap_or_else(|| format!("Fejl {id} (sendt af sfstub efter regel {})", hit.rule.id)),
        };
        match fejl_answer(app, loaded, path, guessed, body, &fejl) {
            Ok(answered) => {
                response = answered;
                refused = Some(*id);
            }
            Err(why) => {
                tracing::warn!(target: "sfstub::faults", rule = %hit.rule.id, "the Fejl could not be sent: {why}");
            }
        }
    }
    let (response, mut injected) = crate::faults::effect::answer(&hit, kind, version, response);
    match refused {
        Some(id) => {
            injected.text = format!(
                "Fejl {id} in HovedOplysningerSvar{}",
                injected.text.strip_prefix("the service's answer").unwrap_or("")
            );
            call.trace.refused([id]);
            call.clear_fault();
        }
        None if matches!(hit.rule.effect, Some(crate::faults::Effect::Fejl { .. })) => {
            injected.text = format!(
                "not applied: the request has no HovedOplysninger to answer with a Fejl ({})",
                injected.text
            );
        }
        None => {}
    }
    if hit.rule.effect.is_some() && refused.is_none() && !injected.unanswered() && injected.effect != "fejl" {
        call.injected_fault(injected.effect, response.status());
    }
    summary.outcome = format!("injected by rule {}: {}", hit.rule.id, injected.text).into();
    app.metrics.injected(title, injected.effect);
    call.injected = Some(injected);
    response
}

/// The answer of a K2017 service to the request in `body` carrying `fejl`: the service runs
/// (security, caller) and its answer is replaced by one with the Fejl, wrapped as usual.
/// `fallback`: the SOAP version the Content-Type suggests, for a body that does not say.
fn fejl_answer(
    app: &App,
    loaded: &Loaded,
    path: &str,
    fallback: SoapVersion,
    body: &Bytes,
    fejl: &crate::services::k2017::Fejl,
) -> Result<Response<Bytes>, String> {
    let service = loaded.service_for(path).ok_or("not a SOAP service")?;
    let body = body.strip_prefix(soap::UTF8_BOM).unwrap_or(body);
    let envelope = soap::parse_envelope(body, app.limits.xml(), fallback).map_err(|f| f.reason)?;
    let trace = crate::journal::Trace::default();
    let answered = with_trace(app, loaded, &trace, |ctx| {
        call_service(
            app,
            service,
            soap::Body::unchecked(body),
            &envelope,
            ctx,
            Some(std::slice::from_ref(fejl)),
            &mut Summary::default(),
        )
    });
    match answered {
        Ok((version, out)) => Ok(xml_response(StatusCode::OK, content_type_of(version), out)),
        Err(fault) => Err(fault.reason),
    }
}

/// [`answer`], noting in `call` what the journal records and in `summary` (a default one)
/// what the request log says. The summary is written into the caller's place, not returned
/// with the response: moving the two through the frames cost a copy (a `memcpy` call) each
/// (callgrind of `sfstub serve` under wrk).
fn respond(
    app: &App,
    loaded: &Loaded,
    parts: &http::request::Parts,
    headers: RequestHeaders<'_>,
    body: &Bytes,
    call: &mut Call,
    summary: &mut Summary,
) -> Response<Bytes> {
    let path = trimmed(parts.uri.path());
    let rest = matches!(path, sf1514_rest::WSTRUST_PATH | sf1514_rest::OAUTH_PATH);
    let bad_host = host_problem(parts, headers);
    match (loaded.service_for(path), &parts.method) {
        _ if bad_host.is_some() => text(StatusCode::BAD_REQUEST, bad_host.unwrap_or_default()),
        (_, &Method::POST) if rest => {
            let tls = parts.extensions.get::<PeerCertificate>().map(|c| c.0.as_slice());
            call.service = Some(match path {
                sf1514_rest::WSTRUST_PATH => "SF1514 STS, REST (JSON)",
                _ => "SF1514 STS, OAuth (JWT)",
            });
            call.operation = Some("Issue".into());
            let (response, caller) = with_trace(app, loaded, &call.trace, |ctx| {
                let issuer = Issuer {
                    ctx,
                    audiences: &loaded.audiences(),
                };
                let response = if path == sf1514_rest::WSTRUST_PATH {
                    sf1514_rest::wstrust(&issuer, tls, body)
                } else {
                    sf1514_rest::oauth(&issuer, tls, parts.uri.query(), body)
                };
                (response, ctx.guard.take_noted_caller())
            });
            summary.caller = caller;
            response
        }
        (_, _) if rest => method_not_allowed("POST"),
        (Some(service), &Method::POST) => {
            call.service = Some(service.title());
            let (answered, caller) = soap_call(app, loaded, service, headers, body, call, summary);
            if summary.caller.is_none() {
                summary.caller = caller;
            }
            // The answer is made where it is returned (made first and then moved, it was copied).
            match answered {
                Ok((version, out)) => {
                    let allocated = out.capacity();
                    let bytes = answer_bytes(out);
                    call.answered(&app.journal, &bytes, allocated);
                    response_of(StatusCode::OK, content_type_of(version), bytes)
                }
                Err(fault) => {
                    summary.outcome = format!("fault: {}", fault.reason).into();
                    call.fault(&fault);
                    fault_response(&fault)
                }
            }
        }
        (Some(service), &Method::GET | &Method::HEAD) => {
            call.service = Some(service.title());
            contract(app, service, parts, path)
        }
        (Some(_), _) => method_not_allowed("GET, HEAD, POST"),
        (None, &Method::GET | &Method::HEAD) => get_other(app, loaded, parts, path),
        (None, _) => not_found(loaded, path),
    }
}

/// The answer of a SOAP call, its SOAP version and bytes (or the fault, boxed: it is rare, and
/// a small result is moved without a copy), and the caller the request named, if any (known
/// also when the answer is a fault). The service's summary is written into the caller's place
/// ([`call_service`]).
type SoapAnswer = (Result<(SoapVersion, Vec<u8>), Box<Fault>>, Option<String>);

fn soap_call(
    app: &App,
    loaded: &Loaded,
    service: &dyn Service,
    headers: RequestHeaders<'_>,
    body: &[u8],
    call: &mut Call,
    summary: &mut Summary,
) -> SoapAnswer {
    let limits = app.limits.xml();
    let fallback = headers.guessed_version();
    // A byte order mark is dropped first: everything below reads the body from its XML (the
    // plain envelope reader would give such a request to the quick-xml pass).
    let body = body.strip_prefix(soap::UTF8_BOM).unwrap_or(body);
    // A request in the markup of one read before is read from its template (crate::memo);
    // such a request is UTF-8 (its changed texts were checked when it was fit).
    let key = memo::Key::new(loaded.id, service, limits);
    let recalled = memo::recall(key, body);
    call.recalled(&app.journal, recalled.as_ref());
    // Any other is checked to be UTF-8 once: the envelope reader and the schema check read it
    // as text.
    let text = match recalled {
        Some(_) => None,
        None => std::str::from_utf8(body).ok(),
    };
    // Read as text, the request comes back as a Body proving its characters were checked
    // (the signature's tree reader then reads it without checking again; a recalled request
    // is never signed). A recalled envelope is made in its place: through a `Result` and a
    // tuple it was copied twice (callgrind of `sfstub serve` under wrk).
    let (mut envelope, request);
    match (&recalled, text) {
        (Some(recalled), _) => {
            envelope = recalled.envelope();
            request = soap::Body::unchecked(body);
        }
        (None, Some(text)) => match soap::parse_envelope_text(text, limits, fallback) {
            Ok(read) => (envelope, request) = read,
            Err(fault) => return (Err(Box::new(fault)), None),
        },
        (None, None) => match soap::parse_envelope(body, limits, fallback) {
            Ok(read) => {
                envelope = read;
                request = soap::Body::unchecked(body);
            }
            Err(fault) => return (Err(Box::new(fault)), None),
        },
    }
    // A request the plain reader read whole may become a template (not a signed one: its
    // Header changes with every call).
    let keep = recalled.is_none() && text.is_some_and(|t| memo::could_keep(t, &envelope)) && memo::wants(key);
    let mut values = None;
    // The SOAPAction the HTTP request names (1.1 header, or the 1.2 Content-Type's action=).
    let soap_action = headers.soap_action.and_then(|v| v.to_str().ok());
    // Found once per template while its requests come with the same headers (crate::memo).
    let mut judging = recalled
        .as_ref()
        .map(|r| r.judging(headers.content_type_text, soap_action));
    envelope.action = match &mut judging {
        Some(judging) => judging.http_action(),
        None => soap::http_action(soap_action, headers.content_type_text),
    };
    let versions = service.soap_versions();
    let known = loaded.profile(service);
    call.envelope(&envelope, known);
    // Conformance (findings, and in strict mode refusals) before the SOAP version is refused.
    let profile = known.filter(|_| app.conformance != conformance::Mode::Off);
    let strict = app.conformance == conformance::Mode::Strict;
    if let Some(profile) = profile {
        let request = conformance::Request {
            bindings: versions,
            body,
            envelope: &envelope,
            content_type: headers.content_type_text,
            soap_action,
            security: app.security.mode,
        };
        match &mut judging {
            Some(judging) => judging.before(profile, &request, &mut call.findings),
            None => conformance::before(profile, &request, &mut call.findings),
        }
        if let Some(refusal) = conformance::refusal(&call.findings).filter(|_| strict) {
            return (Err(Box::new(refusal)), None);
        }
    }
    // The template's verdicts are free again.
    drop(judging);
    // The operation element against the service's XSD (its own compiled contract, or the
    // profile's).
    if app.conformance != conformance::Mode::Off
        && let Some(target) =
            conformance::schema::Target::of(service, known.and_then(|p| p.schema.as_deref()), &envelope)
    {
        let schema: &crate::xsd::SchemaSet = &target.contract.schema;
        // Valid as its template was, with values that pass the same checks: nothing to find.
        let valid = recalled.as_ref().is_some_and(|r| r.valid_against(schema));
        if !valid {
            let checked = call.findings.len();
            let cpr_path = known.and_then(|p| p.cpr.map(|c| c.path));
            // A recalled request is UTF-8 (see crate::memo::Recalled): checked here, where the
            // schema check reads it as text, and only here.
            let text = text.or_else(|| std::str::from_utf8(body).ok());
            let request = crate::soap::xml::Utf8Input::checked(body, text);
            conformance::schema::check(&target, request, &envelope, cpr_path, &mut call.findings);
            if let Some(refusal) = conformance::refusal(&call.findings[checked..]).filter(|_| strict) {
                return (Err(Box::new(refusal)), None);
            }
            if keep && call.findings.len() == checked {
                values = conformance::schema::value_checks(&target, request, &envelope).map(|v| (schema, v));
            }
        }
    }
    if keep && let Some(text) = text {
        memo::remember(key, text, &envelope, values);
    }
    if app.soap_version_check() == soap::VersionCheck::Strict
        && !versions.contains(&envelope.version)
        && let Some(&speaks) = versions.first()
    {
        return (
            Err(Box::new(soap::version_mismatch(
                speaks,
                envelope.version,
                service.title(),
            ))),
            None,
        );
    }
    let answered = with_trace(app, loaded, &call.trace, |ctx| {
        let answered = call_service(app, service, request, &envelope, ctx, None, summary);
        (answered, ctx.guard.take_noted_caller())
    });
    if let Some(profile) = profile {
        let checked = call.findings.len();
        let findings = &mut call.findings;
        call.trace.with_noted_cpr(|cpr| match &recalled {
            Some(recalled) => recalled.after(profile, envelope.version, body, cpr, findings),
            None => conformance::after(profile, envelope.version, body, cpr, findings),
        });
        if let Some(refusal) = conformance::refusal(&call.findings[checked..]).filter(|_| strict) {
            return (Err(Box::new(refusal)), answered.1);
        }
    }
    answered
}

/// Runs `f` with the context of one call: the world, its clock's now (business dates), and
/// security judged at the security clock's now (real time unless pinned).
pub fn with_context<T>(app: &App, f: impl FnOnce(&Context<'_>) -> T) -> T {
    with_trace(app, &app.loaded(), &crate::journal::Trace::default(), f)
}

/// [`with_context`] on the snapshot `loaded`, noting what the journal learns (token, verdict,
/// CPR, cases) in `trace`.
pub fn with_trace<T>(
    app: &App,
    loaded: &Loaded,
    trace: &crate::journal::Trace,
    f: impl FnOnce(&Context<'_>) -> T,
) -> T {
    let now = loaded.world.clock.now();
    let guard = Guard::new(
        &app.security,
        &app.keys,
        &loaded.scenario.agreements,
        &loaded.world,
        app.security.clock,
        app.limits.xml(),
    )
    .with_trace(trace)
    .with_assertions(&app.assertions);
    f(&Context {
        world: &loaded.world,
        now,
        guard: &guard,
        trace,
    })
}

fn call_service(
    app: &App,
    service: &dyn Service,
    body: soap::Body<'_>,
    envelope: &soap::Envelope,
    ctx: &Context<'_>,
    fejl: Option<&[crate::services::k2017::Fejl]>,
    summary_out: &mut Summary,
) -> Result<(SoapVersion, Vec<u8>), Box<Fault>> {
    let mut out = answer_buffer();
    soap::begin_envelope(&mut out, envelope.version, None);
    let start = out.len();
    let summary = match service.call(ctx, envelope, body, &mut out) {
        Ok(s) => match fejl {
            None => s,
            // A fault rule's Fejl: the service's answer is replaced, its security kept.
            Some(fejl) => {
                out.truncate(start);
                service.fejl_answer(envelope, &body, fejl, &mut out).map_err(Box::new)?;
                s
            }
        },
        Err(mut fault) => {
            // A fault answers in WS-Addressing too when the request used it (a service that
            // wrote the fault's headers itself keeps them).
            if fault.header.is_none() {
                fault.header = envelope
                    .addressing
                    .as_ref()
                    .map(|request| ResponseAddressing::reply(service.fault_action(envelope), request).to_header());
            }
            return Err(Box::new(fault));
        }
    };
    let addressing = envelope
        .addressing
        .as_ref()
        .map(|request| ResponseAddressing::reply(service.reply_action(envelope), request));
    let Some(signing) = &summary.signing else {
        let header = match (&addressing, &summary.header) {
            (None, None) => None,
            (a, h) => Some(format!(
                "{}{}",
                a.as_ref().map(ResponseAddressing::to_header).unwrap_or_default(),
                h.as_deref().unwrap_or("")
            )),
        };
        if let Some(header) = &header {
            // Rewrite the envelope with its header (WS-Addressing, the støttesystem RequestHeader echo).
            let mut with_header = Vec::with_capacity(out.len() + header.len() + 32);
            soap::begin_envelope(&mut with_header, envelope.version, Some(header));
            with_header.extend_from_slice(&out[start..]);
            give_back(std::mem::replace(&mut out, with_header));
        }
        soap::finish_envelope(&mut out);
        *summary_out = summary;
        return Ok((envelope.version, out));
    };
    let identity = match signing.by {
        Signer::Service => &app.keys.service,
        Signer::Sts => &app.keys.sts,
    };
    let signer = wss::Signer::of(identity);
    let signed = wss::signed_response(
        envelope.version,
        &out[start..],
        addressing.as_ref(),
        summary.header.as_deref(),
        // The response's Timestamp is security's business: the security clock, not the world's.
        ctx.guard.now(),
        &signer,
    )
    .map_err(|e| {
        Box::new(Fault::receiver(
            envelope.version,
            format!("sfstub could not sign its response: {e}"),
        ))
    })?;
    *summary_out = summary;
    Ok((envelope.version, signed))
}

/// GET on a path that is not a service endpoint: an XSD beside one, the index, the health check.
fn get_other(app: &App, loaded: &Loaded, parts: &http::request::Parts, path: &str) -> Response<Bytes> {
    if let Some((dir, file)) = path.rsplit_once('/')
        && file.ends_with(".xsd")
        && let Some(service) = loaded.service_for(dir)
        && let Some(xsd) = service.contract(Some(file), &base_url(app, parts, dir))
    {
        return xml_response(StatusCode::OK, TEXT_XML, xsd.into_bytes());
    }
    match path {
        "/" => text(StatusCode::OK, index(app, loaded, parts)),
        "/healthz" => text(StatusCode::OK, "ok\n".into()),
        "/readyz" => readyz(app, loaded),
        _ => not_found(loaded, path),
    }
}

/// A fault as an HTTP response.
pub fn fault_response(fault: &Fault) -> Response<Bytes> {
    xml_response(fault.status(), content_type_of(fault.version), fault.to_xml())
}

fn contract(app: &App, service: &dyn Service, parts: &http::request::Parts, path: &str) -> Response<Bytes> {
    let query = parts.uri.query().unwrap_or("");
    let base = base_url(app, parts, path);
    if let Some(documents) = service.documents()
        && let Some(request) = contracts::Request::parse(query)
    {
        return match documents.serve(&request, &base) {
            Ok(doc) => xml_response(StatusCode::OK, TEXT_XML, doc.into_bytes()),
            Err(why) => text(StatusCode::NOT_FOUND, format!("{}: {why}\n", service.title())),
        };
    }
    if let Some(official) = service.official()
        && let Some(request) = contracts::Request::parse(query)
    {
        return match contracts::serve(&official, app.contracts.as_ref(), &request, app.security.mode, &base) {
            Ok(doc) => xml_response(StatusCode::OK, TEXT_XML, doc.into_bytes()),
            Err(why) => text(StatusCode::NOT_FOUND, format!("{}: {why}\n", service.title())),
        };
    }
    let document = if let Some(contracts::Request::Wsdl { variant, .. }) = contracts::Request::parse(query) {
        // sfstub's own WSDLs carry no policy, and each service has one.
        if let Some(variant) = variant.filter(|v| !v.is_empty()) {
            return text(
                StatusCode::NOT_FOUND,
                format!(
                    "{}: this service has one WSDL: ask for {base}?wsdl (not ?wsdl={variant})\n",
                    service.title()
                ),
            );
        }
        service.contract(None, &base)
    } else if let Some(name) = query.strip_prefix("xsd=") {
        // Relative imports resolve against the URL without its query, i.e. beside the
        // endpoint's parent: point them at the endpoint's own directory instead.
        service
            .contract(Some(name), &base)
            .map(|xsd| absolute_schema_locations(&xsd, &escape(&base)))
    } else {
        return text(
            StatusCode::OK,
            format!("{} — POST a SOAP request here.\nWSDL: {base}?wsdl\n", service.title()),
        );
    };
    match document {
        Some(doc) => xml_response(StatusCode::OK, TEXT_XML, doc.into_bytes()),
        None => text(
            StatusCode::NOT_FOUND,
            format!(
                "{} publishes no document {:?}; try {base}?wsdl\n",
                service.title(),
                clip(query)
            ),
        ),
    }
}

/// Rewrites relative `schemaLocation`s to absolute URLs below `base`.
fn absolute_schema_locations(xsd: &str, base: &str) -> String {
    let mut out = String::with_capacity(xsd.len() + 64);
    let mut rest = xsd;
    while let Some(i) = rest.find("schemaLocation=\"") {
        let (head, tail) = rest.split_at(i + "schemaLocation=\"".len());
        out.push_str(head);
        if !tail.contains("://") || tail.find("://") > tail.find('"') {
            out.push_str(base);
            out.push('/');
        }
        rest = tail;
    }
    out.push_str(rest);
    out
}

/// The absolute URL of `path` as the client addressed it. Its host part is always a valid
/// `host[:port]` (see [`is_authority`]), so it needs no escaping in the XML documents it is
/// written into; anything else falls back to 127.0.0.1 (and [`handle`] answers 400 first).
fn base_url(app: &App, parts: &http::request::Parts, path: &str) -> String {
    let host = parts
        .headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| parts.uri.authority().map(|a| a.as_str()))
        .filter(|h| is_authority(h))
        .unwrap_or("127.0.0.1");
    format!("{}://{host}{path}", app.scheme)
}

/// Why the request's Host cannot be used, if it cannot: more than one Host header, or one
/// that is not `host[:port]` (RFC 9110 §7.2, which asks for 400). Served documents hold the
/// host, so a crafted one must never reach them.
fn host_problem(parts: &http::request::Parts, headers: RequestHeaders<'_>) -> Option<String> {
    let host = match headers.host {
        Some(h) => h,
        None => {
            return parts
                .uri
                .authority()
                .filter(|a| !is_authority(a.as_str()))
                .map(|a| format!("the request target's authority {:?} is not a host[:port]\n", a.as_str()));
        }
    };
    if headers.more_hosts {
        return Some("the request has more than one Host header; HTTP allows one\n".into());
    }
    match is_known_authority(host.as_bytes()) {
        true => None,
        false => Some(format!(
            "the Host header {} is not a host[:port] (a name of letters, digits, '-', '.', '_' and '~', or an IP \
             address, and an optional port)\n",
            crate::clip::clip(&format!("{:?}", String::from_utf8_lossy(host.as_bytes())))
        )),
    }
}

/// Whether `text` is `host[:port]`: a registered name of letters, digits, `-`, `.`, `_` and `~`
/// (no percent-encoding, no other sub-delimiters: nothing that needs escaping in XML or a URL),
/// an IPv4 address, or an IPv6 address in brackets; the port up to five digits.
pub fn is_authority(text: &str) -> bool {
    is_authority_bytes(text.as_bytes())
}

/// The longest Host header [`KNOWN_HOST`] remembers.
const KNOWN_HOST_MAX: usize = 64;

thread_local! {
    /// The Host header this thread last found to be a `host[:port]` (its length, and its bytes
    /// in the first that many of the array); length 0 before the first.
    static KNOWN_HOST: std::cell::RefCell<(usize, [u8; KNOWN_HOST_MAX])> =
        const { std::cell::RefCell::new((0, [0; KNOWN_HOST_MAX])) };
}

/// [`is_authority_bytes`], remembering on each thread the last Host header it took: a client
/// names the same host with every request, and comparing it costs ~30 instructions where the
/// check cost ~120 (callgrind on `sfstub serve` under wrk).
fn is_known_authority(bytes: &[u8]) -> bool {
    let known = KNOWN_HOST.with_borrow(|(len, host)| *len > 0 && host.get(..*len) == Some(bytes));
    if known {
        return true;
    }
    let ok = is_authority_bytes(bytes);
    if ok && bytes.len() <= KNOWN_HOST_MAX {
        KNOWN_HOST.with_borrow_mut(|(len, host)| {
            host[..bytes.len()].copy_from_slice(bytes);
            *len = bytes.len();
        });
    }
    ok
}

/// [`is_authority`] of bytes: every byte it takes is visible ASCII, so a Host header's value
/// needs no check that it is text first (~60 instructions a request).
fn is_authority_bytes(bytes: &[u8]) -> bool {
    let (host, port): (&[u8], Option<&[u8]>) = match bytes.strip_prefix(b"[") {
        Some(rest) => match rest.iter().position(|&b| b == b']') {
            Some(end) => {
                let (ip, after) = (&rest[..end], &rest[end + 1..]);
                let ok = !ip.is_empty() && ip.iter().all(|&b| b.is_ascii_hexdigit() || b == b':' || b == b'.');
                if !ok {
                    return false;
                }
                match after {
                    b"" => return true,
                    _ => match after.strip_prefix(b":") {
                        Some(port) => (b"x", Some(port)),
                        None => return false,
                    },
                }
            }
            None => return false,
        },
        // The host's bytes, then (at the first byte not of a host, which must be a `:`) the
        // port, in one scan by a table: a scan for the `:` and a check of each part cost ~220
        // instructions a request (callgrind on examples/request_cost).
        None => {
            let host = bytes
                .iter()
                .position(|&b| !HOST_BYTE[usize::from(b)])
                .unwrap_or(bytes.len());
            if host == 0 || host > 253 {
                return false;
            }
            return match bytes.get(host) {
                None => true,
                Some(b':') => {
                    let port = &bytes[host + 1..];
                    port.len() <= 5 && port.iter().all(u8::is_ascii_digit)
                }
                Some(_) => false,
            };
        }
    };
    let host_ok = !host.is_empty() && host.len() <= 253 && host.iter().all(|&b| HOST_BYTE[usize::from(b)]);
    let port_ok = port.is_none_or(|p| p.len() <= 5 && p.iter().all(u8::is_ascii_digit));
    host_ok && port_ok
}

/// The bytes of a registered name [`is_authority`] takes: letters, digits, `-`, `.`, `_`, `~`.
const HOST_BYTE: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] = c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_' | b'~');
        b += 1;
    }
    table
};

/// `/readyz`: 200 once the world is built (503 before, from [`handle`]), naming it.
fn readyz(app: &App, loaded: &Loaded) -> Response<Bytes> {
    if !app.is_ready() {
        return not_ready();
    }
    text(
        StatusCode::OK,
        format!(
            "ready: scenario {:?}, {} citizens, {} control cases\n",
            loaded.scenario.name,
            loaded.world.citizens.len(),
            loaded.world.cases.len()
        ),
    )
}

fn index(app: &App, loaded: &Loaded, parts: &http::request::Parts) -> String {
    let mut s = format!(
        "sfstub {} — scenario {:?} (seed {})\n\n",
        env!("CARGO_PKG_VERSION"),
        loaded.scenario.name,
        loaded.scenario.seed
    );
    let width = loaded
        .services
        .iter()
        .map(|s| s.title().chars().count())
        .max()
        .unwrap_or(0);
    for service in &loaded.services {
        let base = base_url(app, parts, service.paths()[0]);
        match app.serves_wsdl(service.as_ref()) {
            true => s.push_str(&format!("  {:<width$} {base}   ({base}?wsdl)\n", service.title())),
            false => s.push_str(&format!("  {:<width$} {base}\n", service.title())),
        }
    }
    s
}

fn not_found(loaded: &Loaded, path: &str) -> Response<Bytes> {
    let mut s = format!("sfstub serves nothing at {}. Endpoints:\n", clip(path));
    for service in &loaded.services {
        for p in service.paths() {
            s.push_str(&format!("  {p}  ({})\n", service.title()));
        }
    }
    text(StatusCode::NOT_FOUND, s)
}

fn method_not_allowed(allow: &'static str) -> Response<Bytes> {
    let mut r = text(StatusCode::METHOD_NOT_ALLOWED, format!("use one of: {allow}\n"));
    r.headers_mut().insert(header::ALLOW, HeaderValue::from_static(allow));
    r
}

fn text(status: StatusCode, body: String) -> Response<Bytes> {
    xml_response(status, TEXT_PLAIN, body.into_bytes())
}

// The Content-Types of answers as constants: `from_static` on a value known only at run time
// checks its every byte (~350 instructions a SOAP answer), and choosing the constant by
// comparing texts ~25 (callgrind on examples/request_cost).
const TEXT_XML: HeaderValue = HeaderValue::from_static("text/xml; charset=utf-8");
const TEXT_PLAIN: HeaderValue = HeaderValue::from_static("text/plain; charset=utf-8");

/// The Content-Type of an answer in `version`: [`SoapVersion::content_type`], as a constant.
fn content_type_of(version: SoapVersion) -> HeaderValue {
    const SOAP11: HeaderValue = HeaderValue::from_static(SoapVersion::V11.content_type());
    const SOAP12: HeaderValue = HeaderValue::from_static(SoapVersion::V12.content_type());
    match version {
        SoapVersion::V11 => SOAP11,
        SoapVersion::V12 => SOAP12,
    }
}

/// The room a SOAP answer is written into first (an SF1472 answer is ~2.3 KB).
const ANSWER_ROOM: usize = 4096;

/// The most answer buffers a thread keeps for the next answers ([`ANSWER_BUFFERS`]), and the
/// largest it keeps.
const KEPT_ANSWER_BUFFERS: usize = 16;
const KEPT_ANSWER_ROOM: usize = 64 * 1024;

thread_local! {
    /// The buffers of answers that were sent and let go of (by the connection, or by the
    /// journal when it kept one), emptied, for the next answers on the thread that let go of
    /// them ([`answer_buffer`]). [`ANSWER_ROOM`] is past the allocator's small sizes: a new
    /// buffer and its free cost ~250 instructions a request (callgrind on `sfstub serve`
    /// under wrk).
    static ANSWER_BUFFERS: std::cell::RefCell<Vec<Vec<u8>>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// An empty buffer for a SOAP answer of at least [`ANSWER_ROOM`]: one an answer left on this
/// thread ([`ANSWER_BUFFERS`]), or a new one.
fn answer_buffer() -> Vec<u8> {
    ANSWER_BUFFERS
        .try_with(|kept| kept.try_borrow_mut().ok().and_then(|mut kept| kept.pop()))
        .ok()
        .flatten()
        .unwrap_or_else(|| Vec::with_capacity(ANSWER_ROOM))
}

/// Keeps `buffer`, emptied, for the next answer on this thread, unless it is smaller than
/// [`ANSWER_ROOM`] or larger than [`KEPT_ANSWER_ROOM`] or the thread keeps enough (then it is
/// freed).
fn give_back(mut buffer: Vec<u8>) {
    if !(ANSWER_ROOM..=KEPT_ANSWER_ROOM).contains(&buffer.capacity()) {
        return;
    }
    buffer.clear();
    let _ = ANSWER_BUFFERS.try_with(|kept| {
        if let Ok(mut kept) = kept.try_borrow_mut()
            && kept.len() < KEPT_ANSWER_BUFFERS
        {
            kept.push(buffer);
        }
    });
}

/// A SOAP answer's bytes, in a buffer of [`answer_buffer`]: given back ([`give_back`]) when the
/// last `Bytes` of it is dropped.
struct AnswerBytes(Vec<u8>);

impl AsRef<[u8]> for AnswerBytes {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl Drop for AnswerBytes {
    fn drop(&mut self) {
        give_back(std::mem::take(&mut self.0));
    }
}

/// `body`, a buffer of [`answer_buffer`] (or any other), as bytes that give it back when they
/// are let go of.
fn answer_bytes(body: Vec<u8>) -> Bytes {
    Bytes::from_owner(AnswerBytes(body))
}

fn xml_response(status: StatusCode, content_type: HeaderValue, body: Vec<u8>) -> Response<Bytes> {
    response_of(status, content_type, Bytes::from(body))
}

fn response_of(status: StatusCode, content_type: HeaderValue, body: Bytes) -> Response<Bytes> {
    let mut r = Response::new(body);
    *r.status_mut() = status;
    if let Some(spare) = SPARE_HEADERS.take() {
        let unused = std::mem::replace(r.headers_mut(), spare);
        // `Response::new`'s map was never put in, so it holds no memory: let go of it without
        // running its drop (~50 instructions a request, callgrind on `sfstub serve` under wrk).
        if unused.capacity() == 0 {
            std::mem::forget(unused);
        }
    }
    r.headers_mut().insert(header::CONTENT_TYPE, content_type);
    r
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::is_authority;

    /// A request's header map, emptied, carries the next answer's headers: only the answer's
    /// Content-Type, whatever the request before came with.
    #[test]
    fn an_answer_carries_its_own_headers_only() {
        use bytes::Bytes;

        let app = crate::app::App::new(crate::scenario::Scenario::builtin(), crate::app::Limits::default());
        let envelope = |version: &str| {
            format!(r#"<s:Envelope xmlns:s="{version}"><s:Body><x:Nothing xmlns:x="urn:x"/></s:Body></s:Envelope>"#)
        };
        let mut request = http::Request::post("/kontrolsaglistehent/1");
        for i in 0..20 {
            request = request
                .header(format!("x-extra-{i}"), "v")
                .header("x-twice", i.to_string());
        }
        let request = request
            .header("content-type", "text/xml; charset=utf-8")
            .header("soapaction", "\"urn:x\"")
            .header("host", "127.0.0.1:18750")
            .body(Bytes::from(envelope("http://schemas.xmlsoap.org/soap/envelope/")))
            .expect("a request");
        let first = super::handle(&app, request);
        assert_eq!(first.headers().len(), 1, "{:?}", first.headers());
        assert_eq!(first.headers()["content-type"], "text/xml; charset=utf-8");
        for _ in 0..2 {
            let request = http::Request::post("/kontrolsaglistehent/1")
                .header("content-type", "application/soap+xml; charset=utf-8")
                .header("host", "127.0.0.1:18750")
                .body(Bytes::from(envelope("http://www.w3.org/2003/05/soap-envelope")))
                .expect("a request");
            let answer = super::handle(&app, request);
            let headers: Vec<_> = answer.headers().iter().collect();
            assert_eq!(
                headers,
                [(
                    &http::header::CONTENT_TYPE,
                    &"application/soap+xml; charset=utf-8"
                        .parse::<http::HeaderValue>()
                        .expect("a value")
                )]
            );
        }
    }

    /// What [`super::handle_parts`] asks the pages and the admin API about: `/` and what is
    /// below the admin API's prefix, where the pages' prefix is too.
    #[test]
    fn the_pages_are_below_the_admin_prefix() {
        assert!(crate::face::PREFIX.starts_with(crate::admin::PREFIX));
    }

    /// A SOAP answer's buffer goes back to its thread when the last of the answer's bytes is
    /// let go of, and not before: an answer still held keeps its bytes while the next ones
    /// are written.
    #[test]
    fn an_answer_buffer_is_written_again_only_once_its_answer_is_let_go_of() {
        let answer = |text: &str| {
            let mut buffer = super::answer_buffer();
            assert!(buffer.is_empty() && buffer.capacity() >= super::ANSWER_ROOM);
            buffer.extend_from_slice(text.as_bytes());
            super::answer_bytes(buffer)
        };
        super::ANSWER_BUFFERS.with_borrow_mut(Vec::clear);
        let first = answer("first");
        let kept = first.clone();
        drop(first);
        let second = answer("second");
        assert_ne!(second.as_ptr(), kept.as_ptr());
        assert_eq!((&kept[..], &second[..]), (&b"first"[..], &b"second"[..]));
        let (at, second_at) = (kept.as_ptr(), second.as_ptr());
        drop(kept);
        drop(second);
        // Both buffers are back, the last one given back first.
        let third = answer("third");
        assert_eq!(third.as_ptr(), second_at);
        let fourth = answer("fourth");
        assert_eq!((fourth.as_ptr(), &fourth[..]), (at, &b"fourth"[..]));
    }

    /// The Content-Type's text and the SOAP version guessed from it are what the text gives,
    /// whether the value is one of the SOAP versions' own (known by a compare) or not.
    #[test]
    fn the_content_type_is_read_as_its_text_says() {
        use crate::soap::SoapVersion;

        let values: [&[u8]; 8] = [
            b"application/soap+xml; charset=utf-8",
            b"text/xml; charset=utf-8",
            b"text/xml",
            b"Text/XML; charset=utf-8",
            b"application/soap+xml; charset=utf-8; action=\"urn:x\"",
            b"application/soap+xml; charset=utf-",
            b" text/xml; charset=utf-8",
            b"text/xml; charset=\xe6",
        ];
        for value in values {
            let mut headers = http::HeaderMap::new();
            headers.insert(
                http::header::CONTENT_TYPE,
                http::HeaderValue::from_bytes(value).expect("a value"),
            );
            let found = super::RequestHeaders::of(&headers);
            let text = headers[http::header::CONTENT_TYPE].to_str().ok();
            assert_eq!(found.content_type_text, text, "{value:?}");
            assert_eq!(
                found.guessed_version(),
                SoapVersion::guess_from_content_type(text),
                "{value:?}"
            );
        }
        let empty = http::HeaderMap::new();
        let none = super::RequestHeaders::of(&empty);
        assert_eq!(
            (none.content_type_text, none.guessed_version()),
            (None, SoapVersion::V12)
        );
    }

    /// [`is_authority`] as it was first written: the host and the port split at the first
    /// `:`, each checked on its own.
    fn is_authority_split(text: &str) -> bool {
        let (host, port) = match text.strip_prefix('[') {
            Some(rest) => match rest.split_once(']') {
                Some((ip, after)) => {
                    let ok = !ip.is_empty() && ip.bytes().all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.');
                    if !ok {
                        return false;
                    }
                    match after {
                        "" => return true,
                        _ => match after.strip_prefix(':') {
                            Some(port) => ("x", Some(port)),
                            None => return false,
                        },
                    }
                }
                None => return false,
            },
            None => match text.split_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (text, None),
            },
        };
        let host_ok = !host.is_empty()
            && host.len() <= 253
            && host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'));
        let port_ok = port.is_none_or(|p| p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()));
        host_ok && port_ok
    }

    proptest! {
        /// The remembered Host is taken as the check takes it, whatever came before on the
        /// thread: a Host taken before, one not, one too long to remember, the empty one.
        #[test]
        fn a_known_authority_is_one_the_check_takes(
            texts in prop::collection::vec(
                prop::sample::select(vec!["127.0.0.1:18750", "127.0.0.1:1875", "127.0.0.1:187500", "", "a b", "[::1]:80", "h"]),
                1..12,
            ),
            long in prop::option::weighted(0.2, 60..70usize),
        ) {
            for text in &texts {
                let text = match long {
                    Some(n) if text.len() > 3 => format!("{}{text}", "h".repeat(n)),
                    _ => (*text).to_owned(),
                };
                prop_assert_eq!(super::is_known_authority(text.as_bytes()), is_authority(&text), "{:?}", text);
            }
        }

        /// The one scan takes what the split takes, whatever the text holds and however long.
        #[test]
        fn is_authority_is_the_split_check(
            pieces in prop::collection::vec(
                prop::sample::select(vec!["a", "Z", "0", "9", "-", ".", "_", "~", ":", "[", "]", "::1", " ", "@", "%", "é", "\0", "/", "80", "65535", "123456"]),
                0..12,
            ),
            long in prop::option::weighted(0.2, 250..260usize),
        ) {
            let mut text = long.map(|n| "h".repeat(n)).unwrap_or_default();
            text.push_str(&pieces.concat());
            prop_assert_eq!(is_authority(&text), is_authority_split(&text), "{:?}", text);
        }
    }

    #[test]
    fn authorities() {
        for good in [
            "localhost",
            "127.0.0.1:8080",
            "sfstub.test:443",
            "[::1]",
            "[::1]:8080",
            "a_b~c",
            "x:",
        ] {
            assert!(is_authority(good), "{good}");
        }
        for bad in [
            "",
            "x\"/><y",
            "a&b",
            "a'b",
            "a b",
            "[::1",
            "[zz]",
            "host:80:80",
            "h:123456",
            "u@h",
            "a%41",
            "[::1]x",
        ] {
            assert!(!is_authority(bad), "{bad}");
        }
    }
}
