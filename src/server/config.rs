//! The one typed configuration, read from the environment (and `.env` when present) at start.
//!
//! A missing or malformed value stops start-up with one line naming the variable; values themselves
//! are never echoed, since several of them are secrets.
use crate::domain::Plan;
use crate::server::client_addr::TrustedProxies;
use base64::Engine;
use secrecy::{ExposeSecret, SecretBox, SecretString};
use std::fmt;
use std::path::PathBuf;
use url::Url;

#[derive(Debug)]
pub struct Config {
    /// `DATABASE_URL`; a SQLite file in the data dir when unset. May carry a password, so it is secret.
    pub database_url: SecretString,
    /// `VIESTI_DATA_DIR`, default `data`.
    pub data_dir: PathBuf,
    /// `VIESTI_ENCRYPTION_KEY`: the AES-256-GCM key for stored credentials. Never stored in the database.
    pub encryption_key: EncryptionKey,
    /// `VIESTI_ENCRYPTION_KEYS_OLD`: earlier keys, comma-separated, that still open stored secrets until
    /// `viesti rotate-keys` has re-sealed every row under the current key.
    pub old_encryption_keys: Vec<EncryptionKey>,
    /// `PUBLIC_BASE_URL`: the address Twilio and browsers use to reach us (webhook URLs, cookie `Secure`).
    pub public_base_url: Url,
    /// `TWILIO_API_BASE`, default `https://api.twilio.com`; tests point it at a loopback double.
    pub twilio_api_base: Url,
    /// `VIESTI_TWILIO_EMULATOR`: an address (e.g. `127.0.0.1:3010`) to run the built-in Twilio emulator
    /// on, seeded with a demo account; the app then talks to it instead of `TWILIO_API_BASE`. Local
    /// mode only: `scripts/serve` sets it so a newcomer can connect SMS without a Twilio account.
    pub twilio_emulator: Option<std::net::SocketAddr>,
    /// `MODEL_API_BASE`: an OpenAI-compatible chat-completions API (e.g. `https://api.openai.com/v1`)
    /// that writes the chatbot's replies. Unset: replies fail with a clear reason until it is set.
    pub model_api_base: Option<Url>,
    /// `MODEL_API_KEY`: the bearer token for `MODEL_API_BASE`, if it needs one.
    pub model_api_key: Option<SecretString>,
    /// `MODEL_NAME`, default `gpt-4o-mini`.
    pub model_name: String,
    /// `VIESTI_TWILIO_TIMEOUT_MS`: how long one Twilio API call may take, default 10000.
    pub twilio_timeout: std::time::Duration,
    /// `VIESTI_WORKERS`: reply workers per instance, default 4, each with up to 32 replies in flight;
    /// 0 makes a web-only instance (webhooks and pages) when other instances run the workers.
    pub workers: usize,
    /// `VIESTI_RETRY_BASE_MS`: the first retry delay of a failed reply job, doubled each try; default 2000.
    pub retry_base: std::time::Duration,
    /// `VIESTI_WORKER_POLL_MS`: how often an idle worker looks for jobs that came due by themselves
    /// (a retry's time, an expired lease); default 500. New work wakes workers at once, on every
    /// instance, whatever this is.
    pub worker_poll: std::time::Duration,
    /// `VIESTI_REPLY_BUDGET`: the bot's SMS replies a conversation may get within 10 minutes before
    /// the bot pauses for a person; default 5.
    pub reply_budget: u32,
    /// `SENTRY_DSN`: errors are reported to Sentry only when it is set.
    pub sentry_dsn: Option<SecretString>,
    /// `DEFAULT_PLAN`: the plan new workspaces start on.
    pub default_plan: Plan,
    /// `VIESTI_TRUSTED_PROXIES`: the proxies (addresses or CIDRs, comma-separated) whose
    /// `X-Forwarded-For` names the client; none by default, when the socket peer is the client.
    pub trusted_proxies: TrustedProxies,
    /// `VIESTI_METRICS_TOKEN`: the bearer token `/metrics` asks for; unset, `/metrics` is off (404).
    pub metrics_token: Option<SecretString>,
    /// `VIESTI_MAX_CONNECTIONS`: connections served at once, default 1024.
    pub max_connections: usize,
    /// `VIESTI_HEADER_TIMEOUT_MS`: how long a client may take to send a request's headers, default 10000.
    pub header_timeout: std::time::Duration,
    /// `VIESTI_REQUEST_TIMEOUT_MS`: how long a request (its body included) may take before it is
    /// answered 408, default 30000; also the grace a graceful stop gives open connections.
    pub request_timeout: std::time::Duration,
    /// Where mail to people (the sign-up confirmation) goes: `SMTP_URL` and `MAIL_FROM`, or, on
    /// this computer only, the local mailbox at `/mailbox`.
    pub mail: MailConfig,
}

