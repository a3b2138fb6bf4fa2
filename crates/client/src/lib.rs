//! A Rust client of Agentry's REST API, generated when this crate builds from the
//! committed OpenAPI document (`docs/openapi.json`) by progenitor: exactly what
//! any other team would generate from the spec. Its tests drive the README's
//! flows through it against a running API, so a spec that does not match the
//! responses fails the build's tests, not a user.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let client = agentry_client::Client::with_token("http://127.0.0.1:8080", "agt_…")?;
//! let me = client.get_me().send().await?;
//! println!("signed in as {}", me.name);
//! # Ok(()) }
//! ```

#[cfg(feature = "cli")]
pub mod cli;

progenitor::generate_api!(
    spec = "../../docs/openapi.json",
    interface = Builder,
    derives = [PartialEq],
);

impl Client {
    /// A client of the API at `base` (e.g. `http://127.0.0.1:8080`) that sends
    /// `token` as its bearer token.
    ///
    /// # Errors
    /// When the token is not a valid header value or the HTTP client cannot start.
    pub fn with_token(base: &str, token: &str) -> Result<Self, Box<dyn std::error::Error>> {
        let mut headers = reqwest::header::HeaderMap::new();
        let mut bearer = reqwest::header::HeaderValue::from_str(&format!("Bearer {token}"))?;
        bearer.set_sensitive(true);
        headers.insert(reqwest::header::AUTHORIZATION, bearer);
        let http = reqwest::Client::builder()
            .default_headers(headers)
            .build()?;
        Ok(Self::new_with_client(base, http))
    }
}
