//! The demo Twilio account of local mode: the settings page offers it to paste, and the built-in
//! emulator (which depends on this, not the other way round) registers it. Fixed, and obviously not
//! Twilio's.

/// The demo account's SID.
pub const DEMO_ACCOUNT_SID: &str = "ACde70de70de70de70de70de70de70de70";
/// The demo account's Auth Token (32 hex characters, like Twilio's).
pub const DEMO_AUTH_TOKEN: &str = "de70c0dede70c0dede70c0dede70c0de";
/// The demo account's SMS-capable number (a Finnish mobile number).
pub const DEMO_SMS_NUMBER: &str = "+358401234567";