/// How mail leaves this server.
#[derive(Debug, Clone)]
pub enum MailConfig {
    /// An SMTP server: `smtps://user:password@host:465`, or `smtp://…:587?tls=required`
    /// (STARTTLS); plain `smtp://` only on this computer. The URL holds a password: redacted.
    Smtp {
        url: SecretString,
        from: lettre::message::Mailbox,
    },
    /// No mail server: mail is kept in memory and shown at `/mailbox` to browsers on this computer.
    /// Only with a `PUBLIC_BASE_URL` that names this computer.
    LocalMailbox,
}

/// A configuration value that stops start-up; its `Display` is the one line the operator sees.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("configuration error: {variable} {problem}")]
pub struct ConfigError {
    pub variable: &'static str,
    pub problem: String,
}

fn config_error(variable: &'static str, problem: impl Into<String>) -> ConfigError {
    ConfigError {
        variable,
        problem: problem.into(),
    }
}

impl Config {
    /// Reads `.env` (if present, without overriding the real environment), then the environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        // A missing .env is the normal case in production; a malformed one is an error worth stopping for.
        match dotenvy::dotenv() {
            Ok(_) => {}
            Err(error) if error.not_found() => {}
            Err(error) => return Err(config_error(".env", format!("could not be read: {error}"))),
        }
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Builds the configuration from any source of variables, so tests need not touch the process
    /// environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| {
            lookup(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };

        let data_dir = PathBuf::from(get("VIESTI_DATA_DIR").unwrap_or_else(|| "data".to_owned()));
        let database_url = match get("DATABASE_URL") {
            Some(url) => {
                if !(url.starts_with("sqlite:")
                    || url.starts_with("postgres://")
                    || url.starts_with("postgresql://"))
                {
                    return Err(config_error(
                        "DATABASE_URL",
                        "must start with sqlite:, postgres:// or postgresql://",
                    ));
                }
                url
            }
            None => format!("sqlite://{}?mode=rwc", data_dir.join("viesti.db").display()),
        };

        let encryption_key = match get("VIESTI_ENCRYPTION_KEY") {
            Some(value) => EncryptionKey::from_base64(&value)
                .map_err(|problem| config_error("VIESTI_ENCRYPTION_KEY", problem))?,
            None => {
                return Err(config_error(
                    "VIESTI_ENCRYPTION_KEY",
                    "is not set: it must be 32 random bytes in base64 (for example: openssl rand -base64 32)",
                ));
            }
        };

