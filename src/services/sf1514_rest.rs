//! SF1514's REST faces: the JSON wrapper of WS-Trust (`/runtime/api/rest/wstrust/v1/issue`)
//! and the OAuth 2.0 `client_credentials` grant that returns a holder-of-key JWT
//! (`/runtime/api/rest/oauth/v1/issue`). Both authenticate the client by its TLS client
//! certificate; the JSON variant also takes the certificate in `UseKey`, except in strict
//! mode, where only the TLS client certificate proves possession of the key.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD as B64, URL_SAFE_NO_PAD as B64URL};
use bytes::Bytes;
use chrono::{DateTime, Utc};
use http::{HeaderValue, Response, StatusCode, header};
use serde_json::{Value, json};

use super::Context;
use super::sf1514_sts::{ISSUE, Issuer, PUBLIC_KEY, SAML2_TOKEN_TYPE, StsError, TOKEN_LIFETIME_HOURS};
use crate::clip::clip;
use crate::security::SecurityMode;
use crate::security::keys::{CertInfo, parse_certificate};
use crate::world::Cvr;

/// The JSON wrapper of WS-Trust Issue.
pub const WSTRUST_PATH: &str = "/runtime/api/rest/wstrust/v1/issue";
/// The OAuth 2.0 token endpoint.
pub const OAUTH_PATH: &str = "/runtime/api/rest/oauth/v1/issue";

/// A JSON error answer: status and `{"code", "message"}`.
fn error(status: StatusCode, code: u32, message: impl Into<String>) -> Response<Bytes> {
    json_response(status, &json!({ "code": code, "message": message.into() }))
}

/// An STS error as the REST STS answers it: 403 for 5015, else 400, with `{"code", "message"}`.
pub fn sts_error(e: StsError) -> Response<Bytes> {
    let status = if e.code == 5015 {
        StatusCode::FORBIDDEN
    } else {
        StatusCode::BAD_REQUEST
    };
    error(status, e.code, e.reason)
}

fn json_response(status: StatusCode, value: &Value) -> Response<Bytes> {
    let mut r = Response::new(Bytes::from(value.to_string()));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    r
}

/// The US-style time the REST STS writes in `Lifetime` (clients parse `%m/%d/%Y %H:%M:%S`).
fn us_time(t: DateTime<Utc>) -> String {
    t.format("%m/%d/%Y %H:%M:%S").to_string()
}

/// The client certificate: from TLS, or else from `UseKey`; when both are given they must be
/// the same certificate.
fn client_certificate(tls: Option<&[u8]>, use_key: Option<&str>) -> Result<(Vec<u8>, CertInfo), Box<Response<Bytes>>> {
    let from_body = match use_key {
        Some(text) => Some(B64.decode(text.split_whitespace().collect::<String>()).map_err(|e| {
            Box::new(error(
                StatusCode::BAD_REQUEST,
                103,
                format!("UseKey is not base64 DER: {e}"),
            ))
        })?),
        None => None,
    };
    let der = match (tls, from_body) {
        (Some(t), Some(b)) if t != b.as_slice() => {
            return Err(Box::new(error(
                StatusCode::BAD_REQUEST,
                103,
                "UseKey is not the certificate the client presented in TLS",
            )));
        }
        (Some(t), _) => t.to_vec(),
        (None, Some(b)) => b,
        (None, None) => {
            return Err(Box::new(error(
                StatusCode::UNAUTHORIZED,
                101,
                "no client certificate: present one in TLS (serve with --tls --tls-client-auth optional) or send it base64 in UseKey",
            )));
        }
    };
    let info = parse_certificate(&der).map_err(|e| {
        error(
            StatusCode::BAD_REQUEST,
            103,
            format!("the client certificate cannot be read: {e}"),
        )
    })?;
    Ok((der, info))
}

