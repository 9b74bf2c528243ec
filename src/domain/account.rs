//! Who signs in, to what workspace, with which role and plan.
use super::{Rejected, rejected};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// An email address, trimmed and lower-cased so that one person cannot hold two accounts by case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Email(String);

impl Email {
    pub const MAX_LEN: usize = 254;

    pub fn parse(input: &str) -> Result<Self, Rejected> {
        let value = input.trim().to_lowercase();
        if value.is_empty() {
            return Err(rejected("Enter your email address."));
        }
        if value.len() > Self::MAX_LEN {
            return Err(rejected("That email address is too long."));
        }
        let parsed = email_address::EmailAddress::from_str(&value)
            .map_err(|_| rejected("Enter an email address like name@example.com."))?;
        // The RFC allows a bare host; a support team signing in always has a dotted domain.
        if !parsed.domain().contains('.') {
            return Err(rejected("Enter an email address like name@example.com."));
        }
        Ok(Self(value))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The secret in a sign-up confirmation link (`/signup/confirm/{token}`): whoever opens it proves
/// they read the mail sent to the address, and only then is the account made. 32 random bytes as
/// 43 characters of base64url, like an invite's; only its SHA-256 is stored and `Debug` never
/// shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct SignUpToken(String);

impl SignUpToken {
    pub fn parse(input: &str) -> Result<Self, Rejected> {
        let value = input.trim();
        if super::invite::is_token(value) {
            Ok(Self(value.to_owned()))
        } else {
            Err(rejected(
                "This confirmation link isn't complete. Open the whole link from the e-mail, or sign up again for a new one.",
            ))
        }
    }

    #[cfg(feature = "ssr")]
    pub fn generate() -> Self {
        Self(super::invite::new_token())
    }

    /// The lower-case hex SHA-256 of the token: what the database holds and looks it up by.
    #[cfg(feature = "ssr")]
    pub fn hash_hex(&self) -> String {
        use sha2::{Digest, Sha256};
        hex::encode(Sha256::digest(self.0.as_bytes()))
    }

    /// The token itself, for the one place it goes: the link in the e-mail.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SignUpToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SignUpToken([redacted])")
    }
}

/// A password chosen at sign-up. Length is the rule that matters (NIST SP 800-63B): at least 10
/// characters, at most 128 so hashing cost stays bounded. Its `Debug` never prints it.
#[derive(Clone, PartialEq, Eq)]
pub struct NewPassword(String);

impl NewPassword {
    pub const MIN_CHARS: usize = 10;
    pub const MAX_CHARS: usize = 128;

