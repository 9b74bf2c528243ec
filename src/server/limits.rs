//! Rate limits: per-key token buckets for what invites guessing (sign-up, sign-in) and for what
//! costs money (widget messages, each a model call). Kept in the app's state, shared by every request.
use crate::domain::Email;
use crate::error::AppError;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::net::IpAddr;
use std::num::NonZeroU32;

/// Per-key token buckets for the unauthenticated endpoints that invite guessing.
pub struct AuthRateLimits {
    sign_up_by_ip: DefaultKeyedRateLimiter<IpAddr>,
    sign_in_by_ip: DefaultKeyedRateLimiter<IpAddr>,
    sign_in_by_email: DefaultKeyedRateLimiter<Email>,
}

const fn per_minute(n: u32) -> Quota {
    Quota::per_minute(NonZeroU32::MIN.saturating_add(n - 1))
}

impl Default for AuthRateLimits {
    fn default() -> Self {
        Self {
            sign_up_by_ip: RateLimiter::keyed(per_minute(10)),
            sign_in_by_ip: RateLimiter::keyed(per_minute(30)),
            // Five tries at one account, then one more every 12 seconds, wherever they come from.
            sign_in_by_email: RateLimiter::keyed(per_minute(5)),
        }
    }
}

impl AuthRateLimits {
    pub fn check_sign_up(&self, ip: IpAddr) -> Result<(), AppError> {
        self.sign_up_by_ip
            .check_key(&ip)
            .map_err(|_| AppError::RateLimited)
    }

    pub fn check_sign_in(&self, ip: IpAddr, email: &Email) -> Result<(), AppError> {
        self.sign_in_by_ip
            .check_key(&ip)
            .map_err(|_| AppError::RateLimited)?;
        self.sign_in_by_email
            .check_key(email)
            .map_err(|_| AppError::RateLimited)
    }

    /// Forgets keys whose buckets are full again, so memory stays bounded.
    pub fn forget_idle(&self) {
        self.sign_up_by_ip.retain_recent();
        self.sign_in_by_ip.retain_recent();
        self.sign_in_by_email.retain_recent();
    }
}

/// How many messages a visitor and an address may send, and how many new visitors an address may
/// start: each message costs a model call.
pub struct WidgetLimits {
    messages_by_visitor: DefaultKeyedRateLimiter<String>,
    messages_by_ip: DefaultKeyedRateLimiter<IpAddr>,
    visitors_by_ip: DefaultKeyedRateLimiter<IpAddr>,
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
    pub fn check(&self, ip: IpAddr, address: &str, first: bool) -> bool {
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

    #[test]
    fn sign_in_is_limited_per_email_across_addresses() {
        let limits = AuthRateLimits::default();
        let email = Email::parse("victim@example.com").expect("valid");
        for i in 0..5u8 {
            let ip = IpAddr::from([10, 0, 0, i]);
            assert!(limits.check_sign_in(ip, &email).is_ok(), "attempt {i}");
        }
        let sixth = limits.check_sign_in(IpAddr::from([10, 0, 0, 99]), &email);
        assert_eq!(sixth, Err(AppError::RateLimited));
        let other = Email::parse("someone@example.com").expect("valid");
        assert!(
            limits
                .check_sign_in(IpAddr::from([10, 0, 0, 99]), &other)
                .is_ok()
        );
    }

    #[test]
    fn sign_up_is_limited_per_address() {
        let limits = AuthRateLimits::default();
        let ip = IpAddr::from([192, 0, 2, 1]);
        for _ in 0..10 {
            assert!(limits.check_sign_up(ip).is_ok());
        }
        assert_eq!(limits.check_sign_up(ip), Err(AppError::RateLimited));
        assert!(limits.check_sign_up(IpAddr::from([192, 0, 2, 2])).is_ok());
    }

    #[test]
    fn a_visitor_is_limited_separately_from_their_address() {
        let limits = WidgetLimits::with(2, 3, 1);
        let ip = IpAddr::from([10, 0, 0, 1]);
        let visitor = VisitorToken::generate().address();
        assert!(limits.check(ip, &visitor, true));
        assert!(limits.check(ip, &visitor, false));
        assert!(!limits.check(ip, &visitor, false), "third message a minute");
        let other = VisitorToken::generate().address();
        assert!(!limits.check(ip, &other, false), "the address ran out");
        let elsewhere = IpAddr::from([10, 0, 0, 2]);
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
