//! Mail to people: the sign-up confirmation. On a server, over SMTP (`SMTP_URL`, `MAIL_FROM`); on a
//! computer of one's own with no mail server, into a local mailbox that a browser on the same
//! computer reads at `/mailbox`, so `scripts/serve` works with nothing installed.
use crate::domain::Email;
use crate::server::client_addr::ClientIp;
use crate::server::config::MailConfig;
use axum::Extension;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use backon::{ExponentialBuilder, Retryable};
use chrono::{DateTime, Utc};
use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::message::{Body, Mailbox};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::ExposeSecret;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One mail: plain text, and the link it is about (the local mailbox shows it as a link).
#[derive(Clone)]
pub struct Mail {
    pub to: Email,
    pub subject: String,
    pub text: String,
    pub link: String,
}

/// Where this instance's mail goes.
#[derive(Clone)]
pub enum Mailer {
    Smtp(Arc<Smtp>),
    Local(LocalMailbox),
}

pub struct Smtp {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

/// Mail by outcome on `/metrics`: `sent`, or `failed` after every try.
const MAIL_METRIC: &str = "viesti_mail_total";

/// Sending one mail, tries and the wait for each: a mail server that stalls cannot hold tasks.
const TRIES: usize = 4;
const SMTP_TIMEOUT: Duration = Duration::from_secs(20);

impl Mailer {
    pub fn new(config: &MailConfig) -> anyhow::Result<Self> {
        Ok(match config {
            MailConfig::Smtp { url, from } => {
                let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose_secret())
                    .map_err(|_| anyhow::anyhow!("SMTP_URL could not be used"))?
                    .timeout(Some(SMTP_TIMEOUT))
                    .build();
                Self::Smtp(Arc::new(Smtp {
                    transport,
                    from: from.clone(),
                }))
            }
            MailConfig::LocalMailbox => Self::Local(LocalMailbox::default()),
        })
    }

    /// The local mailbox, when mail goes there.
    pub fn local(&self) -> Option<&LocalMailbox> {
        match self {
            Self::Local(mailbox) => Some(mailbox),
            Self::Smtp(_) => None,
        }
    }

    /// Sends `mail` in the background, retried with backoff while the mail server fails. The caller
    /// answers at once, whatever the mail: how long a sign-up takes must not tell which mail it sent.
    pub fn send_later(&self, mail: Mail) {
        match self {
            Self::Local(mailbox) => mailbox.keep(mail),
            Self::Smtp(smtp) => {
                let smtp = Arc::clone(smtp);
                tokio::spawn(async move {
                    let subject = mail.subject.clone();
                    let sent = (|| smtp.send(&mail))
                        .retry(
                            ExponentialBuilder::default()
                                .with_min_delay(Duration::from_secs(1))
                                .with_max_times(TRIES - 1)
                                .with_jitter(),
                        )
                        .notify(|error, after| {
                            tracing::warn!(%error, retry_in_ms = after.as_millis() as u64, "mail not sent yet: will retry")
                        })
                        .await;
                    match sent {
                        Ok(()) => {
                            metrics::counter!(MAIL_METRIC, "outcome" => "sent").increment(1);
                            tracing::info!(%subject, "mail sent");
                        }
                        Err(error) => {
                            metrics::counter!(MAIL_METRIC, "outcome" => "failed").increment(1);
                            tracing::error!(%error, %subject, "mail could not be sent");
                        }
                    }
                });
            }
        }
    }
}

impl Smtp {
    async fn send(&self, mail: &Mail) -> anyhow::Result<()> {
        let to = Mailbox::new(None, mail.to.as_str().parse()?);
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(mail.subject.clone())
            .header(ContentType::TEXT_PLAIN)
            .body(
                Body::new_with_encoding(
                    mail.text.clone(),
                    ContentTransferEncoding::QuotedPrintable,
                )
                .map_err(|_| anyhow::anyhow!("the mail's text could not be encoded"))?,
            )?;
        self.transport.send(message).await?;
        Ok(())
    }
}

/// The newest mail this instance sent, in memory, for `/mailbox`.
#[derive(Clone, Default)]
pub struct LocalMailbox(Arc<Mutex<VecDeque<Kept>>>);

/// A mail in the local mailbox, and when it came.
#[derive(Clone)]
struct Kept {
    at: DateTime<Utc>,
    mail: Mail,
}

/// How many mails the local mailbox keeps.
const LOCAL_KEPT: usize = 50;

impl LocalMailbox {
    fn keep(&self, mail: Mail) {
        let mut kept = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if kept.len() == LOCAL_KEPT {
            kept.pop_back();
        }
        kept.push_front(Kept {
            at: Utc::now(),
            mail,
        });
    }

    fn newest_first(&self) -> Vec<Kept> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .iter()
            .cloned()
            .collect()
    }
}

/// `GET /mailbox`: the local mailbox, for a browser on this computer. Anywhere else (a mail server
/// is configured, or the request comes from another computer) there is nothing here.
pub async fn mailbox_page(
    State(mailer): State<Mailer>,
    client: Option<Extension<ClientIp>>,
) -> Response {
    let Some(mailbox) = mailer.local() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    if !client.is_some_and(|Extension(ClientIp(address))| address.is_loopback()) {
        return StatusCode::NOT_FOUND.into_response();
    }
    let mails = mailbox.newest_first();
    let mut html = String::from(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Local mailbox · Viesti</title></head><body>\
         <h1>Local mailbox</h1><p>No mail server is set (<code>SMTP_URL</code>), so the mail Viesti sends \
         is kept here, newest first, for browsers on this computer.</p>",
    );
    if mails.is_empty() {
        html.push_str("<p>No mail yet. Sign up to get one.</p>");
    }
    for Kept { at, mail } in mails {
        html.push_str(&format!(
            "<article><h2>{subject}</h2><p>To <strong>{to}</strong>, {at}</p><pre>{text}</pre><p><a href=\"{link}\">{link}</a></p></article><hr>",
            subject = escape(&mail.subject),
            to = escape(mail.to.as_str()),
            at = at.format("%Y-%m-%d %H:%M:%S UTC"),
            text = escape(&mail.text),
            link = escape(&mail.link),
        ));
    }
    html.push_str("</body></html>");
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
            (header::REFERRER_POLICY, "no-referrer"),
        ],
        html,
    )
        .into_response()
}

/// Text as HTML text or attribute value.
fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            c => escaped.push(c),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mail(n: usize) -> Mail {
        Mail {
            to: Email::parse("a@example.com").expect("valid"),
            subject: format!("<b>{n}</b>"),
            text: "x & y".to_owned(),
            link: "http://127.0.0.1/signup/confirm/t?a=1&b=\"2\"".to_owned(),
        }
    }

    #[test]
    fn the_local_mailbox_keeps_the_newest_fifty() {
        let mailbox = LocalMailbox::default();
        for n in 0..60 {
            mailbox.keep(mail(n));
        }
        let kept = mailbox.newest_first();
        assert_eq!(kept.len(), LOCAL_KEPT);
        assert_eq!(kept[0].mail.subject, "<b>59</b>");
        assert_eq!(kept[LOCAL_KEPT - 1].mail.subject, "<b>10</b>");
    }

    #[test]
    fn escaping_leaves_no_markup() {
        assert_eq!(
            escape("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }
}