    pub fn parse(input: &str) -> Result<Self, Rejected> {
        let chars = input.chars().count();
        if chars < Self::MIN_CHARS {
            return Err(rejected(format!(
                "Use at least {} characters for your password.",
                Self::MIN_CHARS
            )));
        }
        if chars > Self::MAX_CHARS {
            return Err(rejected(format!(
                "Use at most {} characters for your password.",
                Self::MAX_CHARS
            )));
        }
        if input.trim().is_empty() {
            return Err(rejected("A password can't be only spaces."));
        }
        Ok(Self(input.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NewPassword([redacted])")
    }
}

/// The name of a workspace (usually the business), 1 to 120 characters after trimming.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkspaceName(String);

impl WorkspaceName {
    pub const MAX_CHARS: usize = 120;

    pub fn parse(input: &str) -> Result<Self, Rejected> {
        let value = input.trim();
        if value.is_empty() {
            return Err(rejected("Enter your business or team name."));
        }
        if value.chars().count() > Self::MAX_CHARS {
            return Err(rejected(format!(
                "Use at most {} characters.",
                Self::MAX_CHARS
            )));
        }
        Ok(Self(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What a workspace pays for. Integrations (SMS and later channels) start at Starter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Plan {
    Free,
    Starter,
    Pro,
}

impl Plan {
    pub const ALL: [Plan; 3] = [Plan::Free, Plan::Starter, Plan::Pro];

    pub fn allows_integrations(self) -> bool {
        self >= Plan::Starter
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Plan::Free => "free",
            Plan::Starter => "starter",
            Plan::Pro => "pro",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Plan::Free => "Free",
            Plan::Starter => "Starter",
            Plan::Pro => "Pro",
        }
    }
}

impl FromStr for Plan {
    type Err = Rejected;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Plan::ALL
            .into_iter()
            .find(|plan| plan.as_str() == s.trim().to_lowercase())
            .ok_or_else(|| rejected("expected one of: free, starter, pro"))
    }
}

/// A member's role in their workspace. Owners do everything, including the team and the plan;
/// admins manage chatbots, integrations and the inbox; agents work the inbox only and see no settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Role {
    Owner,
    Admin,
    Agent,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Owner, Role::Admin, Role::Agent];
    /// The roles an invite link can grant, the default first; owners are made, not invited.
    pub const INVITABLE: [Role; 2] = [Role::Agent, Role::Admin];

    /// Chatbots, integrations (SMS settings, the phone simulator): owners and admins.
    pub fn can_manage(self) -> bool {
        matches!(self, Role::Owner | Role::Admin)
    }

    /// The team (invites, roles, removing members): owners only.
    pub fn can_manage_team(self) -> bool {
        self == Role::Owner
    }

    /// Where this role lands after signing in or joining.
    pub fn home(self) -> &'static str {
        if self.can_manage() {
            "/chatbots"
        } else {
            "/inbox"
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Admin => "admin",
            Role::Agent => "agent",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Owner => "Owner",
            Role::Admin => "Admin",
            Role::Agent => "Agent",
        }
    }
}

impl FromStr for Role {
    type Err = Rejected;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|role| role.as_str() == s.trim().to_lowercase())
            .ok_or_else(|| rejected("expected one of: owner, admin, agent"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sign_up_token_is_a_whole_token_and_debug_hides_it() {
        let good = format!("{}-_Q", "Ab9".repeat(13) + "z");
        let token = SignUpToken::parse(&format!(" {good} ")).expect("valid");
        assert_eq!(token.expose(), good);
        assert_eq!(format!("{token:?}"), "SignUpToken([redacted])");
        for bad in [
            "",
            &good[..42],
            &format!("{good}A"),
            &good.replace('Q', "R"),
        ] {
            assert!(SignUpToken::parse(bad).is_err(), "{bad}");
        }
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn generated_sign_up_tokens_parse_and_hash_to_hex() {
        let token = SignUpToken::generate();
        assert_eq!(SignUpToken::parse(token.expose()).as_ref(), Ok(&token));
        assert_ne!(token, SignUpToken::generate());
        let hash = token.hash_hex();
        assert_eq!(hash.len(), 64);
        assert!(!hash.contains(token.expose()));
    }

    #[test]
    fn email_is_trimmed_and_lowercased() {
        let email = Email::parse("  Anna@Example.FI \n").expect("valid");
        assert_eq!(email.as_str(), "anna@example.fi");
    }

    #[test]
    fn email_rejects_missing_at_missing_domain_dot_and_empty() {
        for bad in [
            "",
            "   ",
            "anna",
            "anna@",
            "@example.com",
            "anna@localhost",
            "a b@example.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn email_rejects_over_254_bytes() {
        let long = format!("{}@example.com", "a".repeat(250));
        assert!(Email::parse(&long).is_err());
    }

    #[test]
    fn password_needs_ten_to_128_characters_and_not_only_spaces() {
        assert!(NewPassword::parse("short").is_err());
        assert!(NewPassword::parse(&" ".repeat(12)).is_err());
        assert!(NewPassword::parse(&"x".repeat(129)).is_err());
        assert!(NewPassword::parse("correct horse").is_ok());
        // Counted in characters, not bytes: ten umlauts are ten characters.
        assert!(NewPassword::parse(&"ä".repeat(10)).is_ok());
    }

    #[test]
    fn password_debug_is_redacted() {
        let password = NewPassword::parse("hunter2hunter2").expect("valid");
        assert!(!format!("{password:?}").contains("hunter2"));
    }

    #[test]
    fn workspace_name_is_trimmed_and_bounded() {
        assert_eq!(
            WorkspaceName::parse("  Acme ").expect("valid").as_str(),
            "Acme"
        );
        assert!(WorkspaceName::parse("  ").is_err());
        assert!(WorkspaceName::parse(&"a".repeat(121)).is_err());
    }

    #[test]
    fn only_starter_and_pro_get_integrations() {
        assert!(!Plan::Free.allows_integrations());
        assert!(Plan::Starter.allows_integrations());
        assert!(Plan::Pro.allows_integrations());
    }

    #[test]
    fn plan_and_role_round_trip_through_their_names() {
        for plan in Plan::ALL {
            assert_eq!(plan.as_str().parse::<Plan>(), Ok(plan));
        }
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
        }
        assert!("enterprise".parse::<Plan>().is_err());
        assert!("root".parse::<Role>().is_err());
    }

    #[test]
    fn only_owners_and_admins_manage() {
        assert!(Role::Owner.can_manage());
        assert!(Role::Admin.can_manage());
        assert!(!Role::Agent.can_manage());
    }

    #[test]
    fn only_owners_manage_the_team_and_owners_are_never_invited() {
        assert!(Role::Owner.can_manage_team());
        assert!(!Role::Admin.can_manage_team());
        assert!(!Role::Agent.can_manage_team());
        assert!(!Role::INVITABLE.contains(&Role::Owner));
        assert_eq!(Role::INVITABLE[0], Role::Agent, "agent is the default");
    }

    #[test]
    fn agents_land_in_the_inbox_and_managers_on_their_chatbots() {
        assert_eq!(Role::Agent.home(), "/inbox");
        assert_eq!(Role::Admin.home(), "/chatbots");
        assert_eq!(Role::Owner.home(), "/chatbots");
    }
}
