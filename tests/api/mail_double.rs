//! A mail server on loopback that speaks enough SMTP for a real client (lettre, as the app uses it)
//! and keeps every mail it accepts, so tests read the sign-up mail the app sent.
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// One accepted mail: the envelope and the message as sent (headers and encoded body).
#[derive(Debug, Clone)]
pub struct ReceivedMail {
    pub from: String,
    pub to: Vec<String>,
    pub message: String,
}

impl ReceivedMail {
    /// The `Subject:` header's value.
    pub fn subject(&self) -> String {
        self.message
            .lines()
            .take_while(|line| !line.is_empty())
            .find_map(|line| line.strip_prefix("Subject: "))
            .unwrap_or_default()
            .to_owned()
    }

    /// The body, quoted-printable decoded (the app sends text that way).
    pub fn text(&self) -> String {
        let body = self
            .message
            .split_once("\r\n\r\n")
            .map(|(_, body)| body)
            .unwrap_or_default();
        decode_quoted_printable(body)
    }

    /// The token of the sign-up confirmation link in the text, if there is one.
    pub fn confirmation_token(&self) -> Option<String> {
        let text = self.text();
        let (_, after) = text.split_once("/signup/confirm/")?;
        Some(
            after
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
                .collect(),
        )
    }
}

#[derive(Clone, Default)]
pub struct MailDouble {
    received: Arc<Mutex<Vec<ReceivedMail>>>,
}

impl MailDouble {
    /// Starts the server; returns it and the `SMTP_URL` that reaches it.
    pub async fn start() -> (Self, String) {
        Self::start_on("127.0.0.1:0").await
    }

    /// Starts the server on `address` (a port chosen before, say).
    pub async fn start_on(address: &str) -> (Self, String) {
        let listener = TcpListener::bind(address).await.expect("bind");
        let url = format!("smtp://{}", listener.local_addr().expect("address"));
        let double = Self::default();
        let received = Arc::clone(&double.received);
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(session(stream, Arc::clone(&received)));
            }
        });
        (double, url)
    }

    /// Every mail accepted for `to`, oldest first.
    pub fn mail_to(&self, to: &str) -> Vec<ReceivedMail> {
        self.received
            .lock()
            .expect("lock")
            .iter()
            .filter(|mail| mail.to.iter().any(|r| r.eq_ignore_ascii_case(to)))
            .cloned()
            .collect()
    }

    /// Waits (up to 10 s) until more than `seen` mails were accepted for `to`; returns the newest.
    pub async fn next_to(&self, to: &str, seen: usize) -> ReceivedMail {
        for _ in 0..200 {
            let mails = self.mail_to(to);
            if mails.len() > seen {
                return mails.last().cloned().expect("a mail");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("no mail for {to} within 10 s")
    }
}

async fn session(
    stream: TcpStream,
    received: Arc<Mutex<Vec<ReceivedMail>>>,
) -> std::io::Result<()> {
    let (reader, mut writer) = stream.into_split();
    let mut lines = BufReader::new(reader).lines();
    writer.write_all(b"220 double ESMTP\r\n").await?;
    let (mut from, mut to) = (String::new(), Vec::new());
    while let Some(line) = lines.next_line().await? {
        let command = line.to_ascii_uppercase();
        let reply: &[u8] = if command.starts_with("EHLO") || command.starts_with("HELO") {
            b"250-double\r\n250 8BITMIME\r\n"
        } else if let Some(address) = command.strip_prefix("MAIL FROM:").map(|_| &line[10..]) {
            from = address.trim().trim_matches(['<', '>']).to_owned();
            b"250 OK\r\n"
        } else if let Some(address) = command.strip_prefix("RCPT TO:").map(|_| &line[8..]) {
            to.push(address.trim().trim_matches(['<', '>']).to_owned());
            b"250 OK\r\n"
        } else if command == "DATA" {
            writer.write_all(b"354 end with <CRLF>.<CRLF>\r\n").await?;
            let mut message = String::new();
            while let Some(line) = lines.next_line().await? {
                if line == "." {
                    break;
                }
                // Dot-stuffing (RFC 5321 §4.5.2) undone.
                message.push_str(line.strip_prefix('.').unwrap_or(&line));
                message.push_str("\r\n");
            }
            received.lock().expect("lock").push(ReceivedMail {
                from: std::mem::take(&mut from),
                to: std::mem::take(&mut to),
                message,
            });
            b"250 queued\r\n"
        } else if command == "QUIT" {
            writer.write_all(b"221 bye\r\n").await?;
            break;
        } else if command == "RSET" || command == "NOOP" {
            b"250 OK\r\n"
        } else {
            b"502 not implemented\r\n"
        };
        writer.write_all(reply).await?;
    }
    Ok(())
}

/// RFC 2045 §6.7: `=` at a line's end joins it to the next; `=XY` is the byte 0xXY.
fn decode_quoted_printable(text: &str) -> String {
    let joined = text.replace("=\r\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while at < bytes.len() {
        if bytes[at] == b'='
            && let Some(hex) = joined.get(at + 1..at + 3)
            && let Ok(byte) = u8::from_str_radix(hex, 16)
        {
            out.push(byte);
            at += 3;
        } else {
            out.push(bytes[at]);
            at += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
