//! Rate limits: per-key token buckets for what invites guessing (sign-up, sign-in) and for what
//! costs money (widget messages, each a model call). Kept in the app's state, shared by every request.
use crate::domain::Email;
use crate::error::AppError;
use crate::server::client_addr::ClientKey;
use crate::server::devices::DeviceId;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::num::NonZeroU32;
use std::time::Duration;

/// Per-key token buckets for the unauthenticated endpoints that invite guessing.
///
/// Sign-in counts every attempt three ways: per client (30 a minute), per client and account
/// (5 a minute), and per account across all clients (10, then one every 2 minutes), which is what
/// stops a password being guessed from many addresses at once. That last bucket is one an attacker
/// can drain on purpose, so it does not apply to a browser that has signed in to the account before
/// (it holds a device cookie, see `server::devices`): such a browser has a bucket of its own, and
/// an attack on the account cannot lock its owner out.
pub struct AuthRateLimits {
    sign_up_by_client: DefaultKeyedRateLimiter<ClientKey>,
    /// Sign-up mail per address (3, then one every 5 minutes): the form cannot flood a stranger's
    /// inbox, whether or not the address has an account.
    sign_up_mail_by_email: DefaultKeyedRateLimiter<Email>,
    sign_in_by_client: DefaultKeyedRateLimiter<ClientKey>,
    sign_in_by_client_and_email: DefaultKeyedRateLimiter<(ClientKey, Email)>,
    sign_in_by_email: DefaultKeyedRateLimiter<Email>,
    sign_in_by_device: DefaultKeyedRateLimiter<DeviceId>,
    /// Twilio credential checks (connecting SMS, a new Auth Token) per workspace: a workspace
    /// must not be a free oracle for stolen Twilio credentials.
    probes_by_workspace: DefaultKeyedRateLimiter<uuid::Uuid>,
}

const fn per_minute(n: u32) -> Quota {
    Quota::per_minute(NonZeroU32::MIN.saturating_add(n - 1))
}

impl Default for AuthRateLimits {
    fn default() -> Self {
        Self {
            sign_up_by_client: RateLimiter::keyed(per_minute(10)),
            sign_up_mail_by_email: RateLimiter::keyed(
                Quota::with_period(Duration::from_secs(300))
                    .unwrap_or_else(|| per_minute(1))
                    .allow_burst(NonZeroU32::MIN.saturating_add(2)),
            ),
            sign_in_by_client: RateLimiter::keyed(per_minute(30)),
            sign_in_by_client_and_email: RateLimiter::keyed(per_minute(5)),
            sign_in_by_email: RateLimiter::keyed(
                Quota::with_period(Duration::from_secs(120))
                    .unwrap_or_else(|| per_minute(1))
                    .allow_burst(NonZeroU32::MIN.saturating_add(9)),
            ),
            sign_in_by_device: RateLimiter::keyed(per_minute(5)),
            // Ten, then one every three minutes.
            probes_by_workspace: RateLimiter::keyed(
                Quota::with_period(Duration::from_secs(180))
                    .unwrap_or_else(|| per_minute(1))
                    .allow_burst(NonZeroU32::MIN.saturating_add(9)),
            ),
        }
    }
}

impl AuthRateLimits {
    pub fn check_sign_up(&self, client: ClientKey) -> Result<(), AppError> {
        self.sign_up_by_client
            .check_key(&client)
            .map_err(|_| AppError::RateLimited)
    }

    /// Counts a sign-up mail to `email`.
    pub fn check_sign_up_mail(&self, email: &Email) -> Result<(), AppError> {
        self.sign_up_mail_by_email
            .check_key(email)
            .map_err(|_| AppError::RateLimited)
    }

    /// Counts a sign-in attempt at `email` from `client`; `device` is the browser's device cookie
    /// when it proves an earlier sign-in to this very account.
    pub fn check_sign_in(
        &self,
        client: ClientKey,
        email: &Email,
        device: Option<DeviceId>,
    ) -> Result<(), AppError> {
        let limited = |_| AppError::RateLimited;
        self.sign_in_by_client.check_key(&client).map_err(limited)?;
        match device {
            Some(device) => self.sign_in_by_device.check_key(&device).map_err(limited),
            None => {
                self.sign_in_by_client_and_email
                    .check_key(&(client, email.clone()))
                    .map_err(limited)?;
                self.sign_in_by_email.check_key(email).map_err(limited)
            }
        }
    }

    /// Counts a check of Twilio credentials for `workspace`.
    pub fn check_probe(&self, workspace: uuid::Uuid) -> Result<(), AppError> {
        self.probes_by_workspace
            .check_key(&workspace)
            .map_err(|_| AppError::RateLimited)
    }

    /// Forgets keys whose buckets are full again, so memory stays bounded.
    pub fn forget_idle(&self) {
        self.probes_by_workspace.retain_recent();
        self.sign_up_by_client.retain_recent();
        self.sign_up_mail_by_email.retain_recent();
        self.sign_in_by_client.retain_recent();
        self.sign_in_by_client_and_email.retain_recent();
        self.sign_in_by_email.retain_recent();
        self.sign_in_by_device.retain_recent();
    }
}

/// How many messages a visitor and an address may send, and how many new visitors an address may
/// start: each message costs a model call.
pub struct WidgetLimits {
    messages_by_visitor: DefaultKeyedRateLimiter<String>,
    messages_by_ip: DefaultKeyedRateLimiter<ClientKey>,
    visitors_by_ip: DefaultKeyedRateLimiter<ClientKey>,
}

impl WidgetLimits {
    /// Per minute: 10 messages a visitor, 30 an address, 10 new visitors an address.
    pub fn new() -> Self {
        Self::with(10, 30, 10)
    }