/// `POST /runtime/api/rest/wstrust/v1/issue`.
pub fn wstrust(issuer: &Issuer<'_>, tls_certificate: Option<&[u8]>, body: &[u8]) -> Response<Bytes> {
    let request: Value = match serde_json::from_slice(body) {
        Ok(v @ Value::Object(_)) => v,
        Ok(_) => return error(StatusCode::BAD_REQUEST, 103, "the body must be a JSON object"),
        Err(e) => return error(StatusCode::BAD_REQUEST, 103, format!("the body is not JSON: {e}")),
    };
    let field = |name: &str| request.get(name).and_then(Value::as_str);
    for (name, expected) in [
        ("TokenType", SAML2_TOKEN_TYPE),
        ("RequestType", ISSUE),
        ("KeyType", PUBLIC_KEY),
    ] {
        match field(name) {
            Some(v) if v == expected => {}
            Some(v) => {
                return error(
                    StatusCode::BAD_REQUEST,
                    103,
                    format!("{name} is {v:?}; send {expected}", v = clip(v)),
                );
            }
            None => {
                return error(
                    StatusCode::BAD_REQUEST,
                    103,
                    format!("{name} is missing; send {expected}"),
                );
            }
        }
    }
    let context = request
        .get("AnvenderKontekst")
        .or_else(|| request.get("Anvenderkontekst"));
    let Some(cvr_text) = context
        .and_then(|c| c.get("Cvr").or_else(|| c.get("cvr")))
        .and_then(Value::as_str)
    else {
        return error(
            StatusCode::BAD_REQUEST,
            103,
            "AnvenderKontekst.Cvr (the CVR the token speaks for) is missing",
        );
    };
    let cvr = match Cvr::parse(cvr_text) {
        Ok(c) => c,
        Err(e) => return error(StatusCode::BAD_REQUEST, 103, format!("AnvenderKontekst.Cvr: {e}")),
    };
    issuer.ctx.guard.note_caller(cvr.to_string());
    let Some(applies_to) = request
        .pointer("/AppliesTo/EndpointReference/Address")
        .and_then(Value::as_str)
    else {
        return error(
            StatusCode::BAD_REQUEST,
            103,
            "AppliesTo.EndpointReference.Address (the service's entity ID) is missing",
        );
    };
    if tls_certificate.is_none() && issuer.ctx.guard.settings.mode == SecurityMode::Strict {
        // A certificate in UseKey proves nothing: anyone may send anyone's public certificate.
        return error(
            StatusCode::UNAUTHORIZED,
            101,
            "strict mode: the REST STS issues a holder-of-key token only to the holder of the key: present the UseKey \
             certificate as the TLS client certificate (serve with --tls --tls-client-auth optional or required); \
             a certificate in UseKey alone proves no possession of its key",
        );
    }
    let (der, info) = match client_certificate(tls_certificate, field("UseKey")) {
        Ok(x) => x,
        Err(response) => return *response,
    };
    let issued = match issuer.issue(applies_to, cvr, &der, &info) {
        Ok(i) => i,
        Err(e) => return sts_error(e),
    };
    json_response(
        StatusCode::OK,
        &json!({
            "RequestedSecurityToken": { "Assertion": B64.encode(issued.assertion.as_bytes()) },
            "AppliesTo": { "EndpointReference": { "Address": applies_to.trim_end_matches('/') } },
            "KeyType": PUBLIC_KEY,
            "RequestType": ISSUE,
            "TokenType": SAML2_TOKEN_TYPE,
            "Lifetime": { "Created": us_time(issued.created), "Expires": us_time(issued.expires) },
        }),
    )
}