        let old_encryption_keys = get("VIESTI_ENCRYPTION_KEYS_OLD")
            .map(|list| {
                list.split(',')
                    .map(str::trim)
                    .filter(|k| !k.is_empty())
                    .enumerate()
                    .map(|(i, k)| {
                        EncryptionKey::from_base64(k).map_err(|problem| {
                            config_error(
                                "VIESTI_ENCRYPTION_KEYS_OLD",
                                format!("entry {}: {problem}", i + 1),
                            )
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()
            })
            .transpose()?
            .unwrap_or_default();

        let public_base_url = parse_base_url(
            "PUBLIC_BASE_URL",
            &get("PUBLIC_BASE_URL").unwrap_or_else(|| "http://127.0.0.1:3000".to_owned()),
        )?;
        let allow_http = match get("VIESTI_ALLOW_HTTP").as_deref() {
            None | Some("0" | "false" | "no") => false,
            Some("1" | "true" | "yes") => true,
            Some(_) => {
                return Err(config_error("VIESTI_ALLOW_HTTP", "must be true or false"));
            }
        };
        if public_base_url.scheme() != "https" && !is_loopback(&public_base_url) && !allow_http {
            return Err(config_error(
                "PUBLIC_BASE_URL",
                "must be https:// unless it names this computer (127.0.0.1, localhost): sign-in cookies and Twilio's signed requests would cross the network in the clear. Put Viesti behind a TLS proxy (see docs/deploy.md), or set VIESTI_ALLOW_HTTP=true to accept the risk",
            ));
        }
        let twilio_api_base = parse_base_url(
            "TWILIO_API_BASE",
            &get("TWILIO_API_BASE").unwrap_or_else(|| "https://api.twilio.com".to_owned()),
        )?;
        require_https_off_loopback("TWILIO_API_BASE", &twilio_api_base)?;

        let twilio_emulator = match get("VIESTI_TWILIO_EMULATOR") {
            Some(addr) => {
                if get("TWILIO_API_BASE").is_some() {
                    return Err(config_error(
                        "VIESTI_TWILIO_EMULATOR",
                        "and TWILIO_API_BASE are both set: use the emulator or a Twilio API, not both",
                    ));
                }
                let addr: std::net::SocketAddr = addr.parse().map_err(|_| {
                    config_error(
                        "VIESTI_TWILIO_EMULATOR",
                        "must be an address like 127.0.0.1:3010",
                    )
                })?;
                if !addr.ip().is_loopback() {
                    return Err(config_error(
                        "VIESTI_TWILIO_EMULATOR",
                        "must be a loopback address: the emulator is for local use only",
                    ));
                }
                if !is_loopback(&public_base_url) {
                    return Err(config_error(
                        "VIESTI_TWILIO_EMULATOR",
                        "is for local use only, and PUBLIC_BASE_URL names another computer: unset VIESTI_TWILIO_EMULATOR on a public server",
                    ));
                }
                Some(addr)
            }
            None => None,
        };

        let sentry_dsn = match get("SENTRY_DSN") {
            Some(dsn) => {
                let url =
                    Url::parse(&dsn).map_err(|_| config_error("SENTRY_DSN", "is not a URL"))?;
                if url.username().is_empty()
                    || url
                        .path_segments()
                        .and_then(|mut s| s.next_back())
                        .is_none_or(str::is_empty)
                {
                    return Err(config_error(
                        "SENTRY_DSN",
                        "must look like https://<key>@<host>/<project-id>",
                    ));
                }
                Some(SecretString::from(dsn))
            }
            None => None,
        };

        let model_api_base = get("MODEL_API_BASE")
            .map(|v| parse_base_url("MODEL_API_BASE", &v))
            .transpose()?;
        if let Some(base) = &model_api_base {
            require_https_off_loopback("MODEL_API_BASE", base)?;
        }
        let model_api_key = get("MODEL_API_KEY").map(SecretString::from);
        let model_name = get("MODEL_NAME").unwrap_or_else(|| "gpt-4o-mini".to_owned());
        let workers = match get("VIESTI_WORKERS") {
            Some(n) => n
                .parse::<usize>()
                .ok()
                .filter(|n| *n <= 64)
                .ok_or_else(|| config_error("VIESTI_WORKERS", "must be a number from 0 to 64"))?,
            None => 4,
        };
        let reply_budget = match get("VIESTI_REPLY_BUDGET") {
            Some(n) => n
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=100_000).contains(n))
                .ok_or_else(|| {
                    config_error("VIESTI_REPLY_BUDGET", "must be a number from 1 to 100000")
                })?,
            None => 5,
        };
        let milliseconds =
            |variable: &'static str, range: std::ops::RangeInclusive<u64>, default_ms: u64| {
                let Some(value) = get(variable) else {
                    return Ok(std::time::Duration::from_millis(default_ms));
                };
                value
                    .parse::<u64>()
                    .ok()
                    .filter(|ms| range.contains(ms))
                    .map(std::time::Duration::from_millis)
                    .ok_or_else(|| {
                        config_error(
                            variable,
                            format!(
                                "must be milliseconds from {} to {}",
                                range.start(),
                                range.end()
                            ),
                        )
                    })
            };
        let twilio_timeout = milliseconds("VIESTI_TWILIO_TIMEOUT_MS", 100..=60_000, 10_000)?;
        let header_timeout = milliseconds("VIESTI_HEADER_TIMEOUT_MS", 100..=600_000, 10_000)?;
        let request_timeout = milliseconds("VIESTI_REQUEST_TIMEOUT_MS", 100..=600_000, 30_000)?;
        let max_connections = match get("VIESTI_MAX_CONNECTIONS") {
            Some(n) => n
                .parse::<usize>()
                .ok()
                .filter(|n| (1..=1_000_000).contains(n))
                .ok_or_else(|| {
                    config_error(
                        "VIESTI_MAX_CONNECTIONS",
                        "must be a number from 1 to 1000000",
                    )
                })?,
            None => 1_024,
        };
        let trusted_proxies = get("VIESTI_TRUSTED_PROXIES")
            .map(|list| {
                TrustedProxies::parse(&list)
                    .map_err(|problem| config_error("VIESTI_TRUSTED_PROXIES", problem))
            })
            .transpose()?
            .unwrap_or_default();
        let metrics_token = match get("VIESTI_METRICS_TOKEN") {
            Some(token) if token.len() < 16 => {
                return Err(config_error(
                    "VIESTI_METRICS_TOKEN",
                    "must be at least 16 characters (for example: openssl rand -hex 24)",
                ));
            }
            token => token.map(SecretString::from),
        };
        let retry_base = milliseconds("VIESTI_RETRY_BASE_MS", 1..=600_000, 2_000)?;
        let worker_poll = milliseconds("VIESTI_WORKER_POLL_MS", 10..=600_000, 500)?;

        let default_plan = match get("DEFAULT_PLAN") {
            Some(plan) => plan
                .parse::<Plan>()
                .map_err(|e| config_error("DEFAULT_PLAN", format!("is not a plan: {e}")))?,
            // A public instance gives nothing away by default; the operator moves workspaces up.
            None => Plan::Free,
        };

        let mail = mail_config(
            get("SMTP_URL").as_deref(),
            get("MAIL_FROM").as_deref(),
            &public_base_url,
        )?;

        Ok(Self {
            database_url: SecretString::from(database_url),
            data_dir,
            encryption_key,
            old_encryption_keys,
            public_base_url,
            twilio_api_base,
            twilio_emulator,
            model_api_base,
            model_api_key,
            model_name,
            workers,
            twilio_timeout,
            retry_base,
            worker_poll,
            reply_budget,
            sentry_dsn,
            default_plan,
            trusted_proxies,
            metrics_token,
            max_connections,
            header_timeout,
            request_timeout,
            mail,
        })
    }