    pub(crate) fn with(per_visitor: u32, per_ip: u32, new_per_ip: u32) -> Self {
        let quota = |n: u32| Quota::per_minute(NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN));
        Self {
            messages_by_visitor: RateLimiter::keyed(quota(per_visitor)),
            messages_by_ip: RateLimiter::keyed(quota(per_ip)),
            visitors_by_ip: RateLimiter::keyed(quota(new_per_ip)),
        }
    }

    /// Whether the visitor at `address` (new when `first`) may send a message from `ip` now;
    /// counts it if so.
    pub fn check(&self, ip: ClientKey, address: &str, first: bool) -> bool {
        self.messages_by_ip.check_key(&ip).is_ok()
            && (!first || self.visitors_by_ip.check_key(&ip).is_ok())
            && self
                .messages_by_visitor
                .check_key(&address.to_owned())
                .is_ok()
    }

    /// Forgets keys whose buckets are full again, so memory stays bounded.
    pub fn forget_idle(&self) {
        self.messages_by_visitor.retain_recent();
        self.messages_by_ip.retain_recent();
        self.visitors_by_ip.retain_recent();
    }
}

impl Default for WidgetLimits {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::widget::VisitorToken;
    use std::net::IpAddr;

    fn client(last: u8) -> ClientKey {
        ClientKey::of(IpAddr::from([10, 0, 0, last]))
    }

    #[test]
    fn sign_in_is_limited_per_client_and_account() {
        let limits = AuthRateLimits::default();
        let email = Email::parse("victim@example.com").expect("valid");
        for i in 0..5 {
            assert!(
                limits.check_sign_in(client(1), &email, None).is_ok(),
                "attempt {i}"
            );
        }
        let sixth = limits.check_sign_in(client(1), &email, None);
        assert_eq!(sixth, Err(AppError::RateLimited));
        let other = Email::parse("someone@example.com").expect("valid");
        assert!(
            limits.check_sign_in(client(1), &other, None).is_ok(),
            "another account"
        );
        assert!(
            limits.check_sign_in(client(2), &email, None).is_ok(),
            "another client"
        );
    }

    #[test]
    fn guesses_at_one_account_from_many_addresses_run_out_but_its_owners_browser_gets_in() {
        let limits = AuthRateLimits::default();
        let email = Email::parse("victim@example.com").expect("valid");
        for i in 0..10 {
            assert!(
                limits.check_sign_in(client(i), &email, None).is_ok(),
                "attempt {i}"
            );
        }
        assert_eq!(
            limits.check_sign_in(client(50), &email, None),
            Err(AppError::RateLimited),
            "an eleventh address"
        );
        // The owner, from a browser that signed in before, is not held by the drained bucket.
        let device = DeviceId::new_random();
        for i in 0..5 {
            assert!(
                limits
                    .check_sign_in(client(60), &email, Some(device))
                    .is_ok(),
                "owner's attempt {i}"
            );
        }
        assert_eq!(
            limits.check_sign_in(client(60), &email, Some(device)),
            Err(AppError::RateLimited),
            "a device has a bucket of its own, not none"
        );
    }

    #[test]
    fn one_client_is_limited_across_accounts() {
        let limits = AuthRateLimits::default();
        for i in 0..30 {
            let email = Email::parse(&format!("user{i}@example.com")).expect("valid");
            assert!(limits.check_sign_in(client(7), &email, None).is_ok(), "{i}");
        }
        let email = Email::parse("user99@example.com").expect("valid");
        assert_eq!(
            limits.check_sign_in(client(7), &email, None),
            Err(AppError::RateLimited)
        );
    }

    #[test]
    fn sign_up_mail_is_limited_per_address() {
        let limits = AuthRateLimits::default();
        let email = Email::parse("victim@example.com").expect("valid");
        for _ in 0..3 {
            assert!(limits.check_sign_up_mail(&email).is_ok());
        }
        assert_eq!(
            limits.check_sign_up_mail(&email),
            Err(AppError::RateLimited)
        );
        let other = Email::parse("other@example.com").expect("valid");
        assert!(limits.check_sign_up_mail(&other).is_ok());
    }

    #[test]
    fn sign_up_is_limited_per_client() {
        let limits = AuthRateLimits::default();
        for _ in 0..10 {
            assert!(limits.check_sign_up(client(1)).is_ok());
        }
        assert_eq!(limits.check_sign_up(client(1)), Err(AppError::RateLimited));
        assert!(limits.check_sign_up(client(2)).is_ok());
        // Addresses of one IPv6 /64 are one client.
        let v6 = |s: &str| ClientKey::of(s.parse::<IpAddr>().expect("v6"));
        for i in 0..10 {
            assert!(limits.check_sign_up(v6(&format!("2001:db8::{i}"))).is_ok());
        }
        assert_eq!(
            limits.check_sign_up(v6("2001:db8::ffff")),
            Err(AppError::RateLimited)
        );
    }

    #[test]
    fn a_visitor_is_limited_separately_from_their_address() {
        let limits = WidgetLimits::with(2, 3, 1);
        let ip = client(1);
        let visitor = VisitorToken::generate().address();
        assert!(limits.check(ip, &visitor, true));
        assert!(limits.check(ip, &visitor, false));
        assert!(!limits.check(ip, &visitor, false), "third message a minute");
        let other = VisitorToken::generate().address();
        assert!(!limits.check(ip, &other, false), "the address ran out");
        let elsewhere = client(2);
        assert!(
            limits.check(elsewhere, &VisitorToken::generate().address(), true),
            "one new visitor"
        );
        assert!(
            !limits.check(elsewhere, &VisitorToken::generate().address(), true),
            "a second new visitor a minute"
        );
    }
}
