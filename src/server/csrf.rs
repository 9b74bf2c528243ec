//! Cross-site request forgery protection for every state-changing request (server functions and
//! forms alike), by the browser's own provenance headers rather than a token threaded through every
//! form. The algorithm is Go's `net/http.CrossOriginProtection` (Go 1.25), after Filippo Valsorda's
//! "CSRF" write-up: modern browsers send `Sec-Fetch-Site`; older ones send `Origin`; requests with
//! neither do not come from a browser and so carry no ambient cookies to abuse. The session cookie is
//! `SameSite=Lax` on top of this.
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

/// Origins (scheme://host[:port]) trusted besides the request's own host, e.g. `PUBLIC_BASE_URL`'s.
#[derive(Debug, Clone)]
pub struct TrustedOrigins(Arc<Vec<String>>);

impl TrustedOrigins {
    pub fn new(origins: impl IntoIterator<Item = String>) -> Self {
        Self(Arc::new(origins.into_iter().collect()))
    }
}

/// Why a request was judged cross-origin, or `None` when it may proceed.
pub fn verdict(
    method: &Method,
    headers: &HeaderMap,
    trusted: &TrustedOrigins,
) -> Option<&'static str> {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return None;
    }
    let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
    if origin.is_some_and(|o| trusted.0.iter().any(|t| t == o)) {
        return None;
    }
    match headers.get("sec-fetch-site").map(|v| v.as_bytes()) {
        Some(b"same-origin" | b"none") => return None,
        Some(_) => return Some("cross-site request (Sec-Fetch-Site)"),
        None => {}
    }
    let Some(origin) = origin else {
        // Neither header: not a browser request, so no ambient credentials are at stake.
        return None;
    };
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    let origin_host = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"));
    match (origin_host, host) {
        (Some(origin_host), Some(host)) if origin_host == host => None,
        _ => Some("cross-origin request (Origin does not match Host)"),
    }
}

/// axum middleware: answers 403 to a cross-origin state-changing request before any handler runs.
pub async fn reject_cross_origin(
    State(trusted): State<TrustedOrigins>,
    request: Request,
    next: Next,
) -> Response {
    match verdict(request.method(), request.headers(), &trusted) {
        None => next.run(request).await,
        Some(reason) => {
            tracing::warn!(reason, path = %request.uri().path(), "refused a cross-origin request");
            (
                StatusCode::FORBIDDEN,
                "This request was refused because it did not come from Viesti's own pages.",
            )
                .into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_static(value));
        }
        map
    }

    fn trusted() -> TrustedOrigins {
        TrustedOrigins::new(["https://app.example.com".to_owned()])
    }

    #[test]
    fn safe_methods_always_pass() {
        let h = headers(&[
            ("sec-fetch-site", "cross-site"),
            ("origin", "https://evil.example"),
        ]);
        assert_eq!(verdict(&Method::GET, &h, &trusted()), None);
    }

    #[test]
    fn same_origin_fetch_metadata_passes_and_cross_site_fails() {
        let same = headers(&[
            ("sec-fetch-site", "same-origin"),
            ("origin", "http://127.0.0.1:3000"),
        ]);
        assert_eq!(verdict(&Method::POST, &same, &trusted()), None);
        let user_typed = headers(&[("sec-fetch-site", "none")]);
        assert_eq!(verdict(&Method::POST, &user_typed, &trusted()), None);
        for site in ["cross-site", "same-site"] {
            let h = headers(&[("sec-fetch-site", site), ("origin", "https://evil.example")]);
            assert!(verdict(&Method::POST, &h, &trusted()).is_some(), "{site}");
        }
    }

    #[test]
    fn without_fetch_metadata_the_origin_must_match_the_host() {
        let ok = headers(&[
            ("origin", "http://127.0.0.1:3000"),
            ("host", "127.0.0.1:3000"),
        ]);
        assert_eq!(verdict(&Method::POST, &ok, &trusted()), None);
        let bad = headers(&[
            ("origin", "http://evil.example"),
            ("host", "127.0.0.1:3000"),
        ]);
        assert!(verdict(&Method::POST, &bad, &trusted()).is_some());
        let null = headers(&[("origin", "null"), ("host", "127.0.0.1:3000")]);
        assert!(verdict(&Method::DELETE, &null, &trusted()).is_some());
    }

    #[test]
    fn a_trusted_origin_passes_even_behind_a_proxy_that_rewrites_host() {
        let h = headers(&[
            ("sec-fetch-site", "cross-site"),
            ("origin", "https://app.example.com"),
            ("host", "10.0.0.5:3000"),
        ]);
        assert_eq!(verdict(&Method::POST, &h, &trusted()), None);
    }

    #[test]
    fn non_browser_clients_without_either_header_pass() {
        assert_eq!(verdict(&Method::POST, &HeaderMap::new(), &trusted()), None);
    }
}