    pub fn is_sqlite(&self) -> bool {
        self.database_url.expose_secret().starts_with("sqlite:")
    }

    /// An absolute public URL for a path of ours, such as `/api/webhooks/twilio/sms`.
    pub fn public_url(&self, path: &str) -> String {
        format!(
            "{}{path}",
            self.public_base_url.as_str().trim_end_matches('/')
        )
    }

    /// Cookies get `Secure` when the public address is https.
    pub fn cookies_secure(&self) -> bool {
        self.public_base_url.scheme() == "https"
    }
}

/// Whether a URL names this computer: a loopback address or `localhost`. (For a scheme the URL
/// standard does not know, such as `postgres:`, an IPv4 address comes as a name.)
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(name)) => {
            name.eq_ignore_ascii_case("localhost")
                || name
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|address| address.is_loopback())
        }
        Some(url::Host::Ipv4(address)) => address.is_loopback(),
        Some(url::Host::Ipv6(address)) => address.is_loopback(),
        None => false,
    }
}

/// `SMTP_URL` and `MAIL_FROM`, checked: TLS off this computer, a sender address, and no public
/// server without a way to mail (sign-up confirms every address by mail).
fn mail_config(
    smtp_url: Option<&str>,
    from: Option<&str>,
    public_base_url: &Url,
) -> Result<MailConfig, ConfigError> {
    let Some(smtp_url) = smtp_url else {
        if is_loopback(public_base_url) {
            return Ok(MailConfig::LocalMailbox);
        }
        return Err(config_error(
            "SMTP_URL",
            "is not set, and PUBLIC_BASE_URL names another computer: sign-up mails a link to confirm each address, so set SMTP_URL (for example smtps://user:password@smtp.example.com) and MAIL_FROM (see docs/deploy.md)",
        ));
    };
    let url = Url::parse(smtp_url)
        .ok()
        .filter(|url| url.host_str().is_some())
        .ok_or_else(|| {
            config_error(
                "SMTP_URL",
                "must be a URL like smtps://user:password@smtp.example.com",
            )
        })?;
    let tls = url
        .query_pairs()
        .find(|(key, _)| key == "tls")
        .map(|(_, value)| value.into_owned());
    match (url.scheme(), tls.as_deref()) {
        ("smtps", None) | ("smtp", Some("required")) => {}
        ("smtp", None) if is_loopback(&url) => {}
        ("smtp" | "smtps", _) => {
            return Err(config_error(
                "SMTP_URL",
                "must use TLS unless it names this computer: smtps://host (port 465) or smtp://host:587?tls=required, since the mail carries sign-up links and the URL a password",
            ));
        }
        _ => {
            return Err(config_error(
                "SMTP_URL",
                "must start with smtps:// or smtp://",
            ));
        }
    }
    let from = from
        .ok_or_else(|| {
            config_error(
                "MAIL_FROM",
                "is not set: the sender of Viesti's mail, like Viesti <no-reply@example.com>",
            )
        })?
        .parse::<lettre::message::Mailbox>()
        .map_err(|_| {
            config_error(
                "MAIL_FROM",
                "must be an address like no-reply@example.com or Viesti <no-reply@example.com>",
            )
        })?;
    Ok(MailConfig::Smtp {
        url: SecretString::from(smtp_url.to_owned()),
        from,
    })
}

