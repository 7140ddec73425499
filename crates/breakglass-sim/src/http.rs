//! Transport-neutral requests and responses: what handlers see and return.

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use serde_json::Value;

#[derive(Clone, Debug)]
pub(crate) struct SimRequest {
    pub method: Method,
    /// The path, percent-encoded as received.
    pub path: String,
    /// The raw query string, without `?`.
    pub query: Option<String>,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl SimRequest {
    /// Decoded query parameters, in order.
    pub fn query_pairs(&self) -> Vec<(String, String)> {
        self.query
            .as_deref()
            .map(|q| {
                url::form_urlencoded::parse(q.as_bytes())
                    .map(|(k, v)| (k.into_owned(), v.into_owned()))
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn query_param(&self, name: &str) -> Option<String> {
        self.query_pairs()
            .into_iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Form fields of an `application/x-www-form-urlencoded` body.
    pub fn form(&self) -> Vec<(String, String)> {
        url::form_urlencoded::parse(&self.body)
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()
    }
}

#[derive(Clone, Debug)]
pub(crate) struct SimResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl SimResponse {
    pub fn new(status: StatusCode) -> Self {
        SimResponse {
            status,
            headers: HeaderMap::new(),
            body: Bytes::new(),
        }
    }

    pub fn json(status: StatusCode, value: &Value) -> Self {
        let mut response = SimResponse::new(status);
        response.body = Bytes::from(value.to_string());
        response.set_header(
            header::CONTENT_TYPE.as_str(),
            "application/json; charset=utf-8",
        );
        response
    }

    pub fn text(status: StatusCode, content_type: &str, text: String) -> Self {
        let mut response = SimResponse::new(status);
        response.body = Bytes::from(text);
        response.set_header(header::CONTENT_TYPE.as_str(), content_type);
        response
    }

    pub fn no_content() -> Self {
        SimResponse::new(StatusCode::NO_CONTENT)
    }

    pub fn set_header(&mut self, name: &str, value: &str) {
        if let (Ok(name), Ok(value)) = (
            http::HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            self.headers.insert(name, value);
        }
    }

    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        self.set_header(name, value);
        self
    }

    pub fn body_json(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }
}