/// `POST /runtime/api/rest/oauth/v1/issue` with `grant_type=client_credentials`,
/// `client_id=<entity ID>` and `scope=entityid:<entity ID>,anvenderkontekst:<CVR>`, in the
/// query string or a form body.
pub fn oauth(issuer: &Issuer<'_>, tls_certificate: Option<&[u8]>, query: Option<&str>, body: &[u8]) -> Response<Bytes> {
    let form = String::from_utf8_lossy(body);
    let params: Vec<(String, String)> = query
        .into_iter()
        .chain(std::iter::once(form.as_ref()))
        .flat_map(parse_form)
        .collect();
    let param = |name: &str| params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    match param("grant_type") {
        Some("client_credentials") => {}
        Some(other) => {
            return error(
                StatusCode::BAD_REQUEST,
                103,
                format!(
                    "grant_type is {other:?}; only client_credentials is supported",
                    other = clip(other)
                ),
            );
        }
        None => {
            return error(
                StatusCode::BAD_REQUEST,
                103,
                "grant_type is missing; send client_credentials",
            );
        }
    }
    let scope = param("scope").unwrap_or_default();
    let scoped = |prefix: &str| {
        scope
            .split([',', ' '])
            .find_map(|s| s.trim().strip_prefix(prefix))
            .map(str::to_owned)
    };
    let Some(entity) = scoped("entityid:").or_else(|| param("client_id").map(str::to_owned)) else {
        return error(
            StatusCode::BAD_REQUEST,
            103,
            "scope has no entityid:<entity ID> and there is no client_id",
        );
    };
    let Some(cvr_text) = scoped("anvenderkontekst:") else {
        return error(StatusCode::BAD_REQUEST, 103, "scope has no anvenderkontekst:<CVR>");
    };
    let cvr = match Cvr::parse(&cvr_text) {
        Ok(c) => c,
        Err(e) => return error(StatusCode::BAD_REQUEST, 103, format!("anvenderkontekst: {e}")),
    };
    issuer.ctx.guard.note_caller(cvr.to_string());
    let Some(tls) = tls_certificate else {
        return error(
            StatusCode::UNAUTHORIZED,
            101,
            "the OAuth variant authenticates with the TLS client certificate: serve with --tls --tls-client-auth optional (or required) and present the certificate",
        );
    };
    let (der, info) = match client_certificate(Some(tls), None) {
        Ok(x) => x,
        Err(response) => return *response,
    };
    // The same checks as a SAML token (audience, caller, agreement); the JWT carries the result.
    let issued = match issuer.issue(&entity, cvr, &der, &info) {
        Ok(i) => i,
        Err(e) => return sts_error(e),
    };
    match jwt(issuer.ctx, &entity, cvr, &info, issued.created, issued.expires) {
        Ok(token) => json_response(
            StatusCode::OK,
            &json!({ "access_token": token, "token_type": "Holder-of-key", "expires_in": TOKEN_LIFETIME_HOURS * 3600 }),
        ),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, 100, e),
    }
}

/// A PS256 JWT signed by the STS key, bound to the client certificate (`cnf.x5t#S256`).
fn jwt(
    ctx: &Context<'_>,
    entity: &str,
    cvr: Cvr,
    client: &CertInfo,
    issued: DateTime<Utc>,
    expires: DateTime<Utc>,
) -> Result<String, String> {
    let sts = &ctx.guard.keys.sts;
    let sts_thumbprint = B64URL.encode(sts.sha256_thumbprint());
    let header = json!({ "alg": "PS256", "typ": "JWT", "kid": sts_thumbprint, "x5t#S256": sts_thumbprint });
    let privileges = json!({ "privilegegroups": [] });
    let claims = json!({
        "iss": ctx.guard.settings.sts_issuer,
        "sub": entity,
        "aud": entity,
        "cvr": cvr.to_string(),
        "spec_ver": "1.0",
        "priv": B64.encode(privileges.to_string()),
        "jti": uuid::Uuid::new_v4().to_string(),
        "cnf": { "x5t#S256": B64URL.encode(client.thumbprint_sha256) },
        "nbf": issued.timestamp(),
        "iat": issued.timestamp(),
        "exp": expires.timestamp(),
    });
    let signing_input = format!(
        "{}.{}",
        B64URL.encode(header.to_string()),
        B64URL.encode(claims.to_string())
    );
    let signature = sts
        .key
        .sign_pss_sha256(signing_input.as_bytes())
        .map_err(|e| format!("the STS could not sign the JWT: {e}"))?;
    Ok(format!("{signing_input}.{}", B64URL.encode(signature)))
}

/// `a=b&c=d` with percent- and plus-decoding.
fn parse_form(text: &str) -> Vec<(String, String)> {
    text.split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                match u8::from_str_radix(std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("zz"), 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_decode() {
        assert_eq!(
            parse_form(
                "grant_type=client_credentials&scope=entityid%3Ahttp%3A%2F%2Fx%2F1%2Canvenderkontekst%3A29189846+x"
            ),
            vec![
                ("grant_type".to_owned(), "client_credentials".to_owned()),
                (
                    "scope".to_owned(),
                    "entityid:http://x/1,anvenderkontekst:29189846 x".to_owned()
                ),
            ]
        );
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%4"), "%4");
        assert_eq!(percent_decode("%zz"), "%zz");
    }

    #[test]
    fn us_time_format() {
        let t = DateTime::parse_from_rfc3339("2026-11-22T08:05:09Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(us_time(t), "11/22/2026 08:05:09");
    }
}