/// An API we send secrets to (Twilio's Auth Token, the model key) is reached over https, unless it
/// runs on this computer (a test double, a local model server).
fn require_https_off_loopback(variable: &'static str, url: &Url) -> Result<(), ConfigError> {
    if url.scheme() == "https" || is_loopback(url) {
        Ok(())
    } else {
        Err(config_error(
            variable,
            "must be https:// unless it names this computer (127.0.0.1, localhost): credentials are sent to it",
        ))
    }
}

fn parse_base_url(variable: &'static str, value: &str) -> Result<Url, ConfigError> {
    let url = Url::parse(value).map_err(|_| config_error(variable, "is not an absolute URL"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(config_error(
            variable,
            "must be an http:// or https:// URL with a host",
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(config_error(variable, "must not have a query or fragment"));
    }
    // Stored without a trailing slash so paths can be appended with format!("{base}/api/...").
    let trimmed = url.as_str().trim_end_matches('/').to_owned();
    Url::parse(&trimmed).map_err(|_| config_error(variable, "is not an absolute URL"))
}

/// The 32-byte AES-256-GCM key for stored credentials. Redacted in `Debug`, zeroed on drop.
pub struct EncryptionKey(SecretBox<[u8; 32]>);

impl EncryptionKey {
    pub const LEN: usize = 32;

    pub fn from_base64(value: &str) -> Result<Self, String> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(value.trim())
            .map_err(|_| "is not valid base64".to_owned())?;
        let array: [u8; 32] = bytes.as_slice().try_into().map_err(|_| {
            format!(
                "must decode to exactly {} bytes (it decodes to {})",
                Self::LEN,
                bytes.len()
            )
        })?;
        Ok(Self(SecretBox::new(Box::new(array))))
    }

    /// A fresh random key in base64, for the serve command's first run.
    pub fn generate_base64() -> String {
        let key: [u8; 32] = rand::random();
        base64::engine::general_purpose::STANDARD.encode(key)
    }

    pub fn expose(&self) -> &[u8; 32] {
        self.0.expose_secret()
    }
}

impl fmt::Debug for EncryptionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("EncryptionKey([redacted])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    const KEY: &str = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="; // 32 ASCII bytes

    fn config(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|name| map.get(name).cloned())
    }

    #[test]
    fn defaults_give_a_sqlite_file_in_the_data_dir_and_the_starter_plan() {
        let config = config(&[("VIESTI_ENCRYPTION_KEY", KEY)]).expect("valid");
        assert_eq!(
            config.database_url.expose_secret(),
            "sqlite://data/viesti.db?mode=rwc"
        );
        assert!(config.is_sqlite());
        assert_eq!(config.default_plan, Plan::Free);
        assert_eq!(config.twilio_api_base.as_str(), "https://api.twilio.com/");
        assert_eq!(config.public_base_url.as_str(), "http://127.0.0.1:3000/");
        assert!(config.sentry_dsn.is_none());
        assert!(!config.cookies_secure());
    }

    #[test]
    fn a_missing_encryption_key_names_the_variable() {
        let error = config(&[]).expect_err("must fail");
        assert_eq!(error.variable, "VIESTI_ENCRYPTION_KEY");
        assert!(
            error
                .to_string()
                .starts_with("configuration error: VIESTI_ENCRYPTION_KEY ")
        );
    }

    #[test]
    fn a_short_or_non_base64_key_is_refused_without_echoing_it() {
        let short =
            config(&[("VIESTI_ENCRYPTION_KEY", "c2hvcnRzZWNyZXQ=")]).expect_err("must fail");
        assert_eq!(short.variable, "VIESTI_ENCRYPTION_KEY");
        assert!(short.problem.contains("exactly 32 bytes"));
        assert!(!short.to_string().contains("c2hvcnRzZWNyZXQ="));
        let garbage =
            config(&[("VIESTI_ENCRYPTION_KEY", "not base64 at all!")]).expect_err("must fail");
        assert!(garbage.problem.contains("base64"));
    }

    #[test]
    fn malformed_values_name_their_variable() {
        let cases = [
            ("DATABASE_URL", "mysql://localhost/x"),
            ("PUBLIC_BASE_URL", "example.com"),
            ("PUBLIC_BASE_URL", "ftp://example.com"),
            ("TWILIO_API_BASE", "not a url"),
            ("SENTRY_DSN", "https://sentry.example.com/"),
            ("DEFAULT_PLAN", "enterprise"),
            ("VIESTI_TWILIO_EMULATOR", "nonsense"),
            ("VIESTI_TWILIO_EMULATOR", "0.0.0.0:3010"),
            ("MODEL_API_BASE", "not a url"),
            ("VIESTI_WORKERS", "65"),
            ("VIESTI_RETRY_BASE_MS", "soon"),
            ("VIESTI_TWILIO_TIMEOUT_MS", "5"),
            ("VIESTI_WORKER_POLL_MS", "0"),
            ("PUBLIC_BASE_URL", "http://sms.example.com"),
            ("PUBLIC_BASE_URL", "http://192.168.1.20:3000"),
            ("TWILIO_API_BASE", "http://api.twilio.example.com"),
            ("MODEL_API_BASE", "http://10.0.0.8:8080/v1"),
            ("VIESTI_ALLOW_HTTP", "maybe"),
            ("VIESTI_TRUSTED_PROXIES", "10.0.0.0/8, proxy.internal"),
            ("VIESTI_METRICS_TOKEN", "short"),
            ("VIESTI_MAX_CONNECTIONS", "0"),
            ("VIESTI_HEADER_TIMEOUT_MS", "10"),
            ("VIESTI_REQUEST_TIMEOUT_MS", "forever"),
        ];
        for (variable, value) in cases {
            let error =
                config(&[("VIESTI_ENCRYPTION_KEY", KEY), (variable, value)]).expect_err(variable);
            assert_eq!(error.variable, variable, "{value}");
        }
    }

    #[test]
    fn explicit_values_are_used_and_a_trailing_slash_is_dropped() {
        let config = config(&[
            ("VIESTI_ENCRYPTION_KEY", KEY),
            ("DATABASE_URL", "postgres://app@127.0.0.1:5432/viesti"),
            ("PUBLIC_BASE_URL", "https://sms.example.com/"),
            ("TWILIO_API_BASE", "http://127.0.0.1:4010"),
            ("SENTRY_DSN", "https://abc@o1.ingest.example.com/42"),
            ("DEFAULT_PLAN", "Pro"),
            ("SMTP_URL", "smtps://mailer:pw@smtp.example.com"),
            ("MAIL_FROM", "Viesti <no-reply@sms.example.com>"),
        ])
        .expect("valid");
        assert!(!config.is_sqlite());
        assert!(config.cookies_secure());
        assert_eq!(config.public_url("/api/x"), "https://sms.example.com/api/x");
        assert_eq!(config.default_plan, Plan::Pro);
        assert!(config.sentry_dsn.is_some());
    }

    #[test]
    fn plain_http_is_for_this_computer_unless_the_operator_accepts_it() {
        for base in [
            "http://127.0.0.1:3000",
            "http://localhost:3000",
            "http://[::1]:3000",
        ] {
            assert!(
                config(&[("VIESTI_ENCRYPTION_KEY", KEY), ("PUBLIC_BASE_URL", base)]).is_ok(),
                "{base}"
            );
        }
        let lan = [
            ("VIESTI_ENCRYPTION_KEY", KEY),
            ("PUBLIC_BASE_URL", "http://192.168.1.20:3000"),
        ];
        let error = config(&lan).expect_err("plain http on a network");
        assert!(error.problem.contains("VIESTI_ALLOW_HTTP"), "{error}");
        let mut allowed = lan.to_vec();
        allowed.push(("VIESTI_ALLOW_HTTP", "true"));
        allowed.push(("SMTP_URL", "smtp://mail.lan:587?tls=required"));
        allowed.push(("MAIL_FROM", "no-reply@example.com"));
        assert!(config(&allowed).is_ok());
        // The APIs that receive credentials: https, or on this computer.
        assert!(
            config(&[
                ("VIESTI_ENCRYPTION_KEY", KEY),
                ("TWILIO_API_BASE", "http://127.0.0.1:4010"),
                ("MODEL_API_BASE", "http://localhost:11434/v1"),
            ])
            .is_ok()
        );
    }

    #[test]
    fn the_emulator_refuses_a_public_base_url() {
        let error = config(&[
            ("VIESTI_ENCRYPTION_KEY", KEY),
            ("VIESTI_TWILIO_EMULATOR", "127.0.0.1:3010"),
            ("PUBLIC_BASE_URL", "https://sms.example.com"),
        ])
        .expect_err("public");
        assert_eq!(error.variable, "VIESTI_TWILIO_EMULATOR");
    }

    #[test]
    fn server_limits_have_defaults_and_take_values() {
        let defaults = config(&[("VIESTI_ENCRYPTION_KEY", KEY)]).expect("valid");
        assert_eq!(defaults.max_connections, 1_024);
        assert_eq!(defaults.header_timeout, std::time::Duration::from_secs(10));
        assert_eq!(defaults.request_timeout, std::time::Duration::from_secs(30));
        assert!(defaults.trusted_proxies.is_empty());
        assert!(defaults.metrics_token.is_none());
        let set = config(&[
            ("VIESTI_ENCRYPTION_KEY", KEY),
            ("VIESTI_MAX_CONNECTIONS", "8"),
            ("VIESTI_HEADER_TIMEOUT_MS", "500"),
            ("VIESTI_REQUEST_TIMEOUT_MS", "700"),
            ("VIESTI_TRUSTED_PROXIES", "127.0.0.1"),
            ("VIESTI_METRICS_TOKEN", "0123456789abcdef0123"),
        ])
        .expect("valid");
        assert_eq!(set.max_connections, 8);
        assert_eq!(set.header_timeout, std::time::Duration::from_millis(500));
        assert_eq!(set.request_timeout, std::time::Duration::from_millis(700));
        assert!(!set.trusted_proxies.is_empty());
        assert!(!format!("{set:?}").contains("0123456789abcdef0123"));
    }

    #[test]
    fn the_emulator_and_a_twilio_api_base_exclude_each_other() {
        let both = config(&[
            ("VIESTI_ENCRYPTION_KEY", KEY),
            ("VIESTI_TWILIO_EMULATOR", "127.0.0.1:3010"),
            ("TWILIO_API_BASE", "https://api.twilio.com"),
        ])
        .expect_err("both");
        assert_eq!(both.variable, "VIESTI_TWILIO_EMULATOR");
        let local = config(&[
            ("VIESTI_ENCRYPTION_KEY", KEY),
            ("VIESTI_TWILIO_EMULATOR", "127.0.0.1:3010"),
        ])
        .expect("valid");
        assert_eq!(
            local.twilio_emulator,
            Some("127.0.0.1:3010".parse().expect("addr"))
        );
    }

    #[test]
    fn mail_goes_to_the_local_mailbox_only_on_this_computer() {
        let local = config(&[("VIESTI_ENCRYPTION_KEY", KEY)]).expect("valid");
        assert!(matches!(local.mail, MailConfig::LocalMailbox));
        let public = config(&[
            ("VIESTI_ENCRYPTION_KEY", KEY),
            ("PUBLIC_BASE_URL", "https://support.example.com"),
        ])
        .expect_err("no way to mail");
        assert_eq!(public.variable, "SMTP_URL");
        let with_smtp = |url: &str, from: &str| {
            config(&[
                ("VIESTI_ENCRYPTION_KEY", KEY),
                ("PUBLIC_BASE_URL", "https://support.example.com"),
                ("SMTP_URL", url),
                ("MAIL_FROM", from),
            ])
        };
        let from = "Viesti <no-reply@example.com>";
        for good in [
            "smtps://user:pw@smtp.example.com",
            "smtp://user:pw@smtp.example.com:587?tls=required",
            "smtp://127.0.0.1:2525",
        ] {
            let config = with_smtp(good, from).expect(good);
            assert!(matches!(config.mail, MailConfig::Smtp { .. }), "{good}");
        }
        for (bad, variable) in [
            ("smtp://user:pw@smtp.example.com", "SMTP_URL"),
            ("smtp://smtp.example.com?tls=opportunistic", "SMTP_URL"),
            ("http://smtp.example.com", "SMTP_URL"),
            ("not a url", "SMTP_URL"),
        ] {
            let error = with_smtp(bad, from).expect_err(bad);
            assert_eq!(error.variable, variable, "{bad}");
            assert!(!error.problem.contains("pw@"), "{bad}");
        }
        assert_eq!(
            with_smtp("smtps://smtp.example.com", "not an address")
                .expect_err("bad sender")
                .variable,
            "MAIL_FROM"
        );
        assert_eq!(
            config(&[
                ("VIESTI_ENCRYPTION_KEY", KEY),
                ("SMTP_URL", "smtps://smtp.example.com"),
            ])
            .expect_err("no sender")
            .variable,
            "MAIL_FROM"
        );
    }

    #[test]
    fn debug_output_carries_no_secret() {
        let config = config(&[
            ("VIESTI_ENCRYPTION_KEY", KEY),
            ("DATABASE_URL", "postgres://app:s3cretpw@127.0.0.1/viesti"),
            ("SMTP_URL", "smtps://mailer:m4ilpw@smtp.example.com"),
            ("MAIL_FROM", "no-reply@example.com"),
        ])
        .expect("valid");
        let debug = format!("{config:?}");
        assert!(!debug.contains("m4ilpw"));
        assert!(!debug.contains("s3cretpw"));
        assert!(!debug.contains(KEY));
        assert!(!debug.contains("0123456789abcdef"));
    }

    #[test]
    fn old_keys_are_a_comma_separated_list_and_each_is_checked() {
        let other = EncryptionKey::generate_base64();
        let parsed = config(&[
            ("VIESTI_ENCRYPTION_KEY", KEY),
            ("VIESTI_ENCRYPTION_KEYS_OLD", &format!("{other}, {KEY}")),
        ])
        .expect("valid");
        assert_eq!(parsed.old_encryption_keys.len(), 2);
        let error = config(&[
            ("VIESTI_ENCRYPTION_KEY", KEY),
            ("VIESTI_ENCRYPTION_KEYS_OLD", &format!("{other},bad")),
        ])
        .expect_err("second is bad");
        assert_eq!(error.variable, "VIESTI_ENCRYPTION_KEYS_OLD");
        assert!(error.problem.starts_with("entry 2:"));
    }

    #[test]
    fn generated_keys_parse_and_differ() {
        let a = EncryptionKey::generate_base64();
        let b = EncryptionKey::generate_base64();
        assert_ne!(a, b);
        assert!(EncryptionKey::from_base64(&a).is_ok());
    }
}
